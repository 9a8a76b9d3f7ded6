//! The terminal rendering, drawn by miette.

use crate::diag::{Diagnostic as CoeDiagnostic, Severity};
use crate::source::{FileId, SourceMap, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceSpan, SpanContents,
};
use std::fmt;

/// Renders diagnostics as miette reports; `color` picks the themed or plain style.
pub fn render(sources: &SourceMap, diagnostics: &[CoeDiagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_urls(false)
        .with_width(100)
        .with_context_lines(1);
    let mut out = String::new();
    for d in diagnostics {
        let report = Report::new(sources, d);
        let mut one = String::new();
        // Rendering into a String cannot fail.
        let _ = handler.render_report(&mut one, &report);
        // miette pads some lines (empty source lines, `Advice: `) with spaces.
        for line in one.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        // A blank line keeps one report's help apart from the next one's code.
        out.push('\n');
    }
    out
}

/// A one-line summary such as `2 errors, 1 warning`.
pub fn summary(diagnostics: &[CoeDiagnostic]) -> String {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// One diagnostic as miette sees it. Labels in other files become related reports.
struct Report {
    code: String,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
    source: Source,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(sources: &SourceMap, d: &CoeDiagnostic) -> Report {
        let file = d.primary.span.file;
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            d.primary.message.clone(),
            source_span(d.primary.span),
        )];
        let mut related = Vec::new();
        for l in &d.secondary {
            if l.span.file == file {
                labels.push(LabeledSpan::new_with_span(
                    l.message.clone(),
                    source_span(l.span),
                ));
            } else {
                related.push(Report {
                    code: String::new(),
                    severity: miette::Severity::Advice,
                    message: l.message.clone().unwrap_or_else(|| "related".into()),
                    help: None,
                    source: named(sources, l.span.file),
                    labels: vec![LabeledSpan::new_with_span(None, source_span(l.span))],
                    related: Vec::new(),
                });
            }
        }
        // Exact fixes first: they are what most readers want.
        let mut help: Vec<String> = Vec::new();
        for s in &d.suggestions {
            match s.edits.as_slice() {
                [e] if e.span.is_empty() => {
                    help.push(format!("{}: insert `{}`", s.message, e.replacement.trim()))
                }
                [e] if e.replacement.is_empty() => {
                    help.push(format!("{}: remove `{}`", s.message, sources.slice(e.span)))
                }
                [e] => help.push(format!(
                    "{}: replace `{}` with `{}`",
                    s.message,
                    sources.slice(e.span),
                    e.replacement
                )),
                _ => help.push(s.message.clone()),
            }
        }
        help.extend(d.help.iter().cloned());
        help.dedup();
        for n in &d.notes {
            help.push(format!("note: {n}"));
        }
        Report {
            code: d.code.to_string(),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Help => miette::Severity::Advice,
            },
            message: d.message.clone(),
            help: (!help.is_empty()).then(|| help.join("\n")),
            source: named(sources, file),
            labels,
            related,
        }
    }
}

fn named(sources: &SourceMap, file: FileId) -> Source {
    let f = sources.get(file);
    Source {
        name: f.name.clone(),
        text: f.text.clone(),
    }
}

/// A named source whose header columns count characters, as every other
/// format does; miette alone would count bytes.
struct Source {
    name: String,
    text: String,
}

impl miette::SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        // miette's column is the byte distance from the line start to the span.
        let bytes = inner.column();
        let line_start = span.offset().saturating_sub(bytes);
        let column = self
            .text
            .get(line_start..span.offset())
            .map_or(bytes, |t| t.chars().count());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

fn source_span(span: Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len())
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}
