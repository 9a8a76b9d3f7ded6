//! The editor packages in `editors/`, held to coe's own parser: the VS Code
//! grammar must give every token of every example the scope the syntax tree
//! says it has, under the real TextMate engine; the extension must package.

use crate::common::root;
use coe::source::FileId;
use coe::syntax::kind::{SyntaxKind, SyntaxNode, SyntaxToken};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn coe_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            coe_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "coe") {
            out.push(p);
        }
    }
}

/// (line, UTF-16 column) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..offset].matches('\n').count();
    (line, text[line_start..offset].encode_utf16().count())
}

/// What each token is, by coe's syntax tree, in the classes the grammar
/// test knows.
fn expectations(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let root: SyntaxNode = coe::syntax::parse(FileId(0), &text).syntax();
    let mut tokens = Vec::new();
    let mut push = |t: &SyntaxToken, skip: usize, class: &str| {
        let start = usize::from(t.text_range().start()) + skip;
        let (line, col) = line_col(&text, start);
        tokens
            .push(json!({"line": line, "col": col, "len": t.text().len() - skip, "class": class}));
    };
    for t in root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
    {
        let parent = t.parent().unwrap();
        match (t.kind(), parent.kind()) {
            (SyntaxKind::COMMENT, _) => push(&t, 0, "comment"),
            (SyntaxKind::QUOTE, SyntaxKind::STRING)
                if t.prev_token()
                    .is_none_or(|p| p.kind() != SyntaxKind::STRING_TEXT) =>
            {
                let class = match parent.parent().map(|g| g.kind()) {
                    Some(SyntaxKind::KEY) => "key",
                    Some(SyntaxKind::REFERENCE) => "reference",
                    _ => "string",
                };
                push(&t, 0, class)
            }
            (SyntaxKind::NUMBER, _) => push(&t, 0, "number"),
            (SyntaxKind::QUANTITY, _) => {
                push(&t, 0, "number");
                let unit = t.text().find(|c: char| c.is_ascii_alphabetic()).unwrap();
                push(&t, unit, "unit");
            }
            (SyntaxKind::IDENT, SyntaxKind::KEY) => push(&t, 0, "key"),
            (SyntaxKind::IDENT, SyntaxKind::BLOCK) if same_line_brace(&parent, &t) => {
                push(&t, 0, "kind")
            }
            (SyntaxKind::IDENT, SyntaxKind::LITERAL) => push(&t, 0, "boolean"),
            (SyntaxKind::IDENT, SyntaxKind::WORD) => push(&t, 0, "member"),
            (SyntaxKind::IDENT, SyntaxKind::REFERENCE)
                if t.prev_token().is_some_and(|p| p.kind() == SyntaxKind::DOT) =>
            {
                push(&t, 0, "reference")
            }
            (SyntaxKind::INTERP_START, _) => push(&t, 0, "interpolation"),
            _ => {}
        }
    }
    json!({"file": path.display().to_string(), "tokens": tokens})
}

/// TextMate sees one line at a time: a block's kind is recognised when its
/// `{` is on the same line (as the formatter writes it).
fn same_line_brace(block: &SyntaxNode, kind: &SyntaxToken) -> bool {
    if block.first_token().as_ref() != Some(kind) {
        return false;
    }
    let brace = block
        .children_with_tokens()
        .find(|e| e.kind() == SyntaxKind::L_BRACE)
        .map(|e| usize::from(e.text_range().start()));
    let text = block.text().to_string();
    let start = usize::from(block.text_range().start());
    brace.is_some_and(|b| !text[..b - start].contains('\n'))
}

/// `npm ci` of the extension, once per test run (two tests need it, and
/// two installs at once would delete each other's files).
fn npm_ci() -> PathBuf {
    static ONCE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let ext = root().join("editors/vscode");
        npm(&ext, &["ci", "--no-audit", "--no-fund"]);
        ext
    })
    .clone()
}

