//! A plan as text: one block per cluster, the most disruptive change first;
//! `--full` adds every reason and the complete diffs.

use super::rollout::{Rollout, duration};
use super::{Action, ClusterPlan, Effect, FileStatus, ParamChange, Plan};
use serde_json::{Map, Value};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, Default)]
pub struct ShowOptions {
    pub full: bool,
}

pub fn show(plan: &Plan, opts: ShowOptions) -> String {
    let mut out = String::new();
    for c in &plan.clusters {
        cluster(&mut out, c, opts);
    }
    for o in &plan.orphans {
        let (mark, what) = if o.action == Action::Delete {
            ("-", "delete (--prune)")
        } else {
            (
                "?",
                "no longer declared; kept (run with --prune to delete it)",
            )
        };
        let _ = writeln!(
            out,
            "{mark} stack {} ({}): {what}\n",
            o.stack_name, o.remote.status
        );
    }
    let count = |a: Action| plan.clusters.iter().filter(|c| c.action == a).count();
    let deletes = plan
        .orphans
        .iter()
        .filter(|o| o.action == Action::Delete)
        .count();
    let _ = write!(
        out,
        "Plan: {} to create, {} to update, {} to replace, {} to delete, {} unchanged",
        count(Action::Create),
        count(Action::Update),
        count(Action::Replace),
        deletes,
        count(Action::NoChange),
    );
    let kept = plan.orphans.len() - deletes;
    if kept > 0 {
        let _ = write!(out, ", {kept} no longer declared (kept)");
    }
    let blocked = count(Action::Blocked);
    if blocked > 0 {
        let _ = write!(out, ", {blocked} blocked");
    }
    out.push_str(".\n");
    out
}

fn mark(a: Action) -> &'static str {
    match a {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "-/+",
        Action::NoChange => "=",
        Action::Delete => "-",
        Action::Blocked => "!",
    }
}

fn word(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update => "update in place",
        Action::Replace => "replace resources",
        Action::NoChange => "no changes",
        Action::Delete => "delete",
        Action::Blocked => "blocked",
    }
}

fn effect_mark(e: Effect) -> &'static str {
    match e {
        Effect::Ignored => "=",
        Effect::Update | Effect::Resize => "~",
        Effect::Add => "+",
        Effect::Remove => "-",
        Effect::Rebuild | Effect::Replace => "-/+",
    }
}

/// The order and batches of a rolling update, then its warnings, loud.
fn rollout(out: &mut String, r: &Rollout) {
    let _ = writeln!(out, "    rollout, in the order Heat goes:");
    for (i, g) in r.groups.iter().enumerate() {
        let batch = match g.batch {
            1 => "one at a time".to_string(),
            n => format!("{n} at a time"),
        };
        let pause = match g.pause_secs {
            0 => "no pause".to_string(),
            s => format!("{} between", duration(s)),
        };
        let role = format!("{}s", g.role);
        let name = if g.group == role {
            role
        } else {
            format!("{} ({role})", g.group)
        };
        let _ = writeln!(
            out,
            "      {}. {name}: {batch}, highest index first, {pause}",
            i + 1
        );
    }
    for w in r.downtime.iter().chain(&r.warnings) {
        let _ = writeln!(out, "    WARNING: {w}");
    }
}

