//! `--format github`: GitHub Actions workflow commands, one annotation per diagnostic.

use super::{file_name, locate, plain_text, to_string};
use crate::diag::{Diagnostic, Severity};
use crate::source::SourceMap;
use std::io::Write;

/// Percent-encodes `special` (one pass; most text has nothing to encode).
fn escape(s: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if special.contains(&c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn escape_data(s: &str) -> String {
    escape(s, &['%', '\r', '\n'])
}

fn escape_property(s: &str) -> String {
    escape(s, &['%', '\r', '\n', ':', ','])
}

pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    to_string(|out| write(out, sources, diagnostics))
}

/// Writes one workflow command per diagnostic.
pub fn write(
    out: &mut impl Write,
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
) -> std::io::Result<()> {
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Help => "notice",
        };
        let loc = locate(sources, d.primary.span);
        let mut props = format!(
            "file={},line={}",
            escape_property(&file_name(sources, d.primary.span)),
            loc.start_line,
        );
        // GitHub rejects columns on an annotation that spans several lines.
        if loc.start_line == loc.end_line {
            props.push_str(&format!(
                ",col={},endLine={},endColumn={}",
                loc.start_column, loc.end_line, loc.end_column
            ));
        } else {
            props.push_str(&format!(",endLine={}", loc.end_line));
        }
        writeln!(
            out,
            "::{command} {props},title={}::{}",
            escape_property(&format!("{} {}", d.code, d.code.info().name)),
            escape_data(&plain_text(d)),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_spans_carry_no_columns() {
        let mut sources = SourceMap::new();
        let file = sources.add_text("t.coe", "a {\n}\nb = 1\n");
        let span = |s, e| crate::source::Span::new(file, s, e);
        let many = Diagnostic::new(crate::diag::Code(102), span(0, 5), "m");
        let one = Diagnostic::new(crate::diag::Code(102), span(6, 7), "m");
        let out = render(&sources, &[many, one]);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("::error file=t.coe,line=1,endLine=2,title="));
        assert!(
            lines[1].starts_with("::error file=t.coe,line=3,col=1,endLine=3,endColumn=2,title=")
        );
    }

    #[test]
    fn escapes_follow_the_workflow_command_rules() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("x:y,z"), "x%3Ay%2Cz");
    }
}
