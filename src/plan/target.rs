//! A compiled bundle made ready to send: the create request with the
//! operator's `-e` environments merged in and this configuration's tag.

use super::envfile::{EnvFile, merge};
use crate::compile::{Bundle, MANAGED_TAG, SourceMapFile};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Tag naming the configuration a stack belongs to (for `--prune` and `coe list`).
pub const CONFIG_TAG_PREFIX: &str = "coe-config=";

/// Tag holding a digest of the hidden parameters' values.
pub const HIDDEN_TAG_PREFIX: &str = "coe-hidden=";

/// Tag naming the `-e` environment files a stack was applied with (their
/// file names, `+`-separated), so a plan without them can say so.
pub const ENV_TAG_PREFIX: &str = "coe-env=";

/// `text` fit for a stack tag: characters other than letters, digits,
/// `-`, `_` and `.` become `-`.
pub fn tag_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The environment files' names as the tag holds them.
fn env_names(envs: &[EnvFile]) -> String {
    envs.iter()
        .map(|e| {
            tag_safe(
                &e.path
                    .file_name()
                    .unwrap_or(e.path.as_os_str())
                    .to_string_lossy(),
            )
        })
        .collect::<Vec<_>>()
        .join("+")
}

/// A short digest of the hidden parameters, salted with the stack name.
fn hidden_digest(stack: &str, env: &Map<String, Value>, hidden: &BTreeSet<String>) -> String {
    let params = effective_params(env);
    let values: Vec<(&String, Option<&Value>)> =
        hidden.iter().map(|h| (h, params.get(h))).collect();
    let d = super::digest(&serde_json::json!([stack, values]));
    d[..16].to_string()
}

pub fn config_tag(config: &str) -> String {
    format!("{CONFIG_TAG_PREFIX}{config}")
}

/// One declared cluster, as apply will send it.
#[derive(Debug, Clone)]
pub struct Target {
    pub cluster: String,
    pub stack_name: String,
    /// The `POST /stacks` body.
    pub request: Value,
    /// Parameter names whose values are never shown.
    pub hidden: BTreeSet<String>,
    pub sourcemap: SourceMapFile,
    pub timeout_mins: u64,
    /// Declared worker and master counts, for `coe stats`.
    pub node_count: u64,
    pub master_count: u64,
}

/// Builds the targets of `bundles`, merging `envs` in order after coe's own.
pub fn targets(bundles: &[Bundle], envs: &[EnvFile], config: &str) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for b in bundles {
        let mut request = b.create_request();
        let obj = request.as_object_mut().expect("request is an object");
        let mut env = obj
            .get("environment")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut files = obj
            .get("files")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut hidden: BTreeSet<String> = b.params.hidden.iter().cloned().collect();
        for e in envs {
            merge(&mut env, &e.doc);
            for (name, text) in &e.files {
                match files.get(name) {
                    Some(Value::String(t)) if t == text => {}
                    Some(_) => {
                        return Err(format!(
                            "environment file {} adds `{name}`, which the bundle already has",
                            e.path.display()
                        ));
                    }
                    None => {
                        files.insert(name.clone(), Value::String(text.clone()));
                    }
                }
            }
            for key in ["encrypted_param_names"] {
                if let Some(names) = e.doc.get(key).and_then(Value::as_array) {
                    hidden.extend(names.iter().filter_map(Value::as_str).map(str::to_string));
                }
            }
        }
        // Heat shows hidden parameters as `******`; a digest of their values
        // in a tag is how a later plan sees whether they changed.
        let mut tags = format!(
            "{MANAGED_TAG},coe-cluster={},{},{HIDDEN_TAG_PREFIX}{}",
            b.cluster,
            config_tag(config),
            hidden_digest(&b.stack_name, &env, &hidden)
        );
        if !envs.is_empty() {
            tags.push_str(&format!(",{ENV_TAG_PREFIX}{}", env_names(envs)));
        }
        obj.insert("environment".into(), Value::Object(env));
        obj.insert("files".into(), Value::Object(files));
        obj.insert("tags".into(), Value::String(tags));
        let count = |name: &str| {
            b.params
                .get(name)
                .and_then(|v| serde_json::to_value(v).ok().and_then(|v| v.as_u64()))
        };
        out.push(Target {
            cluster: b.cluster.clone(),
            stack_name: b.stack_name.clone(),
            request,
            hidden,
            sourcemap: b.sourcemap.clone(),
            timeout_mins: b.timeout_mins,
            node_count: count("number_of_workers").unwrap_or(0),
            master_count: count("number_of_masters").unwrap_or(0),
        });
    }
    Ok(out)
}

/// Whether the cluster's top-level template declares parameter `name`.
pub fn takes_parameter(t: &Target, name: &str) -> bool {
    let Some(text) = t.request.get("template").and_then(Value::as_str) else {
        return false;
    };
    serde_saphyr::from_str::<Value>(text)
        .ok()
        .and_then(|tpl| tpl.get("parameters")?.get(name).cloned())
        .is_some()
}

/// Adds `values` to the request's `parameter_defaults` (which nested stacks
/// inherit), `hidden` among them, and tags the request with the new digest
/// of its hidden values. For what coe adds at plan and apply time, such as a
/// cluster's credentials, which are not compiled from the sources.
pub fn add_defaults(t: &mut Target, values: Map<String, Value>, hidden: &[&str]) {
    let obj = t.request.as_object_mut().expect("request is an object");
    let env = obj
        .entry("environment")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .expect("environment is an object");
    let defaults = env
        .entry("parameter_defaults")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(d) = defaults {
        d.extend(values);
    }
    t.hidden.extend(hidden.iter().map(|h| h.to_string()));
    let digest = hidden_digest(&t.stack_name, env, &t.hidden);
    if let Some(Value::String(tags)) = obj.get_mut("tags") {
        *tags = tags
            .split(',')
            .map(|tag| {
                if tag.starts_with(HIDDEN_TAG_PREFIX) {
                    format!("{HIDDEN_TAG_PREFIX}{digest}")
                } else {
                    tag.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(",");
    }
}

/// The `labels` parameter as a map: coe's `KEY=VALUE` lines, or the JSON
/// object an earlier coe sent.
pub fn labels_map(text: &str) -> Option<Value> {
    let map: Map<String, Value> = match crate::compile::label_lines::decode(text) {
        Some(pairs) => pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
        None => serde_json::from_str(text).ok()?,
    };
    Some(Value::Object(map))
}

/// The environment's parameters as Heat resolves them: parameter_defaults
/// first, parameters over them; the labels as a map.
pub fn effective_params(env: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in ["parameter_defaults", "parameters"] {
        if let Some(p) = env.get(key).and_then(Value::as_object) {
            for (k, v) in p {
                let v = match (k.as_str(), v) {
                    ("labels", Value::String(t)) => labels_map(t).unwrap_or_else(|| v.clone()),
                    _ => v.clone(),
                };
                out.insert(k.clone(), v);
            }
        }
    }
    out
}
