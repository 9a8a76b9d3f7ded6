//! `coe cloud pull`: the cloud block, from the cloud's own APIs.

use crate::cli::args::{CloudArgs, CloudCommand, CloudPullArgs};
use crate::cli::cloud_facts::{locate, pull, shown};
use crate::cli::exit;
use crate::cli::remote::confirm;
use std::io::{IsTerminal, Write};

pub fn run(a: CloudArgs) -> crate::cli::error::Outcome {
    match a.command {
        CloudCommand::Pull(p) => run_pull(p),
    }
}

fn run_pull(a: CloudPullArgs) -> crate::cli::error::Outcome {
    let target = locate(&a.paths, a.block.as_deref())?;
    let (synced, describe) = pull(&target, &a.cloud)?;
    let name = shown(&target.path);
    eprintln!("read the cloud's facts from {describe}");
    // By the changes, not the text: a file not laid out as `coe fmt` would
    // differ in layout alone, and that is no reason to rewrite it.
    if synced.changes.is_empty() {
        eprintln!("`{name}` is up to date: the cloud block says what the cloud has");
        return Ok(exit::OK);
    }
    let diff = similar::TextDiff::from_lines(&target.text, &synced.text);
    let patch = diff.unified_diff().header(&name, &name).to_string();
    let mut out = std::io::stdout().lock();
    write_diff(&mut out, &patch).map_err(|e| format!("cannot write to standard output: {e}"))?;
    for c in &synced.changes {
        eprintln!("  {c}");
    }
    if a.dry_run {
        eprintln!("dry run: `{name}` left as it is");
        return Ok(exit::OK);
    }
    if !confirm(&format!("Write these changes to `{name}`?"), a.yes)? {
        eprintln!("nothing written");
        return Ok(exit::FAILED);
    }
    crate::cli::write::atomically(&target.path, &synced.text)?;
    eprintln!(
        "wrote `{name}` ({} change{}); `coe check` now checks against these facts",
        synced.changes.len(),
        if synced.changes.len() == 1 { "" } else { "s" }
    );
    Ok(exit::OK)
}

/// A unified diff, coloured on a terminal (red removals, green additions).
fn write_diff(out: &mut impl Write, patch: &str) -> std::io::Result<()> {
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    for line in patch.lines() {
        let paint = match line.as_bytes().first() {
            _ if !color || line.starts_with("+++") || line.starts_with("---") => None,
            Some(b'+') => Some("32"),
            Some(b'-') => Some("31"),
            Some(b'@') => Some("36"),
            _ => None,
        };
        match paint {
            Some(c) => writeln!(out, "\x1b[{c}m{line}\x1b[0m")?,
            None => writeln!(out, "{line}")?,
        }
    }
    out.flush()
}
