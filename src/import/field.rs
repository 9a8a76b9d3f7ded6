//! Reading the fields of one JSON object into [`Lit`] values.
//!
//! `null`, `"-"` and `""` all mean "not set": the openstack client prints
//! unset template fields as `-`, and columns an older API lacks as `""`.
//! A value of an unexpected scalar type is kept as it came (a string stays a
//! string), so that `coe check` reports it; only objects and arrays where a
//! scalar belongs are refused here.

use super::lit::Lit;
use super::pyliteral;
use serde_json::{Map, Value};

/// What a field holds, and so how it is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Str,
    /// An enum member, written bare when it is a word.
    Word,
    Int,
    Bool,
    /// Whole gigabytes.
    Gib,
    Minutes,
    /// One IPv4 address or a comma-separated list of them.
    IpList,
    /// Comma-separated free tags.
    Tags,
}

/// One JSON object of an input, with what it is for messages.
pub struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    /// `` `file` `` or `` `file` (document 2) ``, ready for messages.
    pub origin: &'a str,
    /// "cluster template", "cluster", "image".
    pub what: &'static str,
}

impl<'a> Obj<'a> {
    /// The value, unless it is unset.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        match self.map.get(key)? {
            Value::Null => None,
            Value::String(s) if s.is_empty() || s == "-" => None,
            v => Some(v),
        }
    }

    fn refuse(&self, key: &str, v: &Value, expected: &str) -> String {
        let found = match v {
            Value::Array(_) => "a JSON array",
            Value::Object(_) => "a JSON object",
            _ => "a JSON scalar",
        };
        format!(
            "{}: `{key}` of the {} is {found}; expected {expected}",
            self.origin, self.what
        )
    }

    /// A scalar as text: strings as they are, numbers and booleans as JSON writes them.
    pub fn text(&self, key: &str) -> Result<Option<String>, String> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        scalar_text(v)
            .map(Some)
            .ok_or_else(|| self.refuse(key, v, "a string"))
    }

    pub fn read(&self, key: &str, kind: Kind) -> Result<Option<Lit>, String> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let lit = match kind {
            Kind::Str => Lit::Str(self.scalar(key, v, "a string")?),
            Kind::Word => Lit::word(&self.scalar(key, v, "a name such as `flannel`")?),
            Kind::Int => match int(v) {
                Some(lit) => lit,
                None => faithful(v, |_| self.refuse(key, v, "an integer"))?,
            },
            Kind::Bool => match boolean(v) {
                Some(lit) => lit,
                None => faithful(v, |_| self.refuse(key, v, "a boolean"))?,
            },
            Kind::Gib | Kind::Minutes => match int(v) {
                Some(Lit::Int(n)) if kind == Kind::Gib => Lit::Gib(n),
                Some(Lit::Int(n)) => Lit::Minutes(n),
                _ => faithful(v, |_| self.refuse(key, v, "an integer"))?,
            },
            Kind::IpList => match v {
                Value::Array(items) => Lit::List(
                    items
                        .iter()
                        .map(|i| self.scalar(key, i, "IPv4 addresses").map(Lit::Str))
                        .collect::<Result<_, _>>()?,
                ),
                _ => {
                    let text = self.scalar(key, v, "IPv4 addresses")?;
                    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
                    match parts.as_slice() {
                        [one] => Lit::Str(one.to_string()),
                        many => Lit::List(many.iter().map(|p| Lit::Str(p.to_string())).collect()),
                    }
                }
            },
            Kind::Tags => {
                let tags: Vec<String> = match v {
                    Value::Array(items) => items
                        .iter()
                        .map(|i| self.scalar(key, i, "tags"))
                        .collect::<Result<_, _>>()?,
                    _ => self
                        .scalar(key, v, "comma-separated tags")?
                        .split(',')
                        .map(|t| t.trim().to_string())
                        .collect(),
                };
                let tags: Vec<Lit> = tags
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .map(Lit::Str)
                    .collect();
                if tags.is_empty() {
                    return Ok(None);
                }
                Lit::List(tags)
            }
        };
        Ok(Some(lit))
    }

    fn scalar(&self, key: &str, v: &Value, expected: &str) -> Result<String, String> {
        scalar_text(v).ok_or_else(|| self.refuse(key, v, expected))
    }

    /// A map (labels, image properties): a JSON object, or the string forms
    /// of older clients. Values are text; `null` values are left out.
    pub fn pairs(&self, key: &str) -> Result<Option<Vec<(String, String)>>, String> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let pairs = match v {
            Value::Object(map) => map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), scalar_text(v).unwrap_or_else(|| v.to_string())))
                .collect(),
            Value::String(s) => pyliteral::parse(s)
                .ok_or_else(|| {
                    format!(
                        "{}: `{key}` of the {} is the string {}, which is neither a JSON object nor `key='value', ...`",
                        self.origin,
                        self.what,
                        crate::check::value::quote(&short(s))
                    )
                })?
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect(),
            other => return Err(self.refuse(key, other, "a JSON object")),
        };
        Ok(Some(pairs))
    }
}

