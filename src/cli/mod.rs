//! The command line: argument parsing, input discovery and exit codes. The
//! only module that prints.

mod args;
mod cloud;
mod cloud_facts;
mod cluster_credentials;
mod commands;
mod configuration;
mod error;
mod inputs;
mod remote;
mod write;

use clap::Parser;

/// Exit codes, documented in the README.
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const INTERNAL: i32 = 101;
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    std::panic::set_hook(Box::new(|info| {
        // `coe labels | head -1`: the reader went away; nothing is wrong.
        if closed_pipe(info) {
            std::process::exit(exit::OK);
        }
        eprintln!("coe: internal error: {info}");
        eprintln!("this is a bug in coe; please report it with the input that caused it");
    }));
    // Under `plan --detailed-exitcode`, 2 means "changes": no error may use it.
    let detailed = std::env::args_os().any(|a| a == "--detailed-exitcode");
    let args = match args::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() {
                error::code(error::Kind::Usage, detailed)
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    match std::panic::catch_unwind(|| commands::run(args)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("coe: error: {e}");
            e.exit_code(detailed)
        }
        Err(_) => exit::INTERNAL,
    }
}

/// Whether a panic is `println!` meeting a closed pipe (EPIPE) on standard
/// output or error: std reports it only as a panic message.
fn closed_pipe(info: &std::panic::PanicHookInfo) -> bool {
    let payload = info
        .payload()
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| info.payload().downcast_ref::<&str>().copied())
        .unwrap_or("");
    payload.starts_with("failed printing to std") && payload.contains("os error 32")
}
