//! A cheap pre-pass over the text: finds comments and splits the file into
//! top-level items, so that pest (which stops at the first error) can parse
//! each item on its own and one broken block hides nothing else.

use super::ast::Comment;
use crate::source::{FileId, Span};

/// Words that open a top-level item. Only used to recover from a missing `}`:
/// such a word at column 0 while a block is still open starts a new item.
const TOP_LEVEL_WORDS: &[&str] = &[
    "let", "cloud", "template", "cluster", "labels", "settings", "coe", "driver", "label", "schema",
];

pub struct Scan {
    /// Byte ranges of top-level items, in order.
    pub chunks: Vec<(usize, usize)>,
    pub comments: Vec<Comment>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Code,
    Str,
}

pub fn scan(file: FileId, text: &str) -> Scan {
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    let mut comments = Vec::new();
    // Stack of modes: strings can hold `${ code }` which can hold strings.
    let mut modes = vec![Mode::Code];
    // Brace depth at which each open interpolation started.
    let mut interp_depths: Vec<i32> = Vec::new();
    let mut depth: i32 = 0;
    let mut chunk_start: Option<usize> = None;
    let mut is_let = false;
    let mut seen_eq = false;
    let mut closed_block = false;
    let mut last_sig: u8 = 0;
    let mut i = 0;
    let mut at_line_start = true;

    while i < bytes.len() {
        let b = bytes[i];
        let mode = *modes.last().unwrap();
        if mode == Mode::Str {
            match b {
                b'\\' => i += 2,
                b'"' => {
                    modes.pop();
                    i += 1;
                }
                b'\n' => {
                    // unterminated: let the parser report it, keep scanning as code
                    modes.pop();
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    modes.push(Mode::Code);
                    interp_depths.push(depth);
                    depth += 1;
                    i += 2;
                }
                _ => i += 1,
            }
            continue;
        }
        // code mode
        let in_interp = modes.len() > 1;
        match b {
            b'\n' => {
                at_line_start = true;
                if !in_interp
                    && depth <= 0
                    && let Some(start) = chunk_start
                {
                    let complete = if is_let {
                        seen_eq && !matches!(last_sig, b'=' | b',' | b'.' | b'(' | b'[' | b'{')
                    } else {
                        closed_block
                    };
                    if complete {
                        chunks.push((start, i));
                        chunk_start = None;
                    }
                }
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                let end = memchr_newline(bytes, i);
                push_comment(&mut comments, file, text, i, end);
                i = end;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = memchr_newline(bytes, i);
                push_comment(&mut comments, file, text, i, end);
                i = end;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..]
                    .find("*/")
                    .map(|p| i + 2 + p + 2)
                    .unwrap_or(text.len());
                push_comment(&mut comments, file, text, i, end);
                i = end;
                continue;
            }
            _ => {}
        }

        // A significant byte.
        let line_start = at_line_start;
        at_line_start = false;
        if !in_interp {
            let starts_word = b.is_ascii_alphabetic() || b == b'_';
            let column0 = i == 0 || bytes[i - 1] == b'\n';
            if let Some(start) = chunk_start {
                let continues = matches!(last_sig, b'=' | b',' | b'.' | b'(' | b'[');
                let new_item = line_start
                    && starts_word
                    && ((depth <= 0
                        && !continues
                        && (closed_block
                            || (is_let && seen_eq)
                            || (column0 && opens_top_level_block(text, i))))
                        || (depth > 0 && column0 && opens_top_level_block(text, i)));
                if new_item {
                    chunks.push((start, trim_end(text, i)));
                    chunk_start = None;
                    depth = 0;
                }
            }
            if chunk_start.is_none() {
                chunk_start = Some(i);
                is_let = word_at(text, i) == "let";
                seen_eq = false;
                closed_block = false;
            }
        }
        match b {
            b'"' => modes.push(Mode::Str),
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => {
                depth -= 1;
                if in_interp && b == b'}' && interp_depths.last() == Some(&depth) {
                    interp_depths.pop();
                    modes.pop();
                } else if !in_interp && depth <= 0 && b == b'}' {
                    closed_block = true;
                }
            }
            b'=' if depth <= 0 => seen_eq = true,
            _ => {}
        }
        last_sig = b;
        i += 1;
    }
    if let Some(start) = chunk_start {
        chunks.push((start, trim_end(text, text.len())));
    }
    Scan { chunks, comments }
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| from + p)
        .unwrap_or(bytes.len())
}

fn push_comment(comments: &mut Vec<Comment>, file: FileId, text: &str, start: usize, end: usize) {
    comments.push(Comment {
        span: Span::new(file, start, end),
        text: text[start..end].trim_end().to_string(),
    });
}

fn word_at(text: &str, i: usize) -> &str {
    let rest = &text[i..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// `kind "name" {` or `kind {` on one line, with `kind` a top-level word.
fn opens_top_level_block(text: &str, i: usize) -> bool {
    let word = word_at(text, i);
    if !TOP_LEVEL_WORDS.contains(&word) {
        return false;
    }
    let line_end = text[i..].find('\n').map(|p| i + p).unwrap_or(text.len());
    let rest = text[i + word.len()..line_end].trim_start();
    if word == "let" {
        return rest.contains('=');
    }
    rest.starts_with('"') || rest.starts_with('{')
}

fn trim_end(text: &str, end: usize) -> usize {
    text[..end].trim_end().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &str) -> Vec<&str> {
        scan(FileId(0), text)
            .chunks
            .iter()
            .map(|&(s, e)| &text[s..e])
            .collect()
    }

    #[test]
    fn splits_top_level_items() {
        let text =
            "let a = 1\ncloud \"c\"\n{\n  x = \"}\" # }\n}\ntemplate \"t\" { a = [\n1,\n2] }\n";
        assert_eq!(
            chunks(text),
            vec![
                "let a = 1",
                "cloud \"c\"\n{\n  x = \"}\" # }\n}",
                "template \"t\" { a = [\n1,\n2] }"
            ]
        );
    }

    #[test]
    fn a_missing_brace_does_not_swallow_the_next_block() {
        let text = "cluster \"a\" {\n  x = 1\n\ncluster \"b\" {\n  y = 2\n}\n";
        assert_eq!(
            chunks(text),
            vec!["cluster \"a\" {\n  x = 1", "cluster \"b\" {\n  y = 2\n}"]
        );
    }

    #[test]
    fn garbage_line_stays_separate() {
        let text = "cloud \"c\" {}\noops\ncluster \"b\" {}\n";
        assert_eq!(
            chunks(text),
            vec!["cloud \"c\" {}", "oops", "cluster \"b\" {}"]
        );
    }

    #[test]
    fn interpolation_with_braces_and_strings() {
        let text = "let a = \"${b} and ${ \"x}\" }\"\nlet c = 2\n";
        assert_eq!(
            chunks(text),
            vec!["let a = \"${b} and ${ \"x}\" }\"", "let c = 2"]
        );
    }

    #[test]
    fn comments_are_collected() {
        let s = scan(FileId(0), "# one\nlet a = 1 // two\n/* three */\n");
        let texts: Vec<_> = s.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, vec!["# one", "// two", "/* three */"]);
    }
}