fn short(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An integer from a JSON integer, a whole float or a string of digits.
fn int(v: &Value) -> Option<Lit> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                    .map(|f| f as i64)
            })
            .map(Lit::Int),
        Value::String(s) => s.trim().parse().ok().map(Lit::Int),
        _ => None,
    }
}

/// A boolean as oslo reads it: JSON booleans, `true`/`yes`/`1`/... strings, 0 and 1.
fn boolean(v: &Value) -> Option<Lit> {
    let text = match v {
        Value::Bool(b) => return Some(Lit::Bool(*b)),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_ascii_lowercase(),
        _ => return None,
    };
    match text.as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Some(Lit::Bool(true)),
        "0" | "f" | "false" | "off" | "n" | "no" => Some(Lit::Bool(false)),
        _ => None,
    }
}

/// A scalar of the wrong type, kept as it came; `refuse` for objects and arrays.
fn faithful(v: &Value, refuse: impl FnOnce(&Value) -> String) -> Result<Lit, String> {
    match v {
        Value::String(s) => Ok(Lit::Str(s.clone())),
        // As written, so that the check says what is wrong with it; but in
        // the language's digits: JSON's `1.1e21` has an exponent, which no
        // .coe number has, and Rust writes a float out in full.
        Value::Number(n) => Ok(n.as_i64().map(Lit::Int).unwrap_or_else(|| {
            Lit::Number(
                n.as_u64()
                    .map(|u| u.to_string())
                    .or_else(|| n.as_f64().map(|f| f.to_string()))
                    .unwrap_or_else(|| n.to_string()),
            )
        })),
        Value::Bool(b) => Ok(Lit::Bool(*b)),
        other => Err(refuse(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value, kind: Kind) -> Result<Option<Lit>, String> {
        let map = json!({ "f": v });
        let obj = Obj {
            map: map.as_object().unwrap(),
            origin: "`t.json`",
            what: "cluster template",
        };
        obj.read("f", kind)
    }

    #[test]
    fn numbers_beyond_the_language_are_kept_in_its_digits() {
        // JSON writes these with an exponent; .coe numbers have none.
        for (v, text) in [
            (json!(1.1e21), "1100000000000000000000"),
            (json!(18446744073709551615u64), "18446744073709551615"),
            (json!(2.5e-3), "0.0025"),
        ] {
            let lit = read(v, Kind::Int).unwrap().unwrap();
            assert_eq!(lit.to_source(), text);
        }
    }

    #[test]
    fn unset_values() {
        for v in [json!(null), json!("-"), json!("")] {
            assert_eq!(read(v, Kind::Str), Ok(None));
        }
        assert_eq!(read(json!(" , "), Kind::Tags), Ok(None));
    }

    #[test]
    fn typed_values() {
        assert_eq!(read(json!(3), Kind::Gib), Ok(Some(Lit::Gib(3))));
        assert_eq!(read(json!("3"), Kind::Gib), Ok(Some(Lit::Gib(3))));
        assert_eq!(read(json!(60), Kind::Minutes), Ok(Some(Lit::Minutes(60))));
        assert_eq!(read(json!("True"), Kind::Bool), Ok(Some(Lit::Bool(true))));
        assert_eq!(read(json!(false), Kind::Bool), Ok(Some(Lit::Bool(false))));
        assert_eq!(
            read(json!("8.8.8.8, 1.1.1.1"), Kind::IpList),
            Ok(Some(Lit::List(vec![
                Lit::Str("8.8.8.8".into()),
                Lit::Str("1.1.1.1".into())
            ])))
        );
        assert_eq!(
            read(json!("8.8.8.8"), Kind::IpList),
            Ok(Some(Lit::Str("8.8.8.8".into())))
        );
        assert_eq!(
            read(json!("a,b"), Kind::Tags),
            Ok(Some(Lit::List(vec![
                Lit::Str("a".into()),
                Lit::Str("b".into())
            ])))
        );
    }

    #[test]
    fn wrong_scalars_are_kept_and_structures_refused() {
        assert_eq!(
            read(json!("big"), Kind::Int),
            Ok(Some(Lit::Str("big".into())))
        );
        assert_eq!(
            read(json!(2.5), Kind::Gib),
            Ok(Some(Lit::Number("2.5".into())))
        );
        assert_eq!(
            read(json!("maybe"), Kind::Bool),
            Ok(Some(Lit::Str("maybe".into())))
        );
        let e = read(json!({"a": 1}), Kind::Int).unwrap_err();
        assert_eq!(
            e,
            "`t.json`: `f` of the cluster template is a JSON object; expected an integer"
        );
        assert!(read(json!([1]), Kind::Word).is_err());
    }
}
