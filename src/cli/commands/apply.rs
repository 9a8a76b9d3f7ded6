//! `coe apply [plan.json | PATH...]`: carry out a plan, saved or made now.

use crate::apply::{self, Batches, Outcome, Step, StepKind};
use crate::cli::args::{ApplyArgs, TargetOpts};
use crate::cli::cluster_credentials::{self, Kept};
use crate::cli::error::Error;
use crate::cli::exit;
use crate::cli::remote::{Prepared, Ui, confirm, connect_full, note, plan_options, prepare};
use crate::diag::{Code, Diagnostic, render};
use crate::heat::Heat;
use crate::heat::auth::Connection;
use crate::plan::{self, Action, SavedPlan, ShowOptions, Target, digest};
use crate::source::{SourceMap, Span};
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code after Ctrl-C, as shells expect.
const INTERRUPTED: i32 = 130;

static CANCEL: AtomicBool = AtomicBool::new(false);

pub fn run(a: ApplyArgs) -> crate::cli::error::Outcome {
    apply(a, None)
}

/// Applies, and with `rotate` the next step of that cluster's CA rotation
/// (`coe ca rotate`; the arguments then name that one cluster).
pub fn apply(a: ApplyArgs, rotate: Option<&str>) -> crate::cli::error::Outcome {
    let saved = match a.paths.as_slice() {
        [one] if one.extension().is_some_and(|x| x == "json") && one.is_file() => {
            refuse_planning_flags(&a)?;
            let text = crate::source::read_text(one)
                .map_err(|e| format!("cannot read `{}`: {e}", one.display()))?;
            Some(SavedPlan::parse(&text).map_err(|e| format!("{}: {e}", one.display()))?)
        }
        _ => None,
    };
    if saved.is_some() && rotate.is_some() {
        return Err(Error::usage(
            "`coe ca rotate` plans its step itself: give it the configuration, not a saved plan",
        ));
    }
    let (mut p, heat, conn, mut steps, mut kept) = match saved {
        Some(s) => match from_saved(&a, s)? {
            Ok(x) => x,
            Err(code) => return Ok(code),
        },
        None => match plan_now(&a, rotate)? {
            Ok(x) => x,
            Err(code) => return Ok(code),
        },
    };
    if steps.is_empty() {
        println!("No changes. Nothing to apply.");
        return Ok(exit::OK);
    }
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(INTERRUPTED);
        }
        note(
            "interrupted: coe stops following the stacks; Heat finishes what it started. Press Ctrl-C again to quit at once.",
        );
    });
    // After the confirmation, before any stack is sent.
    cluster_credentials::make_for_steps(&conn, &mut p.targets, &mut steps, &mut kept)?;
    let ui = Ui::new();
    let hooks = cluster_credentials::NodeCredentials::new(&conn, &kept);
    let results = apply::run(&heat, steps, a.parallel, &ui, &CANCEL, &hooks);
    let code = report(&p, &ui, &results, "Apply");
    let retired = hooks.report();
    let recorded = cluster_credentials::record_rotations(&conn, &kept, &results);
    Ok(if retired && recorded {
        code
    } else {
        code.max(exit::FAILED)
    })
}

type Ready = (Prepared, Heat, Connection, Vec<Step>, Kept);

fn plan_now(a: &ApplyArgs, rotate: Option<&str>) -> Result<Result<Ready, i32>, Error> {
    let mut p = match prepare(&a.paths, &a.target)? {
        Ok(p) => p,
        Err(code) => return Ok(Err(code)),
    };
    let options = plan_options(&p, a.change)?;
    let (heat, conn) = connect_full(&a.cloud)?;
    let kept = cluster_credentials::attach_found(&conn, &heat, &mut p.targets, rotate)?;
    let plan = plan::plan(&heat, &p.targets, &p.config, &options)?;
    if let Some(cluster) = rotate
        && plan
            .clusters
            .iter()
            .any(|c| c.cluster == cluster && c.action == Action::Create)
    {
        return Err(Error::failed(format!(
            "cluster `{cluster}` has no stack to rotate the CA of (the plan would create it); apply it first"
        )));
    }
    print!("{}", plan::show(&plan, ShowOptions { full: a.full }));
    if let Some(note) = cluster_credentials::plan_note(&conn, &plan, &p.targets, &kept) {
        println!("{note}");
    }
    if plan.blocked().count() > 0 {
        eprintln!(
            "coe: error: nothing was applied: {} cluster(s) are blocked (see above); fix them or leave them out with --cluster",
            plan.blocked().count()
        );
        return Ok(Err(exit::FAILED));
    }
    if !plan.has_changes() {
        return Ok(Ok((p, heat, conn, Vec::new(), kept)));
    }
    if !confirm("Apply these changes?", a.yes)? {
        println!("Nothing applied.");
        return Ok(Err(exit::FAILED));
    }
    let mut steps = Vec::new();
    for c in &plan.clusters {
        let kind = match c.action {
            Action::Create => StepKind::Create,
            Action::Update | Action::Replace => StepKind::Update,
            _ => continue,
        };
        let t = target(&p, &c.cluster);
        let mut s = step(t, kind, c.remote.clone());
        s.builds_masters = kind == StepKind::Create || c.builds_masters;
        s.rebuilds_masters = c.rebuilds_masters;
        s.batches = c
            .rollout
            .iter()
            .flat_map(|r| &r.groups)
            .map(|g| Batches {
                group: g.group.clone(),
                members: g.members,
                size: g.batch,
            })
            .collect();
        steps.push(s);
    }
    for o in plan.orphans.iter().filter(|o| o.action == Action::Delete) {
        steps.push(orphan_step(&o.stack_name, Some(o.remote.clone())));
    }
    Ok(Ok((p, heat, conn, steps, kept)))
}

