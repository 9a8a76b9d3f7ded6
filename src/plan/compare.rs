//! One cluster: find its stack, compare what Heat stored with the new
//! request, and explain the difference.

use super::analyze::{self, Effect, Side};
use super::rollout::{builds_role, rollout};
use super::target::{
    CONFIG_TAG_PREFIX, ENV_TAG_PREFIX, HIDDEN_TAG_PREFIX, Target, effective_params,
};
use super::{
    Action, ClusterPlan, FileChange, FileStatus, HeatPreview, ParamChange, Remote, digest,
};
use crate::compile::MANAGED_TAG;
use crate::heat::{ErrorKind, Heat, HeatError, Stored};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub fn plan_one(
    heat: &Heat,
    t: &Target,
    config: &str,
    opts: &super::Options,
) -> Result<ClusterPlan, HeatError> {
    let mut p = ClusterPlan {
        cluster: t.cluster.clone(),
        stack_name: t.stack_name.clone(),
        action: Action::NoChange,
        reason: String::new(),
        remote: None,
        parameters: Vec::new(),
        files: Vec::new(),
        other: Vec::new(),
        resources: Vec::new(),
        heat_preview: None,
        rollout: None,
        settings: Vec::new(),
        creates: Vec::new(),
        preview_total: None,
        builds_masters: false,
        rebuilds_masters: false,
        request_digest: digest(&t.request),
        top_level: t.sourcemap.resources.keys().cloned().collect(),
    };
    let Some(stack) = heat.find_stack(&t.stack_name)? else {
        return create(heat, t, p);
    };
    p.remote = Some(Remote::from(&stack));
    if !stack.has_tag(MANAGED_TAG) {
        p.action = Action::Blocked;
        p.reason = format!(
            "a stack named `{}` exists but coe did not create it (no `{MANAGED_TAG}` tag); rename the cluster or delete that stack",
            t.stack_name
        );
        return Ok(p);
    }
    let owner = stack.tag(CONFIG_TAG_PREFIX);
    if let Some(owner) = owner.filter(|o| *o != config) {
        if !opts.adopt {
            p.action = Action::Blocked;
            p.reason = format!(
                "stack `{}` is owned by configuration `{owner}`; apply with --adopt to take it over",
                t.stack_name
            );
            return Ok(p);
        }
        p.other.push(format!(
            "adopted: configuration `{owner}` owns the stack now; apply makes it `{config}`'s"
        ));
    }
    if stack.in_progress() {
        p.action = Action::Blocked;
        p.reason = format!(
            "the stack is {}; wait for it to finish and plan again",
            stack.stack_status
        );
        return Ok(p);
    }
    let stored = heat.stored(&stack.path())?;
    let new = NewSide::of(t);
    let old_env = stored.environment.as_object().cloned().unwrap_or_default();
    p.parameters = param_changes(&old_env, &new.env, &t.hidden, &stored.tags, t);
    p.files = file_changes(&stored, &new);
    p.other
        .extend(other_changes(&stored, &old_env, &new.env, t));
    forgotten_environments(&mut p.other, &stored.tags, t);
    if p.parameters.is_empty() && p.files.is_empty() && p.other.is_empty() {
        if stack.failed() {
            p.action = Action::Update;
            // Heat makes what it did not make, masters among them.
            p.builds_masters = true;
            p.reason = format!(
                "no configuration change, but the stack is {}: apply runs the update again ({})",
                stack.stack_status,
                stack
                    .stack_status_reason
                    .as_deref()
                    .unwrap_or("no reason given")
            );
        } else {
            p.reason = format!("up to date ({})", stack.stack_status);
        }
        return Ok(p);
    }

    // Our analysis of the templates…
    let old_files = parse_files(&stored.files);
    let new_files = parse_files(&new.files);
    let empty = Map::new();
    let reg = |env: &Map<String, Value>| {
        env.get("resource_registry")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (old_reg, new_reg) = (reg(&old_env), reg(&new.env));
    let (old_params, new_params) = (effective_params(&old_env), effective_params(&new.env));
    let changed: BTreeMap<String, String> = p
        .parameters
        .iter()
        .map(|c| (c.name.clone(), describe_param(c)))
        .collect();
    p.resources = analyze::analyze(
        &Side {
            template: &stored.template,
            files: &old_files,
            registry: &old_reg,
            params: &old_params,
        },
        &Side {
            template: &new.template,
            files: &new_files,
            registry: &new_reg,
            params: &new_params,
        },
        &changed,
    );
    // …and Heat's preview, which also validates the update.
    let mut body = t.request.clone();
    if let Some(o) = body.as_object_mut() {
        o.remove("stack_name");
    }
    // Heat 27's nested preview fails with a TypeError (a 400) when a group
    // grows; the top-level preview still validates the whole update.
    let mut nested = true;
    let preview = match heat.preview_update(&stack.path(), &body, true) {
        Err(e) if e.kind == ErrorKind::Rejected => {
            nested = false;
            heat.preview_update(&stack.path(), &body, false)
        }
        r => r,
    };
    match preview {
        Ok(changes) => {
            let name = |v: &Value| {
                let r = v
                    .get("resource_name")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                match v.get("parent_resource").and_then(Value::as_str) {
                    Some(parent) => format!("{parent}/{r}"),
                    None => r.to_string(),
                }
            };
            let preview = HeatPreview {
                added: changes.added.iter().map(name).collect(),
                deleted: changes.deleted.iter().map(name).collect(),
                replaced: changes.replaced.iter().map(name).collect(),
                updated: changes.updated.len(),
                unchanged: changes.unchanged.len(),
                nested,
            };
            for r in &preview.replaced {
                let leaf = r.rsplit('/').next().unwrap_or(r);
                let known = p.resources.iter().any(|c| {
                    c.path.rsplit('/').next() == Some(leaf) && c.effect >= Effect::Rebuild
                });
                if !known {
                    p.resources.push(analyze::ResourceChange {
                        path: r.clone(),
                        resource_type: String::new(),
                        effect: Effect::Replace,
                        reasons: vec!["Heat's preview says it will be replaced".into()],
                    });
                }
            }
            p.heat_preview = Some(preview);
        }
        Err(e) if e.kind == ErrorKind::Rejected => {
            p.action = Action::Blocked;
            p.reason = format!("Heat rejects the update: {}", e.message);
            return Ok(p);
        }
        Err(e) => return Err(e),
    }
    p.rollout = rollout(&new.template, &new_params, &p.resources, t.master_count);
    p.builds_masters = builds_role(&new.template, &p.resources, "master", |e| {
        !matches!(e, Effect::Ignored | Effect::Remove)
    });
    p.rebuilds_masters = builds_role(&new.template, &p.resources, "master", |e| {
        matches!(e, Effect::Rebuild | Effect::Replace)
    });
    // A failed stack's update also makes what its create or last update
    // did not, masters among them.
    p.builds_masters |= stack.failed();
    p.rebuilds_masters |= stack.failed();
    if let Some(why) = p.rollout.as_ref().and_then(|r| r.downtime.as_ref())
        && !opts.allow_downtime
    {
        p.action = Action::Blocked;
        p.reason = format!("{why}; plan and apply with --allow-downtime to go ahead");
        return Ok(p);
    }
    let worst = p.resources.iter().map(|c| c.effect).max();
    p.action = if matches!(worst, Some(Effect::Replace | Effect::Rebuild)) {
        Action::Replace
    } else {
        Action::Update
    };
    p.reason = summary(&p);
    Ok(p)
}

fn create(heat: &Heat, t: &Target, mut p: ClusterPlan) -> Result<ClusterPlan, HeatError> {
    match heat.preview_create(&t.request) {
        Ok(resources) => {
            p.creates = top_level(t);
            p.settings = settings(t);
            p.preview_total = Some(resources.len());
            p.action = Action::Create;
            let n = |count: u64, what: &str| {
                format!("{count} {what}{}", if count == 1 { "" } else { "s" })
            };
            p.reason = format!(
                "no stack named `{}`: {}, {}",
                t.stack_name,
                n(t.master_count, "master"),
                n(t.node_count, "worker")
            );
        }
        Err(e) if e.kind == ErrorKind::Rejected => {
            p.action = Action::Blocked;
            p.reason = format!("Heat rejects the stack: {}", e.message);
        }
        Err(e) => return Err(e),
    }
    Ok(p)
}

/// The top-level resources of a new stack, one line each; groups with
/// their member count.
fn top_level(t: &Target) -> Vec<String> {
    let new = NewSide::of(t);
    let (vals, resources) = analyze::existing_resources(&new.template, &effective_params(&new.env));
    let registry = new.env.get("resource_registry").and_then(Value::as_object);
    let mut out = Vec::new();
    for (name, r) in resources {
        let ty = r.get("type").and_then(Value::as_str).unwrap_or("?");
        // A feature switch maps the type to a template, or to nothing.
        let mapped = registry.and_then(|reg| reg.get(ty)).and_then(Value::as_str);
        if mapped == Some("OS::Heat::None") {
            continue;
        }
        let line = if ty == "OS::Heat::ResourceGroup" {
            let member = r
                .pointer("/properties/resource_def/type")
                .and_then(Value::as_str)
                .unwrap_or("?");
            let count = match r.pointer("/properties/count") {
                Some(Value::Object(o)) => o
                    .get("get_param")
                    .and_then(Value::as_str)
                    .and_then(|p| vals.get(p))
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    }),
                Some(v) => Some(v.to_string()),
                None => None,
            };
            format!("{name}: {} × {member}", count.unwrap_or_else(|| "?".into()))
        } else if let Some(file) = mapped {
            format!("{name}: {ty} ({file})")
        } else {
            format!("{name}: {ty}")
        };
        out.push(line);
    }
    out
}

