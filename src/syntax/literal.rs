//! Literal values as written: numbers, sizes, durations and string escapes,
//! with the diagnostics their text deserves. Shared by the parser's lowering
//! and the pest reference.

use super::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::source::Span;

pub fn number(text: &str, span: Span, diagnostics: &mut Vec<Diagnostic>) -> ExprKind {
    if text.contains('.') {
        return ExprKind::Float(text.parse().unwrap_or(0.0));
    }
    match text.parse::<i64>() {
        Ok(n) => ExprKind::Int(n),
        Err(_) => {
            diagnostics.push(
                Diagnostic::new(Code(4), span, "integer is too large")
                    .with_label("does not fit in 64 bits")
                    .with_help("use a number between -9223372036854775808 and 9223372036854775807"),
            );
            // Saturate, so that range checks downstream do not report a made-up 0.
            ExprKind::Int(if text.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            })
        }
    }
}

/// `3GiB`, `20GB`, `60m`, `1h30m`.
pub fn quantity(text: &str, span: Span, diagnostics: &mut Vec<Diagnostic>) -> ExprKind {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .expect("quantity has a unit");
    let (num, unit) = text.split_at(split);
    if let Some(size_unit) = SizeUnit::parse(unit) {
        let value: f64 = num.parse().unwrap_or(0.0);
        let bytes = value * size_unit.bytes() as f64;
        if num.starts_with('-') || !bytes.is_finite() || bytes > u64::MAX as f64 {
            diagnostics.push(
                Diagnostic::new(Code(4), span, format!("size `{text}` is out of range"))
                    .with_label("sizes must be positive and below 16 EiB"),
            );
            // Recover with the magnitude, so range checks downstream stay quiet.
            return ExprKind::Size {
                bytes: bytes.abs().min(u64::MAX as f64) as u64,
                unit: size_unit,
            };
        }
        return ExprKind::Size {
            bytes: bytes.round() as u64,
            unit: size_unit,
        };
    }
    if let Some(seconds) = parse_duration(text) {
        return ExprKind::Duration(seconds);
    }
    if let Some((d, kind)) = bad_duration(text, span) {
        diagnostics.push(d);
        return kind;
    }
    let unit_span = Span::new(span.file, span.start as usize + split, span.end as usize);
    let d = Diagnostic::new(Code(3), unit_span, format!("unknown unit `{unit}`"))
        .with_label("not a size or duration unit")
        .with_help(
            "sizes take `B`, `KB`, `MB`, `GB`, `TB`, `KiB`, `MiB`, `GiB` or `TiB`; durations take `s`, `m`, `h` or `d` (e.g. `1h30m`)",
        );
    let candidates = SizeUnit::ALL
        .iter()
        .map(|(_, s, _)| *s)
        .chain(["s", "m", "h", "d"]);
    // Spelled-out time units first: `min` is closer to `MiB` than to `m` by letters.
    let alias = UNIT_ALIASES
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(unit))
        .map(|(_, u)| *u);
    let fix = alias.or_else(|| crate::diag::did_you_mean(unit, candidates));
    diagnostics.push(match fix {
        Some(fix) => d.with_fix(format!("use `{fix}`"), unit_span, fix),
        None => d,
    });
    // Recover with the suggested unit, so the value is not reported again as a plain number.
    let value: f64 = num.parse().unwrap_or(0.0);
    match fix {
        Some(u) if value >= 0.0 => match SizeUnit::parse(u) {
            Some(size_unit) => ExprKind::Size {
                bytes: (value * size_unit.bytes() as f64).round() as u64,
                unit: size_unit,
            },
            None => {
                ExprKind::Duration((value * duration_scale(u).unwrap_or(1) as f64).round() as u64)
            }
        },
        _ => ExprKind::Int(num.parse().unwrap_or(0)),
    }
}

