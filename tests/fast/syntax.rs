//! Parser behaviour: the directory states the verdict (tests/syntax/ok must
//! parse cleanly, tests/syntax/err must not), recovery, and no panics.

use coe::source::{FileId, SourceMap};
use coe::syntax::parse;
use proptest::prelude::*;
use std::path::Path;

fn files(dir: &str) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/syntax")
        .join(dir);
    let mut out: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    assert!(!out.is_empty());
    out
}

#[test]
fn ok_files_parse_without_diagnostics() {
    for f in files("ok") {
        let text = std::fs::read_to_string(&f).unwrap();
        let p = parse(FileId(0), &text);
        assert!(
            p.diagnostics.is_empty(),
            "{}: {:#?}",
            f.display(),
            p.diagnostics
        );
        assert!(!p.file.items.is_empty(), "{}: no items", f.display());
    }
}

#[test]
fn err_files_report_syntax_errors_with_the_expected_message() {
    for f in files("err") {
        let text = std::fs::read_to_string(&f).unwrap();
        // The first line says what the message must contain: `# expect: ...`.
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} lacks `# expect:`", f.display()));
        let p = parse(FileId(0), &text);
        assert!(!p.diagnostics.is_empty(), "{}: no diagnostics", f.display());
        let all: Vec<String> = p
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code, d.message))
            .collect();
        assert!(
            all.iter().any(|m| m.contains(expect)),
            "{}: expected `{expect}` in {all:#?}",
            f.display()
        );
    }
}

#[test]
fn one_broken_attribute_costs_only_itself() {
    let text = "cloud \"a\" {\n  x = \n  y = 2\n}\n\ntemplate \"t\" {\n  coe = kubernetes\n}\n\ncluster \"c\" {\n  node_count = 1 +\n}\n\ncluster \"d\" { node_count = 2 }\n";
    let p = parse(FileId(0), text);
    assert_eq!(p.diagnostics.len(), 2, "{:#?}", p.diagnostics);
    let blocks: Vec<(&str, usize, bool)> = p
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            coe::syntax::ast::Item::Block(b) => Some((b.name_str(), b.body.len(), b.recovered)),
            _ => None,
        })
        .collect();
    // `x =` is gone, `y` stays; the stray `+` leaves `node_count = 1`
    assert_eq!(
        blocks,
        [
            ("a", 1, true),
            ("t", 1, false),
            ("c", 1, true),
            ("d", 1, false)
        ]
    );
}

#[test]
fn an_unclosed_block_is_reported_at_its_opening_line() {
    let text = "cluster \"a\" {\n  node_count = 1\n\ncluster \"b\" {\n  node_count = 2\n}\n";
    let p = parse(FileId(0), text);
    assert_eq!(p.diagnostics.len(), 1, "{:#?}", p.diagnostics);
    let d = &p.diagnostics[0];
    assert_eq!(&text[d.primary.span.range()], "cluster \"a\"");
    assert_eq!(d.message, "`cluster \"a\"` is never closed");
    // the next block is whole
    let names: Vec<&str> = p
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            coe::syntax::ast::Item::Block(b) if !b.recovered => Some(b.name_str()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["b"]);
}

#[test]
fn errors_are_located_in_the_whole_file_not_the_chunk() {
    let text = "cluster \"ok\" {}\n\ncluster \"bad\" {\n  node_count 3\n}\n";
    let p = parse(FileId(0), text);
    let d = &p.diagnostics[0];
    let mut sources = SourceMap::new();
    sources.add_text("x.coe", text);
    let (line, col) = sources
        .get(FileId(0))
        .line_col(d.primary.span.start as usize);
    assert_eq!((line, col), (4, 14), "{d:#?}");
    assert!(d.message.contains("`=`"), "{}", d.message);
}

#[test]
fn units_and_escapes_get_their_own_diagnostics() {
    let p = parse(
        FileId(0),
        "let a = 3Gb\nlet b = \"x\\q\"\nlet c = 99999999999999999999\n",
    );
    let codes: Vec<String> = p.diagnostics.iter().map(|d| d.code.to_string()).collect();
    assert_eq!(codes, ["COE0003", "COE0002", "COE0004"]);
    assert_eq!(p.diagnostics[0].suggestions[0].edits[0].replacement, "GB");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any text at all: a tree and diagnostics, never a panic, spans in bounds.
    #[test]
    fn parse_never_panics(text in "(\\PC|[{}\\[\\]()\"=#/\\\\$\n ]){0,200}") {
        let p = parse(FileId(0), &text);
        for d in &p.diagnostics {
            prop_assert!(d.primary.span.end as usize <= text.len());
            prop_assert!(text.is_char_boundary(d.primary.span.start as usize));
        }
    }

    /// Deleting any one character from a valid file never panics either.
    #[test]
    fn damaged_examples_never_panic(cut in 0usize..2000) {
        let text = include_str!("../../examples/seed-fixed/cluster.coe");
        let mut chars: Vec<char> = text.chars().collect();
        if cut < chars.len() { chars.remove(cut); }
        let damaged: String = chars.into_iter().collect();
        let _ = parse(FileId(0), &damaged);
    }
}

/// The fixture corpus: each file's lossless tree and diagnostics, reviewed.
/// A grammar change shows up here as a diff of the trees it changes.
#[test]
fn fixture_trees() {
    insta::glob!("../syntax", "*/*.coe", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let p = parse(FileId(0), &text);
        let mut out = format!("{:#?}", p.syntax());
        for d in &p.diagnostics {
            let s = d.primary.span;
            out.push_str(&format!(
                "{} {}..{}: {}\n",
                d.code, s.start, s.end, d.message
            ));
        }
        insta::assert_snapshot!(out);
    });
}
