//! `coe show [CLUSTER...]`: what a cluster is now, as Heat has it: status,
//! API address, outputs, nodes and their status, the versions it was
//! applied with, and when it last changed.

use crate::cli::args::ShowArgs;
use crate::cli::error::unknown_cluster;
use crate::cli::exit;
use crate::cli::remote::connect;
use crate::compile::MANAGED_TAG;
use crate::heat::{Heat, HeatError, StackSummary, shown_path};
use crate::plan::CONFIG_TAG_PREFIX;
use serde_json::{Map, Value, json};
use std::fmt::Write;

pub fn run(a: ShowArgs) -> crate::cli::error::Outcome {
    let heat = connect(&a.cloud)?;
    let stacks = heat.list_stacks(&[MANAGED_TAG])?;
    let names: Vec<String> = stacks.iter().map(|s| tag(s, "coe-cluster=")).collect();
    for c in &a.clusters {
        if !names.contains(c) {
            let among = "among the stacks coe manages (see `coe list`)";
            return Err(unknown_cluster(c, names.iter().map(String::as_str), among));
        }
    }
    let chosen: Vec<&StackSummary> = stacks
        .iter()
        .filter(|s| a.clusters.is_empty() || a.clusters.contains(&tag(s, "coe-cluster=")))
        .collect();
    let mut docs = Vec::new();
    for s in chosen {
        docs.push(describe(&heat, s)?);
    }
    if a.json {
        let doc = json!({"format_version": 1, "clusters": docs});
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    } else if docs.is_empty() {
        println!("No stacks managed by coe in this project.");
    } else {
        let text: Vec<String> = docs.iter().map(human).collect();
        print!("{}", text.join("\n"));
    }
    Ok(exit::OK)
}

fn tag(s: &StackSummary, prefix: &str) -> String {
    s.tag(prefix).unwrap_or("-").to_string()
}

/// One cluster as a JSON document (the human text is drawn from it).
fn describe(heat: &Heat, s: &StackSummary) -> Result<Value, HeatError> {
    let stack = heat.show(&s.path())?;
    let outputs: Map<String, Value> = stack["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| {
            Some((
                o["output_key"].as_str()?.to_string(),
                o["output_value"].clone(),
            ))
        })
        .collect();
    let params = stack["parameters"].as_object().cloned().unwrap_or_default();
    // Versions as applied: the image, and the labels that name a version.
    let mut versions = Map::new();
    if let Some(image) = params.get("image") {
        versions.insert("image".into(), image.clone());
    }
    let labels = match params.get("labels") {
        Some(Value::String(t)) => match crate::plan::labels_map(t) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        },
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    for (k, v) in labels
        .iter()
        .filter(|(k, _)| k.ends_with("_tag") || k.ends_with("_version"))
    {
        versions.insert(k.clone(), v.clone());
    }
    // Nodes: every server of a group member, by path.
    let mut nodes = Vec::new();
    if !s.in_progress() || s.stack_status.starts_with("UPDATE") {
        for r in heat.resources(&s.path(), 2)? {
            let stack = r.in_stack().unwrap_or(&s.stack_name);
            let Some(path) = shown_path(&s.stack_name, stack, &r.resource_name) else {
                continue;
            };
            if r.resource_type == "OS::Nova::Server" && path.matches('/').count() == 2 {
                nodes.push(json!({"path": path, "status": r.resource_status}));
            }
        }
    }
    nodes.sort_by_key(|n| n["path"].as_str().unwrap_or("").to_string());
    add_addresses(heat, s, &outputs, &mut nodes);
    let access = access(&tag(s, "coe-cluster="), &params);
    Ok(json!({
        "cluster": tag(s, "coe-cluster="),
        "stack_name": s.stack_name,
        "id": s.id,
        "config": tag(s, CONFIG_TAG_PREFIX),
        "status": s.stack_status,
        "status_reason": s.stack_status_reason,
        "created": s.creation_time,
        "updated": s.updated_time,
        "api_address": outputs.get("api_address"),
        "access": access,
        "versions": versions,
        "outputs": outputs,
        "nodes": nodes,
    }))
}