fn cluster(out: &mut String, c: &ClusterPlan, opts: ShowOptions) {
    let _ = writeln!(
        out,
        "{} cluster {} (stack {}): {}",
        mark(c.action),
        c.cluster,
        c.stack_name,
        if c.record_only() {
            "update Heat's record only"
        } else if c.action == Action::Replace
            && c.resources.iter().map(|r| r.effect).max() == Some(Effect::Rebuild)
        {
            "rebuild servers"
        } else {
            word(c.action)
        }
    );
    let _ = writeln!(out, "    {}", c.reason);
    if let Some(r) = &c.rollout {
        rollout(out, r);
    }
    if !c.settings.is_empty() {
        let _ = writeln!(out, "    settings:");
        for s in &c.settings {
            setting(out, s);
        }
    }
    if !c.creates.is_empty() {
        let _ = writeln!(out, "    resources:");
        for line in &c.creates {
            let _ = writeln!(out, "      + {line}");
        }
    }
    if let Some(n) = c.preview_total {
        let _ = writeln!(
            out,
            "    Heat's preview: {n} resources in all, nested stacks included"
        );
    }
    if !c.parameters.is_empty() {
        let _ = writeln!(out, "    parameters:");
        for p in &c.parameters {
            param(out, p, opts);
        }
    }
    if !c.resources.is_empty() {
        let _ = writeln!(out, "    resources:");
        let mut sorted: Vec<_> = c.resources.iter().collect();
        sorted.sort_by_key(|r| std::cmp::Reverse(r.effect));
        for r in sorted {
            let ty = if r.resource_type.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.resource_type)
            };
            let _ = writeln!(
                out,
                "      {} {}{ty}: {}",
                effect_mark(r.effect),
                r.path,
                r.effect.word()
            );
            let reasons = if opts.full {
                &r.reasons[..]
            } else {
                &r.reasons[..r.reasons.len().min(1)]
            };
            for why in reasons {
                let _ = writeln!(out, "          {why}");
            }
            if !opts.full && r.reasons.len() > 1 {
                let _ = writeln!(out, "          … and {} more (--full)", r.reasons.len() - 1);
            }
        }
    }
    if let Some(h) = &c.heat_preview {
        // Concise: the entries one level down (group members and the like);
        // the nested resources inside them only with --full.
        let list = |v: &[String]| {
            if v.is_empty() {
                return "none".to_string();
            }
            let shown: Vec<&String> = if opts.full {
                v.iter().collect()
            } else {
                v.iter()
                    .filter(|n| c.top_level.iter().any(|t| n.starts_with(&format!("{t}/"))))
                    .collect()
            };
            let hidden = v.len() - shown.len();
            let mut s = shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            if hidden > 0 {
                if !s.is_empty() {
                    s.push_str(", ");
                }
                s.push_str(&format!("{hidden} nested (--full)"));
            }
            s
        };
        let _ = writeln!(
            out,
            "    Heat's preview{}: added {}; deleted {}; replaced {}; {} updated, {} unchanged",
            if h.nested { "" } else { " (top level only)" },
            list(&h.added),
            list(&h.deleted),
            list(&h.replaced),
            h.updated,
            h.unchanged
        );
        // Where the two signals seem to disagree, say which one decides.
        let leaf = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
        let replaced: Vec<String> = h.replaced.iter().map(|r| leaf(r)).collect();
        if c.resources.iter().any(|r| r.effect == Effect::Rebuild) {
            let _ = writeln!(
                out,
                "    (Heat counts a rebuild as an update: the server stays, its root disk is re-imaged)"
            );
        }
        let unseen: Vec<&str> = c
            .resources
            .iter()
            .filter(|r| r.effect == Effect::Replace && !replaced.contains(&leaf(&r.path)))
            .map(|r| r.path.as_str())
            .collect();
        if !unseen.is_empty() {
            let _ = writeln!(
                out,
                "    (Heat's preview does not list {} as replaced: through a nested template or a stub it sees an update; coe's reading of the templates, with Heat's schemas, decides)",
                unseen.join(", ")
            );
        }
    }
    for o in &c.other {
        let _ = writeln!(out, "    {o}");
    }
    if !c.files.is_empty() {
        let _ = writeln!(out, "    files:");
        for f in &c.files {
            let what = match f.status {
                FileStatus::Added => "added",
                FileStatus::Removed => "removed",
                FileStatus::Changed => "changed",
            };
            let _ = writeln!(
                out,
                "      {} {what} (+{} -{})",
                f.name, f.lines_added, f.lines_removed
            );
            if opts.full {
                for line in f.diff.lines() {
                    let _ = writeln!(out, "        {line}");
                }
            }
        }
    }
    out.push('\n');
}

/// A parameter value on one line; long ones cut unless `--full`.
/// A parameter change on one line; a map (the labels) one line per key that
/// changes, as Terraform shows maps.
fn param(out: &mut String, p: &ParamChange, opts: ShowOptions) {
    let map = |v: &Option<Value>| match v {
        Some(Value::Object(m)) => Some(m.clone()),
        Some(Value::String(s)) => serde_json::from_str::<Map<String, Value>>(s).ok(),
        None => Some(Map::new()),
        _ => None,
    };
    if let (false, Some(old), Some(new)) = (p.sensitive, map(&p.old), map(&p.new))
        && (p.old.is_some() || p.new.is_some())
    {
        let _ = writeln!(out, "      {}:", p.name);
        let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for k in keys {
            let line = match (old.get(k), new.get(k)) {
                (Some(a), Some(b)) if a != b => format!("~ {k}: {}", change(a, b, opts)),
                (None, Some(b)) => format!("+ {k}: {}", shown(b)),
                (Some(a), None) => format!("- {k}: {}", shown(a)),
                _ => continue,
            };
            let _ = writeln!(out, "        {line}");
        }
        return;
    }
    let text = match (&p.old, &p.new) {
        (Some(a), Some(b)) => change(a, b, opts),
        (a, b) => format!("{} → {}", value(a.as_ref(), opts), value(b.as_ref(), opts)),
    };
    let _ = writeln!(out, "      {}: {text}", p.name);
}

