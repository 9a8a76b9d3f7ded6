//! `--format sarif`: SARIF 2.1.0 with every rule declared, for code scanning.

use super::{Items, file_name, locate, plain_text, to_string};
use crate::diag::{CODES, Diagnostic, Edit, Severity};
use crate::source::{FileId, SourceMap, Span};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::Write;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Help => "note",
    }
}

/// Characters (code points, as `columnKind` says) before a byte offset.
fn char_offset(sources: &SourceMap, file: FileId, byte: u32) -> usize {
    sources.get(file).char_offset(byte as usize)
}

fn region(sources: &SourceMap, span: Span) -> Value {
    let loc = locate(sources, span);
    // SARIF offsets count characters, not bytes: they differ after any non-ASCII text.
    let start = char_offset(sources, span.file, span.start);
    let end = char_offset(sources, span.file, span.end);
    json!({
        "startLine": loc.start_line,
        "startColumn": loc.start_column,
        "endLine": loc.end_line,
        "endColumn": loc.end_column,
        "charOffset": start,
        "charLength": end.saturating_sub(start),
    })
}

/// A file name as a URI reference: every byte but unreserved ones and `/`
/// percent-encoded, so spaces, `#`, `%` or non-ASCII names stay valid.
fn uri(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn artifact(sources: &SourceMap, span: Span) -> Value {
    json!({ "uri": uri(&file_name(sources, span)) })
}

/// One artifactChange per file, its replacements in the suggestion's order.
fn artifact_changes(sources: &SourceMap, edits: &[Edit]) -> Vec<Value> {
    let mut changes: Vec<(FileId, Value, Vec<Value>)> = Vec::new();
    for e in edits {
        let replacement = json!({
            "deletedRegion": region(sources, e.span),
            "insertedContent": { "text": e.replacement },
        });
        match changes.iter_mut().find(|(file, ..)| *file == e.span.file) {
            Some((_, _, replacements)) => replacements.push(replacement),
            None => changes.push((e.span.file, artifact(sources, e.span), vec![replacement])),
        }
    }
    changes
        .into_iter()
        .map(|(_, location, replacements)| {
            json!({ "artifactLocation": location, "replacements": replacements })
        })
        .collect()
}

fn location(sources: &SourceMap, span: Span, message: Option<&str>) -> Value {
    let mut loc = json!({
        "physicalLocation": {
            "artifactLocation": artifact(sources, span),
            "region": region(sources, span),
        }
    });
    if let Some(m) = message {
        loc["message"] = json!({ "text": m });
    }
    loc
}

fn result(sources: &SourceMap, d: &Diagnostic) -> Value {
    let mut result = json!({ "ruleId": d.code.to_string() });
    if let Some(index) = CODES.iter().position(|c| c.code == d.code) {
        result["ruleIndex"] = json!(index);
    }
    result["level"] = json!(level(d.severity));
    result["message"] = json!({ "text": plain_text(d) });
    result["locations"] = json!([location(
        sources,
        d.primary.span,
        d.primary.message.as_deref()
    )]);
    if !d.secondary.is_empty() {
        result["relatedLocations"] = Value::Array(
            d.secondary
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mut loc = location(sources, l.span, l.message.as_deref());
                    loc["id"] = json!(i);
                    loc
                })
                .collect(),
        );
    }
    let fixes: Vec<Value> = d
        .suggestions
        .iter()
        .filter(|s| !s.edits.is_empty())
        .map(|s| {
            json!({
                "description": { "text": s.message },
                "artifactChanges": artifact_changes(sources, &s.edits),
            })
        })
        .collect();
    if !fixes.is_empty() {
        result["fixes"] = Value::Array(fixes);
    }
    result
}

#[derive(Serialize)]
struct Log<R> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<R>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<R> {
    tool: Value,
    column_kind: &'static str,
    results: R,
}

/// Writes the log, one result at a time.
pub fn write(
    out: &mut impl Write,
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
) -> std::io::Result<()> {
    let rules: Vec<Value> = CODES
        .iter()
        .map(|c| {
            json!({
                "id": c.code.to_string(),
                "name": c.name,
                "shortDescription": { "text": c.summary },
                "fullDescription": { "text": c.explanation },
                "help": { "text": c.explanation, "markdown": c.explanation },
                "defaultConfiguration": { "level": level(c.severity) },
            })
        })
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: json!({
                "driver": {
                    "name": "coe",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            }),
            column_kind: "unicodeCodePoints",
            results: Items(|| diagnostics.iter().map(|d| result(sources, d))),
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}

pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    to_string(|out| write(out, sources, diagnostics))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_except_unreserved_and_slashes() {
        assert_eq!(uri("a/b-c_d.e~f.coe"), "a/b-c_d.e~f.coe");
        assert_eq!(uri("odd names/zü#%.coe"), "odd%20names/z%C3%BC%23%25.coe");
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let mut sources = SourceMap::new();
        let file = sources.add_text("t.coe", "# ü\nx = 1\n");
        let span = Span::new(file, 5, 6);
        let r = region(&sources, span);
        assert_eq!(r["charOffset"], 4);
        assert_eq!(r["charLength"], 1);
        assert_eq!(
            (r["startLine"].clone(), r["startColumn"].clone()),
            (json!(2), json!(1))
        );
    }
}
