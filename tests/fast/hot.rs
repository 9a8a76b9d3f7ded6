//! The rendered templates (production renderer, every example) keep to
//! what every Heat coe supports and to the contract of
//! `stdlib/heat/README.md`: functions of HOT 2016-10-14 (the oldest version
//! the templates are written for); `get_param`, `get_resource`, `get_attr`
//! and conditions that name what exists; the README's top-level parameters,
//! types and defaults; provider resources that fit every file the registry
//! may switch them to. What the Heat API itself accepts is
//! `tests/services/heat_build.rs`; the user-data budget is checked there on
//! what Heat resolves, and the scripts by `scripts/lint-shell`.

use crate::common::build_example;
use serde_json::Value;

/// Intrinsic functions of HOT 2016-10-14.
const HOT_2016_10_14: &[&str] = &[
    "get_attr",
    "get_file",
    "get_param",
    "get_resource",
    "list_join",
    "repeat",
    "resource_facade",
    "str_replace",
    "str_split",
    "digest",
    "map_merge",
    "yaql",
    "if",
    "equals",
    "not",
    "and",
    "or",
];

/// Functions of later HOT versions, which the templates must not use.
const LATER: &[&str] = &[
    "list_concat",
    "list_concat_unique",
    "filter",
    "map_replace",
    "make_url",
    "contains",
    "str_replace_strict",
    "str_replace_vstrict",
];

fn walk(v: &Value, path: &str, visit: &mut dyn FnMut(&str, &Value, &str)) {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                let (k, args) = m.iter().next().unwrap();
                visit(k, args, path);
            }
            for (k, x) in m {
                walk(x, &format!("{path}/{k}"), visit);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, &format!("{path}/{i}"), visit);
            }
        }
        _ => {}
    }
}

