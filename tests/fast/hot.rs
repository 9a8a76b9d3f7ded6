//! The rendered templates keep to what every Heat coe supports and refer
//! only to what exists: functions of HOT 2016-10-14 (the oldest version the
//! templates are written for), `get_param` of declared parameters,
//! `get_resource`/`get_attr` of declared resources, and conditions that
//! are defined. Part of what `stdlib/heat/tools/verify.py` checked, now
//! with the production renderer.

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