fn npm(dir: &Path, args: &[&str]) {
    let out = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("npm (Node.js) is installed");
    assert!(
        out.status.success(),
        "npm {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs npm and the npm registry: scripts/test runs it (cargo test -- --include-ignored)"]
fn the_vscode_grammar_scopes_every_token_as_coe_parses_it() {
    let ext = npm_ci();
    let mut files = Vec::new();
    coe_files(&root().join("examples"), &mut files);
    coe_files(&root().join("tests/syntax/ok"), &mut files);
    files.sort();
    let all: Vec<Value> = files.iter().map(|f| expectations(f)).collect();
    let expected = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(expected.path(), serde_json::to_string(&all).unwrap()).unwrap();
    let out = Command::new("node")
        .arg("test/grammar.test.js")
        .arg(expected.path())
        .current_dir(&ext)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs npm and the npm registry: scripts/test runs it (cargo test -- --include-ignored)"]
fn the_vscode_extension_packages_with_its_client() {
    let ext = npm_ci();
    let dir = tempfile::tempdir().unwrap();
    let vsix = dir.path().join("coe.vsix");
    npm(
        &ext,
        &[
            "exec",
            "--",
            "vsce",
            "package",
            "-o",
            vsix.to_str().unwrap(),
        ],
    );
    let listing = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
        ])
        .arg(&vsix)
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&listing.stdout);
    for needed in [
        "extension/extension.js",
        "extension/syntaxes/coe.tmLanguage.json",
        "extension/language-configuration.json",
        "extension/node_modules/vscode-languageclient/node.js",
    ] {
        assert!(
            names.lines().any(|l| l == needed),
            "{needed} is not in the package:\n{names}"
        );
    }
    assert!(
        !names.contains("vscode-textmate"),
        "test tools were packaged:\n{names}"
    );
}

#[test]
#[ignore = "needs Debian's neovim: scripts/test installs it (scripts/setup-nvim)"]
fn neovim_drives_coe_lsp_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.coe");
    std::fs::copy(root().join("examples/broken/COE0001.coe"), &file).unwrap();
    let out = dir.path().join("result.txt");
    let run = Command::new("nvim")
        .args(["--headless", "--clean", "-u", "NONE", "-c"])
        .arg(format!(
            "luafile {}",
            root().join("tests/editors/nvim_e2e.lua").display()
        ))
        .env("COE_REPO", root())
        .env("COE_BIN", env!("CARGO_BIN_EXE_coe"))
        .env("COE_FILE", &file)
        .env("COE_OUT", &out)
        .output()
        .expect("nvim is installed (scripts/setup-nvim)");
    let result = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        run.status.success(),
        "nvim: {}\n{result}{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    // the buffer Neovim ended with: fixed, formatted and renamed
    let (_, buffer) = result.split_once("--- buffer\n").unwrap();
    let expected = coe::fmt::format_source(
        FileId(0),
        &std::fs::read_to_string(root().join("examples/broken/COE0001.coe"))
            .unwrap()
            .replace("\n  external_network: ", "\n  external_network= ")
            .replace("k8s-fcos", "k8s-main"),
    )
    .unwrap();
    assert_eq!(buffer, expected, "{result}");
}

/// Copies a directory tree (the grammar, so that generating it leaves the
/// checkout alone).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
#[ignore = "needs the tree-sitter CLI: scripts/test builds it (scripts/setup-tree-sitter)"]
fn the_tree_sitter_grammar_passes_its_corpus_and_agrees_with_coe() {
    let ts = root().join("target/tree-sitter/bin/tree-sitter");
    assert!(ts.exists(), "run scripts/setup-tree-sitter first");
    let dir = tempfile::tempdir().unwrap();
    let grammar = dir.path().join("tree-sitter-coe");
    copy_dir(&root().join("editors/tree-sitter-coe"), &grammar);
    let run = |args: &[&str]| {
        Command::new(&ts)
            .args(args)
            .current_dir(&grammar)
            .env("TREE_SITTER_JS_RUNTIME", "native")
            .env("TREE_SITTER_DIR", dir.path().join("config"))
            .output()
            .unwrap()
    };
    let out = run(&["generate"]);
    assert!(
        out.status.success(),
        "generate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["test"]);
    assert!(
        out.status.success(),
        "test: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // every example and fixture: tree-sitter finds an error exactly where
    // coe's parser finds a grammar error
    let mut files = Vec::new();
    coe_files(&root().join("examples"), &mut files);
    coe_files(&root().join("tests/syntax"), &mut files);
    files.sort();
    let mut disagree = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let coe_errors = coe::syntax::parse(FileId(0), &text).grammar_errors > 0;
        let out = run(&["parse", "--quiet", f.to_str().unwrap()]);
        let ts_errors = !out.status.success();
        if coe_errors != ts_errors {
            disagree.push(format!(
                "{}: coe {} / tree-sitter {}\n{}",
                f.display(),
                coe_errors,
                ts_errors,
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
}