/// Spelled-out units people write, and the unit they mean.
const UNIT_ALIASES: &[(&str, &str)] = &[
    ("sec", "s"),
    ("secs", "s"),
    ("second", "s"),
    ("seconds", "s"),
    ("min", "m"),
    ("mins", "m"),
    ("minute", "m"),
    ("minutes", "m"),
    ("hr", "h"),
    ("hrs", "h"),
    ("hour", "h"),
    ("hours", "h"),
    ("day", "d"),
    ("days", "d"),
];

fn duration_scale(unit: &str) -> Option<u64> {
    match unit {
        "s" => Some(1),
        "m" => Some(60),
        "h" => Some(3600),
        "d" => Some(86400),
        _ => None,
    }
}

/// A quantity written only with duration units that is still no valid
/// duration: negative, fractional, out of order, or too long. `None` when a
/// unit is not a duration unit (that is an unknown unit).
fn bad_duration(text: &str, span: Span) -> Option<(Diagnostic, ExprKind)> {
    let mut seconds = 0.0f64;
    let mut rest = text.strip_prefix('-').unwrap_or(text);
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| c.is_ascii_alphabetic())?;
        let unit_len = rest[num_len..]
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len() - num_len);
        let scale = duration_scale(&rest[num_len..num_len + unit_len])?;
        seconds += rest[..num_len].parse::<f64>().ok()? * scale as f64;
        rest = &rest[num_len + unit_len..];
    }
    if text.starts_with('-') {
        let d = Diagnostic::new(Code(4), span, format!("duration `{text}` is negative"))
            .with_label("durations cannot be negative");
        return Some((d, ExprKind::Duration(0)));
    }
    if seconds >= u64::MAX as f64 {
        let d = Diagnostic::new(Code(4), span, format!("duration `{text}` is out of range"))
            .with_label("too long to represent");
        return Some((d, ExprKind::Duration(u64::MAX)));
    }
    let secs = seconds.round() as u64;
    let fixed = format_duration(secs);
    let d = Diagnostic::new(Code(1), span, format!("`{text}` is not a valid duration"))
        .with_label("durations are whole numbers of `d`, `h`, `m` and `s`, larger units first")
        .with_fix(format!("write `{fixed}`"), span, fixed);
    Some((d, ExprKind::Duration(secs)))
}

/// Appends string text, joining it to the text part before it.
pub fn push_text(parts: &mut Vec<StrPart>, t: &str) {
    if let Some(StrPart::Text(last)) = parts.last_mut() {
        last.push_str(t);
    } else {
        parts.push(StrPart::Text(t.to_string()));
    }
}

/// The diagnostic for an escape `unescape` refused.
pub fn unknown_escape(text: &str, span: Span, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code(2),
        span,
        format!("unknown escape `{}` in string", text.trim_end()),
    )
    .with_label(why)
    .with_help(
        "valid escapes are `\\\"`, `\\\\`, `\\n`, `\\r`, `\\t`, `\\$` and `\\u{...}`; write a backslash as `\\\\`",
    )
}

pub fn unescape(text: &str) -> Result<char, &'static str> {
    let rest = &text[1..];
    match rest {
        "\"" => Ok('"'),
        "\\" => Ok('\\'),
        "n" => Ok('\n'),
        "r" => Ok('\r'),
        "t" => Ok('\t'),
        "$" => Ok('$'),
        "0" => Ok('\0'),
        _ if rest.starts_with("u{") => {
            let hex = &rest[2..rest.len() - 1];
            if hex.is_empty() || hex.len() > 6 {
                return Err("`\\u{...}` takes 1 to 6 hex digits");
            }
            u32::from_str_radix(hex, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or("not a Unicode scalar value")
        }
        _ => Err("not a known escape"),
    }
}

/// `90s`, `60m`, `2h`, `1h30m`, `1d` → seconds. Units must go from larger to smaller.
pub fn parse_duration(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut rest = text;
    let mut last_scale = u64::MAX;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86400,
            _ => return None,
        };
        if scale >= last_scale {
            return None;
        }
        last_scale = scale;
        total = total.checked_add(n.checked_mul(scale)?)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}
