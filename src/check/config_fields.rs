//! Flags that become fields of a component's configuration file. Some
//! components take no command-line flags under kubeadm (kube-proxy runs from
//! a KubeProxyConfiguration), so a flags label maps each flag it accepts onto
//! a field, with the field's type; the table is the catalogue's
//! `config_fields`. The check judges values with it, and the compiler writes
//! the typed document from it.

use serde_json::{Map, Value};

/// The type of a configuration field, as its flag's value is read.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    String,
    /// A whole number within these bounds (the catalogue's, else int32's).
    Int(i64, i64),
    Float,
    Bool,
    /// A Go duration: `30s`, `1m30s`, `500ms`.
    Duration,
    /// Comma-separated strings.
    List,
    /// Comma-separated IPv4 or IPv6 networks.
    Cidrs,
    /// `Name=true,Other=false`: feature gates.
    Gates,
    /// One of these words.
    OneOf(Vec<String>),
}

impl FieldKind {
    /// A kind named in the catalogue; `None` for a word that is not one.
    pub fn named(word: &str) -> Option<FieldKind> {
        Some(match word {
            "string" => FieldKind::String,
            "int" => FieldKind::Int(i32::MIN.into(), i32::MAX.into()),
            "float" => FieldKind::Float,
            "bool" => FieldKind::Bool,
            "duration" => FieldKind::Duration,
            "list" => FieldKind::List,
            "cidrs" => FieldKind::Cidrs,
            "gates" => FieldKind::Gates,
            _ => return None,
        })
    }

    /// The type in words, for `coe explain`.
    pub fn describe(&self) -> String {
        match self {
            FieldKind::String => "text".into(),
            FieldKind::Int(min, max)
                if *min == i64::from(i32::MIN) && *max == i64::from(i32::MAX) =>
            {
                "whole number".into()
            }
            FieldKind::Int(min, max) => format!("whole number, {min} to {max}"),
            FieldKind::Float => "number".into(),
            FieldKind::Bool => "true or false".into(),
            FieldKind::Duration => "duration (30s, 1m30s)".into(),
            FieldKind::List => "comma-separated list".into(),
            FieldKind::Cidrs => "comma-separated networks".into(),
            FieldKind::Gates => "Name=true,Other=false".into(),
            FieldKind::OneOf(words) => format!("one of {}", words.join(", ")),
        }
    }

    /// The flag's text as the field's value, or what is wrong with it.
    pub fn parse(&self, text: &str) -> Result<Value, String> {
        match self {
            FieldKind::String => Ok(Value::from(text)),
            FieldKind::Int(min, max) => match text.parse::<i64>() {
                Ok(n) if (*min..=*max).contains(&n) => Ok(Value::from(n)),
                Ok(_) => Err(format!("expected a whole number from {min} to {max}")),
                Err(_) => Err("expected a whole number".into()),
            },
            FieldKind::Float => text
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Value::from)
                .ok_or_else(|| "expected a number".to_string()),
            FieldKind::Bool => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err("expected `true` or `false`".into()),
            },
            FieldKind::Duration if is_go_duration(text) => Ok(Value::from(text)),
            FieldKind::Duration => {
                Err("expected a duration such as `30s`, `1m30s` or `500ms`".into())
            }
            FieldKind::List => {
                let items: Vec<&str> = text.split(',').collect();
                if items.iter().any(|i| i.is_empty()) {
                    return Err("expected comma-separated values, none empty".into());
                }
                Ok(Value::from(items))
            }
            FieldKind::Cidrs => {
                let items = FieldKind::List.parse(text)?;
                if let Some(bad) = text.split(',').find(|c| !is_cidr(c)) {
                    return Err(format!("`{bad}` is not a network such as `10.0.0.0/8`"));
                }
                Ok(items)
            }
            FieldKind::Gates => {
                let mut gates = Map::new();
                for item in text.split(',') {
                    let (name, on) = item
                        .split_once('=')
                        .ok_or("expected `Name=true` or `Name=false`, comma-separated")?;
                    let on = match on {
                        "true" => true,
                        "false" => false,
                        _ => return Err(format!("`{item}`: a gate is `true` or `false`")),
                    };
                    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        return Err(format!("`{name}` is not a feature gate's name"));
                    }
                    if gates.insert(name.to_string(), Value::Bool(on)).is_some() {
                        return Err(format!("the gate `{name}` is given twice"));
                    }
                }
                Ok(Value::Object(gates))
            }
            FieldKind::OneOf(words) if words.iter().any(|w| w == text) => Ok(Value::from(text)),
            FieldKind::OneOf(words) => Err(format!("expected one of {}", words.join(", "))),
        }
    }
}

