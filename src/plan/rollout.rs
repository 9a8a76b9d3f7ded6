//! How an update that rebuilds or replaces nodes rolls through a cluster,
//! and what it interrupts. Everything is read from the new template: the
//! groups that carry a `rolling_update` policy, the role their metadata
//! names (`coe_role`), their batch size and pause (resolved from the
//! parameters), and the order their references impose on Heat.

use super::analyze::{Effect, ResourceChange};
use serde::Serialize;
use serde_json::{Map, Value};

/// One group whose members are rebuilt or replaced.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRollout {
    /// The group's resource name (`masters`).
    pub group: String,
    /// `master` or `worker`, from the group's `coe_role` metadata.
    pub role: String,
    pub effect: Effect,
    /// Members of the group after the update.
    pub members: u64,
    /// Members updated at the same time.
    pub batch: u64,
    /// Seconds Heat waits after each batch.
    pub pause_secs: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Rollout {
    /// In the order Heat updates them.
    pub groups: Vec<GroupRollout>,
    /// What the rollout interrupts or loses, in words.
    pub warnings: Vec<String>,
    /// Set when the update takes the API down or loses the control plane's
    /// data: apply refuses it without `--allow-downtime`.
    pub downtime: Option<String>,
}

/// Whether an update whose analysis found `resources` changes a node of
/// `role` (a group whose `coe_role` metadata names it) with an effect
/// `counts`: say, any but what running members ignore and removals, for
/// "may start a master" (read wide on purpose: the masters' node
/// credential is opened for it).
pub fn builds_role(
    template: &Value,
    resources: &[ResourceChange],
    role: &str,
    counts: impl Fn(Effect) -> bool,
) -> bool {
    let Some(defs) = template.get("resources").and_then(Value::as_object) else {
        return false;
    };
    defs.iter()
        .filter(|(_, def)| def.pointer("/metadata/coe_role").and_then(Value::as_str) == Some(role))
        .any(|(name, _)| {
            resources.iter().any(|r| {
                let under = r.path == *name || r.path.starts_with(&format!("{name}/"));
                under && counts(r.effect)
            })
        })
}

/// The rollout of an update whose analysis found `resources`, or `None`
/// when no group member is rebuilt or replaced. `masters` is the cluster's
/// master count after the update.
pub fn rollout(
    template: &Value,
    params: &Map<String, Value>,
    resources: &[ResourceChange],
    masters: u64,
) -> Option<Rollout> {
    let defs = template.get("resources")?.as_object()?;
    let template_params = template.get("parameters").and_then(Value::as_object);
    let value = |v: Option<&Value>| -> Option<u64> {
        match v? {
            Value::Number(n) => n.as_u64(),
            Value::Object(o) => {
                let name = o.get("get_param")?.as_str()?;
                let given = params
                    .get(name)
                    .or_else(|| template_params?.get(name)?.get("default"))?;
                given.as_u64().or_else(|| given.as_str()?.parse().ok())
            }
            _ => None,
        }
    };
    let mut groups: Vec<(GroupRollout, &Value)> = Vec::new();
    for (name, def) in defs {
        let Some(policy) = def.pointer("/update_policy/rolling_update") else {
            continue;
        };
        let prefix = format!("{name}/");
        let Some(effect) = resources
            .iter()
            .filter(|r| r.path.starts_with(&prefix) && interrupts(r.effect))
            .map(|r| r.effect)
            .max()
        else {
            continue;
        };
        let role = def
            .pointer("/metadata/coe_role")
            .and_then(Value::as_str)
            .unwrap_or("node")
            .to_string();
        groups.push((
            GroupRollout {
                group: name.clone(),
                role,
                effect,
                members: value(def.pointer("/properties/count")).unwrap_or(0),
                batch: value(policy.get("max_batch_size")).unwrap_or(1),
                pause_secs: value(policy.get("pause_time")).unwrap_or(0),
            },
            def,
        ));
    }
    if groups.is_empty() {
        return None;
    }
    // Heat updates a resource after those it refers to.
    let names: Vec<String> = groups.iter().map(|(g, _)| g.group.clone()).collect();
    let mut ordered: Vec<GroupRollout> = Vec::new();
    while !groups.is_empty() {
        let ready = groups
            .iter()
            .position(|(_, def)| {
                !names
                    .iter()
                    .any(|n| !ordered.iter().any(|o| &o.group == n) && refers_to(def, n))
            })
            .unwrap_or(0);
        ordered.push(groups.remove(ready).0);
    }
    let mut out = Rollout {
        groups: ordered,
        ..Rollout::default()
    };
    let word = |e: Effect| match e {
        Effect::Replace => "replaced",
        Effect::Resize => "resized (each reboots)",
        _ => "rebuilt",
    };
    if let Some(m) = out.groups.iter().find(|g| g.role == "master") {
        let done = word(m.effect);
        out.downtime = match masters {
            1 if m.effect == Effect::Resize => Some(
                "the cluster's only master reboots to be resized: the API is down until it is back"
                    .to_string(),
            ),
            1 => Some(format!(
                "the cluster's only master is {done}: the API is down until it is back, and the control plane's data is lost with its disk: the master starts a new, empty cluster that the workers are not part of"
            )),
            2 => Some(format!(
                "the control plane of 2 masters needs both for its quorum: while either is {done}, the API is down"
            )),
            _ => None,
        };
        if out.downtime.is_none() && m.pause_secs == 0 {
            out.warnings.push(format!(
                "masters are {done} one at a time, but rolling_master_pause is 0: the next goes as soon as Heat has {done} the previous one, before it has rejoined, and the control plane can lose its quorum"
            ));
        } else if out.downtime.is_none() {
            out.warnings.push(format!(
                "masters are {done} one at a time; each has {} to rejoin before the next goes (rolling_master_pause): Heat does not wait for a node's bootstrap, and if one is not back in time, the next still goes",
                duration(m.pause_secs)
            ));
        }
    }
    for w in out.groups.iter().filter(|g| g.role == "worker") {
        let lost = if w.effect == Effect::Resize {
            ""
        } else {
            " and their local data (emptyDir, hostPath) is lost"
        };
        let batch = match w.batch {
            1 => "one".to_string(),
            n => n.to_string(),
        };
        out.warnings.push(format!(
            "workers are {} {batch} at a time: the pods on them stop{lost}; coe does not drain them first",
            word(w.effect),
        ));
    }
    Some(out)
}

