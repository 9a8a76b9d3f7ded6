//! One file per subcommand.

mod build;
mod check;
mod explain;
mod fmt;
mod import;
mod labels;

use super::args::{Cli, Command};

pub fn run(cli: Cli) -> Result<i32, String> {
    match cli.command {
        Command::Build(a) => build::run(a),
        Command::Check(a) => check::run(a),
        Command::Labels(a) => labels::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Import(a) => import::run(a),
    }
}
