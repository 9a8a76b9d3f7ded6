//! Command-line arguments (clap derive).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "coe",
    version,
    about = "Check, compile, plan and apply OpenStack container clusters described in .coe files"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check .coe files (a file, or every .coe file of a directory) and report problems
    Check(CheckArgs),
    /// Compile each cluster to the bundle Heat's stack-create API takes
    Build(BuildArgs),
    /// Show the effective labels of each cluster after inheritance and merge
    Labels(LabelsArgs),
    /// Explain a diagnostic code, with a wrong and a right example
    Explain(ExplainArgs),
    /// Format .coe files in the canonical layout, keeping comments
    Fmt(FmtArgs),
    /// Turn Magnum JSON (`openstack coe cluster template show -f json`, ...) into .coe
    Import(ImportArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Exit with 1 when there are warnings, too
    #[arg(long)]
    pub deny_warnings: bool,
    /// Report label keys no driver reads as errors instead of warnings
    #[arg(long)]
    pub deny_unknown_labels: bool,
    /// When to use colour in human output
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
}

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Where to write one directory per cluster
    #[arg(short, long, default_value = "build")]
    pub output: PathBuf,
    /// Only these clusters (repeatable)
    #[arg(long = "cluster")]
    pub clusters: Vec<String>,
}

#[derive(clap::Args, Debug)]
pub struct LabelsArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Only this cluster
    #[arg(long)]
    pub cluster: Option<String>,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A code such as COE0308
    pub code: Option<String>,
    /// List every code with its name and summary
    #[arg(long, conflicts_with = "code")]
    pub list: bool,
}

#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Do not write; exit with 1 if any file is not formatted
    #[arg(long)]
    pub check: bool,
    /// Do not write; print a unified diff of the changes
    #[arg(long)]
    pub diff: bool,
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// JSON files from `openstack ... show -f json` (`-` reads standard input)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the .coe text here instead of standard output
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}
