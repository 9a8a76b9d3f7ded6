//! One stack change, sent so that a lost reply never causes a second effect:
//! after an ambiguous failure the stack is looked up before anything is
//! sent again.

use super::wait::{Settled, wait};
use super::{Hooks, Outcome, Progress};
use crate::heat::{ErrorKind, Heat, HeatError, StackSummary, stack_path};
use crate::plan::Remote;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Create,
    Update,
    Delete,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub cluster: String,
    pub stack_name: String,
    pub kind: StepKind,
    /// The create body (create and update).
    pub request: Option<Value>,
    /// The stack as planned (update and delete); it must not have moved.
    pub remote: Option<Remote>,
    pub timeout_mins: u64,
    /// Groups the update rolls through in batches, for the progress.
    pub batches: Vec<Batches>,
    /// Whether the change may start masters, which fetch the cluster's
    /// secrets with its node credential (a create always does).
    pub builds_masters: bool,
    /// Whether it rebuilds or replaces masters: Heat does not wait for
    /// those to bootstrap again, so their credential cannot close when the
    /// stack settles.
    pub rebuilds_masters: bool,
}

impl Step {
    /// Deleting a stack (`destroy`, `--prune`): the stack as planned must
    /// not have moved since.
    pub fn delete(cluster: &str, stack_name: &str, remote: Option<Remote>) -> Step {
        Step {
            cluster: cluster.to_string(),
            stack_name: stack_name.to_string(),
            kind: StepKind::Delete,
            request: None,
            remote,
            timeout_mins: 60,
            batches: Vec::new(),
            builds_masters: false,
            rebuilds_masters: false,
        }
    }
}

/// A group whose members an update replaces batch by batch, highest index
/// first (Heat's rolling update).
#[derive(Debug, Clone)]
pub struct Batches {
    pub group: String,
    pub members: u64,
    pub size: u64,
}

impl Batches {
    /// The members of batch `k` (from 0), highest index first.
    pub fn members_of(&self, k: u64) -> Vec<u64> {
        let top = self.members.saturating_sub(k * self.size.max(1));
        (top.saturating_sub(self.size.max(1))..top).rev().collect()
    }

    pub fn count(&self) -> u64 {
        self.members.div_ceil(self.size.max(1))
    }
}

/// How many times a create or update is sent when replies are lost.
const SEND_ATTEMPTS: u32 = 3;

pub fn execute(
    heat: &Heat,
    step: &Step,
    progress: &dyn Progress,
    cancel: &AtomicBool,
    hooks: &dyn Hooks,
) -> Outcome {
    match run(heat, step, progress, cancel, hooks) {
        Ok(o) => o,
        Err(e) => Outcome::Error(e),
    }
}

fn run(
    heat: &Heat,
    step: &Step,
    progress: &dyn Progress,
    cancel: &AtomicBool,
    hooks: &dyn Hooks,
) -> Result<Outcome, HeatError> {
    let current = heat.find_stack(&step.stack_name)?;
    if let Some(s) = &current
        && s.in_progress()
    {
        return Ok(Outcome::Refused(format!(
            "the stack is {}; coe does not touch a stack in progress (wait, then apply again)",
            s.stack_status
        )));
    }
    match step.kind {
        StepKind::Create => {
            if let Some(s) = current {
                return Ok(Outcome::Refused(format!(
                    "a stack named `{}` appeared since the plan ({}); plan again",
                    s.stack_name, s.stack_status
                )));
            }
            if let Err(e) = hooks.before(step) {
                return Ok(Outcome::Refused(e));
            }
            progress.started(&step.cluster, "creating");
            let request = step.request.as_ref().expect("create has a request");
            match send_create(heat, step, request, progress, cancel)? {
                Ok(s) => settle(heat, step, &s, progress, cancel),
                Err(stopped) => Ok(stopped),
            }
        }
        StepKind::Update => {
            let Some(s) = current else {
                return Ok(Outcome::Refused(
                    "the stack is gone since the plan; plan again".into(),
                ));
            };
            if let Err(why) = unchanged_since_plan(step, &s) {
                return Ok(Outcome::Refused(why));
            }
            if let Err(e) = hooks.before(step) {
                return Ok(Outcome::Refused(e));
            }
            progress.started(&step.cluster, "updating");
            let mut body = step.request.clone().expect("update has a request");
            if let Some(o) = body.as_object_mut() {
                o.remove("stack_name");
            }
            match send_update(heat, step, &s, &body, progress, cancel)? {
                Ok(()) => settle(heat, step, &s, progress, cancel),
                Err(stopped) => Ok(stopped),
            }
        }
        StepKind::Delete => {
            let Some(s) = current else {
                return Ok(Outcome::Deleted);
            };
            if let Err(why) = unchanged_since_plan(step, &s) {
                return Ok(Outcome::Refused(why));
            }
            progress.started(&step.cluster, "deleting");
            heat.delete(&s.path())?;
            settle(heat, step, &s, progress, cancel)
        }
    }
}

