//! `coe plan`: what apply would change, cluster by cluster, and why.

use crate::cli::args::PlanArgs;
use crate::cli::cluster_credentials;
use crate::cli::exit;
use crate::cli::remote::{connect_full, plan_options, prepare};
use crate::plan::{self, SavedPlan, ShowOptions};

/// `--detailed-exitcode`: changes are present.
const CHANGES: i32 = 2;

pub fn run(a: PlanArgs) -> crate::cli::error::Outcome {
    let mut p = match prepare(&a.paths, &a.target)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let options = plan_options(&p, a.change)?;
    let (heat, conn) = connect_full(&a.cloud)?;
    let kept = cluster_credentials::attach_found(&conn, &heat, &mut p.targets, None)?;
    let plan = plan::plan(&heat, &p.targets, &p.config, &options)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&plan).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", plan::show(&plan, ShowOptions { full: a.full }));
        if let Some(note) = cluster_credentials::plan_note(&conn, &plan, &p.targets, &kept) {
            println!("{note}");
        }
    }
    if let Some(out) = &a.out {
        let saved = SavedPlan::of(&plan, absolute(&p.paths), absolute(&p.env_files));
        let text = serde_json::to_string_pretty(&saved).map_err(|e| e.to_string())?;
        write_atomic(out, &(text + "\n"))?;
        if !a.json {
            println!(
                "Saved the plan to {}; run `coe apply {}` to carry it out.",
                out.display(),
                out.display()
            );
        }
    }
    let blocked = plan.blocked().count();
    Ok(if blocked > 0 {
        exit::FAILED
    } else if a.detailed_exitcode && plan.has_changes() {
        CHANGES
    } else {
        exit::OK
    })
}

fn absolute(paths: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    paths
        .iter()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        .collect()
}

fn write_atomic(path: &std::path::Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write `{}`: {e}", path.display())
        })
}
