//! Attribute types and the coercion of evaluated values to them. Each failed
//! coercion is a diagnostic that says what was expected, what was found and,
//! where the fix is mechanical, the exact edit.

use super::schema::AttrSchema;
use super::value::{Val, Value, quote};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::Span;
use crate::syntax::ast::SizeUnit;
use std::net::Ipv4Addr;

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    String,
    Int,
    Float,
    Bool,
    Size,
    Gigabytes,
    Duration,
    Uuid,
    Cidr,
    Ipv4,
    Ipv4List,
    Url,
    Microversion,
    Version,
    /// A bare word; `Some` lists the allowed members, `None` leaves it to the rules.
    Member(Option<Vec<String>>),
    Ref(String),
    List(Box<Ty>),
    Store(Vec<String>),
}

/// Heat template versions, oldest first, with the release alias Heat accepts (newton and later).
pub const HEAT_VERSIONS: &[(&str, &str)] = &[
    ("", "2013-05-23"),
    ("", "2014-10-16"),
    ("", "2015-04-30"),
    ("", "2015-10-15"),
    ("", "2016-04-08"),
    ("newton", "2016-10-14"),
    ("ocata", "2017-02-24"),
    ("pike", "2017-09-01"),
    ("queens", "2018-03-02"),
    ("rocky", "2018-08-31"),
    ("wallaby", "2021-04-16"),
];

