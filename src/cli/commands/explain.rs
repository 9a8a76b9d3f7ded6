//! `coe explain CODE`: the long explanation of a diagnostic code.

use crate::cli::args::ExplainArgs;
use crate::cli::exit;
use crate::diag::{CODES, parse_code};

pub fn run(a: ExplainArgs) -> crate::cli::error::Outcome {
    if a.list || a.code.is_none() {
        for c in CODES {
            println!(
                "{}  {:<32} {:<8} {}",
                c.code,
                c.name,
                c.severity.as_str(),
                c.summary
            );
        }
        return Ok(exit::OK);
    }
    let text = a.code.unwrap();
    let code = parse_code(&text).ok_or_else(|| {
        let hint = crate::diag::did_you_mean(&text, CODES.iter().map(|c| c.name))
            .map(|n| format!("did you mean `{n}`? "))
            .unwrap_or_default();
        format!("no diagnostic code `{text}`; {hint}`coe explain --list` shows them all")
    })?;
    print!("{}", code.info().explanation);
    Ok(exit::OK)
}