/// What a create sets: every parameter of the request (hidden ones as
/// `(sensitive)`), then the feature switches of its resource registry.
fn settings(t: &Target) -> Vec<ParamChange> {
    let new = NewSide::of(t);
    let mut out: Vec<ParamChange> = effective_params(&new.env)
        .into_iter()
        .map(|(name, v)| {
            let sensitive = t.hidden.contains(&name);
            ParamChange {
                old: None,
                new: Some(if sensitive {
                    Value::String("(sensitive)".into())
                } else {
                    v
                }),
                name,
                sensitive,
            }
        })
        .collect();
    if let Some(reg) = new.env.get("resource_registry").and_then(Value::as_object) {
        for (k, v) in reg.iter().filter(|(k, _)| k.starts_with("Coe::")) {
            out.push(ParamChange {
                name: k.clone(),
                old: None,
                new: Some(v.clone()),
                sensitive: false,
            });
        }
    }
    out
}

/// The new request's parts, parsed like Heat stores them.
struct NewSide {
    template: Value,
    files: Map<String, Value>,
    env: Map<String, Value>,
}

impl NewSide {
    fn of(t: &Target) -> NewSide {
        let get = |k: &str| t.request.get(k).cloned().unwrap_or(Value::Null);
        let template = match get("template") {
            Value::String(s) => serde_saphyr::from_str(&s).unwrap_or(Value::Null),
            v => v,
        };
        NewSide {
            template,
            files: get("files").as_object().cloned().unwrap_or_default(),
            env: get("environment").as_object().cloned().unwrap_or_default(),
        }
    }
}