/// How to get credentials for the cluster, from what its stack says: a CA
/// coe keeps in Barbican (its key's URL is a parameter), or none.
fn access(cluster: &str, params: &Map<String, Value>) -> String {
    let kept = params
        .get("ca_key_url")
        .and_then(Value::as_str)
        .is_some_and(|u| !u.is_empty());
    let kubernetes = params.contains_key("kube_api_port");
    match (kept, kubernetes) {
        (true, true) => format!(
            "`coe kubeconfig {cluster}` (a client certificate from the CA coe keeps in Barbican)"
        ),
        (true, false) => format!(
            "`eval \"$(coe env {cluster})\"` (Docker TLS: a client certificate from the CA coe keeps in Barbican)"
        ),
        (false, true) => "coe keeps no CA for this cluster: its admin kubeconfig is /etc/kubernetes/admin.conf on master 0".into(),
        (false, false) => "coe keeps no CA for this cluster: its Docker TLS client files are in /etc/coe/swarm-client on manager 0".into(),
    }
}

/// Each node's addresses, from the `master_*`/`node_*` address outputs, in
/// member order, when the role (the group's `coe_role`) has one group.
fn add_addresses(heat: &Heat, s: &StackSummary, outputs: &Map<String, Value>, nodes: &mut [Value]) {
    let Ok(stored) = heat.stored(&s.path()) else {
        return;
    };
    let groups = stored.template["resources"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let role_of = |group: &str| groups.get(group)?.pointer("/metadata/coe_role")?.as_str();
    for (role, prefix) in [("master", "master"), ("worker", "node")] {
        let of_role: Vec<&String> = groups.keys().filter(|g| role_of(g) == Some(role)).collect();
        let [group] = of_role[..] else { continue };
        for n in nodes.iter_mut() {
            let path = n["path"].as_str().unwrap_or("").to_string();
            let mut parts = path.split('/');
            let (Some(g), Some(i)) = (parts.next(), parts.next()) else {
                continue;
            };
            let Ok(i) = i.parse::<usize>() else { continue };
            if g != group {
                continue;
            }
            let at = |key: &str| outputs.get(key).and_then(|v| v.get(i)).cloned();
            n["address"] = at(&format!("{prefix}_addresses")).unwrap_or(Value::Null);
            n["private_address"] =
                at(&format!("{prefix}_private_addresses")).unwrap_or(Value::Null);
        }
    }
}

fn human(d: &Value) -> String {
    let mut out = String::new();
    let s = |v: &Value| match v {
        Value::String(t) => t.clone(),
        Value::Null => "-".into(),
        v => v.to_string(),
    };
    let _ = writeln!(
        out,
        "cluster {} (stack {}, configuration {})",
        s(&d["cluster"]),
        s(&d["stack_name"]),
        s(&d["config"])
    );
    let reason = match &d["status_reason"] {
        Value::String(r) if !r.is_empty() => format!(": {r}"),
        _ => String::new(),
    };
    let _ = writeln!(out, "  status:   {}{reason}", s(&d["status"]));
    let changed = if d["updated"].is_null() {
        &d["created"]
    } else {
        &d["updated"]
    };
    let _ = writeln!(
        out,
        "  changed:  {} (created {})",
        s(changed),
        s(&d["created"])
    );
    let _ = writeln!(out, "  api:      {}", s(&d["api_address"]));
    let _ = writeln!(out, "  access:   {}", s(&d["access"]));
    if let Some(v) = d["versions"].as_object().filter(|v| !v.is_empty()) {
        let list: Vec<String> = v.iter().map(|(k, x)| format!("{k} {}", s(x))).collect();
        let _ = writeln!(
            out,
            "  versions: {} (as applied; a node keeps what it was created with)",
            list.join(", ")
        );
    }
    if let Some(nodes) = d["nodes"].as_array().filter(|n| !n.is_empty()) {
        let _ = writeln!(out, "  nodes:");
        let width = nodes.iter().map(|n| s(&n["path"]).len()).max().unwrap_or(0);
        for n in nodes {
            let private = match &n["private_address"] {
                Value::String(p) if Some(p.as_str()) != n["address"].as_str() => {
                    format!(" (private {p})")
                }
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "    {:<width$}  {:<16} {}{private}",
                s(&n["path"]),
                s(&n["status"]),
                s(&n["address"])
            );
        }
    }
    if let Some(o) = d["outputs"].as_object().filter(|o| !o.is_empty()) {
        let _ = writeln!(out, "  outputs:");
        for (k, v) in o {
            let _ = writeln!(out, "    {k} = {}", s(v));
        }
    }
    out
}
