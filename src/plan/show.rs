//! A plan as text: one block per cluster, the most disruptive change first;
//! `--full` adds every reason and the complete diffs.

use super::rollout::{Rollout, duration};
use super::{Action, ClusterPlan, Effect, FileStatus, Plan};
use serde_json::Value;
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
            s => format!("{} after each", duration(s)),
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
    for w in &r.warnings {
        let _ = writeln!(out, "    WARNING: {w}");
    }
    if let Some(d) = &r.downtime {
        let _ = writeln!(out, "    WARNING: {d}");
    }
}

fn cluster(out: &mut String, c: &ClusterPlan, opts: ShowOptions) {
    let _ = writeln!(
        out,
        "{} cluster {} (stack {}): {}",
        mark(c.action),
        c.cluster,
        c.stack_name,
        word(c.action)
    );
    let _ = writeln!(out, "    {}", c.reason);
    if let Some(r) = &c.rollout {
        rollout(out, r);
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
            let _ = writeln!(
                out,
                "      {}: {} → {}",
                p.name,
                value(p.old.as_ref(), opts),
                value(p.new.as_ref(), opts)
            );
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
