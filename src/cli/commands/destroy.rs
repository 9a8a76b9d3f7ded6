//! `coe destroy [PATH...] [--cluster NAME...]`: delete clusters' stacks and wait until they are gone.

use crate::apply::{self, Step};
use crate::check;
use crate::cli::args::DestroyArgs;
use crate::cli::cluster_credentials;
use crate::cli::configuration::Configuration;
use crate::cli::error::{Error, unknown_cluster};
use crate::cli::exit;
use crate::cli::remote::{Prepared, Ui, confirm, connect_full};
use crate::compile::MANAGED_TAG;
use crate::plan::{Remote, config_tag};
use std::sync::atomic::AtomicBool;

static CANCEL: AtomicBool = AtomicBool::new(false);

pub fn run(a: DestroyArgs) -> crate::cli::error::Outcome {
    let conf = Configuration::of(&a.paths, a.config_name.as_deref())?;
    let config = conf.name.clone();
    // A file narrows destroy to the clusters it declares.
    let mut only = a.clusters.clone();
    if only.is_empty() && conf.only_files.is_some() {
        let (mut sources, ids) = super::load(&conf.files)?;
        let checked = check::check_files(&mut sources, &ids, &check::Options::default());
        only = conf
            .clusters_in_scope(&checked.model, &sources)
            .into_iter()
            .map(str::to_string)
            .collect();
        if only.is_empty() {
            return Err(Error::usage(format!(
                "the files given declare no clusters; give `{}` to destroy the whole configuration",
                conf.dir.display()
            )));
        }
    }
    let (heat, conn) = connect_full(&a.cloud)?;
    let stacks = heat.list_stacks(&[MANAGED_TAG, &config_tag(&config)])?;
    let cluster_of =
        |s: &crate::heat::StackSummary| s.tag("coe-cluster=").unwrap_or(&s.stack_name).to_string();
    let live: Vec<String> = stacks.iter().map(cluster_of).collect();
    for name in &a.clusters {
        if !live.contains(name) {
            let among = format!("among the stacks of configuration `{config}` (see `coe list`)");
            return Err(unknown_cluster(
                name,
                live.iter().map(String::as_str),
                &among,
            ));
        }
    }
    let chosen: Vec<_> = stacks
        .iter()
        .filter(|s| only.is_empty() || only.contains(&cluster_of(s)))
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
    if cluster_credentials::keeps(&conn) {
        println!(
            "Then each cluster's CA key and node credential (Barbican secrets coe-<stack>-*, application credential coe-<stack>) are deleted too."
        );
    }
    if !confirm("Destroy them?", a.yes)? {
        println!("Nothing destroyed.");
        return Ok(exit::FAILED);
    }
    let steps = chosen
        .iter()
        .map(|s| Step::delete(&cluster_of(s), &s.stack_name, Some(Remote::from(*s))))
        .collect();
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let ui = Ui::new();
    let results = apply::run(&heat, steps, a.parallel, &ui, &CANCEL, &apply::NoHooks);
    let gone: Vec<String> = results
        .iter()
        .filter(|(_, o)| matches!(o, apply::Outcome::Deleted))
        .map(|(s, _)| s.stack_name.clone())
        .collect();
    let empty = Prepared {
        sources: crate::source::SourceMap::new(),
        targets: Vec::new(),
        config,
        paths: Vec::new(),
        env_files: Vec::new(),
        declared: None,
    };
    let code = super::apply::report(&empty, &ui, &results, "Destroy");
    // Only once the stack is gone: its masters may still read the CA key.
    let all = cluster_credentials::delete_for(&conn, &gone);
    Ok(if all { code } else { code.max(exit::FAILED) })
}