/// Effects that take a node out of service for a while.
fn interrupts(e: Effect) -> bool {
    matches!(e, Effect::Resize | Effect::Rebuild | Effect::Replace)
}

/// Whether a resource definition refers to `name` (`get_attr`,
/// `get_resource`, `depends_on`).
fn refers_to(def: &Value, name: &str) -> bool {
    match def {
        Value::Object(o) => o.iter().any(|(k, v)| {
            let direct = match k.as_str() {
                "get_resource" => v.as_str() == Some(name),
                "get_attr" => v.get(0).and_then(Value::as_str) == Some(name),
                "depends_on" => match v {
                    Value::String(s) => s == name,
                    Value::Array(a) => a.iter().any(|x| x.as_str() == Some(name)),
                    _ => false,
                },
                _ => false,
            };
            direct || refers_to(v, name)
        }),
        Value::Array(a) => a.iter().any(|v| refers_to(v, name)),
        _ => false,
    }
}

/// `0s`, `90s`, `10m`, `1h30m`.
pub fn duration(secs: u64) -> String {
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, 0) => format!("{h}h{m}m"),
        (h, m, s) => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(path: &str, effect: Effect) -> ResourceChange {
        ResourceChange {
            path: path.into(),
            resource_type: "OS::Nova::Server".into(),
            effect,
            reasons: Vec::new(),
        }
    }

    fn template() -> Value {
        json!({
            "parameters": {"pause": {"type": "number", "default": 600}},
            "resources": {
                "workers": {
                    "type": "OS::Heat::ResourceGroup",
                    "metadata": {"coe_role": "worker"},
                    "update_policy": {"rolling_update": {"max_batch_size": {"get_param": "batch"}, "pause_time": 0}},
                    "properties": {"resource_def": {"properties": {"ca": {"get_attr": ["masters", "resource.0.hash"]}}}}
                },
                "masters": {
                    "type": "OS::Heat::ResourceGroup",
                    "metadata": {"coe_role": "master"},
                    "update_policy": {"rolling_update": {"max_batch_size": 1, "pause_time": {"get_param": "pause"}}}
                }
            }
        })
    }

    #[test]
    fn groups_come_in_heats_order_with_their_policies() {
        let params = json!({"batch": 3}).as_object().cloned().unwrap();
        let r = rollout(
            &template(),
            &params,
            &[
                change("workers/*/server", Effect::Rebuild),
                change("masters/*/server", Effect::Rebuild),
            ],
            3,
        )
        .unwrap();
        let got: Vec<_> = r
            .groups
            .iter()
            .map(|g| (g.group.as_str(), g.batch, g.pause_secs))
            .collect();
        assert_eq!(got, [("masters", 1, 600), ("workers", 3, 0)]);
        assert!(r.downtime.is_none());
        assert!(r.warnings[0].contains("each has 10m to rejoin"), "{r:?}");
        assert!(r.warnings[1].contains("rebuilt 3 at a time"), "{r:?}");
    }

    #[test]
    fn one_or_two_masters_mean_downtime() {
        let params = Map::new();
        let masters = [change("masters/*/server", Effect::Replace)];
        let one = rollout(&template(), &params, &masters, 1).unwrap();
        assert!(one.downtime.unwrap().contains("only master is replaced"));
        let two = rollout(&template(), &params, &masters, 2).unwrap();
        assert!(two.downtime.unwrap().contains("needs both for its quorum"));
    }

    #[test]
    fn only_changes_that_may_start_a_master_build_masters() {
        let builds = |changes: &[ResourceChange]| {
            builds_role(&template(), changes, "master", |e| {
                !matches!(e, Effect::Ignored | Effect::Remove)
            })
        };
        assert!(builds(&[change("masters", Effect::Update)])); // e.g. a count that grows
        assert!(builds(&[change("masters/*/server", Effect::Rebuild)]));
        assert!(builds(&[change("masters/*/server", Effect::Replace)]));
        assert!(!builds(&[change("workers/*/server", Effect::Replace)]));
        assert!(!builds(&[change("masters/*/server", Effect::Ignored)]));
        assert!(!builds(&[change("masters/*", Effect::Remove)]));
        assert!(!builds(&[change("mastersX/*/server", Effect::Replace)]));
        assert!(!builds(&[]));
    }

    #[test]
    fn in_place_updates_roll_nothing() {
        let r = rollout(
            &template(),
            &Map::new(),
            &[change("masters/*/server", Effect::Update)],
            1,
        );
        assert!(r.is_none());
        let resize = [change("masters/*/server", Effect::Resize)];
        let r = rollout(&template(), &Map::new(), &resize, 1).unwrap();
        assert!(r.downtime.unwrap().contains("reboots to be resized"));
    }

    #[test]
    fn durations_read_as_written() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(600), "10m");
        assert_eq!(duration(5430), "1h30m30s");
    }
}