fn parse_files(files: &Map<String, Value>) -> BTreeMap<String, Value> {
    files
        .iter()
        .filter(|(k, _)| k.ends_with(".yaml") || k.ends_with(".yml") || k.ends_with(".template"))
        .filter_map(|(k, v)| {
            let text = v.as_str()?;
            let parsed: Value = serde_saphyr::from_str(text).ok()?;
            Some((k.clone(), parsed))
        })
        .collect()
}

fn param_changes(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    hidden: &BTreeSet<String>,
    old_tags: &[String],
    t: &Target,
) -> Vec<ParamChange> {
    let (old, new) = (effective_params(old), effective_params(new));
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    // Heat masks hidden values; their digest tag says whether they changed.
    let hidden_tag = |tags: Vec<&str>| {
        tags.into_iter()
            .find(|t| t.starts_with(HIDDEN_TAG_PREFIX))
            .map(str::to_string)
    };
    let new_tags = t.request.get("tags").and_then(Value::as_str).unwrap_or("");
    let hidden_changed = hidden_tag(old_tags.iter().map(String::as_str).collect())
        != hidden_tag(new_tags.split(',').collect());
    let mut out = Vec::new();
    for n in names {
        let (o, v) = (old.get(n), new.get(n));
        let sensitive = hidden.contains(n);
        if sensitive && !hidden_changed && o.is_some() == v.is_some() {
            continue;
        }
        if !sensitive && same_value(o, v) {
            continue;
        }
        let shown = |x: Option<&Value>| {
            x.map(|x| {
                if sensitive {
                    Value::String("(sensitive)".into())
                } else {
                    x.clone()
                }
            })
        };
        out.push(ParamChange {
            name: n.clone(),
            old: shown(o),
            new: shown(v),
            sensitive,
        });
    }
    out
}

