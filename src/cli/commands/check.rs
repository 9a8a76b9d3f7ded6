//! `coe check`: parse and check a configuration, print diagnostics.

use crate::check::{self, Options};
use crate::cli::args::{CheckArgs, CloudSource, Color, Format};
use crate::cli::exit;
use crate::cli::inputs::coe_files;
use crate::diag::render;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, NotUtf8, SourceMap};
use std::io::{IsTerminal, Write};

/// A configuration's files, read into a fresh source map. A file that is
/// not UTF-8 text is kept (lossily decoded, to be shown) but left out of
/// `ids`, and `not_text` has its diagnostic.
pub struct Loaded {
    pub sources: SourceMap,
    pub ids: Vec<FileId>,
    pub not_text: Vec<Diagnostic>,
}

pub fn load_all(paths: &[std::path::PathBuf]) -> Result<Loaded, String> {
    let files = coe_files(paths)?;
    let mut loaded = Loaded {
        sources: SourceMap::new(),
        ids: Vec::new(),
        not_text: Vec::new(),
    };
    for f in files {
        let (id, bad) = loaded
            .sources
            .add_path_lossy(&f)
            .map_err(|e| format!("cannot read `{}`: {e}", f.display()))?;
        match bad {
            None => loaded.ids.push(id),
            Some(bad) => loaded.not_text.push(not_utf8(&f, &bad)),
        }
    }
    Ok(loaded)
}

/// COE0005: the first byte that is not UTF-8, by line, column and byte offset.
fn not_utf8(path: &std::path::Path, bad: &NotUtf8) -> Diagnostic {
    let at = bad.offset;
    let first = bad.bytes.first().map(|b| format!("0x{b:02X}"));
    let span = bad.span;
    Diagnostic::new(
        Code(5),
        span,
        format!(
            "`{}` is not UTF-8 text: byte {at} ({}) starts no valid character",
            path.display(),
            first.as_deref().unwrap_or("end of file")
        ),
    )
    .with_label("not UTF-8 (shown as �)")
    .with_help("save the file as UTF-8; if it is Latin-1, `iconv -f latin1 -t utf-8` converts it")
}

/// [`load_all`] for commands without an output format: a file that is not
/// text is reported on standard error, and nothing else is done.
pub fn load(
    paths: &[std::path::PathBuf],
) -> Result<(SourceMap, Vec<FileId>), crate::cli::error::Error> {
    let loaded = load_all(paths)?;
    if loaded.not_text.is_empty() {
        return Ok((loaded.sources, loaded.ids));
    }
    let color = use_color_on_stderr();
    eprint!(
        "{}",
        render::human::render(&loaded.sources, &loaded.not_text, color)
    );
    Err(crate::cli::error::Error::usage(format!(
        "{} of the configuration's files {} not UTF-8 text",
        loaded.not_text.len(),
        if loaded.not_text.len() == 1 {
            "is"
        } else {
            "are"
        }
    )))
}

fn use_color_on_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
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
    let Loaded {
        mut sources,
        mut ids,
        not_text,
    } = load_all(&a.paths)?;
    if a.cloud == Some(CloudSource::Live) {
        (sources, ids) = with_live_facts(sources, ids, &a)?;
    }
    let options = Options {
        deny_unknown_labels: a.deny_unknown_labels,
        deny_unimplemented_labels: a.deny_unimplemented_labels,
    };
    let checked = check::check_files(&mut sources, &ids, &options);
    let mut diags = not_text;
    diags.extend(checked.diagnostics.into_vec());
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

/// The configuration with its cloud block replaced by what the cloud says
/// now (in memory: nothing is written). Diagnostics in that file point into
/// the replaced text, which is what `coe cloud pull` would write.
fn with_live_facts(
    sources: SourceMap,
    ids: Vec<FileId>,
    a: &CheckArgs,
) -> Result<(SourceMap, Vec<FileId>), crate::cli::error::Error> {
    let target = crate::cli::cloud_facts::locate(&a.paths, a.block.as_deref())?;
    let (synced, describe) = crate::cli::cloud_facts::pull(&target, &a.cloud_opts)?;
    eprintln!(
        "checking against the cloud's facts as {describe} gives them ({} in `{}`; nothing written)",
        if synced.changes.is_empty() {
            "the same as written".to_string()
        } else {
            format!("{} change(s) to the cloud block", synced.changes.len())
        },
        target.path.display()
    );
    let mut out = SourceMap::new();
    let mut new_ids = Vec::new();
    let mut replaced = false;
    for (id, file) in sources.files() {
        let is_target = file
            .path
            .as_deref()
            .is_some_and(|p| same_file(p, &target.path));
        let text = if is_target {
            replaced = true;
            synced.text.clone()
        } else {
            file.text.clone()
        };
        let new = out.add(crate::source::SourceFile::new(
            file.name.clone(),
            file.path.clone(),
            text,
        ));
        if ids.contains(&id) {
            new_ids.push(new);
        }
    }
    if !replaced {
        let name = target.path.display().to_string();
        new_ids.push(out.add(crate::source::SourceFile::new(
            name,
            Some(target.path.clone()),
            synced.text,
        )));
    }
    Ok((out, new_ids))
}

/// Whether two paths name one file (`./a.coe` and `a.coe` do).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
