//! Following a stack until it settles, reporting its events as they come.

use super::{Progress, Step};
use crate::heat::{ErrorKind, Heat, HeatError, StackSummary, shown_path};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub enum Settled {
    Status(StackSummary),
    /// 404: deleted.
    Gone,
    Interrupted(String),
    TimedOut(String),
}

pub fn wait(
    heat: &Heat,
    path: &str,
    step: &Step,
    progress: &dyn Progress,
    cancel: &AtomicBool,
    minutes: u64,
) -> Result<Settled, HeatError> {
    let deadline = Instant::now() + Duration::from_secs(minutes * 60);
    let mut marker: Option<String> = None;
    // The last status of every resource this action touched, by path.
    let mut touched: std::collections::BTreeMap<String, String> = Default::default();
    // Batches begun, per rolling group.
    let mut begun: Vec<u64> = vec![0; step.batches.len()];
    // Events from before this action are not news.
    if let Ok(old) = heat.events(path, None) {
        marker = old.last().map(|e| e.id.clone());
    }
    loop {
        if let Ok(events) = heat.events(path, marker.as_deref()) {
            // Nested stacks' own events (named `<stack>-<resource>-<id>`)
            // repeat what their resources' events already said.
            let nested_prefix = format!("{}-", step.stack_name);
            // A rolling group's nested stack starts an update once a batch:
            // name the batch and its members (Heat goes highest index first).
            for e in events
                .iter()
                .filter(|e| e.resource_status == "UPDATE_IN_PROGRESS")
            {
                for (b, n) in step.batches.iter().zip(begun.iter_mut()) {
                    let own = format!("{}{}-", nested_prefix, b.group);
                    let id = e.resource_name.strip_prefix(&own).unwrap_or("");
                    if id.len() == 12 && !id.contains('-') && *n < b.count() {
                        let members: Vec<String> = b
                            .members_of(*n)
                            .iter()
                            .map(|m| format!("{}/{m}", b.group))
                            .collect();
                        *n += 1;
                        let time = e.event_time.get(11..19).unwrap_or(&e.event_time);
                        progress.event(
                            &step.cluster,
                            &format!(
                                "{time} {}: batch {} of {}: {}",
                                b.group,
                                *n,
                                b.count(),
                                members.join(", ")
                            ),
                        );
                    }
                }
            }
            for e in events
                .iter()
                .filter(|e| !e.resource_name.starts_with(&nested_prefix))
            {
                let stack = e.stack_name().unwrap_or(&step.stack_name);
                let shown = if stack == step.stack_name && e.resource_name == step.stack_name {
                    Some("stack".to_string())
                } else {
                    shown_path(&step.stack_name, stack, &e.resource_name)
                };
                let Some(shown) = shown else { continue };
                if shown != "stack" {
                    touched.insert(shown.clone(), e.resource_status.clone());
                }
                let done = touched
                    .values()
                    .filter(|s| s.ends_with("_COMPLETE"))
                    .count();
                let reason = e
                    .resource_status_reason
                    .as_deref()
                    .filter(|r| !r.is_empty() && *r != "state changed")
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                // `2026-12-07T05:18:00Z` → `05:18:00`
                let time = e.event_time.get(11..19).unwrap_or(&e.event_time);
                let count = match touched.len() {
                    0 => String::new(),
                    n => format!(" ({done} of {n} done)"),
                };
                progress.event(
                    &step.cluster,
                    &format!("{time} {shown} {}{reason}{count}", e.resource_status),
                );
            }
            if let Some(last) = events.last() {
                marker = Some(last.id.clone());
            }
        }
        let s = match heat.summary(path) {
            Ok(s) => s,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(Settled::Gone),
            Err(e) => return Err(e),
        };
        let status = s.stack_status.clone();
        if !s.in_progress() {
            return Ok(Settled::Status(s));
        }
        if cancel.load(Ordering::SeqCst) {
            return Ok(Settled::Interrupted(status));
        }
        if Instant::now() > deadline {
            return Ok(Settled::TimedOut(status));
        }
        // Sleep in small slices so Ctrl-C is noticed quickly.
        let until = Instant::now() + heat.poll;
        while Instant::now() < until && !cancel.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50).min(heat.poll));
        }
    }
}
