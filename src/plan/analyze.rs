//! What an update does to each resource, worked out from the old and new
//! templates themselves: which properties change (their definition, or a
//! parameter, condition or resource they depend on), followed into nested
//! templates and ResourceGroup members, and judged with Heat's
//! `update_allowed` schemas and the update policies in stdlib.
//!
//! This is one of plan's two signals; Heat's preview is the other. Heat's
//! preview calls every nested stack "updated" and never sees property
//! changes behind a stub, and Heat's schemas say `image` is updatable when
//! the update rebuilds the server; neither alone tells the truth.

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// What happens to one resource, from least to most disruptive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Heat stores the new value, but the running resource ignores it
    /// (`user_data_update_policy: IGNORE`).
    Ignored,
    Update,
    Resize,
    Add,
    Remove,
    Rebuild,
    Replace,
}

impl Effect {
    pub fn word(self) -> &'static str {
        match self {
            Effect::Ignored => "no change to the running server",
            Effect::Update => "update in place",
            Effect::Resize => "resize (the server reboots)",
            Effect::Add => "add",
            Effect::Remove => "remove",
            Effect::Rebuild => "rebuild (the root disk is re-imaged)",
            Effect::Replace => "replace",
        }
    }

    /// Whether existing data or a node is lost.
    pub fn destructive(self) -> bool {
        matches!(self, Effect::Remove | Effect::Rebuild | Effect::Replace)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceChange {
    /// `workers/*/server`: resource names from the top, `*` for every
    /// member of a group.
    pub path: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub effect: Effect,
    /// Why, in words: the properties that change and what changed them.
    pub reasons: Vec<String>,
}

/// One side (stored or new) of a stack.
pub struct Side<'a> {
    pub template: &'a Value,
    /// Nested templates by file name, already parsed.
    pub files: &'a BTreeMap<String, Value>,
    pub registry: &'a Map<String, Value>,
    pub params: &'a Map<String, Value>,
}

/// Every resource an update from `old` to `new` touches.
pub fn analyze(
    old: &Side,
    new: &Side,
    changed_params: &BTreeMap<String, String>,
) -> Vec<ResourceChange> {
    let mut out = Vec::new();
    walk(
        old,
        new,
        Some(old.template),
        Some(new.template),
        changed_params,
        old.params,
        new.params,
        "",
        &mut out,
    );
    out
}

