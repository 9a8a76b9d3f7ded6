//! One file per subcommand.

mod apply;
mod build;
mod ca;
mod check;
mod cloud;
mod destroy;
mod env;
mod explain;
mod fmt;
mod import;
mod kubeconfig;
mod labels;
mod list;
mod lsp;
mod plan;
mod show;
mod stats;

pub use check::{load, use_color};

use super::args::{Cli, Command};

pub fn run(cli: Cli) -> crate::cli::error::Outcome {
    match cli.command {
        Command::Build(a) => build::run(a),
        Command::Check(a) => check::run(a),
        Command::Labels(a) => labels::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Import(a) => import::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Apply(a) => apply::run(a),
        Command::Destroy(a) => destroy::run(a),
        Command::List(a) => list::run(a),
        Command::Show(a) => show::run(a),
        Command::Stats(a) => stats::run(a),
        Command::Cloud(a) => cloud::run(a),
        Command::Kubeconfig(a) => kubeconfig::run(a),
        Command::Ca(a) => ca::run(a),
        Command::Env(a) => env::run(a),
        Command::Lsp(a) => lsp::run(a),
    }
}