fn check(name: &str, t: &Value, wrong: &mut Vec<String>) {
    let keys = |k: &str| -> Vec<String> {
        t[k].as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (params, resources, conditions) =
        (keys("parameters"), keys("resources"), keys("conditions"));
    let first = |args: &Value| -> Option<String> {
        match args {
            Value::String(s) => Some(s.clone()),
            Value::Array(a) => a.first().and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    };
    let mut visit = |f: &str, args: &Value, path: &str| {
        if LATER.contains(&f) {
            wrong.push(format!("{name}{path}: `{f}` is not in HOT 2016-10-14"));
        }
        if !HOT_2016_10_14.contains(&f) {
            return;
        }
        let target = first(args);
        let known = match f {
            "get_param" => target
                .as_ref()
                .map(|p| params.contains(p) || p.starts_with("OS::")),
            "get_resource" | "get_attr" => target.as_ref().map(|r| resources.contains(r)),
            "if" => target.as_ref().map(|c| conditions.contains(c)),
            _ => None,
        };
        if known == Some(false) {
            wrong.push(format!(
                "{name}{path}: `{f}` names `{}`, which is not declared",
                target.unwrap()
            ));
        }
    };
    for section in ["resources", "outputs", "conditions"] {
        walk(&t[section], &format!("/{section}"), &mut visit);
    }
    // A resource's `condition` names a defined condition.
    for (r, def) in t["resources"].as_object().into_iter().flatten() {
        if let Some(c) = def["condition"].as_str()
            && !conditions.iter().any(|x| x == c)
        {
            wrong.push(format!(
                "{name}/resources/{r}: condition `{c}` is not defined"
            ));
        }
    }
}

#[test]
fn templates_use_old_enough_functions_and_name_what_exists() {
    let mut wrong = Vec::new();
    for example in ["seed-fixed", "ha-fedora-coreos", "swarm-mode", "mesos"] {
        for b in build_example(example) {
            let request = b.create_request();
            let top: Value = match &request["template"] {
                Value::String(t) => serde_saphyr::from_str(t).unwrap(),
                t => t.clone(),
            };
            check(&format!("{example}/template.yaml"), &top, &mut wrong);
            for (file, text) in request["files"].as_object().into_iter().flatten() {
                if !file.ends_with(".yaml") {
                    continue;
                }
                let t: Value = serde_saphyr::from_str(text.as_str().unwrap()).unwrap();
                check(&format!("{example}/{file}"), &t, &mut wrong);
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The rendered templates of every example, by example and file name
/// (`template.yaml` for the top-level one).
fn rendered() -> Vec<(String, Vec<(String, Value)>)> {
    let mut out = Vec::new();
    for example in ["seed-fixed", "ha-fedora-coreos", "swarm-mode", "mesos"] {
        for b in build_example(example) {
            let request = b.create_request();
            let mut files = vec![(
                "template.yaml".to_string(),
                match &request["template"] {
                    Value::String(t) => serde_saphyr::from_str(t).unwrap(),
                    t => t.clone(),
                },
            )];
            for (file, text) in request["files"].as_object().into_iter().flatten() {
                if file.ends_with(".yaml") {
                    files.push((
                        file.clone(),
                        serde_saphyr::from_str(text.as_str().unwrap()).unwrap(),
                    ));
                }
            }
            out.push((format!("{example}/{}", b.cluster), files));
        }
    }
    out
}

/// The rows of the README table under `heading`: cells, backquotes kept.
fn readme_rows(heading: &str) -> Vec<Vec<String>> {
    let text =
        std::fs::read_to_string(crate::common::root().join("stdlib/heat/README.md")).unwrap();
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    text[at..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The names in backquotes of a cell.
fn quoted(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// A template default as the README writes it.
fn default_text(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "\"\"".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(default_text).collect::<Vec<_>>().join(","),
        Value::Object(m) if m.is_empty() => "{}".into(),
        other => other.to_string(),
    }
}

/// Every family's cluster template declares the README's top-level
/// parameters with their types and defaults (the API port is the family's
/// own), its further parameters have defaults, `secret_labels` is hidden,
/// and the outputs every family promises are there. Every template says
/// what it is (version line and description).
#[test]
fn cluster_templates_keep_the_readmes_parameter_contract() {
    let rows = readme_rows("## Top-level parameters");
    assert!(rows.len() > 30, "{rows:?}");
    let mut wrong = Vec::new();
    for (what, files) in rendered() {
        for (file, t) in &files {
            if t.get("heat_template_version").is_none() || t.get("description").is_none() {
                wrong.push(format!("{what}/{file}: no version line or no description"));
            }
        }
        let top = &files[0].1;
        let params = top["parameters"].as_object().unwrap();
        let mut documented = Vec::new();
        for row in &rows {
            let want_type = row[1].split([' ', ',']).next().unwrap();
            let want_default = row[2].trim_matches('`');
            for name in quoted(&row[0]) {
                documented.push(name.clone());
                let Some(p) = params.get(&name) else {
                    wrong.push(format!("{what}: README parameter `{name}` is not declared"));
                    continue;
                };
                if p["type"] != want_type {
                    wrong.push(format!(
                        "{what}: `{name}` is {}, README says {want_type}",
                        p["type"]
                    ));
                }
                let api_port = match (name.as_str(), what.split('/').next()) {
                    ("api_port", Some("swarm-mode")) => Some("2376"),
                    ("api_port", Some("mesos")) => Some("5050"),
                    _ => None,
                };
                match (p.get("default"), want_default) {
                    (None, "–") => {}
                    (Some(_), "–") => {
                        wrong.push(format!("{what}: `{name}` has a default, README has none"))
                    }
                    (None, _) => wrong.push(format!(
                        "{what}: `{name}` has no default, README says {want_default}"
                    )),
                    (Some(d), _) => {
                        let want = api_port.unwrap_or(want_default);
                        if default_text(d) != want {
                            wrong.push(format!(
                                "{what}: `{name}` defaults to {}, README says {want}",
                                default_text(d)
                            ));
                        }
                    }
                }
            }
        }
        for (name, p) in params {
            if !documented.contains(name) && p.get("default").is_none() {
                wrong.push(format!("{what}: further parameter `{name}` has no default"));
            }
        }
        if params["secret_labels"]["hidden"] != true {
            wrong.push(format!("{what}: secret_labels is not hidden"));
        }
        for out in [
            "api_address",
            "master_addresses",
            "node_addresses",
            "master_private_addresses",
            "node_private_addresses",
        ] {
            if top["outputs"].get(out).is_none() {
                wrong.push(format!("{what}: output `{out}` is missing"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A provider resource (a `Coe::` type or a nested `*.yaml`, also as a
/// group's `resource_def`) passes only parameters that every file it may
/// be switched to declares, passes every one they require, and reads only
/// outputs they all have. The choices come from the README's table.
#[test]
fn provider_resources_fit_every_choice() {
    let mut choices: Vec<(String, Vec<String>)> = Vec::new();
    for row in readme_rows("## Provider types") {
        let files: Vec<String> = quoted(&row[1])
            .into_iter()
            .filter(|f| f.ends_with(".yaml"))
            .collect();
        // "the same two files": the row before's
        let files = if files.is_empty() {
            choices.last().unwrap().1.clone()
        } else {
            files
        };
        for t in quoted(&row[0]) {
            choices.push((t, files.clone()));
        }
    }
    assert!(choices.len() >= 7, "{choices:?}");
    let mut wrong = Vec::new();
    for (what, files) in rendered() {
        let file = |name: &str| files.iter().find(|(f, _)| f == name).map(|(_, t)| t);
        for (fname, t) in &files {
            for (name, r) in t["resources"].as_object().into_iter().flatten() {
                let (rtype, props) = match r["type"].as_str() {
                    Some("OS::Heat::ResourceGroup") => {
                        let def = &r["properties"]["resource_def"];
                        (def["type"].as_str().unwrap_or(""), &def["properties"])
                    }
                    Some(t) => (t, &r["properties"]),
                    None => continue,
                };
                let cands: Vec<String> = if rtype.ends_with(".yaml") {
                    vec![rtype.to_string()]
                } else if rtype.starts_with("Coe::") {
                    match choices.iter().find(|(t, _)| t == rtype) {
                        Some((_, c)) => c.clone(),
                        None => {
                            wrong.push(format!("{what}/{fname}: `{name}` has a type the README does not list: {rtype}"));
                            continue;
                        }
                    }
                } else {
                    continue;
                };
                let passed: Vec<&String> = props
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                    .collect();
                for c in cands {
                    let Some(ct) = file(&c) else {
                        wrong.push(format!(
                            "{what}/{fname}: `{name}` may be {c}, which the bundle lacks"
                        ));
                        continue;
                    };
                    let declared = ct["parameters"].as_object().cloned().unwrap_or_default();
                    for p in &passed {
                        if !declared.contains_key(*p) {
                            wrong.push(format!(
                                "{what}/{fname}: `{name}` passes `{p}`, which {c} does not declare"
                            ));
                        }
                    }
                    for (p, spec) in &declared {
                        if spec.get("default").is_none() && !passed.contains(&p) {
                            wrong.push(format!(
                                "{what}/{fname}: `{name}` does not pass `{p}`, which {c} requires"
                            ));
                        }
                    }
                    let outputs = ct["outputs"].as_object().cloned().unwrap_or_default();
                    walk(t, "", &mut |f, args, _| {
                        let Some([res, attr, ..]) = args.as_array().map(Vec::as_slice) else {
                            return;
                        };
                        if f != "get_attr" || res != name {
                            return;
                        }
                        let attr = attr.as_str().unwrap_or("");
                        // a group's member output: resource.N.output
                        let attr = attr
                            .strip_prefix("resource.")
                            .and_then(|a| a.split_once('.'))
                            .map_or(attr, |(_, a)| a);
                        if !["refs", "refs_map", "show", "attributes"].contains(&attr)
                            && !outputs.contains_key(attr)
                        {
                            wrong.push(format!(
                                "{what}/{fname}: get_attr {name}.{attr}: {c} has no such output"
                            ));
                        }
                    });
                }
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
