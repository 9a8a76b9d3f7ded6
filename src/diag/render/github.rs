//! `--format github`: GitHub Actions workflow commands, one annotation per diagnostic.

use super::{file_name, locate};
use crate::diag::{Diagnostic, Severity};
use crate::source::SourceMap;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Help => "notice",
        };
        let loc = locate(sources, d.primary.span);
        let mut message = d.message.clone();
        for h in &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        for s in &d.suggestions {
            message.push_str(&format!("\nhelp: {}", s.message));
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&file_name(sources, d.primary.span)),
            loc.start_line,
            loc.start_column,
            loc.end_line,
            loc.end_column,
            escape_property(&format!("{} {}", d.code, d.code.info().name)),
            escape_data(&message),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_workflow_command_rules() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("x:y,z"), "x%3Ay%2Cz");
    }
}
