//! Finding the .coe files of a configuration.

use std::path::{Path, PathBuf};

/// Expands paths: a file is taken as is, a directory gives its `.coe` files
/// (not recursively, sorted by name). No paths means the current directory.
pub fn coe_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for p in paths {
        let meta =
            std::fs::metadata(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("cannot list `{}`: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "coe") && f.is_file())
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(format!("no .coe files in `{}`", p.display()));
            }
            out.extend(found.into_iter().map(|f| strip_dot(&f)));
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn strip_dot(p: &Path) -> PathBuf {
    p.strip_prefix("./")
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| p.to_path_buf())
}