/// Known parameter values of a template: its defaults, overlaid with what
/// its caller passes (values that are not literals stay unknown).
fn values_of(template: Option<&Value>, given: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(ps) = template
        .and_then(|t| t.get("parameters"))
        .and_then(Value::as_object)
    {
        for (k, p) in ps {
            if let Some(d) = p.get("default") {
                out.insert(k.clone(), d.clone());
            }
        }
    }
    for (k, v) in given {
        out.insert(k.clone(), v.clone());
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn walk(
    old_side: &Side,
    new_side: &Side,
    old: Option<&Value>,
    new: Option<&Value>,
    inputs: &BTreeMap<String, String>,
    old_given: &Map<String, Value>,
    new_given: &Map<String, Value>,
    prefix: &str,
    out: &mut Vec<ResourceChange>,
) {
    let old_vals = values_of(old, old_given);
    let new_vals = values_of(new, new_given);
    let truth = condition_values(new, &new_vals);
    let empty = Map::new();
    let old_res = old
        .and_then(|t| t.get("resources"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let new_res = new
        .and_then(|t| t.get("resources"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let conditions = changed_conditions(old, new, inputs, &old_vals, &new_vals);

    // Resources replaced or added here change every property that refers to
    // them; repeat until nothing new is found.
    let mut moved: BTreeMap<String, String> = BTreeMap::new();
    let mut results: BTreeMap<String, Vec<ResourceChange>> = BTreeMap::new();
    loop {
        let before = moved.len();
        results.clear();
        for name in new_res
            .keys()
            .chain(old_res.keys().filter(|k| !new_res.contains_key(*k)))
        {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let mut local = Vec::new();
            let scope = Scope {
                inputs,
                conditions: &conditions,
                moved: &moved,
                truth: &truth,
                old_vals: &old_vals,
                new_vals: &new_vals,
            };
            resource(
                old_side,
                new_side,
                old_res.get(name),
                new_res.get(name),
                &scope,
                &path,
                &mut local,
            );
            if let Some(top) = local.iter().find(|c| c.path == path)
                && matches!(top.effect, Effect::Replace | Effect::Add)
            {
                moved
                    .entry(name.clone())
                    .or_insert_with(|| format!("`{path}` is {}d", verb(top.effect)));
            }
            results.insert(name.clone(), local);
        }
        if moved.len() == before {
            break;
        }
    }
    for name in new_res
        .keys()
        .chain(old_res.keys().filter(|k| !new_res.contains_key(*k)))
    {
        out.extend(results.remove(name).unwrap_or_default());
    }
}

fn verb(e: Effect) -> &'static str {
    match e {
        Effect::Add => "create",
        Effect::Replace => "replace",
        _ => "update",
    }
}

fn resource(
    old_side: &Side,
    new_side: &Side,
    old: Option<&Value>,
    new: Option<&Value>,
    scope: &Scope,
    path: &str,
    out: &mut Vec<ResourceChange>,
) {
    let conditions = scope.conditions;
    let type_of = |v: Option<&Value>| {
        v.and_then(|r| r.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (old_type, new_type) = (type_of(old), type_of(new));
    let (Some(old), Some(new)) = (old, new) else {
        let (effect, ty) = if new.is_some() {
            (Effect::Add, new_type)
        } else {
            (Effect::Remove, old_type)
        };
        out.push(ResourceChange {
            path: path.to_string(),
            resource_type: ty,
            effect,
            reasons: vec![format!(
                "the template {} it",
                if effect == Effect::Add {
                    "adds"
                } else {
                    "no longer has"
                }
            )],
        });
        return;
    };
    let old_impl = implementation(old_side, &old_type);
    let new_impl = implementation(new_side, &new_type);
    let old_props = props(old);
    let new_props = props(new);
    let changed = changed_properties(&old_props, &new_props, scope);

    // A condition that flips can remove or add the resource itself.
    if let Some(c) = new.get("condition").and_then(Value::as_str)
        && let Some(why) = conditions.get(c)
    {
        out.push(ResourceChange {
            path: path.to_string(),
            resource_type: new_type.clone(),
            effect: Effect::Replace,
            reasons: vec![format!("its condition `{c}` may change ({why})")],
        });
    }

    match (old_impl, new_impl) {
        (Impl::Template(of), Impl::Template(nf)) => {
            let mut reasons = Vec::new();
            if of != nf {
                reasons.push(format!("its template changes from `{of}` to `{nf}`"));
            } else if old_side.files.get(&of) != new_side.files.get(&nf) {
                reasons.push(format!("its template `{nf}` changes"));
            }
            reasons.extend(changed.values().cloned());
            if reasons.is_empty() {
                return;
            }
            out.push(ResourceChange {
                path: path.to_string(),
                resource_type: new_type.clone(),
                effect: Effect::Update,
                reasons: dedup(reasons),
            });
            walk(
                old_side,
                new_side,
                old_side.files.get(&of),
                new_side.files.get(&nf),
                &changed,
                &known(&old_props, scope.old_vals),
                &known(&new_props, scope.new_vals),
                path,
                out,
            );
        }
        (Impl::Native(ot), Impl::Native(nt)) if ot != nt => {
            out.push(ResourceChange {
                path: path.to_string(),
                resource_type: nt.clone(),
                effect: Effect::Replace,
                reasons: vec![format!("its type changes from {ot} to {nt}")],
            });
        }
        (Impl::Native(_), Impl::Native(nt)) if nt == "OS::Heat::ResourceGroup" => {
            group(
                old_side, new_side, &old_props, &new_props, &changed, scope, path, out,
            );
        }
        // Accepts anything, does nothing: never updated, never replaced.
        (Impl::Native(_), Impl::Native(nt)) if nt == "OS::Heat::None" => {}
        (Impl::Native(_), Impl::Native(nt)) => {
            if changed.is_empty() {
                return;
            }
            let (effect, reasons) = judge(&nt, &new_props, &changed);
            out.push(ResourceChange {
                path: path.to_string(),
                resource_type: nt,
                effect,
                reasons,
            });
        }
        (o, n) => out.push(ResourceChange {
            path: path.to_string(),
            resource_type: new_type.clone(),
            effect: Effect::Replace,
            reasons: vec![format!(
                "its implementation changes from {} to {}",
                o.describe(),
                n.describe()
            )],
        }),
    }
}

/// What a template's property values may refer to that changed, and what
/// is known of its parameters and conditions.
struct Scope<'a> {
    inputs: &'a BTreeMap<String, String>,
    conditions: &'a BTreeMap<String, String>,
    moved: &'a BTreeMap<String, String>,
    /// Conditions whose value is known (new side).
    truth: &'a BTreeMap<String, bool>,
    old_vals: &'a Map<String, Value>,
    new_vals: &'a Map<String, Value>,
}

/// The parameter values a nested template gets from these properties.
fn known(props: &Map<String, Value>, vals: &Map<String, Value>) -> Map<String, Value> {
    props
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), eval(v, vals)?)))
        .collect()
}

/// A property value, when it is a literal or a parameter with a known value.
fn eval(v: &Value, vals: &Map<String, Value>) -> Option<Value> {
    match v {
        Value::Object(o) if o.len() == 1 && o.contains_key("get_param") => {
            vals.get(o.get("get_param")?.as_str()?).cloned()
        }
        Value::Object(o) if o.len() == 1 && o.contains_key("list_join") => {
            let args = o.get("list_join")?.as_array()?;
            let sep = args.first()?.as_str()?;
            let items = eval(args.get(1)?, vals)?;
            let parts: Vec<String> = items.as_array()?.iter().map(text).collect();
            Some(Value::String(parts.join(sep)))
        }
        Value::Object(o) if o.keys().any(|k| FUNCTIONS.contains(&k.as_str())) => None,
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| Some((k.clone(), eval(v, vals)?)))
            .collect::<Option<Map<_, _>>>()
            .map(Value::Object),
        Value::Array(a) => a
            .iter()
            .map(|x| eval(x, vals))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        other => Some(other.clone()),
    }
}

const FUNCTIONS: &[&str] = &[
    "get_param",
    "get_attr",
    "get_resource",
    "get_file",
    "list_join",
    "str_replace",
    "map_merge",
    "yaql",
    "if",
    "repeat",
    "digest",
    "str_split",
    "map_replace",
    "filter",
    "make_url",
    "list_concat",
    "list_concat_unique",
    "contains",
    "str_replace_strict",
    "str_replace_vstrict",
    "resource_facade",
    "equals",
    "not",
    "and",
    "or",
];

/// A template's parameter values (given, else defaults) and the resources
/// that exist with them: a resource whose `condition` is false is left out.
pub fn existing_resources<'a>(
    template: &'a Value,
    given: &Map<String, Value>,
) -> (Map<String, Value>, Vec<(&'a String, &'a Value)>) {
    let vals = values_of(Some(template), given);
    let truth = condition_values(Some(template), &vals);
    let exists = |r: &Value| match r.get("condition") {
        None => true,
        Some(Value::String(name)) => truth.get(name).copied().unwrap_or(true),
        Some(Value::Bool(b)) => *b,
        Some(_) => true,
    };
    let resources = template
        .get("resources")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter(|(_, r)| exists(r)).collect())
        .unwrap_or_default();
    (vals, resources)
}

