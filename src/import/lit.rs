//! Values as they will be written in `.coe`.

use crate::check::types::is_word;
use crate::check::value::quote;

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    /// A bare word: an enum member such as `kubernetes` or `flannel`.
    Word(String),
    Int(i64),
    /// A JSON number that is not an integer, written as it came.
    Number(String),
    Bool(bool),
    /// Whole gigabytes, written `3GiB`.
    Gib(i64),
    /// Minutes, written `60m`.
    Minutes(i64),
    List(Vec<Lit>),
    /// `kind.name`, the name quoted when it is not a bare word.
    Ref(&'static str, String),
}

impl Lit {
    /// A bare word when the text is one, else a string, so that `coe check`
    /// reports a bad value precisely instead of the parser failing on it.
    pub fn word(text: &str) -> Lit {
        if bare(text) {
            Lit::Word(text.to_string())
        } else {
            Lit::Str(text.to_string())
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Lit::Str(s) | Lit::Word(s) => Some(s),
            _ => None,
        }
    }

    pub fn to_source(&self) -> String {
        match self {
            Lit::Str(s) => quote(s),
            Lit::Word(w) => w.clone(),
            Lit::Int(n) => n.to_string(),
            Lit::Number(n) => n.clone(),
            Lit::Bool(b) => b.to_string(),
            Lit::Gib(n) => format!("{n}GiB"),
            Lit::Minutes(n) => format!("{n}m"),
            Lit::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Lit::to_source)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Lit::Ref(kind, name) => format!("{kind}.{}", key(name)),
        }
    }
}

/// Whether the text can be written without quotes (`true`/`false` would read as booleans).
pub fn bare(text: &str) -> bool {
    is_word(text) && text != "true" && text != "false"
}

/// An attribute key or a name in a reference: bare when possible, else quoted.
pub fn key(text: &str) -> String {
    if is_word(text) {
        text.to_string()
    } else {
        quote(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_that_are_not_identifiers_become_strings() {
        assert_eq!(Lit::word("flannel").to_source(), "flannel");
        assert_eq!(Lit::word("host-gw").to_source(), "host-gw");
        assert_eq!(Lit::word("Flannel").to_source(), "Flannel");
        assert_eq!(Lit::word("flannel v2").to_source(), "\"flannel v2\"");
        assert_eq!(Lit::word("2fast").to_source(), "\"2fast\"");
        assert_eq!(Lit::word("true").to_source(), "\"true\"");
        assert_eq!(Lit::word("").to_source(), "\"\"");
    }

    #[test]
    fn sizes_durations_and_references() {
        assert_eq!(Lit::Gib(3).to_source(), "3GiB");
        assert_eq!(Lit::Minutes(90).to_source(), "90m");
        assert_eq!(
            Lit::Ref("template", "k8s-coreos".into()).to_source(),
            "template.k8s-coreos"
        );
        assert_eq!(
            Lit::Ref("template", "my template".into()).to_source(),
            "template.\"my template\""
        );
        assert_eq!(
            Lit::List(vec![Lit::Str("a".into()), Lit::Str("b".into())]).to_source(),
            "[\"a\", \"b\"]"
        );
    }
}
