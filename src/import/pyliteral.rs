//! Maps that older openstack clients print as strings instead of JSON objects:
//! `os_distro='coreos', hw_rng_model='virtio'` (image properties) and Python
//! dict reprs such as `{'flannel_backend': 'host-gw'}` or `{u'k': u'v'}`.

/// Key-value pairs in order; `None` for a Python `None` value. `None` when the
/// text is neither form.
pub fn parse(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(Vec::new());
    }
    if text.starts_with('{') {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(text) {
            return Some(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            serde_json::Value::Null => None,
                            serde_json::Value::String(s) => Some(s),
                            other => Some(other.to_string()),
                        };
                        (k, v)
                    })
                    .collect(),
            );
        }
        return parse_dict(text);
    }
    parse_assignments(text)
}

/// `key='value', key2='value2'`: values are not escaped, so a quote ends a
/// value only where the next `, key=` or the end of the text follows.
fn parse_assignments(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim();
        if key.is_empty() || !key.chars().all(key_char) {
            return None;
        }
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(body) = rest.strip_prefix('\'') {
            let end = body
                .match_indices('\'')
                .map(|(i, _)| i)
                .find(|&i| at_pair_end(&body[i + 1..]))?;
            value = body[..end].to_string();
            rest = &body[end + 1..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        out.push((key.to_string(), (value != "None").then_some(value)));
        rest = rest.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Some(out)
}

fn key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/')
}

/// After a closing quote: the end, or `, key=`.
fn at_pair_end(after: &str) -> bool {
    let after = after.trim_start();
    if after.is_empty() {
        return true;
    }
    let Some(next) = after.strip_prefix(',') else {
        return false;
    };
    let next = next.trim_start();
    let key_len = next.chars().take_while(|c| key_char(*c)).count();
    key_len > 0 && next[key_len..].trim_start().starts_with('=')
}

/// A Python dict repr with string keys and string, number, bool or None values.
fn parse_dict(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut s = Scanner {
        chars: inner.chars().collect(),
        pos: 0,
    };
    let mut out = Vec::new();
    loop {
        s.skip_ws();
        if s.done() {
            return Some(out);
        }
        let key = s.string()?;
        s.skip_ws();
        if !s.eat(':') {
            return None;
        }
        s.skip_ws();
        let value = if s.peek_quote() {
            Some(s.string()?)
        } else {
            let token = s.bare();
            if token.is_empty() {
                return None;
            }
            (token != "None").then_some(token)
        };
        out.push((key, value));
        s.skip_ws();
        if !s.eat(',') && !s.done() {
            return None;
        }
    }
}

struct Scanner {
    chars: Vec<char>,
    pos: usize,
}

impl Scanner {
    fn done(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// A quote, possibly after a `u` or `b` prefix.
    fn peek_quote(&self) -> bool {
        match self.peek() {
            Some('\'' | '"') => true,
            Some('u' | 'b') => matches!(self.chars.get(self.pos + 1), Some('\'' | '"')),
            _ => false,
        }
    }

    fn string(&mut self) -> Option<String> {
        if !self.peek_quote() {
            return None;
        }
        if matches!(self.peek(), Some('u' | 'b')) {
            self.pos += 1;
        }
        let quote = self.peek()?;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            self.pos += 1;
            match c {
                '\\' => {
                    let e = self.peek()?;
                    self.pos += 1;
                    out.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                }
                c if c == quote => return Some(out),
                c => out.push(c),
            }
        }
    }

    fn bare(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c != ',') {
            self.pos += 1;
        }
        self.chars[start..self.pos]
            .iter()
            .collect::<String>()
            .trim()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, Option<String>)> {
        parse(text).unwrap_or_else(|| panic!("not parsed: {text}"))
    }

    fn p(k: &str, v: &str) -> (String, Option<String>) {
        (k.to_string(), Some(v.to_string()))
    }

    #[test]
    fn client_property_strings() {
        assert_eq!(
            pairs("os_distro='coreos', magnum_driver='x'"),
            vec![p("os_distro", "coreos"), p("magnum_driver", "x")]
        );
        assert_eq!(
            pairs("description='a, b', os_distro='fedora-coreos'"),
            vec![p("description", "a, b"), p("os_distro", "fedora-coreos")]
        );
        assert_eq!(
            pairs("note='it's fine', x='1'"),
            vec![p("note", "it's fine"), p("x", "1")]
        );
        assert_eq!(
            pairs("os_hidden='False', size=3"),
            vec![p("os_hidden", "False"), p("size", "3")]
        );
        assert_eq!(pairs(""), vec![]);
    }

    #[test]
    fn python_dict_reprs() {
        assert_eq!(
            pairs("{'flannel_backend': 'host-gw', u'kube_tag': u'v1.11.5-1'}"),
            vec![p("flannel_backend", "host-gw"), p("kube_tag", "v1.11.5-1")]
        );
        assert_eq!(
            pairs(r#"{'a': 'it\'s', 'b': True, 'c': None, 'd': 3}"#),
            vec![
                p("a", "it's"),
                p("b", "True"),
                ("c".to_string(), None),
                p("d", "3")
            ]
        );
        assert_eq!(pairs(r#"{"a": "b"}"#), vec![p("a", "b")]);
        assert_eq!(pairs("{}"), vec![]);
    }

    #[test]
    fn other_text_is_refused() {
        assert_eq!(parse("just words"), None);
        assert_eq!(parse("{'a' 'b'}"), None);
        assert_eq!(parse("{'a': 'b'"), None);
        assert_eq!(parse("os_distro='coreos"), None);
        assert_eq!(parse("='x'"), None);
    }
}
