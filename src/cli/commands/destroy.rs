//! `coe destroy [CLUSTER...]`: delete clusters' stacks and wait until they are gone.

use crate::apply::{self, Step, StepKind};
use crate::cli::args::DestroyArgs;
use crate::cli::exit;
use crate::cli::remote::{Prepared, Ui, config_name, confirm, connect};
use crate::compile::MANAGED_TAG;
use crate::plan::{Remote, config_tag};
use std::sync::atomic::AtomicBool;

static CANCEL: AtomicBool = AtomicBool::new(false);

pub fn run(a: DestroyArgs) -> Result<i32, String> {
    let config = a
        .config_name
        .clone()
        .unwrap_or_else(|| config_name(&a.path));
    let heat = connect(&a.cloud)?;
    let stacks = heat
        .list_stacks(&[MANAGED_TAG, &config_tag(&config)])
        .map_err(|e| e.to_string())?;
    let cluster_of = |s: &crate::heat::StackSummary| {
        s.tags
            .iter()
            .flatten()
            .find_map(|t| t.strip_prefix("coe-cluster="))
            .unwrap_or(&s.stack_name)
            .to_string()
    };
    for name in &a.clusters {
        if !stacks.iter().any(|s| &cluster_of(s) == name) {
            return Err(format!(
                "no stack of cluster `{name}` in configuration `{config}` (see `coe list`)"
            ));
        }
    }
    let chosen: Vec<_> = stacks
        .iter()
        .filter(|s| a.clusters.is_empty() || a.clusters.contains(&cluster_of(s)))
        .collect();
    if chosen.is_empty() {
        println!("No stacks of configuration `{config}` to destroy.");
        return Ok(exit::OK);
    }
    println!("These stacks will be deleted, with every server, volume and network in them:");
    for s in &chosen {
        println!(
            "  - {} (cluster {}, {})",
            s.stack_name,
            cluster_of(s),
            s.stack_status
        );
    }
    if !confirm("Destroy them?", a.yes)? {
        println!("Nothing destroyed.");
        return Ok(exit::FAILED);
    }
    let steps = chosen
        .iter()
        .map(|s| Step {
            cluster: cluster_of(s),
            stack_name: s.stack_name.clone(),
            kind: StepKind::Delete,
            request: None,
            remote: Some(Remote::from(*s)),
            timeout_mins: 60,
        })
        .collect();
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let ui = Ui::new();
    let results = apply::run(&heat, steps, a.parallel, &ui, &CANCEL);
    let empty = Prepared {
        sources: crate::source::SourceMap::new(),
        targets: Vec::new(),
        config,
        paths: Vec::new(),
        env_files: Vec::new(),
    };
    Ok(super::apply::report(&empty, &ui, &results, "Destroy"))
}
