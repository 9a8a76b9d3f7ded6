//! `coe explain CODE`: the long explanation of a diagnostic code.
//! `coe explain LABEL`: what a label of the catalogue does in coe's clusters.

use crate::check::{Options, check_files, explain};
use crate::cli::args::ExplainArgs;
use crate::cli::exit;
use crate::diag::{CODES, parse_code};
use crate::source::SourceMap;

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
    if let Some(code) = parse_code(&text) {
        print!("{}", code.info().explanation);
        return Ok(exit::OK);
    }
    // Not a code: a label of the stdlib catalogue, perhaps.
    let mut sources = SourceMap::new();
    let catalogue = check_files(&mut sources, &[], &Options::default()).catalogue;
    if let Some(info) = catalogue.labels.get(&text) {
        print!("{}", explain::label(&catalogue, info));
        return Ok(exit::OK);
    }
    let names = CODES
        .iter()
        .map(|c| c.name)
        .chain(catalogue.labels.keys().map(String::as_str));
    let hint = crate::diag::did_you_mean(&text, names)
        .map(|n| format!("did you mean `{n}`? "))
        .unwrap_or_default();
    Err(format!(
        "no diagnostic code or label `{text}`; {hint}`coe explain --list` shows the codes, `coe labels --effect PATH` a cluster's labels"
    )
    .into())
}
