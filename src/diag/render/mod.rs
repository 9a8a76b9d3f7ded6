//! One renderer per output format; each is the only code that knows its format.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use crate::diag::Diagnostic;
use crate::source::{SourceMap, Span};
use serde::{Serialize, Serializer};

/// 1-based line/column of both ends of a span (columns in characters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn locate(sources: &SourceMap, span: Span) -> Location {
    let file = sources.get(span.file);
    let (start_line, start_column) = file.line_col(span.start as usize);
    let (end_line, end_column) = file.line_col(span.end as usize);
    Location {
        start_line,
        start_column,
        end_line,
        end_column,
    }
}

/// The file name as shown in machine output (`<stdlib/x.coe>` loses its brackets).
pub fn file_name(sources: &SourceMap, span: Span) -> String {
    let name = &sources.get(span.file).name;
    name.trim_start_matches('<')
        .trim_end_matches('>')
        .replace('\\', "/")
}

/// The message with its fixes, help and notes as plain trailing lines, for
/// formats that carry one text per diagnostic (GitHub, SARIF). Fixes come
/// first, as in the terminal rendering.
pub fn plain_text(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    let help = d.suggestions.iter().map(|s| &s.message).chain(&d.help);
    for h in help {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    for n in &d.notes {
        text.push_str("\nnote: ");
        text.push_str(n);
    }
    text
}

/// A JSON array whose items are made one at a time while it is written, so
/// a document with many diagnostics is never held whole in memory.
pub(crate) struct Items<F>(pub F);

impl<F, I> Serialize for Items<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

/// Runs a writer into a String, for callers that want the whole text.
pub(crate) fn to_string(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and every renderer writes UTF-8.
    let _ = write(&mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