fn unchanged_since_plan(step: &Step, s: &StackSummary) -> Result<(), String> {
    match &step.remote {
        Some(r) if r.fingerprint != s.fingerprint() => Err(format!(
            "the stack changed since the plan (planned against {} {}, now {} {}); plan again",
            r.status,
            r.fingerprint.split('@').nth(1).unwrap_or(""),
            s.stack_status,
            s.updated_time
                .as_deref()
                .or(s.creation_time.as_deref())
                .unwrap_or("")
        )),
        _ => Ok(()),
    }
}

/// What sending a create or update came to: `Ok` to follow the stack, or
/// the outcome to stop with.
type Sent<T> = Result<T, Outcome>;

/// POST once; when the reply is lost, look for the stack before sending
/// again. A resend is harmless: if the earlier request made the stack after
/// all, Heat refuses the name.
fn send_create(
    heat: &Heat,
    step: &Step,
    request: &Value,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<Sent<StackSummary>, HeatError> {
    let taken = || {
        Outcome::Refused(format!(
            "a stack named `{}` already exists; plan again",
            step.stack_name
        ))
    };
    let mut last = None;
    for attempt in 1..=SEND_ATTEMPTS {
        match heat.create(request) {
            Ok(id) => {
                return Ok(Ok(StackSummary {
                    id,
                    stack_name: step.stack_name.clone(),
                    stack_status: "CREATE_IN_PROGRESS".into(),
                    stack_status_reason: None,
                    tags: None,
                    creation_time: None,
                    updated_time: None,
                }));
            }
            // A resend that finds the name taken: the earlier request
            // reached Heat after our look (a gateway gave up on it while it
            // was still on its way). Follow that stack if it carries this
            // request's tags, digest included.
            Err(e) if e.kind == ErrorKind::Conflict && last.is_some() => {
                return match heat.find_stack(&step.stack_name)? {
                    Some(s) if same_tags(&s, request) => {
                        progress.event(
                            &step.cluster,
                            "the earlier create request did reach Heat; following that stack",
                        );
                        Ok(Ok(s))
                    }
                    _ => Ok(Err(taken())),
                };
            }
            Err(e) if e.kind == ErrorKind::Conflict => return Ok(Err(taken())),
            Err(e) if e.transient() => {
                progress.event(
                    &step.cluster,
                    &format!("create request failed ({e}); checking whether Heat got it"),
                );
                if let Some(s) = heat.find_stack(&step.stack_name)? {
                    progress.event(&step.cluster, "Heat did get it; following that stack");
                    return Ok(Ok(s));
                }
                if attempt < SEND_ATTEMPTS && !pause(heat.backoff * attempt, cancel) {
                    return Ok(Err(interrupted_unsure("create", &e)));
                }
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("an attempt failed"))
}

/// Whether the stack carries exactly the tags of this create request.
fn same_tags(s: &StackSummary, request: &Value) -> bool {
    let Some(want) = request.get("tags").and_then(Value::as_str) else {
        return false;
    };
    let mut want: Vec<&str> = want.split(',').collect();
    let mut have: Vec<&str> = s.tags.iter().flatten().map(String::as_str).collect();
    want.sort_unstable();
    have.sort_unstable();
    want == have
}

/// PUT once. An update must never run twice: a second PUT that reaches
/// Heat while the first runs makes Heat cancel the first, and the stack can
/// end UPDATE_FAILED. So after a failure coe looks at the stack and sends
/// again only when the request surely never left. When it may still be on
/// its way (a gateway's 504 or 503, a reset, a timeout), coe watches the
/// stack for it and, if it does not show, stops without sending it again.
fn send_update(
    heat: &Heat,
    step: &Step,
    s: &StackSummary,
    body: &Value,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<Sent<()>, HeatError> {
    let mut last = None;
    for attempt in 1..=SEND_ATTEMPTS {
        let e = match heat.update(&s.path(), body) {
            Ok(()) => return Ok(Ok(())),
            Err(e) if e.transient() => e,
            Err(e) => return Err(e),
        };
        progress.event(
            &step.cluster,
            &format!("update request failed ({e}); checking whether Heat got it"),
        );
        if update_started(heat, s)? {
            return Ok(Ok(()));
        }
        if e.may_have_acted() {
            return watch_for_late_update(heat, step, s, progress, cancel, e);
        }
        if attempt < SEND_ATTEMPTS && !pause(heat.backoff * attempt, cancel) {
            return Ok(Err(Outcome::Interrupted {
                status: s.stack_status.clone(),
            }));
        }
        last = Some(e);
    }
    Err(last.expect("an attempt failed"))
}

/// Whether the stack shows an update that began after `s` was read.
fn update_started(heat: &Heat, s: &StackSummary) -> Result<bool, HeatError> {
    let now = heat.summary(&s.path())?;
    Ok(now.in_progress() || now.fingerprint() != s.fingerprint())
}

/// The update may still reach Heat: follow it if it shows within
/// `heat.landing`, otherwise fail without sending it again. A look that
/// fails for a moment (the gateway that lost the reply may still be
/// flapping) counts as no sign yet.
fn watch_for_late_update(
    heat: &Heat,
    step: &Step,
    s: &StackSummary,
    progress: &dyn Progress,
    cancel: &AtomicBool,
    failure: HeatError,
) -> Result<Sent<()>, HeatError> {
    let window = heat.landing.as_secs_f64();
    progress.event(
        &step.cluster,
        &format!(
            "no sign of the update yet, and it may still be on its way: watching the stack for up to {window:.0} s (coe never sends an update twice)"
        ),
    );
    let deadline = Instant::now() + heat.landing;
    while Instant::now() < deadline {
        let slice = heat
            .poll
            .min(deadline.saturating_duration_since(Instant::now()));
        if !pause(slice, cancel) {
            return Ok(Err(interrupted_unsure("update", &failure)));
        }
        match update_started(heat, s) {
            Ok(true) => {
                progress.event(
                    &step.cluster,
                    "the update request did reach Heat; following it",
                );
                return Ok(Ok(()));
            }
            Ok(false) => {}
            Err(e) if e.transient() => {}
            Err(e) => return Err(e),
        }
    }
    Err(HeatError {
        message: format!(
            "{}; the stack showed no sign of the update within {window:.0} s and coe did not send it again, because a second update while the first runs can cancel it. Run `coe plan` to see whether it landed, then `coe apply` again",
            failure.message
        ),
        ..failure
    })
}

/// Waits `d` in small slices; false as soon as Ctrl-C was pressed.
fn pause(d: Duration, cancel: &AtomicBool) -> bool {
    let until = Instant::now() + d;
    loop {
        if cancel.load(Ordering::SeqCst) {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// Ctrl-C while a request whose reply was lost may still reach Heat.
fn interrupted_unsure(what: &str, failure: &HeatError) -> Outcome {
    Outcome::Unsure(format!(
        "interrupted after the {what} request failed ({failure}); coe did not send it again, and it may still reach Heat. Run `coe plan` to see whether it landed before applying again"
    ))
}

fn settle(
    heat: &Heat,
    step: &Step,
    s: &StackSummary,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<Outcome, HeatError> {
    let path = stack_path(&s.stack_name, &s.id);
    // Heat enforces the stack timeout itself; allow it a few minutes to say so.
    let minutes = step.timeout_mins + 5;
    Ok(match wait(heat, &path, step, progress, cancel, minutes)? {
        Settled::Gone => Outcome::Deleted,
        Settled::Status(st) if st.stack_status == "DELETE_COMPLETE" => Outcome::Deleted,
        Settled::Status(st) if st.failed() => Outcome::Failed {
            reason: st
                .stack_status_reason
                .clone()
                .unwrap_or_else(|| "no reason given".into()),
            cause: super::root_cause(heat, &path, st.stack_status_reason.as_deref()),
            status: st.stack_status,
        },
        Settled::Status(st) => Outcome::Done {
            outputs: heat.outputs(&path).unwrap_or_default(),
            status: st.stack_status,
        },
        Settled::Interrupted(status) => Outcome::Interrupted { status },
        Settled::TimedOut(status) => Outcome::TimedOut { status, minutes },
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn batches_go_highest_index_first() {
        let b = super::Batches {
            group: "workers".into(),
            members: 5,
            size: 2,
        };
        assert_eq!(b.count(), 3);
        assert_eq!(b.members_of(0), [4, 3]);
        assert_eq!(b.members_of(1), [2, 1]);
        assert_eq!(b.members_of(2), [0]);
    }

    use super::*;
    use serde_json::json;

    fn stack(tags: &[&str]) -> StackSummary {
        StackSummary {
            id: "1".into(),
            stack_name: "s".into(),
            stack_status: "CREATE_IN_PROGRESS".into(),
            stack_status_reason: None,
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            creation_time: None,
            updated_time: None,
        }
    }

    #[test]
    fn a_stack_is_ours_only_with_every_tag_of_the_request() {
        let request = json!({"tags": "coe-managed,coe-cluster=a,coe-config=c,coe-hidden=x1"});
        let ours = [
            "coe-config=c",
            "coe-managed",
            "coe-hidden=x1",
            "coe-cluster=a",
        ];
        assert!(same_tags(&stack(&ours), &request));
        assert!(!same_tags(&stack(&ours[..3]), &request));
        let other = [
            "coe-managed",
            "coe-cluster=a",
            "coe-config=c",
            "coe-hidden=x2",
        ];
        assert!(!same_tags(&stack(&other), &request));
        assert!(!same_tags(&stack(&ours), &json!({})));
    }
}