/// A saved plan runs only if the sources still compile to the same
/// requests and the stacks did not move (the steps check the latter).
/// A saved plan already fixed what to plan: flags that shape a plan would
/// be ignored, so they are refused.
fn refuse_planning_flags(a: &ApplyArgs) -> Result<(), Error> {
    let planning_flags = [
        ("--cluster", !a.target.clusters.is_empty()),
        ("-e", !a.target.env_files.is_empty()),
        ("--config-name", a.target.config_name.is_some()),
        ("--prune", a.change.prune),
        ("--adopt", a.change.adopt),
        ("--allow-downtime", a.change.allow_downtime),
    ];
    if let Some((flag, _)) = planning_flags.iter().find(|(_, given)| *given) {
        return Err(Error::usage(format!(
            "{flag} shapes a plan, and a saved plan is already made: give it to `coe plan ... -o plan.json` instead"
        )));
    }
    Ok(())
}

fn from_saved(a: &ApplyArgs, s: SavedPlan) -> Result<Result<Ready, i32>, Error> {
    let opts = TargetOpts {
        env_files: s.env_files.clone(),
        clusters: s.clusters.iter().map(|c| c.cluster.clone()).collect(),
        config_name: Some(s.config.clone()),
        deny_warnings: a.target.deny_warnings,
    };
    let mut p = match prepare(&s.sources, &opts)? {
        Ok(p) => p,
        Err(code) => return Ok(Err(code)),
    };
    let (heat, conn) = connect_full(&a.cloud)?;
    // As `coe plan` did, so that the requests' digests compare.
    let kept = cluster_credentials::attach_found(&conn, &heat, &mut p.targets, None)?;
    if heat.base() != s.heat_url {
        return Err(Error::failed(format!(
            "the plan was made against {}, but this is {}; plan again for this cloud",
            s.heat_url,
            heat.base()
        )));
    }
    let mut steps = Vec::new();
    for c in &s.clusters {
        let t = target(&p, &c.cluster);
        if digest(&t.request) != c.request_digest {
            return Err(Error::failed(format!(
                "cluster `{}` compiles differently than when the plan was made (sources or environment files changed); plan again",
                c.cluster
            )));
        }
        let kind = match c.action {
            Action::Create => StepKind::Create,
            Action::Update | Action::Replace => StepKind::Update,
            Action::Blocked => {
                return Err(Error::failed(format!(
                    "the plan has cluster `{}` blocked; plan again",
                    c.cluster
                )));
            }
            _ => continue,
        };
        println!("{} {}", verb(kind), c.cluster);
        let mut s = step(t, kind, c.remote.clone());
        s.builds_masters = kind == StepKind::Create || c.builds_masters;
        s.rebuilds_masters = c.rebuilds_masters;
        steps.push(s);
    }
    for o in s.orphans.iter().filter(|o| o.action == Action::Delete) {
        println!("delete stack {}", o.stack_name);
        steps.push(orphan_step(&o.stack_name, Some(o.remote.clone())));
    }
    if !steps.is_empty() && !confirm("Apply this saved plan?", a.yes)? {
        println!("Nothing applied.");
        return Ok(Err(exit::FAILED));
    }
    Ok(Ok((p, heat, conn, steps, kept)))
}

fn verb(k: StepKind) -> &'static str {
    match k {
        StepKind::Create => "create",
        StepKind::Update => "update",
        StepKind::Delete => "delete",
    }
}

fn target<'a>(p: &'a Prepared, cluster: &str) -> &'a Target {
    p.targets
        .iter()
        .find(|t| t.cluster == cluster)
        .expect("planned clusters come from the targets")
}