/// Conditions of a template whose value follows from known parameters.
fn condition_values(t: Option<&Value>, vals: &Map<String, Value>) -> BTreeMap<String, bool> {
    let defs = t
        .and_then(|t| t.get("conditions"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = BTreeMap::new();
    for name in defs.keys() {
        if let Some(b) = eval_condition(&Value::String(name.clone()), &defs, vals, 0) {
            out.insert(name.clone(), b);
        }
    }
    out
}

fn eval_condition(
    e: &Value,
    defs: &Map<String, Value>,
    vals: &Map<String, Value>,
    depth: u32,
) -> Option<bool> {
    if depth > 16 {
        return None;
    }
    match e {
        Value::Bool(b) => Some(*b),
        Value::String(name) => eval_condition(defs.get(name)?, defs, vals, depth + 1),
        Value::Object(o) if o.len() == 1 => {
            let (f, arg) = o.iter().next()?;
            let args: Vec<&Value> = match arg {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            match f.as_str() {
                "equals" if args.len() == 2 => {
                    let (a, b) = (eval(args[0], vals)?, eval(args[1], vals)?);
                    Some(a == b || (!a.is_string() || !b.is_string()) && text(&a) == text(&b))
                }
                "not" => Some(!eval_condition(args.first()?, defs, vals, depth + 1)?),
                "and" => args.iter().try_fold(true, |acc, x| {
                    Some(acc && eval_condition(x, defs, vals, depth + 1)?)
                }),
                "or" => args.iter().try_fold(false, |acc, x| {
                    Some(acc || eval_condition(x, defs, vals, depth + 1)?)
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// A ResourceGroup: `count` scales it, `resource_def` changes every member.
#[allow(clippy::too_many_arguments)]
fn group(
    old_side: &Side,
    new_side: &Side,
    old_props: &Map<String, Value>,
    new_props: &Map<String, Value>,
    changed: &BTreeMap<String, String>,
    scope: &Scope,
    path: &str,
    out: &mut Vec<ResourceChange>,
) {
    let mut reasons = Vec::new();
    if let Some(why) = changed.get("count") {
        let old_n = eval_count(old_props.get("count"), old_side.params);
        let new_n = eval_count(new_props.get("count"), new_side.params);
        match (old_n, new_n) {
            (Some(a), Some(b)) if b > a => reasons.push(format!(
                "count {a} → {b}: adds member{} {}{}",
                plural(b - a),
                indexes(a, b),
                member_names(new_props, scope.new_vals, a, b)
            )),
            (Some(a), Some(b)) if b < a => reasons.push(format!(
                "count {a} → {b}: removes member{} {}{}; a group removes its highest indexes first",
                plural(a - b),
                indexes(b, a),
                member_names(old_props, scope.old_vals, b, a)
            )),
            _ => reasons.push(format!("count changes ({why})")),
        }
    }
    let members_old = old_props.get("resource_def");
    let members_new = new_props.get("resource_def");
    let member_changes: BTreeMap<String, String> = changed_properties(
        &members_old.map(props).unwrap_or_default(),
        &members_new.map(props).unwrap_or_default(),
        scope,
    );
    let other: Vec<String> = changed
        .iter()
        .filter(|(k, _)| *k != "count" && *k != "resource_def")
        .map(|(k, v)| format!("property `{k}` changes ({v})"))
        .collect();
    reasons.extend(other);
    let type_changed =
        members_old.and_then(|d| d.get("type")) != members_new.and_then(|d| d.get("type"));
    if !member_changes.is_empty() || type_changed || changed.contains_key("resource_def") {
        reasons.push("every member's definition changes".to_string());
    }
    if reasons.is_empty() {
        return;
    }
    out.push(ResourceChange {
        path: path.to_string(),
        resource_type: "OS::Heat::ResourceGroup".to_string(),
        effect: Effect::Update,
        reasons: dedup(reasons),
    });
    let member_path = format!("{path}/*");
    let ty = |d: Option<&Value>| {
        d.and_then(|d| d.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (ot, nt) = (ty(members_old), ty(members_new));
    // A member is a resource of the group's nested stack: judge it the same way.
    let old_member =
        serde_json::json!({"type": ot, "properties": members_old.map(props).unwrap_or_default()});
    let new_member =
        serde_json::json!({"type": nt, "properties": members_new.map(props).unwrap_or_default()});
    resource(
        old_side,
        new_side,
        Some(&old_member),
        Some(&new_member),
        scope,
        &member_path,
        out,
    );
}

/// ` (name-1, name-2)`: the members' `name` property for indexes
/// `from..to`, when it is known; empty otherwise.
fn member_names(
    group: &Map<String, Value>,
    vals: &Map<String, Value>,
    from: u64,
    to: u64,
) -> String {
    let Some(name) = group
        .get("resource_def")
        .and_then(|d| d.pointer("/properties/name"))
        .and_then(|n| eval(n, vals))
        .and_then(|n| n.as_str().map(str::to_string))
        .filter(|n| n.contains("%index%"))
    else {
        return String::new();
    };
    let list: Vec<String> = (from..to)
        .map(|i| name.replace("%index%", &i.to_string()))
        .collect();
    format!(" ({})", list.join(", "))
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn indexes(from: u64, to: u64) -> String {
    (from..to)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `count` of a group: a number, or a parameter holding one.
fn eval_count(v: Option<&Value>, params: &Map<String, Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        Value::Object(o) => {
            let p = o.get("get_param")?.as_str()?;
            eval_count(params.get(p), params)
        }
        _ => None,
    }
}

/// Judges a real resource type's changed properties against its schema.
fn judge(
    ty: &str,
    props: &Map<String, Value>,
    changed: &BTreeMap<String, String>,
) -> (Effect, Vec<String>) {
    let schema = schemas().get(ty).and_then(|s| s.get("properties"));
    let mut effect = Effect::Ignored;
    let mut reasons = Vec::new();
    for (name, why) in changed {
        let (e, how) = match schema.and_then(|s| s.get(name)) {
            None if schema.is_some() => (
                Effect::Update,
                "not a property Heat's schema knows".to_string(),
            ),
            None => (
                Effect::Update,
                format!("no schema for {ty}; assumed updatable"),
            ),
            Some(p) if p.get("update_allowed") == Some(&Value::Bool(false)) => {
                (Effect::Replace, "cannot be updated in place".to_string())
            }
            Some(_) => match policy(ty, name, props) {
                Some((policy_name, value, Effect::Ignored)) => (
                    Effect::Ignored,
                    format!(
                        "{policy_name} {value}: the server keeps the {name} it was created with, also when rebuilt; only servers created from now on get the new one"
                    ),
                ),
                Some((policy_name, value, e)) => (e, format!("{policy_name} {value}")),
                None => (Effect::Update, "updatable in place".to_string()),
            },
        };
        if e == Effect::Update && how == "updatable in place" {
            reasons.push(format!("`{name}` changes ({why})"));
        } else {
            reasons.push(format!("`{name}` changes ({why}); {how}"));
        }
        effect = effect.max(e);
    }
    (effect, reasons)
}

/// The effect a policy property gives an update of `name`, when stdlib
/// knows one: (policy property, its value, effect).
fn policy(ty: &str, name: &str, props: &Map<String, Value>) -> Option<(String, String, Effect)> {
    let p = policies().get(ty)?.get(name)?;
    let policy_name = p.get("policy")?.as_str()?;
    let value = props
        .get(policy_name)
        .and_then(Value::as_str)
        .or_else(|| p.get("default")?.as_str())?
        .to_string();
    let effect = match p.get("effects")?.get(&value)?.as_str()? {
        "rebuild" => Effect::Rebuild,
        "resize" => Effect::Resize,
        "replace" => Effect::Replace,
        "none" => Effect::Ignored,
        _ => Effect::Update,
    };
    Some((policy_name.to_string(), value, effect))
}

fn schemas() -> &'static Map<String, Value> {
    static S: OnceLock<Map<String, Value>> = OnceLock::new();
    S.get_or_init(|| {
        let v: Value =
            serde_json::from_str(crate::stdlib::HEAT_SCHEMAS).expect("heat-schemas.json");
        v.get("resource_types")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    })
}

fn policies() -> &'static Map<String, Value> {
    static S: OnceLock<Map<String, Value>> = OnceLock::new();
    S.get_or_init(|| {
        serde_json::from_str(crate::stdlib::HEAT_UPDATE_POLICIES)
            .expect("heat-update-policies.json")
    })
}

enum Impl {
    Native(String),
    Template(String),
}

impl Impl {
    fn describe(&self) -> String {
        match self {
            Impl::Native(t) => t.clone(),
            Impl::Template(f) => format!("template `{f}`"),
        }
    }
}

/// A type, through the environment's registry, to a Heat type or a file.
/// Heat's own types are judged as themselves even when an environment maps
/// them elsewhere (test stubs, site overrides): the plan describes what the
/// type does on a cloud.
fn implementation(side: &Side, ty: &str) -> Impl {
    if schemas().contains_key(ty) {
        return Impl::Native(ty.to_string());
    }
    let mut t = ty.to_string();
    for _ in 0..4 {
        match side.registry.get(&t).and_then(Value::as_str) {
            Some(next) if next != t => t = next.to_string(),
            _ => break,
        }
    }
    if side.files.contains_key(&t) || t.ends_with(".yaml") || t.ends_with(".template") {
        Impl::Template(t)
    } else {
        Impl::Native(t)
    }
}

fn props(r: &Value) -> Map<String, Value> {
    r.get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Changed property names, each with its first reason.
fn changed_properties(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    scope: &Scope,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for k in keys {
        let (o, n) = (old.get(k), new.get(k));
        if o != n {
            out.insert(
                k.clone(),
                "its definition in the template changes".to_string(),
            );
            continue;
        }
        if let Some(v) = n
            && let Some(why) = depends_on(v, scope)
        {
            out.insert(k.clone(), why);
        }
    }
    out
}

/// The first changed input, condition or moved resource a value refers to.
/// Of an `if` whose condition is known and unchanged, only the branch taken counts.
fn depends_on(v: &Value, scope: &Scope) -> Option<String> {
    let (inputs, conditions, moved) = (scope.inputs, scope.conditions, scope.moved);
    match v {
        Value::Object(o) => {
            if o.len() == 1 {
                let (f, arg) = o.iter().next().expect("one key");
                let first = match arg {
                    Value::Array(a) => a.first().and_then(Value::as_str),
                    Value::String(s) => Some(s.as_str()),
                    _ => None,
                };
                match (f.as_str(), first) {
                    ("get_param", Some(p)) => {
                        if let Some(why) = inputs.get(p) {
                            return Some(why.clone());
                        }
                    }
                    ("if", Some(c)) => {
                        if let Some(why) = conditions.get(c) {
                            return Some(why.clone());
                        }
                        if let (Some(b), Value::Array(a)) = (scope.truth.get(c), arg) {
                            let taken = a.get(if *b { 1 } else { 2 })?;
                            return depends_on(taken, scope);
                        }
                    }
                    ("get_resource" | "get_attr", Some(r)) => {
                        if let Some(why) = moved.get(r) {
                            return Some(why.clone());
                        }
                    }
                    _ => {}
                }
            }
            o.values().find_map(|x| depends_on(x, scope))
        }
        Value::Array(a) => a.iter().find_map(|x| depends_on(x, scope)),
        _ => None,
    }
}

/// Conditions whose definition changed or that read a changed input.
fn changed_conditions(
    old: Option<&Value>,
    new: Option<&Value>,
    inputs: &BTreeMap<String, String>,
    old_vals: &Map<String, Value>,
    new_vals: &Map<String, Value>,
) -> BTreeMap<String, String> {
    let get = |t: Option<&Value>| {
        t.and_then(|t| t.get("conditions"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (old_defs, new_defs) = (get(old), get(new));
    let (none, empty) = (BTreeMap::new(), Map::new());
    let mut out = BTreeMap::new();
    for (name, def) in &new_defs {
        let scope = Scope {
            inputs,
            conditions: &none,
            moved: &none,
            truth: &BTreeMap::new(),
            old_vals: &empty,
            new_vals: &empty,
        };
        if old_defs.get(name) != Some(def) {
            out.insert(name.clone(), format!("the condition `{name}` changes"));
            continue;
        }
        let Some(why) = depends_on(def, &scope) else {
            continue;
        };
        // A changed input need not change the outcome.
        let before = eval_condition(&Value::String(name.clone()), &old_defs, old_vals, 0);
        let after = eval_condition(&Value::String(name.clone()), &new_defs, new_vals, 0);
        if before.is_none() || before != after {
            out.insert(name.clone(), why);
        }
    }
    out
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    v.retain(|s| seen.insert(s.clone()));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn side<'a>(
        t: &'a Value,
        files: &'a BTreeMap<String, Value>,
        reg: &'a Map<String, Value>,
        params: &'a Map<String, Value>,
    ) -> Side<'a> {
        Side {
            template: t,
            files,
            registry: reg,
            params,
        }
    }

    #[test]
    fn an_image_change_rebuilds_servers_inside_group_members() {
        let top = json!({"parameters": {"image": {"type": "string"}, "n": {"type": "number"}},
            "resources": {"workers": {"type": "OS::Heat::ResourceGroup", "properties": {
                "count": {"get_param": "n"},
                "resource_def": {"type": "worker.yaml", "properties": {"image": {"get_param": "image"}}}}}}});
        let worker = json!({"parameters": {"image": {"type": "string"}},
            "resources": {"server": {"type": "OS::Nova::Server", "properties": {
                "image": {"get_param": "image"}, "flavor": "m1"}}}});
        let files = BTreeMap::from([("worker.yaml".to_string(), worker)]);
        let reg = Map::new();
        let p_old = json!({"image": "a", "n": 3}).as_object().unwrap().clone();
        let p_new = json!({"image": "b", "n": 1}).as_object().unwrap().clone();
        let changed = BTreeMap::from([
            ("image".to_string(), "parameter `image` a → b".to_string()),
            ("n".to_string(), "parameter `n` 3 → 1".to_string()),
        ]);
        let got = analyze(
            &side(&top, &files, &reg, &p_old),
            &side(&top, &files, &reg, &p_new),
            &changed,
        );
        let paths: Vec<_> = got.iter().map(|c| (c.path.as_str(), c.effect)).collect();
        assert_eq!(
            paths,
            [
                ("workers", Effect::Update),
                ("workers/*", Effect::Update),
                ("workers/*/server", Effect::Rebuild)
            ]
        );
        assert!(
            got[0].reasons[0].contains("removes members 1, 2"),
            "{got:#?}"
        );
        assert!(
            got[2].reasons[0].contains("image_update_policy REBUILD"),
            "{got:#?}"
        );
    }

    #[test]
    fn a_property_that_cannot_be_updated_replaces_and_moves_its_users() {
        let t_old = json!({"resources": {
            "sg": {"type": "OS::Nova::ServerGroup", "properties": {"policies": ["affinity"]}},
            "server": {"type": "OS::Nova::Server", "properties": {"scheduler_hints": {"group": {"get_resource": "sg"}}}}}});
        let t_new = json!({"resources": {
            "sg": {"type": "OS::Nova::ServerGroup", "properties": {"policies": ["anti-affinity"]}},
            "server": {"type": "OS::Nova::Server", "properties": {"scheduler_hints": {"group": {"get_resource": "sg"}}}}}});
        let files = BTreeMap::new();
        let reg = Map::new();
        let p = Map::new();
        let got = analyze(
            &side(&t_old, &files, &reg, &p),
            &side(&t_new, &files, &reg, &p),
            &BTreeMap::new(),
        );
        let effects: Vec<_> = got.iter().map(|c| (c.path.as_str(), c.effect)).collect();
        assert_eq!(
            effects,
            [("sg", Effect::Replace), ("server", Effect::Replace)],
            "{got:#?}"
        );
        assert!(got[1].reasons[0].contains("`sg` is replaced"), "{got:#?}");
    }

    #[test]
    fn nothing_changed_means_no_changes() {
        let t = json!({"resources": {"a": {"type": "OS::Heat::RandomString", "properties": {"length": 8}}}});
        let files = BTreeMap::new();
        let reg = Map::new();
        let p = Map::new();
        let s = side(&t, &files, &reg, &p);
        assert!(analyze(&s, &s, &BTreeMap::new()).is_empty());
    }
}
