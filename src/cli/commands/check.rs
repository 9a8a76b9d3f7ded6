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
    let text = match a.format {
        Format::Human => {
            let mut s = render::human::render(&sources, &diags, use_color(a.color));
            if diags.is_empty() {
                s.push_str(&format!(
                    "checked {} file{}: no problems\n",
                    ids.len(),
                    if ids.len() == 1 { "" } else { "s" }
                ));
            } else {
                s.push_str(&format!("{}\n", render::human::summary(&diags)));
            }
            s
        }
        Format::Json => render::json::render(&sources, &diags),
        Format::Sarif => render::sarif::render(&sources, &diags),
        Format::Github => render::github::render(&sources, &diags),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let errors = diags.iter().any(|d| d.is_error());
    let warnings = diags
        .iter()
        .any(|d| d.severity == crate::diag::Severity::Warning);
    Ok(if errors || (a.deny_warnings && warnings) {
        exit::FAILED
    } else {
        exit::OK
    })
}
