//! The one error type of the commands, and the one place it becomes an
//! exit code.
//!
//! Exit codes (README, "Exit codes"): 0 done, 1 an error (the cloud, a
//! blocked plan, a failed apply), 2 a usage or input error (a flag, path,
//! name or input file that cannot work) — except under `plan
//! --detailed-exitcode`, where 2 means "changes" and every error is 1, so a
//! drift job never reads an outage or a typo as drift.

use super::exit;
use crate::heat::HeatError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The command line asks for something that cannot work.
    Usage,
    /// Anything else: a file, the cloud, Heat.
    Failed,
}

#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Error {
        Error {
            kind: Kind::Usage,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Error {
        Error {
            kind: Kind::Failed,
            message: message.into(),
        }
    }

    /// The exit code; `detailed` when 2 already means "changes".
    pub fn exit_code(&self, detailed: bool) -> i32 {
        code(self.kind, detailed)
    }
}

/// The exit code of an error of `kind`.
pub fn code(kind: Kind, detailed: bool) -> i32 {
    match kind {
        Kind::Usage if !detailed => exit::USAGE,
        _ => exit::FAILED,
    }
}

/// Plain messages come from reading the command's own inputs (files,
/// flags): usage errors. The cloud's errors are `HeatError`s or made with
/// [`Error::failed`].
impl From<String> for Error {
    fn from(message: String) -> Error {
        Error::usage(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Error {
        Error::from(message.to_string())
    }
}

impl From<HeatError> for Error {
    fn from(e: HeatError) -> Error {
        Error::failed(e.to_string())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What every command returns: an exit code, or an error.
pub type Outcome = Result<i32, Error>;

/// `--cluster NAME` (or a positional cluster) names no cluster `among`
/// those there are: a usage error with the closest name, or the list when
/// short.
pub fn unknown_cluster<'a>(
    name: &str,
    declared: impl IntoIterator<Item = &'a str>,
    among: &str,
) -> Error {
    let declared: Vec<&str> = declared.into_iter().collect();
    let hint = match crate::diag::did_you_mean(name, declared.iter().copied()) {
        Some(best) => format!("; did you mean `{best}`?"),
        None if declared.is_empty() => "; there are none".to_string(),
        None if declared.len() <= 8 => format!("; there are: {}", declared.join(", ")),
        None => format!("; there are {}", declared.len()),
    };
    Error::usage(format!("no cluster named `{name}` {among}{hint}"))
}