fn step(t: &Target, kind: StepKind, remote: Option<plan::Remote>) -> Step {
    Step {
        cluster: t.cluster.clone(),
        stack_name: t.stack_name.clone(),
        kind,
        request: Some(t.request.clone()),
        remote,
        timeout_mins: t.timeout_mins,
        batches: Vec::new(),
        builds_masters: false,
        rebuilds_masters: false,
    }
}

fn orphan_step(stack_name: &str, remote: Option<plan::Remote>) -> Step {
    Step::delete(stack_name, stack_name, remote)
}

/// Prints each outcome; failures as diagnostics at the `.coe` line behind
/// the failed resource. Returns the exit code.
pub fn report(p: &Prepared, ui: &Ui, results: &[(Step, Outcome)], what: &str) -> i32 {
    let color = super::use_color(crate::cli::args::Color::Auto);
    let mut code = exit::OK;
    // The live lines end first, each with its cluster's last word; what
    // follows is printed below them, never under a line that redraws.
    for (step, outcome) in results {
        ui.finish(&step.cluster, &final_line(outcome));
    }
    ui.close();
    for (step, outcome) in results {
        match outcome {
            Outcome::Done { outputs, .. } => {
                for o in outputs {
                    match &o.output_error {
                        Some(err) => {
                            println!("{}: {} = (error: {err})", step.cluster, o.output_key)
                        }
                        None => println!(
                            "{}: {} = {}",
                            step.cluster,
                            o.output_key,
                            show_output(&o.output_value)
                        ),
                    }
                }
            }
            Outcome::Deleted => {}
            Outcome::Failed {
                status,
                reason,
                cause,
            } => {
                code = exit::FAILED;
                let span = cause.as_ref().and_then(|c| {
                    let t = p.targets.iter().find(|t| t.cluster == step.cluster)?;
                    let e = t.sourcemap.resources.get(c.top())?;
                    span_of(&p.sources, &e.file, e.start, e.end)
                });
                match span {
                    Some(span) => {
                        let c = cause.as_ref().expect("span comes from the cause");
                        let what = match &c.resource_type {
                            Some(t) => format!("{} ({t})", c.path.join("/")),
                            None => c.path.join("/"),
                        };
                        let d = Diagnostic::new(
                            Code(701),
                            span,
                            format!("cluster `{}`: {status}: {what} failed: {}", step.cluster, c.message),
                        )
                        .with_label(format!("`{}` comes from here", c.top()))
                        .with_note(format!("Heat: {reason}"))
                        .with_help(format!(
                            "fix the cause and run `coe apply` again; Heat keeps the stack as {status} and the next apply updates it"
                        ));
                        eprint!("{}", render::human::render(&p.sources, &[d], color));
                    }
                    None => eprintln!("coe: error: cluster `{}`: {status}: {reason}", step.cluster),
                }
            }
            Outcome::Refused(why) => {
                code = exit::FAILED;
                eprintln!(
                    "coe: error: cluster `{}` was not applied: {why}",
                    step.cluster
                );
            }
            Outcome::Interrupted { status } => {
                code = INTERRUPTED;
                eprintln!(
                    "coe: cluster `{}` is still {status} in Heat; once it settles, run `coe plan` or `coe apply` again",
                    step.cluster
                );
            }
            Outcome::Unsure(why) => {
                code = INTERRUPTED;
                eprintln!("coe: cluster `{}`: {why}", step.cluster);
            }
            Outcome::TimedOut { status, minutes } => {
                code = exit::FAILED;
                eprintln!(
                    "coe: error: cluster `{}` was still {status} after {minutes} minutes; coe stopped waiting (Heat has not been told to stop)",
                    step.cluster
                );
            }
            Outcome::Error(e) => {
                code = exit::FAILED;
                eprintln!("coe: error: cluster `{}`: {e}", step.cluster);
            }
        }
    }
    if code == exit::OK {
        println!("{what} complete: {} stack(s).", results.len());
    }
    code
}

/// A cluster's last progress line.
fn final_line(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Done { status, .. } | Outcome::Failed { status, .. } => status.clone(),
        Outcome::Deleted => "deleted".into(),
        Outcome::Refused(_) => "not applied".into(),
        Outcome::Interrupted { status } => format!("{status} (no longer followed)"),
        Outcome::Unsure(_) => "interrupted".into(),
        Outcome::TimedOut { status, minutes } => format!("{status} after {minutes} min"),
        Outcome::Error(_) => "error".into(),
    }
}

fn show_output(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

fn span_of(sources: &SourceMap, file: &str, start: u32, end: u32) -> Option<Span> {
    let id = sources.find_by_name(file)?;
    Some(Span::new(id, start as usize, end as usize))
}
