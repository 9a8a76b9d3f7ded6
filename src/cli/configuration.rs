//! Which configuration a command works on, and what it may touch.
//!
//! The identity rule (README, "Configurations"): a configuration is a
//! directory of `.coe` files, named by that directory's name (or by
//! `--config-name`). Giving a file names its directory's configuration and
//! narrows the run to the clusters declared in that file, so
//! `coe apply c/swarm.coe`, `coe apply c` and `cd c && coe apply` are one
//! configuration, whatever the spelling of the path or where coe runs.

use super::error::Error;
use crate::source::SourceMap;
use std::path::{Path, PathBuf};

pub struct Configuration {
    /// The name in stack tags (`coe-config=NAME`).
    pub name: String,
    /// The directory, spelled as the user spelled it (for messages).
    pub dir: PathBuf,
    /// Every file to check: the directory's `.coe` files, plus any file the
    /// user named that is not one of them.
    pub files: Vec<PathBuf>,
    /// The files the user named, canonical; `None` when they gave the
    /// directory (the whole configuration).
    pub only_files: Option<Vec<PathBuf>>,
}

impl Configuration {
    /// Resolves the command's paths (none means the current directory).
    pub fn of(paths: &[PathBuf], name: Option<&str>) -> Result<Configuration, Error> {
        let default = [PathBuf::from(".")];
        let paths = if paths.is_empty() {
            &default[..]
        } else {
            paths
        };
        let mut dir: Option<(PathBuf, PathBuf)> = None;
        let mut named_files = Vec::new();
        for p in paths {
            let abs = std::fs::canonicalize(p)
                .map_err(|e| Error::usage(format!("cannot read `{}`: {e}", p.display())))?;
            let (spelled, canonical) = if abs.is_dir() {
                (p.clone(), abs)
            } else {
                named_files.push(abs.clone());
                let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
                let parent = parent.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
                let abs_parent = abs.parent().map(Path::to_path_buf).unwrap_or(abs);
                (parent, abs_parent)
            };
            match &dir {
                None => dir = Some((spelled, canonical)),
                Some((first, c)) if *c != canonical => {
                    return Err(Error::usage(format!(
                        "`{}` and `{}` are two configurations (a configuration is one directory); run coe once for each",
                        first.display(),
                        spelled.display()
                    )));
                }
                Some(_) => {}
            }
        }
        let (dir, canonical) = dir.expect("at least one path");
        let gave_dir = paths.iter().any(|p| p.is_dir());
        let mut files = super::inputs::coe_files(std::slice::from_ref(&dir))
            .or_else(|e| if gave_dir { Err(e) } else { Ok(Vec::new()) })?;
        for (p, abs) in paths.iter().filter(|p| !p.is_dir()).zip(&named_files) {
            let listed = files
                .iter()
                .any(|f| std::fs::canonicalize(f).is_ok_and(|f| &f == abs));
            if !listed {
                files.push(p.clone());
            }
        }
        let name = match name {
            Some(n) => n.to_string(),
            None => dir_name(&canonical),
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(Error::usage(format!(
                "configuration name `{name}` must be letters, digits, `-`, `_` or `.`; give one with --config-name"
            )));
        }
        Ok(Configuration {
            name,
            dir,
            files,
            only_files: (!gave_dir).then_some(named_files),
        })
    }

    /// The clusters declared in the files of the run (every cluster when
    /// the user gave the directory), in declaration order.
    pub fn clusters_in_scope<'a>(
        &self,
        model: &'a crate::check::Model,
        sources: &SourceMap,
    ) -> Vec<&'a str> {
        model
            .clusters
            .iter()
            .filter(|c| {
                let file = sources.get(c.span.file);
                file.path.as_deref().is_none_or(|f| self.in_scope(f))
            })
            .map(|c| c.name.as_str())
            .collect()
    }

    /// Whether a file (as loaded) is one the run is narrowed to.
    pub fn in_scope(&self, file: &Path) -> bool {
        match &self.only_files {
            None => true,
            Some(only) => std::fs::canonicalize(file).is_ok_and(|f| only.contains(&f)),
        }
    }
}

/// A directory's name made fit for a tag: other characters become `-`.
fn dir_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| crate::plan::tag_safe(&n.to_string_lossy()))
        .unwrap_or_default()
}
