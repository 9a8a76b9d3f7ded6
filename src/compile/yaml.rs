//! YAML that PyYAML (Heat's YAML 1.1 loader) reads back exactly.
//!
//! serde-saphyr quotes every string YAML 1.1 would misread (`yes`, `1_000`,
//! `12:30`, dates, `=`, `<<`). Its one known bug: a multi-line string whose
//! first non-empty line starts with a tab comes out as a literal block that
//! libyaml rejects; such strings are double-quoted instead.

use serde::{Serialize, Serializer};

/// A string with the tab workaround applied.
pub struct SafeStr<'a>(pub &'a str);

impl Serialize for SafeStr<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if needs_double_quotes(self.0) {
            serde_saphyr::DoubleQuoted(self.0).serialize(s)
        } else {
            s.serialize_str(self.0)
        }
    }
}

fn needs_double_quotes(text: &str) -> bool {
    text.contains('\n')
        && text
            .lines()
            .find(|l| !l.is_empty())
            .is_some_and(|l| l.starts_with('\t'))
}

/// A JSON value whose strings go through [`SafeStr`] and whose maps keep their order.
pub struct SafeJson<'a>(pub &'a serde_json::Value);

impl Serialize for SafeJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            serde_json::Value::String(v) => SafeStr(v).serialize(s),
            serde_json::Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(&SafeJson(i))?;
                }
                seq.end()
            }
            serde_json::Value::Object(map) => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    m.serialize_entry(&SafeStr(k), &SafeJson(v))?;
                }
                m.end()
            }
            other => other.serialize(s),
        }
    }
}

/// Serialises to YAML text; errors would be a bug in coe, so they carry context.
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| format!("YAML serialisation failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_led_multiline_strings_are_double_quoted() {
        assert!(needs_double_quotes("\tfoo\nbar"));
        assert!(needs_double_quotes("\n\tfoo"));
        assert!(!needs_double_quotes("\tno newline"));
        assert!(!needs_double_quotes("a\n\tb"));
        let y = to_yaml(&SafeStr("\tfoo\nbar")).unwrap();
        assert!(y.starts_with('"'), "{y}");
    }

    #[test]
    fn yaml_1_1_words_are_quoted() {
        for word in [
            "yes",
            "no",
            "on",
            "off",
            "1_000",
            "12:30",
            "2021-04-16",
            "=",
            "<<",
        ] {
            let y = to_yaml(&SafeStr(word)).unwrap();
            assert!(y.starts_with('"') || y.starts_with('\''), "{word} -> {y}");
        }
    }
}
