//! The labels as the node scripts read them: one `KEY=VALUE` line per label,
//! each side percent-encoded, so a value may hold any text (newlines, `=`,
//! quotes, backslashes, non-ASCII) and `label` in `common.sh` reads it with
//! a plain `read` loop and `printf %b`. The same text is the `labels` Heat
//! parameter, which `plan` and `show` decode back into a map.

use std::fmt::Write;

/// Bytes left as they are: letters, digits and `-_.~,/:@+`, enough for
/// versions, CIDRs, image prefixes and flag lists to stay readable in
/// `openstack stack show`.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~,/:@+".contains(&b)
}

fn encode_one(text: &str, out: &mut String) {
    for &b in text.as_bytes() {
        if plain(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// `KEY=VALUE` lines, in the order given.
pub fn encode<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in labels {
        if !out.is_empty() {
            out.push('\n');
        }
        encode_one(k, &mut out);
        out.push('=');
        encode_one(v, &mut out);
    }
    out
}

fn decode_one(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The labels of `encode`'s text; `None` when it is not that text (for
/// example the JSON object stacks applied by an earlier coe carry).
pub fn decode(text: &str) -> Option<Vec<(String, String)>> {
    if text.trim_start().starts_with('{') {
        return None;
    }
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=')?;
            Some((decode_one(k), decode_one(v)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_text_survives_the_round_trip() {
        let pairs = [
            ("kube_tag", "v1.30.6"),
            ("odd", "a=b\nc 'd' \"e\" \\f %41 café\t"),
            ("empty", ""),
            ("flags", "--v=2 --max-pods=50"),
        ];
        let text = encode(pairs);
        assert_eq!(text.lines().count(), pairs.len());
        assert!(text.starts_with("kube_tag=v1.30.6\n"), "{text}");
        assert!(!text.contains(['\'', '"', '\\', ' ', '\t']), "{text}");
        let back = decode(&text).unwrap();
        let want: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(back, want);
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("{\"a\": \"b\"}"), None);
    }
}