/// One flag's field: a dotted path into the document and its type.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigField {
    pub path: String,
    pub kind: FieldKind,
}

/// `10.0.0.0/8`, `fd00::/64`: an address and a prefix length that fits it.
fn is_cidr(text: &str) -> bool {
    let Some((addr, len)) = text.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

/// `1h2m3.5s`, `500ms`, `0`: what Go's time.ParseDuration accepts, less the
/// sign (no field here takes a negative duration).
fn is_go_duration(text: &str) -> bool {
    if text == "0" {
        return true;
    }
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..digits];
        if !number.contains(|c: char| c.is_ascii_digit()) || number.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|u| rest.starts_with(u))
            .max_by_key(|u| u.len());
        let Some(unit) = unit else { return false };
        rest = &rest[unit.len()..];
    }
    true
}

/// Places `value` at the dotted `path` of `doc`, making the maps between.
pub fn insert_at(doc: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut here = doc;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            here.insert(part.to_string(), value);
            return;
        }
        let next = here
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        here = next.as_object_mut().expect("an object");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_go_durations() {
        for ok in [
            "0", "30s", "1m30s", "500ms", "1.5h", "2h45m0s", "10us", "3µs",
        ] {
            assert!(is_go_duration(ok), "{ok}");
        }
        for bad in ["", "30", "s", "1x", "1.2.3s", "-5s", "1m 30s", ".s", "1ss"] {
            assert!(!is_go_duration(bad), "{bad}");
        }
    }

    #[test]
    fn values_take_their_field_type() {
        let int = FieldKind::named("int").unwrap();
        assert_eq!(int.parse("42"), Ok(Value::from(42)));
        assert!(int.parse("4x").is_err());
        assert!(int.parse("99999999999").is_err());
        let bit = FieldKind::Int(0, 31);
        assert_eq!(bit.parse("31"), Ok(Value::from(31)));
        assert_eq!(
            bit.parse("32"),
            Err("expected a whole number from 0 to 31".into())
        );
        assert_eq!(FieldKind::Bool.parse("true"), Ok(Value::Bool(true)));
        assert!(FieldKind::Bool.parse("yes").is_err());
        assert_eq!(
            FieldKind::List.parse("10.0.0.0/8,192.168.0.0/16"),
            Ok(serde_json::json!(["10.0.0.0/8", "192.168.0.0/16"]))
        );
        assert!(FieldKind::List.parse("a,,b").is_err());
        assert_eq!(
            FieldKind::Cidrs.parse("10.0.0.0/8,fd00::/64"),
            Ok(serde_json::json!(["10.0.0.0/8", "fd00::/64"]))
        );
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "primary",
            "10.0.0.0/8,",
            "fd00::/129",
        ] {
            assert!(FieldKind::Cidrs.parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            FieldKind::Gates.parse("A=true,B=false"),
            Ok(serde_json::json!({"A": true, "B": false}))
        );
        for bad in ["A", "A=yes", "A=true,A=false", "=true", "A-b=true"] {
            assert!(FieldKind::Gates.parse(bad).is_err(), "{bad}");
        }
        let mode = FieldKind::OneOf(vec!["iptables".into(), "ipvs".into()]);
        assert_eq!(mode.parse("ipvs"), Ok(Value::from("ipvs")));
        assert_eq!(
            mode.parse("IPVS"),
            Err("expected one of iptables, ipvs".into())
        );
        assert!(FieldKind::Float.parse("NaN").is_err());
    }

    #[test]
    fn paths_nest() {
        let mut doc = Map::new();
        insert_at(&mut doc, "mode", Value::from("ipvs"));
        insert_at(&mut doc, "ipvs.scheduler", Value::from("rr"));
        insert_at(&mut doc, "ipvs.strictARP", Value::Bool(true));
        assert_eq!(
            Value::Object(doc),
            serde_json::json!({"mode": "ipvs", "ipvs": {"scheduler": "rr", "strictARP": true}})
        );
    }
}
