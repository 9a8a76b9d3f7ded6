//! Turns pest's errors into diagnostics in words a person understands.

use super::grammar::Rule;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::error::Error;
use pest::error::{ErrorVariant, InputLocation};
use std::collections::BTreeSet;

/// What a person calls the thing a rule matches. Exhaustive on purpose: a new
/// grammar rule does not compile until it has a human name.
pub fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::WHITESPACE => "whitespace",
        Rule::COMMENT | Rule::line_comment | Rule::block_comment => "a comment",
        Rule::file | Rule::item => "a block or `let`",
        Rule::let_decl | Rule::kw_let => "`let`",
        Rule::block => "a block",
        Rule::block_name => "a block name",
        Rule::body_item => "an attribute or a block",
        Rule::attribute => "an attribute",
        Rule::key => "a name",
        Rule::expr => "a value",
        Rule::boolean => "`true` or `false`",
        Rule::number => "a number",
        Rule::quantity => "a size or duration",
        Rule::list => "a list",
        Rule::map => "a map",
        Rule::map_entry => "a map entry",
        Rule::call => "a call",
        Rule::reference => "a reference",
        Rule::ident | Rule::ident_char => "a name",
        Rule::string => "a string",
        Rule::string_text | Rule::escape => "string text",
        Rule::interpolation => "`${`",
    }
}

/// Builds the diagnostic for a failed chunk. `detailed` is the same error
/// re-parsed with pest's attempt tracking, which knows the expected tokens.
pub fn syntax_diagnostic(
    file: FileId,
    full: &str,
    chunk: &str,
    offset: usize,
    error: &Error<Rule>,
    detailed: Option<&Error<Rule>>,
) -> Diagnostic {
    let pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: BTreeSet<String> = BTreeSet::new();
    if let Some(attempts) = detailed.and_then(|d| d.parse_attempts()) {
        // The token type is not exported by pest; its Display is the token text.
        for token in attempts.expected_tokens() {
            let token = token.to_string();
            let useful = !token.chars().all(|c| c.is_whitespace() || c == '\u{feff}')
                && token != "${"
                && token != "BUILTIN_RULE"
                && !token.contains("..")
                && !["#", "//", "/*"].contains(&token.as_str());
            if useful {
                expected.insert(format!("`{token}`"));
            }
        }
    }
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if !matches!(rule, Rule::WHITESPACE | Rule::COMMENT | Rule::EOI) {
                expected.insert(rule_name(*rule).to_string());
            }
        }
        if positives.contains(&Rule::EOI) && expected.is_empty() {
            expected.insert("end of file".into());
        }
    }
    let rest = &chunk[pos.min(chunk.len())..];
    // Describe from the whole file: a chunk ends where the next item starts.
    let found = describe_found(&full[offset + pos.min(chunk.len())..]);
    simplify(&mut expected, rest);
    let expected: Vec<String> = expected.into_iter().collect();
    let expected_text = match expected.len() {
        0 => "something else".to_string(),
        1 => expected[0].clone(),
        _ => format!(
            "{} or {}",
            expected[..expected.len() - 1].join(", "),
            expected[expected.len() - 1]
        ),
    };
    let end = if pos < chunk.len() {
        pos + found.1.max(1)
    } else {
        pos
    };
    let span = Span::new(file, offset + pos, offset + end.min(chunk.len()));
    let mut d = Diagnostic::new(
        Code(1),
        span,
        format!("expected {expected_text}, found {}", found.0),
    )
    .with_label(format!("expected {expected_text}"));
    if let Some(help) = hint(chunk, pos, &expected) {
        d = d.with_help(help);
    }
    d
}

/// Turns pest's raw expectations into what a person would list.
fn simplify(expected: &mut BTreeSet<String>, rest: &str) {
    // Tokens from inside atomic rules (`-` of a number, `_` of a name) are noise.
    for noise in [
        "`-`",
        "`_`",
        "`.`",
        "`true`",
        "`false`",
        "`${`",
        "string text",
        "`let`",
    ] {
        expected.remove(noise);
    }
    // A string's opening quote is "a string" to a person.
    if expected.contains("a string") {
        expected.remove("`\"`");
    }
    let values = [
        "a list",
        "a map",
        "a name",
        "a number",
        "a size or duration",
        "a string",
        "`true` or `false`",
        "a reference",
        "a call",
    ];
    if values.iter().filter(|v| expected.contains(**v)).count() >= 3 {
        expected.retain(|e| !values.contains(&e.as_str()) && e != "`[`" && e != "`{`");
        expected.insert("a value".into());
    }
    if expected.contains("an attribute") {
        expected.remove("a name");
        expected.remove("`\"`");
    }
    // `name 3` or `name [..]`: after a name, only `=` makes sense for a value.
    if expected.contains("`=`")
        && rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '[' || c == '-')
    {
        expected.retain(|e| e == "`=`");
    }
}

/// A short description of the text at the error position and its length.
fn describe_found(rest: &str) -> (String, usize) {
    if rest.trim().is_empty() {
        return ("end of file".into(), 0);
    }
    let c = rest.chars().next().unwrap_or('\n');
    if c.is_ascii_alphabetic() || c == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        let len = word.len();
        return (format!("`{word}`"), len);
    }
    if c.is_ascii_digit() {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let len = word.len();
        return (format!("`{word}`"), len);
    }
    if c == '\n' {
        return ("end of line".into(), 1);
    }
    (format!("`{c}`"), c.len_utf8())
}

/// A fix hint for the mistakes people actually make.
fn hint(chunk: &str, pos: usize, expected: &[String]) -> Option<String> {
    let before = chunk[..pos.min(chunk.len())].trim_end();
    let rest = &chunk[pos.min(chunk.len())..];
    if rest.starts_with(':') && expected.iter().any(|e| e == "`=`") {
        return Some("attributes use `=`, not `:`: try `name = value`".into());
    }
    if rest.starts_with('\'') {
        return Some("strings use double quotes: try `\"...\"`".into());
    }
    if rest.trim().is_empty() && before.matches('{').count() > before.matches('}').count() {
        return Some("a block is still open: add the missing `}`".into());
    }
    let line = &chunk[chunk[..pos].rfind('\n').map(|p| p + 1).unwrap_or(0)..pos];
    if line.matches('"').count() % 2 == 1 && (rest.starts_with('\n') || rest.is_empty()) {
        return Some(
            "close the string with `\"` on the same line; write a newline as `\\n`".into(),
        );
    }
    if expected.iter().any(|e| e == "`}`") && rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        let line_start = chunk[..pos].rfind('\n').map(|p| p + 1).unwrap_or(0);
        if pos == line_start {
            return Some("a block above is still open: add the missing `}`".into());
        }
    }
    if before.ends_with('=') {
        return Some(
            "give the attribute a value, e.g. a string `\"...\"`, a number or `true`".into(),
        );
    }
    None
}
