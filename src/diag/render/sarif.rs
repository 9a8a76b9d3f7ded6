//! `--format sarif`: SARIF 2.1.0 with every rule declared, for code scanning.

use super::{file_name, locate};
use crate::diag::{CODES, Diagnostic, Severity};
use crate::source::{SourceMap, Span};
use serde_json::{Value, json};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Help => "note",
    }
}

fn region(sources: &SourceMap, span: Span) -> Value {
    let loc = locate(sources, span);
    json!({
        "startLine": loc.start_line,
        "startColumn": loc.start_column,
        "endLine": loc.end_line,
        "endColumn": loc.end_column,
        "charOffset": span.start,
        "charLength": span.len(),
    })
}

fn location(sources: &SourceMap, span: Span, message: Option<&str>) -> Value {
    let mut loc = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": file_name(sources, span) },
            "region": region(sources, span),
        }
    });
    if let Some(m) = message {
        loc["message"] = json!({ "text": m });
    }
    loc
}

pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
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
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let index = CODES.iter().position(|c| c.code == d.code).unwrap_or(0);
            let mut text = d.message.clone();
            for h in &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            let mut result = json!({
                "ruleId": d.code.to_string(),
                "ruleIndex": index,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [location(sources, d.primary.span, d.primary.message.as_deref())],
            });
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
            if !d.suggestions.is_empty() {
                result["fixes"] = Value::Array(
                    d.suggestions
                        .iter()
                        .map(|s| {
                            let changes: Vec<Value> = s
                                .edits
                                .iter()
                                .map(|e| {
                                    json!({
                                        "artifactLocation": { "uri": file_name(sources, e.span) },
                                        "replacements": [{
                                            "deletedRegion": region(sources, e.span),
                                            "insertedContent": { "text": e.replacement },
                                        }],
                                    })
                                })
                                .collect();
                            json!({ "description": { "text": s.message }, "artifactChanges": changes })
                        })
                        .collect(),
                );
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "coe",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("json values serialize");
    s.push('\n');
    s
}