/// One value a create sets; a map (the labels) one line per key.
fn setting(out: &mut String, s: &ParamChange) {
    let map = match &s.new {
        Some(Value::Object(m)) => Some(m.clone()),
        Some(Value::String(t)) if !s.sensitive => {
            serde_json::from_str::<Map<String, Value>>(t).ok()
        }
        _ => None,
    };
    match (map, &s.new) {
        (Some(m), _) if m.is_empty() => {
            let _ = writeln!(out, "      {}: {{}}", s.name);
        }
        (Some(m), _) => {
            let _ = writeln!(out, "      {}:", s.name);
            for (k, v) in &m {
                let _ = writeln!(out, "        {k}: {}", shown(v));
            }
        }
        (None, Some(v)) => {
            let _ = writeln!(out, "      {}: {}", s.name, shown(v));
        }
        (None, None) => {}
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        v => v.to_string(),
    }
}

/// `old → new`; when either is long, only the part that differs, with a
/// little context on each side (`--full` shows both whole).
fn change(old: &Value, new: &Value, opts: ShowOptions) -> String {
    const LONG: usize = 72;
    const CONTEXT: usize = 16;
    let (a, b) = (shown(old), shown(new));
    let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if opts.full || (ca.len() <= LONG && cb.len() <= LONG) {
        return format!("{a} → {b}");
    }
    let prefix = ca.iter().zip(&cb).take_while(|(x, y)| x == y).count();
    let max_suffix = ca.len().min(cb.len()) - prefix;
    let suffix = ca
        .iter()
        .rev()
        .zip(cb.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let part = |c: &[char]| {
        let from = prefix.saturating_sub(CONTEXT);
        let to = (c.len() - suffix + CONTEXT).min(c.len());
        let mut s: String = c[from..to].iter().collect();
        if from > 0 {
            s.insert(0, '…');
        }
        if to < c.len() {
            s.push('…');
        }
        s
    };
    format!(
        "{} → {} (differs at character {})",
        part(&ca),
        part(&cb),
        prefix + 1
    )
}

fn value(v: Option<&Value>, opts: ShowOptions) -> String {
    let s = match v {
        None => return "(unset)".to_string(),
        Some(Value::String(s)) => format!("\"{s}\""),
        Some(v) => v.to_string(),
    };
    if !opts.full && s.chars().count() > 72 {
        format!("{}…", s.chars().take(71).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change_of(name: &str, old: Value, new: Value) -> ParamChange {
        ParamChange {
            name: name.into(),
            old: Some(old),
            new: Some(new),
            sensitive: false,
        }
    }

    #[test]
    fn labels_diff_key_by_key() {
        let mut out = String::new();
        let old = json!({"kube_tag": "v1.29.0", "gone": "x", "same": "1"});
        // Heat hands json parameters back as text: both forms compare.
        let new = json!(r#"{"kube_tag": "v1.30.1", "added": "y", "same": "1"}"#);
        param(
            &mut out,
            &change_of("labels", old, new),
            ShowOptions::default(),
        );
        assert_eq!(
            out,
            "      labels:\n        + added: \"y\"\n        - gone: \"x\"\n        ~ kube_tag: \"v1.29.0\" → \"v1.30.1\"\n"
        );
    }

    #[test]
    fn long_values_show_where_they_differ() {
        let a = format!("{}OLD{}", "a".repeat(100), "z".repeat(100));
        let b = format!("{}NEW{}", "a".repeat(100), "z".repeat(100));
        let text = change(&json!(a), &json!(b), ShowOptions::default());
        assert_eq!(
            text,
            format!(
                "…{0}OLD{1}… → …{0}NEW{1}… (differs at character 102)",
                "a".repeat(16),
                "z".repeat(16)
            )
        );
        let full = change(&json!(a), &json!(b), ShowOptions { full: true });
        assert_eq!(full, format!("\"{a}\" → \"{b}\""));
    }

    #[test]
    fn secrets_never_split_into_keys() {
        let mut out = String::new();
        let mut p = change_of("secret_labels", json!("(sensitive)"), json!("(sensitive)"));
        p.sensitive = true;
        param(&mut out, &p, ShowOptions::default());
        assert_eq!(
            out,
            "      secret_labels: \"(sensitive)\" → \"(sensitive)\"\n"
        );
    }
}