/// Equal, allowing for Heat returning some values as strings.
fn same_value(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if a == b => true,
        (Some(Value::String(s)), Some(v)) | (Some(v), Some(Value::String(s))) if !v.is_string() => {
            serde_json::from_str::<Value>(s).is_ok_and(|p| &p == v)
        }
        (None, None) => true,
        _ => false,
    }
}

fn describe_param(c: &ParamChange) -> String {
    if c.sensitive {
        return format!("parameter `{}` changes", c.name);
    }
    let show = |v: &Option<Value>| match v {
        None => "(unset)".to_string(),
        Some(Value::String(s)) => format!("\"{s}\""),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 60 {
                format!("{}…", s.chars().take(57).collect::<String>())
            } else {
                s
            }
        }
    };
    format!(
        "parameter `{}`: {} → {}",
        c.name,
        show(&c.old),
        show(&c.new)
    )
}

fn file_changes(stored: &Stored, new: &NewSide) -> Vec<FileChange> {
    let mut out = Vec::new();
    let template_text = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    if stored.template != new.template {
        out.push(text_change(
            "template.yaml",
            Some(&template_text(&stored.template)),
            Some(&template_text(&new.template)),
        ));
    }
    let names: BTreeSet<&String> = stored.files.keys().chain(new.files.keys()).collect();
    for n in names {
        let (o, v) = (
            stored.files.get(n).and_then(Value::as_str),
            new.files.get(n).and_then(Value::as_str),
        );
        if o != v {
            out.push(text_change(n, o, v));
        }
    }
    out
}

fn text_change(name: &str, old: Option<&str>, new: Option<&str>) -> FileChange {
    let status = match (old, new) {
        (None, _) => FileStatus::Added,
        (_, None) => FileStatus::Removed,
        _ => FileStatus::Changed,
    };
    let (a, b) = (old.unwrap_or(""), new.unwrap_or(""));
    let diff = similar::TextDiff::from_lines(a, b);
    let (mut added, mut removed) = (0, 0);
    for c in diff.iter_all_changes() {
        match c.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    FileChange {
        name: name.to_string(),
        status,
        lines_added: added,
        lines_removed: removed,
        diff: diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("stored/{name}"), &format!("new/{name}"))
            .to_string(),
    }
}

fn other_changes(
    stored: &Stored,
    old_env: &Map<String, Value>,
    new_env: &Map<String, Value>,
    t: &Target,
) -> Vec<String> {
    let mut out = Vec::new();
    let registry = |env: &Map<String, Value>| {
        let mut r = env
            .get("resource_registry")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if r.get("resources")
            .is_some_and(|v| v.as_object().is_some_and(Map::is_empty))
        {
            r.remove("resources");
        }
        // Heat records each template file used as a type as mapping to itself.
        r.retain(|k, v| v.as_str() != Some(k.as_str()));
        r
    };
    let (or, nr) = (registry(old_env), registry(new_env));
    let keys: BTreeSet<&String> = or.keys().chain(nr.keys()).collect();
    for k in keys {
        let (a, b) = (or.get(k), nr.get(k));
        if a != b {
            let show = |v: Option<&Value>| {
                v.map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .unwrap_or_else(|| "(none)".into())
            };
            out.push(format!(
                "resource_registry `{k}`: {} → {}",
                show(a),
                show(b)
            ));
        }
    }
    if stored.timeout_mins.is_some_and(|m| m != t.timeout_mins) {
        out.push(format!(
            "timeout: {} → {} minutes",
            stored.timeout_mins.unwrap_or_default(),
            t.timeout_mins
        ));
    }
    let new_tags: BTreeSet<String> = t
        .request
        .get("tags")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split(',')
        .filter(|t| !t.starts_with(HIDDEN_TAG_PREFIX) && !t.starts_with(ENV_TAG_PREFIX))
        .map(str::to_string)
        .collect();
    let old_tags: BTreeSet<String> = stored
        .tags
        .iter()
        .filter(|t| !t.starts_with(HIDDEN_TAG_PREFIX) && !t.starts_with(ENV_TAG_PREFIX))
        .cloned()
        .collect();
    if new_tags != old_tags {
        out.push(format!(
            "tags: {} → {}",
            old_tags.into_iter().collect::<Vec<_>>().join(","),
            new_tags.into_iter().collect::<Vec<_>>().join(",")
        ));
    }
    out
}

