//! The parser against the pest grammar, the language's reference, and its
//! recovery on damaged versions of every example: each prefix of each file
//! and each file with one line deleted.

use coe::source::FileId;
use coe::syntax::ast::{Block, Item};
use coe::syntax::reference::parse_reference;
use coe::syntax::{Parse, parse};
use std::path::{Path, PathBuf};

/// Every `.coe` file of the examples, the syntax fixtures and the stdlib.
fn corpus() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut dirs = vec![
        root.join("examples"),
        root.join("stdlib"),
        root.join("tests/syntax"),
    ];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "coe") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    out.sort();
    assert!(out.len() > 100, "{}", out.len());
    out
}

/// pest accepts exactly what the parser parses without a syntax error, and
/// both build the same tree.
fn agree(name: &str, text: &str) {
    let p = parse(FileId(0), text);
    match parse_reference(FileId(0), text) {
        Some(reference) => {
            assert_eq!(
                p.grammar_errors, 0,
                "{name}: pest accepts it: {:#?}\n{text}",
                p.diagnostics
            );
            assert_eq!(p.file.items, reference.items, "{name}: the trees differ");
        }
        None => assert!(
            p.grammar_errors > 0,
            "{name}: pest rejects it, the parser does not:\n{text}"
        ),
    }
}

#[test]
fn the_parser_agrees_with_the_pest_grammar() {
    for (path, text) in corpus() {
        agree(&path.display().to_string(), &text);
    }
}

/// The corpus less the stdlib, whose long tables would make the tests that
/// damage every line slow without adding any construct.
fn small_corpus() -> impl Iterator<Item = (PathBuf, String)> {
    corpus()
        .into_iter()
        .filter(|(p, _)| !p.components().any(|c| c.as_os_str() == "stdlib"))
}

#[test]
fn the_parser_agrees_with_the_pest_grammar_on_every_line_deletion() {
    for (path, text) in small_corpus() {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for cut in 0..lines.len() {
            let damaged: String = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != cut)
                .map(|(_, l)| *l)
                .collect();
            agree(
                &format!("{} without line {}", path.display(), cut + 1),
                &damaged,
            );
        }
    }
}

/// The blocks of `after` that are the same text as a whole block of
/// `before` still parse whole.
fn untouched_blocks_survive(
    name: &str,
    (before, original): (&str, &Parse),
    after: &str,
    damage: std::ops::Range<usize>,
) {
    let damaged = parse(FileId(0), after);
    let shift = |at: usize| {
        if at >= damage.end {
            at - damage.len()
        } else {
            at
        }
    };
    for item in &original.file.items {
        let Item::Block(b) = item else { continue };
        if b.recovered {
            continue;
        }
        let (start, end) = (b.span.start as usize, b.span.end as usize);
        if !(end <= damage.start || start >= damage.end) {
            continue;
        }
        let found = damaged.file.items.iter().find_map(|i| match i {
            Item::Block(d) if d.span.start as usize == shift(start) => Some(d),
            _ => None,
        });
        let found: &Block =
            found.unwrap_or_else(|| panic!("{name}: block at {start} is gone:\n{after}"));
        assert!(
            !found.recovered,
            "{name}: block at {start} is marked broken"
        );
        assert_eq!(
            &after[found.span.range()],
            &before[start..end],
            "{name}: block at {start} changed"
        );
        assert_eq!(
            found.body.len(),
            b.body.len(),
            "{name}: block at {start} lost items"
        );
    }
}

#[test]
fn one_deleted_line_costs_only_the_block_around_it() {
    for (path, text) in small_corpus() {
        let original = parse(FileId(0), &text);
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            let range = start..start + line.len();
            start = range.end;
            if line.contains("*/") {
                continue; // the comment now runs to the end: the rest is a comment
            }
            let damaged = format!("{}{}", &text[..range.start], &text[range.end..]);
            untouched_blocks_survive(
                &path.display().to_string(),
                (&text, &original),
                &damaged,
                range,
            );
        }
    }
}

#[test]
fn every_prefix_parses_and_keeps_the_blocks_before_the_cut() {
    for (path, text) in small_corpus() {
        let name = path.display().to_string();
        let original = parse(FileId(0), &text);
        for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let prefix = &text[..cut];
            let p = parse(FileId(0), prefix);
            for d in &p.diagnostics {
                assert!(d.primary.span.end as usize <= cut, "{name}@{cut}: {d:#?}");
            }
            untouched_blocks_survive(&name, (&text, &original), prefix, cut..text.len());
        }
    }
}
