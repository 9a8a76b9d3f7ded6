//! One diagnostic model for every stage and every output format.
//!
//! Messages are lowercase with no final period; help lines start with a verb
//! ("try", "add", "remove") and show the literal fix in backticks.

mod codes;
pub mod render;

pub use codes::{CODES, CodeInfo, lookup, parse_code};

use crate::source::{SourceMap, Span};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Help,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Help => "help",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A stable diagnostic code such as `COE0301`; its details live in [`CODES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(pub u16);

impl Code {
    pub fn info(self) -> &'static CodeInfo {
        lookup(self).expect("every emitted code is registered")
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "COE{:04}", self.0)
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A span with an optional short message.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: Option<String>,
}

/// One exact text replacement.
#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

/// A mechanical fix: applying every edit resolves the diagnostic.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub message: String,
    pub edits: Vec<Edit>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Vec<String>,
    pub notes: Vec<String>,
    pub suggestions: Vec<Suggestion>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.info().severity,
            message: message.into(),
            primary: Label {
                span,
                message: None,
            },
            secondary: Vec::new(),
            help: Vec::new(),
            notes: Vec::new(),
            suggestions: Vec::new(),
        }
    }

    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = Some(message.into());
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: Some(message.into()),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// A fix made of one replacement.
    pub fn with_fix(
        mut self,
        message: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Self {
        self.suggestions.push(Suggestion {
            message: message.into(),
            edits: vec![Edit {
                span,
                replacement: replacement.into(),
            }],
        });
        self
    }

    pub fn with_suggestion(mut self, suggestion: Suggestion) -> Self {
        self.suggestions.push(suggestion);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Diagnostics collected over a whole run: errors are plural.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }

    /// Stable order for output: by file, position, then code.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (a.primary.span.file, a.primary.span.start, a.code).cmp(&(
                b.primary.span.file,
                b.primary.span.start,
                b.code,
            ))
        });
        self.items.dedup();
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// The closest candidate to `word` by edit distance, if close enough to suggest.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c.eq_ignore_ascii_case(word) {
            return Some(c);
        }
        let score = strsim::jaro_winkler(&lower, &c.to_ascii_lowercase());
        if score > 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Applies every suggestion's edits to the files they touch; edits that
/// overlap an earlier one are skipped. Returns the new text per file.
pub fn apply_fixes(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
) -> Vec<(crate::source::FileId, String)> {
    use std::collections::BTreeMap;
    let mut per_file: BTreeMap<crate::source::FileId, Vec<&Edit>> = BTreeMap::new();
    for d in diagnostics {
        if let Some(s) = d.suggestions.first() {
            for e in &s.edits {
                per_file.entry(e.span.file).or_default().push(e);
            }
        }
    }
    per_file
        .into_iter()
        .map(|(file, mut edits)| {
            edits.sort_by_key(|e| (e.span.start, e.span.end));
            let text = &sources.get(file).text;
            let mut out = String::with_capacity(text.len());
            let mut at = 0usize;
            for e in edits {
                if (e.span.start as usize) < at {
                    continue;
                }
                out.push_str(&text[at..e.span.start as usize]);
                out.push_str(&e.replacement);
                at = e.span.end as usize;
            }
            out.push_str(&text[at..]);
            (file, out)
        })
        .collect()
}
