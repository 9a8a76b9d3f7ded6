//! Executes planned changes against Heat: create, update or delete each
//! stack, follow its events until it settles, and on failure find the root
//! cause. Several clusters run at once, up to a bound. Never cancels
//! anything in Heat: an interrupted apply stops waiting and leaves Heat to
//! finish, so a rerun converges.

mod cause;
mod steps;
mod wait;

pub use cause::{RootCause, root_cause};
pub use steps::{Batches, Step, StepKind};

use crate::heat::{Heat, HeatError, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Where progress goes (the CLI draws it; this stage never prints).
pub trait Progress: Sync {
    /// A step started (`verb`: creating, updating, deleting).
    fn started(&self, cluster: &str, verb: &str);
    /// A Heat event or a note for one cluster.
    fn event(&self, cluster: &str, line: &str);
}

#[derive(Debug)]
pub enum Outcome {
    /// Settled: the final status and the stack's outputs.
    Done {
        status: String,
        outputs: Vec<Output>,
    },
    Deleted,
    Failed {
        status: String,
        reason: String,
        cause: Option<RootCause>,
    },
    /// Refused before sending anything.
    Refused(String),
    /// Ctrl-C: Heat carries on with the stack; a rerun picks it up.
    Interrupted {
        status: String,
    },
    /// Ctrl-C while a request whose reply was lost may still reach Heat;
    /// it was not sent again (the reason, in words).
    Unsure(String),
    TimedOut {
        status: String,
        minutes: u64,
    },
    Error(HeatError),
}

impl Outcome {
    pub fn ok(&self) -> bool {
        matches!(self, Outcome::Done { .. } | Outcome::Deleted)
    }
}

/// What the caller does around each change: `before`, once the checks
/// that it may be sent have passed and just before it is (an error refuses
/// the step), and `after`, as soon as it has an outcome. The CLI opens and
/// closes the masters' node credential here, so that it is open only while
/// its own cluster changes.
pub trait Hooks: Sync {
    fn before(&self, _step: &Step) -> Result<(), String> {
        Ok(())
    }
    fn after(&self, _step: &Step, _outcome: &Outcome) {}
}

/// No hooks.
pub struct NoHooks;
impl Hooks for NoHooks {}

/// Runs every step, at most `parallel` at a time, in the given order.
pub fn run(
    heat: &Heat,
    steps: Vec<Step>,
    parallel: usize,
    progress: &dyn Progress,
    cancel: &AtomicBool,
    hooks: &dyn Hooks,
) -> Vec<(Step, Outcome)> {
    let queue = Arc::new(Mutex::new(
        steps.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    queue.lock().expect("queue").reverse();
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..parallel.max(1) {
            s.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue").pop();
                    let Some((i, step)) = next else { break };
                    let outcome = if cancel.load(Ordering::SeqCst) {
                        Outcome::Refused("interrupted before it started".into())
                    } else {
                        steps::execute(heat, &step, progress, cancel, hooks)
                    };
                    hooks.after(&step, &outcome);
                    results.lock().expect("results").push((i, step, outcome));
                }
            });
        }
    });
    let mut done = results.into_inner().expect("results");
    done.sort_by_key(|(i, _, _)| *i);
    done.into_iter().map(|(_, s, o)| (s, o)).collect()
}
