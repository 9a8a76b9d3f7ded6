//! Evaluated values: `let` constants substituted, strings interpolated.

use crate::source::Span;
use crate::syntax::ast::SizeUnit;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Size {
        bytes: u64,
        unit: SizeUnit,
    },
    /// Seconds.
    Duration(u64),
    /// A bare word such as `flannel` or `vm`.
    Member(String),
    /// `template.name` as its parts.
    Ref(Vec<String>),
    Call(String, Vec<Val>),
    List(Vec<Val>),
    Map(Vec<(String, Span, Val)>),
}

/// A value and the span of the expression that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub value: Value,
    pub span: Span,
}

impl Val {
    pub fn new(value: Value, span: Span) -> Self {
        Val { value, span }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) | Value::Member(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self.value {
            Value::Int(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[Val] {
        match &self.value {
            Value::List(items) => items,
            _ => &[],
        }
    }
}

impl Value {
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Size { .. } => "a size",
            Value::Duration(_) => "a duration",
            Value::Member(_) => "a bare word",
            Value::Ref(_) => "a reference",
            Value::Call(..) => "a call",
            Value::List(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    /// The text a label value takes in Magnum (labels are strings there).
    pub fn to_label_text(&self) -> Option<String> {
        Some(match self {
            Value::Str(s) | Value::Member(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Size { bytes, .. } => (bytes >> 30).to_string(),
            Value::Duration(s) => s.to_string(),
            Value::List(items) => {
                let parts: Option<Vec<String>> =
                    items.iter().map(|v| v.value.to_label_text()).collect();
                parts?.join(",")
            }
            _ => return None,
        })
    }

    /// How the value is written in `.coe` source (for suggestions and imports).
    pub fn to_source(&self) -> String {
        match self {
            Value::Str(s) => quote(s),
            Value::Int(n) => n.to_string(),
            Value::Float(f) => format!("{f:?}"),
            Value::Bool(b) => b.to_string(),
            Value::Size { bytes, unit } => {
                let n = *bytes as f64 / unit.bytes() as f64;
                if n.fract() == 0.0 {
                    format!("{}{}", n as u64, unit.as_str())
                } else {
                    format!("{n}{}", unit.as_str())
                }
            }
            Value::Duration(s) => format_duration(*s),
            Value::Member(m) => m.clone(),
            Value::Ref(parts) => parts.join("."),
            Value::Call(name, args) => format!(
                "{name}({})",
                args.iter()
                    .map(|a| a.value.to_source())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|a| a.value.to_source())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Map(entries) => format!(
                "{{ {} }}",
                entries
                    .iter()
                    .map(|(k, _, v)| format!("{k} = {}", v.value.to_source()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A `.coe` string literal for `s`, escaping what needs escaping.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub use crate::syntax::ast::format_duration;
