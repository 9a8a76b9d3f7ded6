//! Compiled bundles + what Heat has now → what `apply` would change, and why.
//! Heat's API is the only state: each cluster's stack is found by name and
//! its stored template, files and environment are compared with the new
//! request. Changes are explained by two signals, our own analysis of the
//! templates (`analyze`) and Heat's preview.

pub mod analyze;
mod compare;
pub mod envfile;
pub mod rollout;
mod saved;
mod show;
mod target;

pub use analyze::{Effect, ResourceChange};
pub use saved::{SavedPlan, digest};
pub use show::{ShowOptions, show};
pub use target::{
    CONFIG_TAG_PREFIX, Target, add_defaults, config_tag, labels_map, tag_safe, takes_parameter,
    targets,
};

use crate::heat::{Heat, HeatError, StackSummary};
use serde::Serialize;

/// The JSON format's version (`coe plan --json`, `-o plan.json`).
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    /// An update that replaces or rebuilds resources (nodes lose their disks).
    Replace,
    NoChange,
    /// A managed stack no longer declared; deleted only with `--prune`.
    Delete,
    /// Cannot be planned: busy, not ours, or rejected by Heat.
    Blocked,
}

impl Action {
    pub fn changes(self) -> bool {
        matches!(
            self,
            Action::Create | Action::Update | Action::Replace | Action::Delete
        )
    }
}

/// The remote stack a plan was made against.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Remote {
    pub id: String,
    pub status: String,
    /// Changes whenever Heat touches the stack; a saved plan checks it.
    pub fingerprint: String,
}

impl From<&StackSummary> for Remote {
    fn from(s: &StackSummary) -> Self {
        Remote {
            id: s.id.clone(),
            status: s.stack_status.clone(),
            fingerprint: s.fingerprint(),
        }
    }
}

/// A parameter whose value changes. Hidden ones show `(sensitive)`.
#[derive(Debug, Clone, Serialize)]
pub struct ParamChange {
    pub name: String,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    pub sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Removed,
    Changed,
}

/// A template or script of the bundle that changes.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    pub name: String,
    pub status: FileStatus,
    pub lines_added: usize,
    pub lines_removed: usize,
    /// The unified diff (shown with `--full`).
    pub diff: String,
}

/// Resources Heat's own preview names, by bucket (`parent/name`).
#[derive(Debug, Clone, Serialize)]
pub struct HeatPreview {
    pub added: Vec<String>,
    pub deleted: Vec<String>,
    pub replaced: Vec<String>,
    pub updated: usize,
    pub unchanged: usize,
    /// Whether nested stacks were previewed too.
    pub nested: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterPlan {
    pub cluster: String,
    pub stack_name: String,
    pub action: Action,
    /// One line: why this action.
    pub reason: String,
    pub remote: Option<Remote>,
    pub parameters: Vec<ParamChange>,
    pub files: Vec<FileChange>,
    pub other: Vec<String>,
    pub resources: Vec<ResourceChange>,
    pub heat_preview: Option<HeatPreview>,
    /// How nodes are rebuilt, replaced or resized, one batch at a time, and
    /// what that interrupts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<rollout::Rollout>,
    /// What a create sets: its parameters and feature switches (create only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<ParamChange>,
    /// What a create makes: the top-level resources (create only).
    pub creates: Vec<String>,
    /// How many resources Heat's create preview lists, nested ones included.
    pub preview_total: Option<usize>,
    /// Whether the change may start masters (a create does; an update that
    /// adds, rebuilds or replaces them): apply opens their node credential.
    #[serde(skip)]
    pub builds_masters: bool,
    /// Whether it rebuilds or replaces masters (Heat does not wait for them
    /// to bootstrap again).
    #[serde(skip)]
    pub rebuilds_masters: bool,
    /// The top-level resource names of the new template.
    #[serde(skip)]
    pub top_level: Vec<String>,
    /// SHA-256 of the request apply will send.
    pub request_digest: String,
}

impl ClusterPlan {
    /// Whether the update changes nothing that runs: every change found is
    /// a value running servers ignore (their bootstrap, read once), or a
    /// group or nested template passing it down. Heat stores the new
    /// values; only nodes created from now on use them.
    pub fn record_only(&self) -> bool {
        let carrier = |r: &ResourceChange| {
            r.effect == Effect::Update
                && (r.resource_type == "OS::Heat::ResourceGroup"
                    || r.resource_type.ends_with(".yaml"))
        };
        self.action == Action::Update
            && self.resources.iter().any(|r| r.effect == Effect::Ignored)
            && self
                .resources
                .iter()
                .all(|r| r.effect == Effect::Ignored || carrier(r))
    }
}

/// A managed stack of this configuration whose cluster is gone.
#[derive(Debug, Clone, Serialize)]
pub struct Orphan {
    pub stack_name: String,
    pub remote: Remote,
    pub action: Action,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub format_version: u32,
    pub heat_url: String,
    pub config: String,
    pub clusters: Vec<ClusterPlan>,
    pub orphans: Vec<Orphan>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.clusters.iter().any(|c| c.action.changes())
            || self.orphans.iter().any(|o| o.action.changes())
    }

    pub fn blocked(&self) -> impl Iterator<Item = &ClusterPlan> {
        self.clusters.iter().filter(|c| c.action == Action::Blocked)
    }

    /// The clusters this plan creates.
    pub fn creates(&self) -> Vec<&str> {
        self.clusters
            .iter()
            .filter(|c| c.action == Action::Create)
            .map(|c| c.cluster.as_str())
            .collect()
    }
}

pub struct Options {
    pub prune: bool,
    /// Take over stacks another configuration owns.
    pub adopt: bool,
    /// Go ahead with updates that take a cluster's API down or lose its
    /// control plane's data.
    pub allow_downtime: bool,
    /// The stack names of every declared cluster, when the run covers the
    /// whole configuration. `None` when it was narrowed (`--cluster`, a
    /// file): stacks outside the scope are then not looked at, so a
    /// cluster left out is never taken for one no longer declared.
    pub declared: Option<Vec<String>>,
}

/// Plans every target against what Heat has.
pub fn plan(
    heat: &Heat,
    targets: &[Target],
    config: &str,
    opts: &Options,
) -> Result<Plan, HeatError> {
    let mut clusters = Vec::new();
    for t in targets {
        clusters.push(compare::plan_one(heat, t, config, opts)?);
    }
    let orphans = match &opts.declared {
        None => Vec::new(),
        Some(declared) => heat
            .list_stacks(&[&config_tag(config)])?
            .iter()
            .filter(|s| !declared.contains(&s.stack_name))
            .map(|s| Orphan {
                stack_name: s.stack_name.clone(),
                remote: Remote::from(s),
                action: if opts.prune {
                    Action::Delete
                } else {
                    Action::NoChange
                },
            })
            .collect(),
    };
    Ok(Plan {
        format_version: FORMAT_VERSION,
        heat_url: heat.base().to_string(),
        config: config.to_string(),
        clusters,
        orphans,
    })
}
