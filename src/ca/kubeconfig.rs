//! A kubeconfig for one cluster, alone or merged into an existing file the
//! way `kubectl config set-*` does: entries are replaced by name, every other
//! entry and setting is kept.

use crate::heat::Secret;
use base64::Engine as _;
use serde_json::{Map, Value, json};

/// What one cluster's entries say.
pub struct Entry<'a> {
    /// The name of the cluster, user and context entries.
    pub name: &'a str,
    /// `https://ADDRESS:PORT`.
    pub server: &'a str,
    pub ca_pem: &'a str,
    pub cert_pem: &'a str,
    pub key_pem: &'a Secret,
}

/// The kubeconfig text: `existing` (a kubeconfig's text, or `None`) with the
/// entry's cluster, user and context set, and the current context switched
/// to it when `make_current` (or when there was none).
pub fn merge(existing: Option<&str>, e: &Entry, make_current: bool) -> Result<Secret, String> {
    let mut doc: Map<String, Value> = match existing.filter(|t| !t.trim().is_empty()) {
        None => Map::new(),
        Some(text) => match serde_saphyr::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(Value::Null) => Map::new(),
            Ok(_) => return Err("the existing kubeconfig is not a YAML mapping".into()),
            // Not the parser's message: it quotes the file, keys and tokens included.
            Err(_) => return Err("the existing kubeconfig is not valid YAML; fix or move it, or write to another file".into()),
        },
    };
    doc.entry("apiVersion").or_insert(json!("v1"));
    doc.entry("kind").or_insert(json!("Config"));
    doc.entry("preferences").or_insert(json!({}));
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    set_named(
        &mut doc,
        "clusters",
        "cluster",
        e.name,
        json!({"server": e.server, "certificate-authority-data": b64(e.ca_pem)}),
    )?;
    set_named(
        &mut doc,
        "users",
        "user",
        e.name,
        json!({
            "client-certificate-data": b64(e.cert_pem),
            "client-key-data": b64(e.key_pem.expose()),
        }),
    )?;
    set_named(
        &mut doc,
        "contexts",
        "context",
        e.name,
        json!({"cluster": e.name, "user": e.name}),
    )?;
    let has_current = doc
        .get("current-context")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    if make_current || !has_current {
        doc.insert("current-context".into(), json!(e.name));
    }
    serde_saphyr::to_string(&Value::Object(doc))
        .map(Secret::new)
        .map_err(|e| format!("cannot write the kubeconfig ({e})"))
}

/// Replaces (or appends) the `{name, <field>}` entry of the list `list`.
fn set_named(
    doc: &mut Map<String, Value>,
    list: &str,
    field: &str,
    name: &str,
    value: Value,
) -> Result<(), String> {
    let entries = doc.entry(list).or_insert_with(|| json!([]));
    if entries.is_null() {
        *entries = json!([]);
    }
    let Value::Array(items) = entries else {
        return Err(format!("`{list}` of the existing kubeconfig is not a list"));
    };
    let entry = json!({"name": name, field: value});
    match items
        .iter_mut()
        .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
    {
        Some(existing) => *existing = entry,
        None => items.push(entry),
    }
    Ok(())
}
