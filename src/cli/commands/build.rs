//! `coe build`: check, compile, and write one bundle directory per cluster.

use super::check::{closed_pipe_is_fine, write_report};
use crate::check::{self, Options};
use crate::cli::args::{BuildArgs, Color, Format};
use crate::cli::exit;
use crate::compile;
use crate::compile::OutputFile;
use crate::diag::render;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

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
    // Files every bundle of a driver shares are written once; the other
    // bundles get hard links to them (still plain files to any tool).
    let mut written: HashMap<(usize, usize), PathBuf> = HashMap::new();
    let mut linked = (0usize, 0usize);
    for b in &selected {
        let files = b
            .layout()
            .map_err(|e| format!("cluster `{}`: {e}", b.cluster))?;
        let dir = a.output.join(&b.cluster);
        let (n, bytes) = write_dir(&dir, &files, &mut written)?;
        linked.0 += n;
        linked.1 += bytes;
        say(format!(
            "built {} → {} ({} files, stack `{}`)",
            b.cluster,
            dir.display(),
            files.len(),
            b.stack_name
        ));
    }
    if linked.0 > 0 {
        say(format!(
            "{} files identical to one already built were hard-linked, not written again ({:.1} MB)",
            linked.0,
            linked.1 as f64 / 1e6
        ));
    }
    if selected.is_empty() {
        say("no clusters to build".to_string());
    }
    Ok(exit::OK)
}

/// Writes a directory completely or not at all: into a temporary sibling,
/// then swapped in place of the old one. A shared file already written in
/// this run (`written`) becomes a hard link to it, or a copy where the file
/// system has no hard links. Returns how many files were linked, and their bytes.
fn write_dir(
    dir: &Path,
    files: &[OutputFile<'_>],
    written: &mut HashMap<(usize, usize), PathBuf>,
) -> Result<(usize, usize), String> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let mut linked = (0, 0);
    let result = (|| {
        std::fs::create_dir_all(&tmp)?;
        for f in files {
            let at = tmp.join(&f.path);
            let first = f.shared.and_then(|key| written.get(&key));
            match first {
                Some(first) if std::fs::hard_link(first, &at).is_ok() => {
                    linked.0 += 1;
                    linked.1 += f.text.len();
                }
                _ => std::fs::write(&at, f.text.as_bytes())?,
            }
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::rename(&tmp, dir)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_dir_all(&tmp);
        format!("cannot write `{}`: {e}", dir.display())
    })?;
    for f in files {
        if let Some(key) = f.shared {
            written.entry(key).or_insert_with(|| dir.join(&f.path));
        }
    }
    Ok(linked)
}
