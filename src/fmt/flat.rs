//! Values on one line, in canonical spelling. Only called on values that hold
//! no comment, so nothing here needs the comment cursor.

use crate::check::value::{format_duration, quote};
use crate::syntax::ast::{Expr, ExprKind, Ident, Key, SizeUnit, StrPart};

/// `src` is the file text, for the rare number whose canonical spelling would
/// not read back to the same value: it is then printed as written.
pub fn expr(e: &Expr, src: &str) -> String {
    match &e.kind {
        ExprKind::Str(parts) => string(parts, |inner| format!("${{{}}}", expr(inner, src))),
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Float(f) => float(*f).unwrap_or_else(|| as_written(e, src)),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Size { bytes, unit } => size(*bytes, *unit).unwrap_or_else(|| as_written(e, src)),
        ExprKind::Duration(secs) => format_duration(*secs),
        ExprKind::Ident(name) => name.clone(),
        ExprKind::Ref(parts) => reference(parts),
        ExprKind::Call { name, args } => {
            let args: Vec<String> = args.iter().map(|a| expr(a, src)).collect();
            format!("{}({})", name.name, args.join(", "))
        }
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(|i| expr(i, src)).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Map(entries) if entries.is_empty() => "{}".into(),
        ExprKind::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|a| format!("{} = {}", key(&a.key), expr(&a.value, src)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

/// A string from its parts; `interp` prints one interpolation, `${...}` included.
pub fn string(parts: &[StrPart], mut interp: impl FnMut(&Expr) -> String) -> String {
    let mut out = String::from("\"");
    for part in parts {
        match part {
            StrPart::Text(t) => out.push_str(&escaped(t)),
            StrPart::Interp(e) => out.push_str(&interp(e)),
        }
    }
    out.push('"');
    out
}

/// String text with the checker's canonical escapes, without the quotes.
fn escaped(text: &str) -> String {
    let q = quote(text);
    q[1..q.len() - 1].to_string()
}

pub fn key(k: &Key) -> String {
    if k.quoted {
        quote(&k.name)
    } else {
        k.name.clone()
    }
}

/// `template.k8s`; a part that is not a plain word (it was written as a string) is quoted.
fn reference(parts: &[Ident]) -> String {
    let parts: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i == 0 || is_ident(&p.name) {
                p.name.clone()
            } else {
                quote(&p.name)
            }
        })
        .collect();
    parts.join(".")
}

pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The shortest decimal that reads back as `f`; the grammar wants a `.`.
fn float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let s = f.to_string();
    Some(if s.contains('.') { s } else { format!("{s}.0") })
}

/// A size in the unit it was written in: `3GiB`, or `1.5GiB` when not whole.
fn size(bytes: u64, unit: SizeUnit) -> Option<String> {
    let scale = unit.bytes();
    if bytes.is_multiple_of(scale) {
        return Some(format!("{}{}", bytes / scale, unit.as_str()));
    }
    let number = (bytes as f64 / scale as f64).to_string();
    // The parser multiplies and rounds; keep the spelling only if that gives `bytes` back.
    let back: f64 = number.parse().ok()?;
    let ok = number.contains('.') && (back * scale as f64).round() as u64 == bytes;
    ok.then(|| format!("{number}{}", unit.as_str()))
}

fn as_written(e: &Expr, src: &str) -> String {
    src.get(e.span.range()).unwrap_or_default().to_string()
}

/// Width in columns, counted in characters.
pub fn width(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_meaning() {
        assert_eq!(float(1.0).unwrap(), "1.0");
        assert_eq!(float(0.25).unwrap(), "0.25");
        assert_eq!(size(3 << 30, SizeUnit::GiB).unwrap(), "3GiB");
        assert_eq!(size(1_610_612_736, SizeUnit::GiB).unwrap(), "1.5GiB");
        assert_eq!(size(100, SizeUnit::KB).unwrap(), "0.1KB");
    }

    #[test]
    fn reference_parts_that_are_not_words_are_quoted() {
        let id = |n: &str| Ident {
            name: n.into(),
            span: Default::default(),
        };
        assert_eq!(reference(&[id("template"), id("k8s")]), "template.k8s");
        assert_eq!(reference(&[id("a"), id("b c")]), "a.\"b c\"");
    }
}
