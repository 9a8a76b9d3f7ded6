//! pest pairs → spanned AST, one top-level item at a time.

use super::ast::*;
use super::errors::syntax_diagnostic;
use super::grammar::{CoeParser, Rule};
use super::scan::scan;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::Parser;
use pest::iterators::Pair;

/// The result of parsing one file: always a tree, plus what went wrong.
#[derive(Debug, Default)]
pub struct Parse {
    pub file: File,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parse {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses a whole file. Never fails: a broken item becomes a diagnostic and
/// the items around it are still parsed.
pub fn parse(file_id: FileId, text: &str) -> Parse {
    let scanned = scan(file_id, text);
    let mut out = Parse {
        file: File {
            items: Vec::new(),
            comments: scanned.comments,
            unparsed: Vec::new(),
        },
        diagnostics: Vec::new(),
    };
    for (start, end) in scanned.chunks {
        let chunk = &text[start..end];
        match CoeParser::parse(Rule::file, chunk) {
            Ok(mut pairs) => {
                let mut lower = Lower {
                    file: file_id,
                    offset: start,
                    diagnostics: &mut out.diagnostics,
                };
                let file_pair = pairs.next().expect("file rule");
                for pair in file_pair.into_inner() {
                    match pair.as_rule() {
                        Rule::let_decl => out.file.items.push(Item::Let(lower.let_decl(pair))),
                        Rule::block => out.file.items.push(Item::Block(lower.block(pair))),
                        _ => {}
                    }
                }
            }
            Err(error) => {
                out.file.unparsed.extend(block_header(chunk));
                let detailed = detailed_error(chunk);
                out.diagnostics.push(syntax_diagnostic(
                    file_id,
                    text,
                    chunk,
                    start,
                    &error,
                    detailed.as_ref(),
                ));
            }
        }
    }
    out
}

/// `kind "name"` at the start of a chunk that failed to parse.
fn block_header(chunk: &str) -> Option<(String, String)> {
    let kind_len = chunk
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(chunk.len());
    let rest = chunk[kind_len..].trim_start().strip_prefix('"')?;
    let name = &rest[..rest.find(['"', '\n'])?];
    (kind_len > 0).then(|| (chunk[..kind_len].to_string(), name.to_string()))
}

/// Re-parses a failing chunk with pest's attempt tracking switched on; it is
/// slower, so only errors pay for it.
fn detailed_error(chunk: &str) -> Option<pest::error::Error<Rule>> {
    pest::set_error_detail(true);
    let result = CoeParser::parse(Rule::file, chunk).err();
    pest::set_error_detail(false);
    result
}

struct Lower<'d> {
    file: FileId,
    offset: usize,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Lower<'_> {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            span: self.span(&pair),
            name: pair.as_str().to_string(),
        }
    }

    fn let_decl(&mut self, pair: Pair<Rule>) -> Let {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let _kw = inner.next();
        let name = self.ident(inner.next().expect("let name"));
        let value = self.expr(inner.next().expect("let value"));
        Let { name, value, span }
    }

    fn block(&mut self, pair: Pair<Rule>) -> Block {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().peekable();
        let kind = self.ident(inner.next().expect("block kind"));
        let mut name = None;
        if inner.peek().map(|p| p.as_rule()) == Some(Rule::block_name) {
            let string = inner
                .next()
                .unwrap()
                .into_inner()
                .next()
                .expect("name string");
            name = Some(self.plain_string(string));
        }
        let body = inner
            .map(|p| match p.as_rule() {
                Rule::attribute => BodyItem::Attribute(self.attribute(p)),
                _ => BodyItem::Block(self.block(p)),
            })
            .collect();
        Block {
            kind,
            name,
            body,
            span,
        }
    }

    fn attribute(&mut self, pair: Pair<Rule>) -> Attribute {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let key = self.key(inner.next().expect("key"));
        let value = self.expr(inner.next().expect("value"));
        Attribute { key, value, span }
    }

    fn key(&mut self, pair: Pair<Rule>) -> Key {
        match pair.as_rule() {
            Rule::string => {
                let s = self.plain_string(pair);
                Key {
                    name: s.value,
                    span: s.span,
                    quoted: true,
                }
            }
            _ => {
                let id = self.ident(pair);
                Key {
                    name: id.name,
                    span: id.span,
                    quoted: false,
                }
            }
        }
    }

    /// A string that may not interpolate (block names, keys).
    fn plain_string(&mut self, pair: Pair<Rule>) -> StrLit {
        let span = self.span(&pair);
        let parts = self.string_parts(pair);
        let mut value = String::new();
        for part in parts {
            match part {
                StrPart::Text(t) => value.push_str(&t),
                StrPart::Interp(e) => {
                    self.diagnostics.push(
                        Diagnostic::new(Code(1), e.span, "interpolation is not allowed in names")
                            .with_label("not allowed here")
                            .with_help("write the name literally; escape a literal `${` as `\\${`"),
                    );
                }
            }
        }
        StrLit { value, span }
    }

    fn string_parts(&mut self, pair: Pair<Rule>) -> Vec<StrPart> {
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, t: &str| {
            if let Some(StrPart::Text(last)) = parts.last_mut() {
                last.push_str(t);
            } else {
                parts.push(StrPart::Text(t.to_string()));
            }
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::string_text => push_text(&mut parts, p.as_str()),
                Rule::escape => {
                    let span = self.span(&p);
                    match unescape(p.as_str()) {
                        Ok(c) => push_text(&mut parts, c.encode_utf8(&mut [0; 4])),
                        Err(why) => self.diagnostics.push(
                            Diagnostic::new(
                                Code(2),
                                span,
                                format!("unknown escape `{}` in string", p.as_str().trim_end()),
                            )
                            .with_label(why)
                            .with_help(
                                "valid escapes are `\\\"`, `\\\\`, `\\n`, `\\r`, `\\t`, `\\$` and `\\u{...}`; write a backslash as `\\\\`",
                            ),
                        ),
                    }
                }
                Rule::interpolation => {
                    let expr = p.into_inner().next().expect("interpolated expr");
                    parts.push(StrPart::Interp(self.expr(expr)));
                }
                _ => {}
            }
        }
        parts
    }

    fn expr(&mut self, pair: Pair<Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string => ExprKind::Str(self.string_parts(pair)),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::number => self.number(pair.as_str(), span),
            Rule::quantity => self.quantity(pair.as_str(), span),
            Rule::ident => ExprKind::Ident(pair.as_str().to_string()),
            Rule::reference => {
                let parts = pair
                    .into_inner()
                    .map(|p| match p.as_rule() {
                        Rule::string => {
                            let s = self.plain_string(p);
                            Ident {
                                name: s.value,
                                span: s.span,
                            }
                        }
                        _ => self.ident(p),
                    })
                    .collect();
                ExprKind::Ref(parts)
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let name = self.ident(inner.next().expect("call name"));
                let args = inner.map(|p| self.expr(p)).collect();
                ExprKind::Call { name, args }
            }
            Rule::list => ExprKind::List(pair.into_inner().map(|p| self.expr(p)).collect()),
            Rule::map => ExprKind::Map(
                pair.into_inner()
                    .map(|entry| {
                        let span = self.span(&entry);
                        let mut inner = entry.into_inner();
                        let key = self.key(inner.next().expect("map key"));
                        let value = self.expr(inner.next().expect("map value"));
                        Attribute { key, value, span }
                    })
                    .collect(),
            ),
            other => unreachable!("expr rule {other:?}"),
        };
        Expr { kind, span }
    }

    fn number(&mut self, text: &str, span: Span) -> ExprKind {
        if text.contains('.') {
            return ExprKind::Float(text.parse().unwrap_or(0.0));
        }
        match text.parse::<i64>() {
            Ok(n) => ExprKind::Int(n),
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::new(Code(4), span, "integer is too large")
                        .with_label("does not fit in 64 bits")
                        .with_help(
                            "use a number between -9223372036854775808 and 9223372036854775807",
                        ),
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
    fn quantity(&mut self, text: &str, span: Span) -> ExprKind {
        let split = text
            .find(|c: char| c.is_ascii_alphabetic())
            .expect("quantity has a unit");
        let (num, unit) = text.split_at(split);
        if let Some(size_unit) = SizeUnit::parse(unit) {
            let value: f64 = num.parse().unwrap_or(0.0);
            let bytes = value * size_unit.bytes() as f64;
            if num.starts_with('-') || !bytes.is_finite() || bytes > u64::MAX as f64 {
                self.diagnostics.push(
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
            self.diagnostics.push(d);
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
        self.diagnostics.push(match fix {
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
                None => ExprKind::Duration(
                    (value * duration_scale(u).unwrap_or(1) as f64).round() as u64
                ),
            },
            _ => ExprKind::Int(num.parse().unwrap_or(0)),
        }
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

fn unescape(text: &str) -> Result<char, &'static str> {
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
