//! The terminal rendering, drawn by miette.

use crate::diag::{Diagnostic as CoeDiagnostic, Severity};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceSpan, SpanContents,
};
use std::fmt;

/// Renders diagnostics as miette reports; `color` picks the themed or plain style.
pub fn render(sources: &SourceMap, diagnostics: &[CoeDiagnostic], color: bool) -> String {
    super::to_string(|out| write(out, sources, diagnostics, color))
}

/// Writes the reports one at a time.
pub fn write(
    out: &mut impl std::io::Write,
    sources: &SourceMap,
    diagnostics: &[CoeDiagnostic],
    color: bool,
) -> std::io::Result<()> {
    let handler = handler(color);
    let mut text = String::new();
    for d in diagnostics {
        text.clear();
        draw(&handler, sources, d, &mut text);
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_urls(false)
        .with_width(100)
        // Messages wrap at spaces only, never inside a word: a URL, a code
        // span or a name such as `web-shop-prod` stays whole for copying
        // (the Unicode rules cut `http://` from its host, hyphenation cut
        // names at their hyphens), and at a fraction of the cost: wrapping
        // was a third of a run with many warnings.
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false)
        .with_context_lines(1)
}

/// Appends one report to `text`, with the blank line that ends it.
fn draw(
    handler: &GraphicalReportHandler,
    sources: &SourceMap,
    d: &CoeDiagnostic,
    text: &mut String,
) {
    let report = Report::new(sources, d);
    let mut one = String::new();
    // Rendering into a String cannot fail.
    let _ = handler.render_report(&mut one, &report);
    // miette pads some lines (empty source lines, `Advice: `) with spaces.
    for line in one.lines() {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    // A blank line keeps one report's help apart from the next one's code.
    text.push('\n');
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
struct Report<'s> {
    code: String,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
    source: Source<'s>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report<'s>>,
}

impl<'s> Report<'s> {
    fn new(sources: &'s SourceMap, d: &CoeDiagnostic) -> Report<'s> {
        let file = d.primary.span.file;
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            d.primary.message.clone(),
            source_span(sources, d.primary.span),
        )];
        let mut related = Vec::new();
        for l in &d.secondary {
            if l.span.file == file {
                labels.push(LabeledSpan::new_with_span(
                    l.message.clone(),
                    source_span(sources, l.span),
                ));
            } else {
                related.push(Report {
                    code: String::new(),
                    severity: miette::Severity::Advice,
                    message: l.message.clone().unwrap_or_else(|| "related".into()),
                    help: None,
                    source: named(sources, l.span.file),
                    labels: vec![LabeledSpan::new_with_span(
                        None,
                        source_span(sources, l.span),
                    )],
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

fn named(sources: &SourceMap, file: FileId) -> Source<'_> {
    Source {
        file: sources.get(file),
    }
}

/// A named source whose header columns count characters, as every other
/// format does; miette alone would count bytes. It hands miette only the
/// lines around a span (found with the file's line table), because miette
/// reading a whole source walks it from the start: once per label, which
/// made many diagnostics on a large file quadratic.
struct Source<'s> {
    file: &'s SourceFile,
}

impl miette::SourceCode for Source<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let file = self.file;
        let text = file.text.as_str();
        if span.offset() > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        // The window starts `before` lines above the span and ends one line
        // past the `after` lines below it, so miette's own line walk inside it
        // stops where it would have stopped in the whole text.
        let first = file.line_of(span.offset()).saturating_sub(before);
        let last = file.line_of(
            (span.offset() + span.len())
                .saturating_sub(1)
                .max(span.offset()),
        );
        let long = (first..=last + after)
            .any(|l| file.line_start(l + 1).saturating_sub(file.line_start(l)) > LONG_LINE);
        if long {
            return self.cut(span, before);
        }
        let window_start = file.line_start(first);
        let window_end = file.line_start(last + after + 2);
        let window = &text[window_start..window_end];
        let local = SourceSpan::new((span.offset() - window_start).into(), span.len());
        let inner = window.read_span(&local, before, after)?;
        // miette's column is the byte distance from the line start to the span.
        let bytes = inner.column();
        let line_start = local.offset().saturating_sub(bytes);
        let column = window
            .get(line_start..local.offset())
            .map_or(bytes, |t| t.chars().count());
        let inner_span = inner.span();
        Ok(Box::new(MietteSpanContents::new_named(
            file.name.clone(),
            inner.data(),
            SourceSpan::new(
                (inner_span.offset() + window_start).into(),
                inner_span.len(),
            ),
            inner.line() + first,
            column,
            // miette adds this to `line()` to decide whether two snippets
            // overlap; it counts from the start of the text.
            inner.line_count() + first,
        )))
    }
}

/// Lines longer than this are shown cut around the span, without context
/// lines: a snippet of a megabyte line per diagnostic would make the output
/// quadratic, and miette cannot pad a label that far right.
const LONG_LINE: usize = 400;
/// How much of a long line is shown on each side of the span.
const LONG_LINE_CONTEXT: usize = 80;

/// The span miette underlines: on one line, at most [`LONG_LINE_CONTEXT`]
/// bytes (ending on a character boundary), so a long span on a long line
/// stays inside the cut that [`Source`] shows.
impl Source<'_> {
    /// A span on a long line: only that line, cut around the span.
    fn cut<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let file = self.file;
        let text = file.text.as_str();
        let line = file.line_of(span.offset());
        let line_start = file.line_start(line);
        let line_end = file.line_end(line);
        let end = span.offset() + span.len();
        if end > line_end {
            // A span over several lines, one of them long, is not shown.
            return Err(MietteError::OutOfBounds);
        }
        let from = floor_boundary(
            text,
            span.offset()
                .saturating_sub(LONG_LINE_CONTEXT)
                .max(line_start),
        );
        let to = ceil_boundary(text, (end + LONG_LINE_CONTEXT).min(line_end));
        // Context reads start at a line's first column; the header's read
        // (no context) gives the span's own column.
        let column_of = |at: usize| file.column_of(at);
        let column = if before == 0 {
            column_of(span.offset())
        } else {
            column_of(from)
        };
        Ok(Box::new(MietteSpanContents::new_named(
            file.name.clone(),
            &text.as_bytes()[from..to],
            SourceSpan::new(from.into(), to - from),
            line,
            column,
            line,
        )))
    }
}

fn source_span(sources: &SourceMap, span: Span) -> SourceSpan {
    let file = sources.get(span.file);
    let start = span.start as usize;
    let mut end = span.end as usize;
    if file.line_of(start) == file.line_of(end) && end - start > LONG_LINE_CONTEXT {
        end = start + LONG_LINE_CONTEXT;
        while !file.text.is_char_boundary(end) {
            end -= 1;
        }
    }
    SourceSpan::new(start.into(), end - start)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
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
