//! `coe fmt`: rewrite files in the canonical layout, or with `--check` /
//! `--diff` only report what would change.

use crate::cli::args::FmtArgs;
use crate::cli::exit;
use crate::cli::inputs::coe_files;
use crate::diag::render;
use crate::fmt::{self, Error};
use crate::source::{SourceFile, SourceMap};
use std::io::{IsTerminal, Write};

pub fn run(a: FmtArgs) -> crate::cli::error::Outcome {
    let files = coe_files(&a.paths)?;
    let mut code = exit::OK;
    let mut out = std::io::stdout().lock();
    for path in files {
        let text = crate::source::read_text(&path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let formatted = match fmt::format_source(crate::source::FileId(0), &text) {
            Ok(f) => f,
            Err(Error::Syntax(diags)) => {
                let mut sources = SourceMap::new();
                sources.add(SourceFile::new(
                    path.display().to_string(),
                    Some(path.clone()),
                    text,
                ));
                eprint!("{}", render::human::render(&sources, &diags, color()));
                eprintln!("coe: not formatted: `{}` has syntax errors", path.display());
                code = code.max(exit::FAILED);
                continue;
            }
            Err(Error::Unstable(why)) => {
                eprintln!(
                    "coe: internal error: `{}` left unformatted: {why}",
                    path.display()
                );
                eprintln!("this is a bug in coe; please report it with the file");
                code = exit::INTERNAL;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        let name = path.display().to_string();
        if a.diff {
            let diff = similar::TextDiff::from_lines(&text, &formatted);
            let patch = diff.unified_diff().header(&name, &name).to_string();
            let _ = out.write_all(patch.as_bytes());
            code = code.max(exit::FAILED);
        } else if a.check {
            let _ = writeln!(out, "{name}");
            code = code.max(exit::FAILED);
        } else {
            crate::cli::write::atomically(&path, &formatted)?;
        }
    }
    Ok(code)
}

/// Diagnostics go to standard error, so colour follows that stream.
fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}
