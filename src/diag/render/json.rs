//! `--format json`: a versioned, documented schema (see docs/json-format.md).

use super::{Items, file_name, locate, to_string};
use crate::diag::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::Write;

/// Bumped on any incompatible change to the shape below.
pub const FORMAT_VERSION: u32 = 1;

fn place(sources: &SourceMap, span: Span) -> serde_json::Map<String, Value> {
    let loc = locate(sources, span);
    let mut m = serde_json::Map::new();
    m.insert("file".into(), json!(file_name(sources, span)));
    m.insert(
        "range".into(),
        json!({ "start": span.start, "end": span.end }),
    );
    m.insert(
        "start".into(),
        json!({ "line": loc.start_line, "column": loc.start_column }),
    );
    m.insert(
        "end".into(),
        json!({ "line": loc.end_line, "column": loc.end_column }),
    );
    m
}

pub fn diagnostic(sources: &SourceMap, d: &Diagnostic) -> Value {
    let mut obj = place(sources, d.primary.span);
    let mut labels = vec![label(
        sources,
        d.primary.span,
        d.primary.message.as_deref(),
        true,
    )];
    labels.extend(
        d.secondary
            .iter()
            .map(|l| label(sources, l.span, l.message.as_deref(), false)),
    );
    let suggestions: Vec<Value> = d
        .suggestions
        .iter()
        .map(|s| {
            let edits: Vec<Value> = s
                .edits
                .iter()
                .map(|e| {
                    let mut m = place(sources, e.span);
                    m.insert("replacement".into(), json!(e.replacement));
                    Value::Object(m)
                })
                .collect();
            json!({ "message": s.message, "edits": edits })
        })
        .collect();
    let mut out = serde_json::Map::new();
    out.insert("code".into(), json!(d.code.to_string()));
    out.insert("name".into(), json!(d.code.info().name));
    out.insert("severity".into(), json!(d.severity.as_str()));
    out.insert("message".into(), json!(d.message));
    out.append(&mut obj);
    out.insert("labels".into(), Value::Array(labels));
    out.insert("help".into(), json!(d.help));
    out.insert("notes".into(), json!(d.notes));
    out.insert("suggestions".into(), Value::Array(suggestions));
    Value::Object(out)
}

fn label(sources: &SourceMap, span: Span, message: Option<&str>, primary: bool) -> Value {
    let mut m = place(sources, span);
    m.insert("message".into(), json!(message));
    m.insert("primary".into(), json!(primary));
    Value::Object(m)
}

#[derive(Serialize)]
struct Document<D> {
    format_version: u32,
    tool: Tool,
    summary: Summary,
    diagnostics: D,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
}

/// Writes the document, one diagnostic at a time.
pub fn write(
    out: &mut impl Write,
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
) -> std::io::Result<()> {
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    let doc = Document {
        format_version: FORMAT_VERSION,
        tool: Tool {
            name: "coe",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
        },
        diagnostics: Items(|| diagnostics.iter().map(|d| diagnostic(sources, d))),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    to_string(|out| write(out, sources, diagnostics))
}