/// Environment files the stack was applied with and this plan was not
/// given: one line that says so, in place of the registry entries they set
/// that the plan would otherwise list one by one as removed.
fn forgotten_environments(other: &mut Vec<String>, stored_tags: &[String], t: &Target) {
    fn names<'a>(mut tags: impl Iterator<Item = &'a str>) -> Vec<String> {
        tags.find_map(|t| t.strip_prefix(ENV_TAG_PREFIX))
            .map(|v| v.split('+').map(str::to_string).collect())
            .unwrap_or_default()
    }
    let before = names(stored_tags.iter().map(String::as_str));
    let now = names(t.request["tags"].as_str().unwrap_or("").split(','));
    let missing: Vec<&String> = before.iter().filter(|n| !now.contains(n)).collect();
    if missing.is_empty() {
        return;
    }
    let removed = |l: &String| l.starts_with("resource_registry `") && l.ends_with("→ (none)");
    let count = other.iter().filter(|l| removed(l)).count();
    other.retain(|l| !removed(l));
    let list = missing
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    other.insert(
        0,
        format!(
            "applied with environment {list}, not given now: pass `-e` again, or this update drops what it set ({count} registry entr{})",
            if count == 1 { "y" } else { "ies" }
        ),
    );
}

/// The one-line reason: the most disruptive change first.
fn summary(p: &ClusterPlan) -> String {
    if p.record_only()
        && let Some(c) = p.resources.iter().find(|r| r.effect == Effect::Ignored)
    {
        return format!(
            "nothing changes on running nodes: `{}`: {}",
            c.path,
            c.reasons.first().cloned().unwrap_or_default()
        );
    }
    let mut changes: Vec<&analyze::ResourceChange> = p.resources.iter().collect();
    changes.sort_by_key(|c| std::cmp::Reverse(c.effect));
    match changes.first() {
        Some(c) if c.effect >= Effect::Rebuild => format!(
            "`{}` will be {}: {}",
            c.path,
            match c.effect {
                Effect::Rebuild => "rebuilt",
                _ => "replaced",
            },
            c.reasons.first().cloned().unwrap_or_default()
        ),
        Some(c) => format!(
            "`{}`: {}",
            c.path,
            c.reasons.first().cloned().unwrap_or_default()
        ),
        None if !p.parameters.is_empty() => format!(
            "{} parameter{} change{}; no resource changes found",
            p.parameters.len(),
            if p.parameters.len() == 1 { "" } else { "s" },
            if p.parameters.len() == 1 { "s" } else { "" }
        ),
        None => "the stored template or environment differs; no resource changes found".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn heat_string_parameters_equal_their_typed_values() {
        assert!(same_value(Some(&json!("3")), Some(&json!(3))));
        assert!(same_value(Some(&json!(true)), Some(&json!("true"))));
        assert!(!same_value(Some(&json!("3")), Some(&json!(4))));
        assert!(!same_value(None, Some(&json!(4))));
    }

    #[test]
    fn hidden_parameters_never_show_their_values() {
        let old = json!({"parameters": {"secret": "old-s3cret", "n": 1}});
        let new = json!({"parameters": {"secret": "new-s3cret", "n": 2}});
        let hidden = BTreeSet::from(["secret".to_string()]);
        let t = Target {
            cluster: "c".into(),
            stack_name: "c".into(),
            request: json!({"tags": "coe-hidden=new"}),
            hidden: hidden.clone(),
            sourcemap: Default::default(),
            timeout_mins: 60,
            node_count: 1,
            master_count: 1,
        };
        let changes = param_changes(
            old.as_object().unwrap(),
            new.as_object().unwrap(),
            &hidden,
            &["coe-hidden=old".to_string()],
            &t,
        );
        let text = format!("{changes:?} {}", describe_param(&changes[1]));
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("(sensitive)"));
    }
}
