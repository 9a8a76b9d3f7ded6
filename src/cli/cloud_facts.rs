//! What `coe cloud pull` and `coe check --cloud live` share: which file holds
//! the cloud block, and that file's text with the live facts written in.

use crate::cli::args::CloudOpts;
use crate::cli::error::Error;
use crate::cli::inputs::coe_files;
use crate::facts::{Synced, sync};
use crate::source::FileId;
use std::path::{Path, PathBuf};

/// The file a cloud block lives in (or will, when none is declared yet).
pub struct Target {
    pub path: PathBuf,
    /// Its text; empty for a file that does not exist yet.
    pub text: String,
    /// The block's name, when the user named it or the file has one.
    pub block: Option<String>,
}

/// Finds the cloud block: the one named `block`, or the configuration's
/// only one. With none, a new block goes into the one file given, or into
/// `cloud.coe` of the directory.
pub fn locate(paths: &[PathBuf], block: Option<&str>) -> Result<Target, Error> {
    let files = coe_files(paths)?;
    let mut found: Vec<(PathBuf, String, String)> = Vec::new();
    for f in &files {
        let text = crate::source::read_text(f)
            .map_err(|e| format!("cannot read `{}`: {e}", f.display()))?;
        let parsed = crate::syntax::parse(FileId(0), &text);
        for item in &parsed.file.items {
            if let crate::syntax::ast::Item::Block(b) = item
                && b.kind.name == "cloud"
                && block.is_none_or(|n| b.name_str() == n)
            {
                found.push((f.clone(), text.clone(), b.name_str().to_string()));
            }
        }
    }
    match found.len() {
        1 => {
            let (path, text, name) = found.remove(0);
            Ok(Target {
                path,
                text,
                block: Some(name),
            })
        }
        0 => {
            let path = match (paths, files.as_slice()) {
                ([one], [file]) if !one.is_dir() => file.clone(),
                // As `coe_files` names files: `cloud.coe`, not `./cloud.coe`.
                ([dir], _) if dir.as_os_str() == "." => PathBuf::from("cloud.coe"),
                ([dir], _) => dir.join("cloud.coe"),
                ([], _) => PathBuf::from("cloud.coe"),
                _ => {
                    return Err(Error::usage(
                        "the configuration declares no cloud block, and with several paths coe cannot tell where a new one goes; name one file or directory",
                    ));
                }
            };
            let text = match std::fs::metadata(&path) {
                Ok(_) => crate::source::read_text(&path)
                    .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?,
                Err(_) => String::new(),
            };
            Ok(Target {
                path,
                text,
                block: block.map(str::to_string),
            })
        }
        _ => {
            let list: Vec<String> = found
                .iter()
                .map(|(p, _, n)| format!("\"{n}\" in {}", p.display()))
                .collect();
            Err(Error::usage(format!(
                "the configuration declares several cloud blocks ({}); pick one with --block NAME",
                list.join(", ")
            )))
        }
    }
}

/// Logs in, reads the live facts and writes them into the target's text.
/// Warnings (what the cloud could not tell) go to standard error.
pub fn pull(target: &Target, cloud: &CloudOpts) -> Result<(Synced, String), Error> {
    let conn = crate::cli::cloud::login(cloud).map_err(Error::failed)?;
    let facts = crate::facts::live::pull(&conn).map_err(Error::failed)?;
    for w in &facts.warnings {
        eprintln!("warning: {w}");
    }
    let default_name = cloud.os_cloud.as_deref().unwrap_or("default");
    let synced = sync(&target.text, target.block.as_deref(), default_name, &facts)
        .map_err(|e| Error::usage(format!("`{}`: {e}", target.path.display())))?;
    Ok((synced, conn.describe))
}

/// `path` for messages, relative as given.
pub fn shown(path: &Path) -> String {
    path.display().to_string()
}
