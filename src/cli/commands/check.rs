//! `coe check`: parse and check a configuration, print diagnostics.

use crate::check::{self, Options};
use crate::cli::args::{CheckArgs, Color, Format};
use crate::cli::exit;
use crate::cli::inputs::coe_files;
use crate::diag::render;
use crate::source::SourceMap;
use std::io::{IsTerminal, Write};

/// Loads the files of a configuration into a fresh source map.
pub fn load(
    paths: &[std::path::PathBuf],
) -> Result<(SourceMap, Vec<crate::source::FileId>), String> {
    let files = coe_files(paths)?;
    let mut sources = SourceMap::new();
    let mut ids = Vec::new();
    for f in files {
        let id = sources
            .add_path(&f)
            .map_err(|e| format!("cannot read `{}`: {e}", f.display()))?;
        ids.push(id);
    }
    Ok((sources, ids))
}

pub fn use_color(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

pub fn run(a: CheckArgs) -> crate::cli::error::Outcome {
    let (mut sources, ids) = load(&a.paths)?;
    let options = Options {
        deny_unknown_labels: a.deny_unknown_labels,
        deny_unimplemented_labels: a.deny_unimplemented_labels,
    };
    let checked = check::check_files(&mut sources, &ids, &options);
    let diags = checked.diagnostics.into_vec();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = write_report(&mut out, a.format, a.color, &sources, &diags)
        .and_then(|()| {
            if a.format == Format::Human && diags.is_empty() {
                writeln!(
                    out,
                    "checked {} file{}: no problems",
                    ids.len(),
                    if ids.len() == 1 { "" } else { "s" }
                )
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    closed_pipe_is_fine(written)?;
    let errors = diags.iter().any(|d| d.is_error());
    let warnings = diags
        .iter()
        .any(|d| d.severity == crate::diag::Severity::Warning);
    // The process ends here: freeing a large configuration's model piece by
    // piece would only cost time.
    std::mem::forget((checked.model, diags, sources));
    Ok(if errors || (a.deny_warnings && warnings) {
        exit::FAILED
    } else {
        exit::OK
    })
}

/// Writes diagnostics in one of the output formats, streamed: the human
/// one ends with its summary line when there is anything to sum up.
pub fn write_report(
    out: &mut impl Write,
    format: Format,
    color: Color,
    sources: &SourceMap,
    diags: &[crate::diag::Diagnostic],
) -> std::io::Result<()> {
    match format {
        Format::Human => {
            render::human::write(out, sources, diags, use_color(color))?;
            if !diags.is_empty() {
                writeln!(out, "{}", render::human::summary(diags))?;
            }
            Ok(())
        }
        Format::Json => render::json::write(out, sources, diags),
        Format::Sarif => render::sarif::write(out, sources, diags),
        Format::Github => render::github::write(out, sources, diags),
    }
}

/// A reader that went away (`coe check | head`) is not an error; any other
/// failure to write the report is.
pub fn closed_pipe_is_fine(written: std::io::Result<()>) -> Result<(), crate::cli::error::Error> {
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(
            crate::cli::error::Error::failed(format!("cannot write the report: {e}")),
        ),
        _ => Ok(()),
    }
}
