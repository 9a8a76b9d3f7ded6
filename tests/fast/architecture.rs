//! Keeps ARCHITECTURE.md and the README true, and the module dependencies one-way.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Top-level modules of src/: files and directories, without lib.rs/main.rs.
fn modules() -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(root().join("src"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "lib.rs" && n != "main.rs")
        .collect();
    out.sort();
    out
}

#[test]
fn every_module_has_a_code_map_section_and_every_section_exists() {
    let doc = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let headings: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("### `"))
        .map(|l| l.trim_end_matches('`'))
        .collect();
    for m in modules() {
        let path = format!("src/{m}");
        assert!(
            headings.contains(&path.as_str()),
            "ARCHITECTURE.md has no `### `{path}`` section"
        );
    }
    for h in headings {
        assert!(
            root().join(h).exists(),
            "ARCHITECTURE.md names `{h}`, which does not exist"
        );
    }
}

#[test]
fn every_subcommand_is_in_the_readme() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let commands = root().join("src/cli/commands");
    for e in fs::read_dir(commands).unwrap() {
        let name = e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if name == "mod" {
            continue;
        }
        assert!(
            readme.contains(&format!("`coe {name}")),
            "README does not document `coe {name}`"
        );
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The `crate::x` modules a module's files refer to.
fn crate_uses(module: &str) -> Vec<(PathBuf, String)> {
    let base = root().join("src");
    let path = if base.join(module).is_dir() {
        base.join(module)
    } else {
        base.join(format!("{module}.rs"))
    };
    let mut out = Vec::new();
    for f in rust_files(&path) {
        let text = fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((f.clone(), name));
            }
        }
    }
    out
}

#[test]
fn dependencies_point_one_way() {
    let allowed: &[(&str, &[&str])] = &[
        ("source", &[]),
        ("diag", &["source", "diag"]),
        ("syntax", &["source", "diag", "syntax"]),
        ("stdlib", &[]),
        ("check", &["source", "diag", "syntax", "stdlib", "check"]),
        ("fmt", &["source", "diag", "syntax", "check", "fmt"]),
        (
            "facts",
            &["source", "syntax", "check", "fmt", "heat", "facts"],
        ),
        (
            "import",
            &["source", "diag", "syntax", "check", "facts", "import"],
        ),
        ("compile", &["source", "diag", "check", "compile"]),
        ("heat", &["heat"]),
        ("ca", &["heat", "ca"]),
        ("credentials", &["ca", "heat", "credentials"]),
        ("plan", &["source", "compile", "heat", "stdlib", "plan"]),
        ("apply", &["heat", "plan", "apply"]),
        (
            "lsp",
            &[
                "source", "diag", "syntax", "stdlib", "check", "fmt", "compile", "plan", "lsp",
            ],
        ),
    ];
    for (module, ok) in allowed {
        for (file, used) in crate_uses(module) {
            assert!(
                ok.contains(&used.as_str()),
                "{} uses crate::{used}, but `{module}` may only use {ok:?}",
                file.display()
            );
        }
    }
}

#[test]
fn only_the_cli_prints() {
    for m in modules() {
        if m == "cli" {
            continue;
        }
        let path = root().join("src").join(&m);
        let path = if path.exists() { path } else { continue };
        for f in rust_files(&path) {
            let text = fs::read_to_string(&f).unwrap();
            for bad in ["println!(", "eprintln!(", "print!(", "std::process::exit"] {
                let code: String = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                assert!(
                    !code.contains(bad),
                    "{} uses `{bad}`; only src/cli prints",
                    f.display()
                );
            }
        }
    }
}