impl Ty {
    /// Reads a type written in `stdlib/schema.coe`: `string`, `list(string)`, `member(vm, bm)`.
    pub fn from_value(v: &Value) -> Option<Ty> {
        match v {
            Value::Member(m) => Some(match m.as_str() {
                "string" => Ty::String,
                "int" => Ty::Int,
                "float" => Ty::Float,
                "bool" => Ty::Bool,
                "size" => Ty::Size,
                "gigabytes" => Ty::Gigabytes,
                "duration" => Ty::Duration,
                "uuid" => Ty::Uuid,
                "cidr" => Ty::Cidr,
                "ipv4" => Ty::Ipv4,
                "ipv4_list" => Ty::Ipv4List,
                "url" => Ty::Url,
                "microversion" => Ty::Microversion,
                "version" => Ty::Version,
                "member" => Ty::Member(None),
                _ => return None,
            }),
            Value::Call(name, args) => {
                let words = || -> Option<Vec<String>> {
                    args.iter()
                        .map(|a| match &a.value {
                            Value::Member(m) => Some(m.clone()),
                            _ => None,
                        })
                        .collect()
                };
                match (name.as_str(), args.as_slice()) {
                    ("list", [inner]) => Some(Ty::List(Box::new(Ty::from_value(&inner.value)?))),
                    ("ref", [kind]) => Some(Ty::Ref(kind.as_str()?.to_string())),
                    ("member", _) => Some(Ty::Member(Some(words()?))),
                    ("store", _) => Some(Ty::Store(words()?)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// How the type reads in a message: "a string", "a list of strings".
    pub fn describe(&self) -> String {
        match self {
            Ty::String => "a string".into(),
            Ty::Int => "an integer".into(),
            Ty::Float => "a number".into(),
            Ty::Bool => "`true` or `false`".into(),
            Ty::Size => "a size such as `2GiB`".into(),
            Ty::Gigabytes => "a size in gigabytes such as `3GiB`".into(),
            Ty::Duration => "a duration such as `60m`".into(),
            Ty::Uuid => "a UUID string".into(),
            Ty::Cidr => "a CIDR string such as `\"10.0.0.0/24\"`".into(),
            Ty::Ipv4 => "an IPv4 address string".into(),
            Ty::Ipv4List => "an IPv4 address string or a list of them".into(),
            Ty::Url => "an http(s) URL string".into(),
            Ty::Microversion => "a microversion string such as `\"2.15\"`".into(),
            Ty::Version => "a Heat template version such as `rocky`".into(),
            Ty::Member(Some(values)) => format!("one of {}", words(values)),
            Ty::Member(None) => "a bare word such as `flannel`".into(),
            Ty::Ref(kind) => format!("a reference such as `{kind}.NAME`"),
            Ty::List(inner) => format!(
                "a list of {}",
                inner
                    .describe()
                    .trim_start_matches("a ")
                    .trim_start_matches("an ")
            ),
            Ty::Store(values) => format!(
                "{} or `local(\"<uuid>\")`",
                words(
                    &values
                        .iter()
                        .filter(|v| *v != "local")
                        .cloned()
                        .collect::<Vec<_>>()
                )
            ),
        }
    }
}

fn words(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks `v` against `ty`, normalising where the type says so (gigabytes become
/// an integer count, durations seconds, IPv4 lists a list, Heat versions dates).
pub fn coerce(ty: &Ty, v: Val, attr: &AttrSchema, diags: &mut Vec<Diagnostic>) -> Option<Val> {
    let span = v.span;
    let out = match (ty, &v.value) {
        (Ty::String, Value::Str(_)) => v,
        (Ty::Int, Value::Int(n)) => {
            range(attr, *n, span, diags)?;
            v
        }
        (Ty::Float, Value::Int(n)) => Val::new(Value::Float(*n as f64), span),
        (Ty::Float, Value::Float(_)) => v,
        (Ty::Bool, Value::Bool(_)) => v,
        (Ty::Size, Value::Size { .. }) => v,
        (Ty::Gigabytes, Value::Size { bytes, unit }) => {
            // Magnum and Cinder count in GiB and call it GB; so does coe for `GB`.
            let decimal = matches!(
                unit,
                SizeUnit::B | SizeUnit::KB | SizeUnit::MB | SizeUnit::GB | SizeUnit::TB
            );
            let gib = if decimal {
                *bytes as f64 / 1e9
            } else {
                *bytes as f64 / (1u64 << 30) as f64
            };
            if gib.fract() != 0.0 {
                let up = gib.ceil() as u64;
                diags.push(
                    Diagnostic::new(
                        Code(208),
                        span,
                        format!(
                            "`{}` is not a whole number of gigabytes",
                            v.value.to_source()
                        ),
                    )
                    .with_label(format!("{gib:.2} GiB"))
                    .with_fix(format!("round up to `{up}GiB`"), span, format!("{up}GiB"))
                    .with_note("Cinder volumes are sized in whole gigabytes"),
                );
                return None;
            }
            range(attr, gib as i64, span, diags)?;
            Val::new(Value::Int(gib as i64), span)
        }
        (Ty::Gigabytes, Value::Int(n)) => {
            diags.push(
                mismatch(ty, &v)
                    .with_fix(
                        format!("write it with a unit: `{n}GiB`"),
                        span,
                        format!("{n}GiB"),
                    )
                    .with_note(
                        "sizes carry a unit in .coe; Magnum's `GB` is written `GiB` (or `GB`)",
                    ),
            );
            return None;
        }
        (Ty::Duration, Value::Duration(secs)) => {
            minutes_within(attr, *secs as u128, span, diags)?;
            v
        }
        // A bare number is Magnum's minutes.
        (Ty::Duration, Value::Int(n)) if *n >= 0 => {
            let secs = *n as u128 * 60;
            minutes_within(attr, secs, span, diags)?;
            let Ok(secs) = u64::try_from(secs) else {
                diags.push(out_of_range(attr, span, "too long to count in seconds"));
                return None;
            };
            Val::new(Value::Duration(secs), span)
        }
        (Ty::Uuid, Value::Str(s)) => {
            if !is_uuid(s) {
                diags.push(invalid_uuid(span, s).with_help(
                    "use the UUID that `openstack <resource> show` prints, or leave the ID out to refer by name",
                ));
                return None;
            }
            v
        }
        (Ty::Cidr, Value::Str(s)) => {
            check_cidr(s, span, diags)?;
            v
        }
        (Ty::Ipv4, Value::Str(s)) => {
            check_ipv4(s, span, diags)?;
            v
        }
        (Ty::Ipv4List, Value::Str(s)) => {
            let mut items = Vec::new();
            for part in s.split(',') {
                check_ipv4(part.trim(), span, diags)?;
                items.push(Val::new(Value::Str(part.trim().to_string()), span));
            }
            Val::new(Value::List(items), span)
        }
        (Ty::Ipv4List, Value::List(items)) => {
            for item in items {
                match &item.value {
                    Value::Str(s) => check_ipv4(s, item.span, diags)?,
                    _ => {
                        diags.push(mismatch(&Ty::Ipv4, item));
                        return None;
                    }
                }
            }
            v
        }
        (Ty::Url, Value::Str(s)) => {
            let rest = s
                .strip_prefix("http://")
                .or_else(|| s.strip_prefix("https://"));
            if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
                let mut d =
                    Diagnostic::new(Code(210), span, format!("`{s}` is not an http(s) URL"))
                        .with_label("expected `http://host...` or `https://host...`");
                // A bare `host:port` only lacks its scheme.
                if !s.contains("://") && !s.is_empty() && !s.starts_with('/') {
                    d = d.with_fix("add the scheme", span, quote(&format!("http://{s}")));
                }
                diags.push(d);
                return None;
            }
            v
        }
        (Ty::Microversion, Value::Str(s)) => {
            if parse_microversion(s).is_none() {
                diags.push(
                    Diagnostic::new(Code(201), span, format!("`{s}` is not a microversion"))
                        .with_label("expected `MAJOR.MINOR`, such as `\"2.15\"`"),
                );
                return None;
            }
            v
        }
        (Ty::Microversion, Value::Float(_)) => {
            let text = &attr_source(&v);
            diags.push(
                mismatch(ty, &v)
                    .with_fix("quote it", span, quote(text))
                    .with_note("as a number, `2.10` would equal `2.1`; microversions are strings"),
            );
            return None;
        }
        (Ty::Version, Value::Member(word) | Value::Str(word)) => {
            let found = HEAT_VERSIONS
                .iter()
                .find(|(name, date)| (!name.is_empty() && name == word) || date == word);
            match found {
                Some((_, date)) => Val::new(Value::Str(date.to_string()), span),
                None => {
                    let names = HEAT_VERSIONS
                        .iter()
                        .flat_map(|(n, d)| [*n, *d])
                        .filter(|n| !n.is_empty());
                    let mut d = Diagnostic::new(
                        Code(203),
                        span,
                        format!("`{word}` is not a Heat template version"),
                    )
                    .with_label("unknown version");
                    if let Some(best) = did_you_mean(word, names) {
                        let fix = if best.starts_with(|c: char| c.is_ascii_digit()) {
                            quote(best)
                        } else {
                            best.to_string()
                        };
                        d = d.with_fix(format!("did you mean `{best}`?"), span, fix);
                    } else {
                        d = d.with_help("use a release name from `newton` to `wallaby`, or a date such as `\"2018-08-31\"`");
                    }
                    diags.push(d);
                    return None;
                }
            }
        }
        (Ty::Member(allowed), Value::Member(word)) => {
            if let Some(values) = allowed {
                check_member(word, values, &attr.name, span, diags)?;
            }
            v
        }
        (Ty::Member(_), Value::Str(s)) if is_word(s) => {
            diags.push(
                mismatch(ty, &v)
                    .with_fix("write it as a bare word", span, s.clone())
                    .with_note("enum values are bare words in .coe, so a typo is caught as an unknown member"),
            );
            return None;
        }
        (Ty::Ref(kind), Value::Ref(parts)) if parts.len() == 2 && parts[0] == *kind => v,
        (Ty::Ref(kind), Value::Str(s) | Value::Member(s)) => {
            let target = if is_word(s) {
                format!("{kind}.{s}")
            } else {
                format!("{kind}.{}", quote(s))
            };
            diags.push(mismatch(ty, &v).with_fix(format!("refer to the {kind}"), span, target));
            return None;
        }
        (Ty::List(inner), Value::List(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(coerce(inner, item.clone(), attr, diags)?);
            }
            Val::new(Value::List(out), span)
        }
        (Ty::List(inner), _) if !matches!(v.value, Value::Map(_)) && coerce_quiet(inner, &v) => {
            let text = attr_source(&v);
            diags.push(mismatch(ty, &v).with_fix("make it a list", span, format!("[{text}]")));
            return None;
        }
        (Ty::Store(values), Value::Member(word)) if word != "local" => {
            check_member(word, values, &attr.name, span, diags)?;
            v
        }
        (Ty::Store(values), Value::Member(_)) if values.iter().any(|x| x == "local") => {
            diags.push(
                Diagnostic::new(Code(205), span, "a local store needs the UUID of its device")
                    .with_label("no UUID given")
                    .with_help("write `local(\"<uuid>\")`, e.g. `local(\"a3239e52-2902-44ac-81ff-3c28ead35e98\")`"),
            );
            return None;
        }
        (Ty::Store(values), Value::Call(name, args))
            if name == "local" && values.iter().any(|x| x == "local") =>
        {
            match args.as_slice() {
                [
                    Val {
                        value: Value::Str(s),
                        span: arg_span,
                    },
                ] => {
                    if !is_uuid(s) {
                        diags.push(invalid_uuid(*arg_span, s).with_help(
                            "copy the device's UUID from `blkid`, e.g. `a3239e52-2902-44ac-81ff-3c28ead35e98`",
                        ));
                        return None;
                    }
                    v
                }
                _ => {
                    diags.push(
                        Diagnostic::new(Code(205), span, "`local(...)` takes one UUID string")
                            .with_label("expected `local(\"<uuid>\")`"),
                    );
                    return None;
                }
            }
        }
        _ => {
            let mut d = mismatch(ty, &v);
            if let Some(fix) = scalar_fix(ty, &v) {
                d = d.with_fix(format!("write it as {}", ty.describe()), span, fix);
            }
            diags.push(d);
            return None;
        }
    };
    Some(out)
}

fn coerce_quiet(ty: &Ty, v: &Val) -> bool {
    let attr = AttrSchema {
        name: String::new(),
        ty: ty.clone(),
        required: false,
        default: None,
        min: None,
        max: None,
        description: String::new(),
    };
    coerce(ty, v.clone(), &attr, &mut Vec::new()).is_some()
}

/// The source text of a scalar value (its literal form).
fn attr_source(v: &Val) -> String {
    match &v.value {
        Value::Float(f) => {
            let s = f.to_string();
            if s.contains('.') { s } else { format!("{s}.0") }
        }
        other => other.to_source(),
    }
}

/// A mechanical fix between scalar spellings: `"true"` → `true`, `5` → `"5"`.
fn scalar_fix(ty: &Ty, v: &Val) -> Option<String> {
    match (ty, &v.value) {
        (Ty::String | Ty::Uuid | Ty::Cidr | Ty::Ipv4 | Ty::Url, Value::Member(s)) => Some(quote(s)),
        (Ty::String, Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
            Some(quote(&attr_source(v)))
        }
        (Ty::Bool, Value::Str(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Some("true".into()),
            "false" | "no" | "off" | "0" => Some("false".into()),
            _ => None,
        },
        (Ty::Int, Value::Str(s)) => s.trim().parse::<i64>().ok().map(|n| n.to_string()),
        (Ty::Int, Value::Float(f)) if f.fract() == 0.0 => Some((*f as i64).to_string()),
        _ => None,
    }
}

pub fn mismatch(ty: &Ty, v: &Val) -> Diagnostic {
    Diagnostic::new(
        Code(201),
        v.span,
        format!("expected {}, found {}", ty.describe(), v.value.describe()),
    )
    .with_label(format!("this is {}", v.value.describe()))
}

fn range(attr: &AttrSchema, n: i64, span: Span, diags: &mut Vec<Diagnostic>) -> Option<()> {
    let low = attr.min.is_some_and(|m| n < m);
    let high = attr.max.is_some_and(|m| n > m);
    if !(low || high) {
        return Some(());
    }
    let bounds = match (attr.min, attr.max) {
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => unreachable!(),
    };
    diags.push(
        Diagnostic::new(
            Code(204),
            span,
            format!("`{}` must be {bounds}, found {n}", attr.name),
        )
        .with_label(format!("must be {bounds}")),
    );
    None
}

/// A duration's bounds in the schema are in minutes, as Heat's timeouts are.
fn minutes_within(
    attr: &AttrSchema,
    secs: u128,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<()> {
    let minutes = secs.div_ceil(60);
    if let Some(max) = attr.max
        && minutes > max as u128
    {
        diags.push(out_of_range(
            attr,
            span,
            &format!("at most {max} minutes, found {minutes}"),
        ));
        return None;
    }
    Some(())
}

fn out_of_range(attr: &AttrSchema, span: Span, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code(204),
        span,
        format!("`{}` is out of range: {why}", attr.name),
    )
    .with_label(why.to_string())
    .with_help("a stack's timeout is minutes or hours, such as `90m` or `2h`")
}

/// Exact member, or a wrong-case one with its fix, or an unknown one with the closest.
pub fn check_member(
    word: &str,
    values: &[String],
    attr: &str,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<()> {
    if values.iter().any(|v| v == word) {
        return Some(());
    }
    diags.push(member_diagnostic(word, values, span, &format!("`{attr}`")));
    None
}

/// COE0202 when only the case differs, otherwise COE0203 with a suggestion.
pub fn member_diagnostic(word: &str, values: &[String], span: Span, what: &str) -> Diagnostic {
    if let Some(exact) = values.iter().find(|v| v.eq_ignore_ascii_case(word)) {
        return Diagnostic::new(
            Code(202),
            span,
            format!("{what} `{word}` has the wrong case"),
        )
        .with_label(format!("should be `{exact}`"))
        .with_fix(format!("write `{exact}`"), span, exact.clone())
        .with_note("names are case-sensitive, as in Magnum");
    }
    let mut d = Diagnostic::new(Code(203), span, format!("`{word}` is not a valid {what}"))
        .with_label(format!("expected one of {}", words(values)));
    if let Some(best) = did_you_mean(word, values.iter().map(String::as_str)) {
        d = d.with_fix(format!("did you mean `{best}`?"), span, best);
    }
    d
}

pub fn is_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    groups.len() == 5
        && groups
            .iter()
            .zip(lens)
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn invalid_uuid(span: Span, s: &str) -> Diagnostic {
    Diagnostic::new(Code(205), span, format!("`{s}` is not a UUID"))
        .with_label("expected 8-4-4-4-12 hex digits")
}

/// Parses `a.b.c.d/n`; reports bad shapes and set host bits (with the fix).
pub fn parse_cidr(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, len) = s.split_once('/')?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
    Some((addr, len))
}

pub fn cidr_mask(len: u8) -> u32 {
    if len == 0 { 0 } else { u32::MAX << (32 - len) }
}

fn check_cidr(s: &str, span: Span, diags: &mut Vec<Diagnostic>) -> Option<()> {
    let Some((addr, len)) = parse_cidr(s) else {
        diags.push(
            Diagnostic::new(Code(206), span, format!("`{s}` is not a CIDR"))
                .with_label("expected `a.b.c.d/len`, such as `10.0.0.0/24`"),
        );
        return None;
    };
    let network = u32::from(addr) & cidr_mask(len);
    if network != u32::from(addr) {
        let fixed = format!("{}/{len}", Ipv4Addr::from(network));
        diags.push(
            Diagnostic::new(Code(206), span, format!("`{s}` has host bits set"))
                .with_label(format!("the network is `{fixed}`"))
                .with_fix(format!("use `{fixed}`"), span, quote(&fixed)),
        );
        return None;
    }
    Some(())
}

fn check_ipv4(s: &str, span: Span, diags: &mut Vec<Diagnostic>) -> Option<()> {
    if s.parse::<Ipv4Addr>().is_ok() {
        return Some(());
    }
    diags.push(
        Diagnostic::new(Code(207), span, format!("`{s}` is not an IPv4 address"))
            .with_label("expected an address such as `8.8.8.8`")
            .with_note("Magnum accepts addresses only, not host names"),
    );
    None
}

pub fn parse_microversion(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}
