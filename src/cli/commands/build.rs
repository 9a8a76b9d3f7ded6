//! `coe build`: check, compile, and write one bundle directory per cluster.

use super::check::{closed_pipe_is_fine, write_report};
use crate::check::{self, Options};
use crate::cli::args::{BuildArgs, Color, Format};
use crate::cli::exit;
use crate::compile;
use crate::diag::render;
use std::io::Write;
use std::path::Path;

pub fn run(a: BuildArgs) -> crate::cli::error::Outcome {
    let super::check::Loaded {
        mut sources,
        ids,
        not_text,
    } = super::check::load_all(&a.paths)?;
    let checked = check::check_files(&mut sources, &ids, &Options::default());
    let warnings: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .cloned()
        .collect();
    let report = |diags: &[crate::diag::Diagnostic]| {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = write_report(&mut out, a.format, Color::Auto, &sources, diags)
            .and_then(|()| out.flush());
        closed_pipe_is_fine(written)
    };
    // A file that is not text builds nothing: what it declares is unknown.
    if !not_text.is_empty() {
        let mut all = not_text;
        all.extend(checked.diagnostics.iter().cloned());
        report(&all)?;
        return Ok(exit::FAILED);
    }
    let bundles = match compile::compile_only(&checked, &sources, &a.clusters) {
        Ok(b) => b,
        Err(diags) => {
            report(&diags)?;
            return Ok(exit::FAILED);
        }
    };
    // A machine format is one document, even with no warnings in it.
    if !warnings.is_empty() || a.format != Format::Human {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = match a.format {
            // Warnings alone have no summary line, as before.
            Format::Human => render::human::write(
                &mut out,
                &sources,
                &warnings,
                super::check::use_color(Color::Auto),
            ),
            _ => write_report(&mut out, a.format, Color::Auto, &sources, &warnings),
        }
        .and_then(|()| out.flush());
        closed_pipe_is_fine(written)?;
    }
    let say = |line: String| {
        if a.format == Format::Human {
            println!("{line}");
        } else {
            eprintln!("{line}");
        }
    };
    for name in &a.clusters {
        if !bundles.iter().any(|b| &b.cluster == name) {
            return Err(crate::cli::error::unknown_cluster(
                name,
                bundles.iter().map(|b| b.cluster.as_str()),
                "in the configuration",
            ));
        }
    }
    let selected: Vec<_> = bundles
        .iter()
        .filter(|b| a.clusters.is_empty() || a.clusters.contains(&b.cluster))
        .collect();
    for b in &selected {
        let files = b
            .outputs()
            .map_err(|e| format!("cluster `{}`: {e}", b.cluster))?;
        write_dir(&a.output.join(&b.cluster), &files)?;
        say(format!(
            "built {} → {} ({} files, stack `{}`)",
            b.cluster,
            a.output.join(&b.cluster).display(),
            files.len(),
            b.stack_name
        ));
    }
    if selected.is_empty() {
        say("no clusters to build".to_string());
    }
    Ok(exit::OK)
}

/// Writes a directory completely or not at all: into a temporary sibling,
/// then swapped in place of the old one.
fn write_dir(dir: &Path, files: &[(String, String)]) -> Result<(), String> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| {
        std::fs::create_dir_all(&tmp)?;
        for (path, text) in files {
            std::fs::write(tmp.join(path), text)?;
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::rename(&tmp, dir)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_dir_all(&tmp);
        format!("cannot write `{}`: {e}", dir.display())
    })
}
