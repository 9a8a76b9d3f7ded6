//! `coe plan -o plan.json`: what apply needs to execute exactly the plan
//! that was shown, and to refuse when anything moved since. It holds digests
//! of the requests, not the requests, so no secret is written to disk; apply
//! compiles the same sources again and checks the digests.

use super::{Action, Plan, Remote};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

pub const KIND: &str = "coe-plan";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedPlan {
    pub kind: String,
    pub format_version: u32,
    pub heat_url: String,
    pub config: String,
    /// The inputs the plan was made from, as given on the command line.
    pub sources: Vec<PathBuf>,
    pub env_files: Vec<PathBuf>,
    pub clusters: Vec<SavedCluster>,
    pub orphans: Vec<SavedOrphan>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedCluster {
    pub cluster: String,
    pub stack_name: String,
    pub action: Action,
    pub remote: Option<Remote>,
    pub request_digest: String,
    /// Whether the change may start masters (see `ClusterPlan`); a plan
    /// saved before coe recorded it is read as yes.
    #[serde(default = "assume_yes")]
    pub builds_masters: bool,
    /// Whether it rebuilds or replaces masters (see `ClusterPlan`).
    #[serde(default = "assume_yes")]
    pub rebuilds_masters: bool,
}

fn assume_yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedOrphan {
    pub stack_name: String,
    pub remote: Remote,
    pub action: Action,
}

impl SavedPlan {
    pub fn of(plan: &Plan, sources: Vec<PathBuf>, env_files: Vec<PathBuf>) -> SavedPlan {
        SavedPlan {
            kind: KIND.to_string(),
            format_version: super::FORMAT_VERSION,
            heat_url: plan.heat_url.clone(),
            config: plan.config.clone(),
            sources,
            env_files,
            clusters: plan
                .clusters
                .iter()
                .map(|c| SavedCluster {
                    cluster: c.cluster.clone(),
                    stack_name: c.stack_name.clone(),
                    action: c.action,
                    remote: c.remote.clone(),
                    request_digest: c.request_digest.clone(),
                    builds_masters: c.builds_masters,
                    rebuilds_masters: c.rebuilds_masters,
                })
                .collect(),
            orphans: plan
                .orphans
                .iter()
                .map(|o| SavedOrphan {
                    stack_name: o.stack_name.clone(),
                    remote: o.remote.clone(),
                    action: o.action,
                })
                .collect(),
        }
    }

    pub fn parse(text: &str) -> Result<SavedPlan, String> {
        let p: SavedPlan =
            serde_json::from_str(text).map_err(|e| format!("not a coe plan file: {e}"))?;
        if p.kind != KIND {
            return Err(format!("not a coe plan file (kind `{}`)", p.kind));
        }
        if p.format_version != super::FORMAT_VERSION {
            return Err(format!(
                "plan format version {} is not supported (this coe writes {})",
                p.format_version,
                super::FORMAT_VERSION
            ));
        }
        Ok(p)
    }
}

/// SHA-256 of a request's canonical JSON.
pub fn digest(v: &serde_json::Value) -> String {
    let bytes = serde_json::to_vec(v).expect("JSON");
    let mut h = Sha256::new();
    h.update(&bytes);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_saved_before_builds_masters_was_recorded_opens_the_credential() {
        let text = r#"{"kind": "coe-plan", "format_version": 1, "heat_url": "h", "config": "c",
            "sources": [], "env_files": [], "orphans": [],
            "clusters": [{"cluster": "a", "stack_name": "s", "action": "update",
                          "remote": null, "request_digest": "d"}]}"#;
        let p = SavedPlan::parse(text).unwrap();
        assert!(p.clusters[0].builds_masters && p.clusters[0].rebuilds_masters);
        let mut again: serde_json::Value = serde_json::to_value(&p).unwrap();
        again["clusters"][0]["builds_masters"] = false.into();
        let p = SavedPlan::parse(&again.to_string()).unwrap();
        assert!(!p.clusters[0].builds_masters);
    }
}
