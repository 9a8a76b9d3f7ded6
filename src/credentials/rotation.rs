//! Rotating a cluster's CA (README, "Rotating the CA"): a new CA replaces
//! the old in three steps, each an update that replaces every node, one
//! master at a time, by the plan's rules:
//!
//! 1. every node trusts both CAs, and signs with the old one;
//! 2. every node signs with the new CA, and still trusts both;
//! 3. every node trusts the new CA only (the old one's secrets are deleted
//!    when the next rotation begins).
//!
//! Each step replaces the masters first, one at a time, then the workers,
//! so a node of the next step only meets nodes of this step or the last,
//! whose certificates it trusts. Heat does not wait for a replaced node to
//! bootstrap, so the user checks the nodes between runs. Heat replaces a node when
//! its scheduler hints change, so each step's `ca_rotation` parameter (the
//! marker) differs from the last; the templates add it to the nodes'
//! hints, and leave them as they are for a cluster never rotated.
//!
//! Barbican keeps the progress, in `coe-<stack>-ca-rotation`: the current
//! CA's generation, the one being rotated to, and the last step applied.
//! Plans use the last step applied, so they show no change between steps;
//! `coe ca rotate` applies the next one and records it when it succeeds.

use super::{Credentials, KeptCa, ca_names, store};
use crate::ca::Ca;
use crate::heat::Secret;
use crate::heat::auth::Connection;
use crate::heat::keystore::{delete_secret, fetch_secret, find_secrets};
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

/// Steps of a rotation.
pub const STEPS: u8 = 3;

/// Where a cluster's CA rotation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Rotation {
    /// The generation of the CA the nodes were made with (0) or last
    /// rotated to.
    pub current: u32,
    /// The generation being rotated to.
    pub next: Option<u32>,
    /// The last step applied (0: begun, nothing applied yet).
    pub step: u8,
}

pub fn record_name(stack: &str) -> String {
    format!("coe-{stack}-ca-rotation")
}

/// The `ca_rotation` parameter at `step`: it differs at every step, and
/// after a rotation stays what its last step made it.
pub fn marker(r: Rotation, step: u8) -> String {
    match r.next {
        Some(next) if step > 0 => format!("ca{next}-step{step}"),
        _ if r.current == 0 => String::new(),
        _ => format!("ca{}-step{STEPS}", r.current),
    }
}

/// What step `step` does, in words for the plan and the command.
pub fn what(step: u8) -> &'static str {
    match step {
        1 => "every node is replaced to trust the new CA beside the old one",
        2 => "every node is replaced to sign with the new CA (it still trusts both)",
        _ => {
            "every node is replaced to trust the new CA only; client certificates the old CA signed stop working"
        }
    }
}

/// The rotation Barbican records for `stack` (none under way if none).
pub fn read(conn: &Connection, stack: &str) -> Result<Rotation, String> {
    // A newer record is written before the older goes: the furthest wins.
    let mut best = Rotation::default();
    for secret_ref in find_secrets(conn, &record_name(stack))? {
        let text = fetch_secret(conn, &secret_ref)?;
        let r: Rotation = serde_json::from_str(text.expose()).map_err(|_| {
            format!(
                "the Barbican secret {} is not the record coe wrote",
                record_name(stack)
            )
        })?;
        best = best.max(r);
    }
    Ok(best)
}

fn write(conn: &Connection, stack: &str, r: Rotation) -> Result<(), String> {
    let old = find_secrets(conn, &record_name(stack))?;
    let text = serde_json::to_string(&r).expect("a rotation is JSON");
    store(conn, &record_name(stack), &Secret::new(text))?;
    for secret_ref in old {
        delete_secret(conn, &secret_ref)?;
    }
    Ok(())
}

/// Credentials with a new CA to rotate to, in memory: nothing is stored
/// until [`begin`]. Their rotation is at step 0.
pub fn plan_new(stack: &str, mut c: Credentials) -> Result<Credentials, String> {
    if c.next.is_some() {
        return Ok(c);
    }
    let generation = c.rotation.current + 1;
    let ca = Ca::generate_named(
        &format!("coe cluster {stack} CA {generation}"),
        SystemTime::now(),
    )?;
    c.next = Some(KeptCa { ca, key_ref: None });
    c.rotation = Rotation {
        current: c.rotation.current,
        next: Some(generation),
        step: 0,
    };
    Ok(c)
}

/// Stores the new CA of [`plan_new`] and records the rotation as begun,
/// after deleting what an earlier rotation left of the CAs before the
/// current one; returns false (and does nothing) for one already stored.
pub fn begin(conn: &Connection, stack: &str, c: &mut Credentials) -> Result<bool, String> {
    let (Some(generation), Some(next)) = (c.rotation.next, c.next.as_mut()) else {
        return Err(format!("no rotation of stack {stack}'s CA is planned"));
    };
    if next.key_ref.is_some() {
        return Ok(false);
    }
    for old in 0..c.rotation.current {
        let (key_name, cert_name) = ca_names(stack, old);
        for name in [key_name, cert_name] {
            for secret_ref in find_secrets(conn, &name)? {
                delete_secret(conn, &secret_ref)?;
            }
        }
    }
    let (key_name, cert_name) = ca_names(stack, generation);
    let key_ref = store(conn, &key_name, next.ca.key_pem())?;
    store(conn, &cert_name, &Secret::new(next.ca.cert_pem.clone()))?;
    next.key_ref = Some(key_ref);
    write(conn, stack, c.rotation)?;
    Ok(true)
}

/// Records that the step `c` is at was applied. After the last, the new CA
/// is the current one; the old one's secrets stay (no node trusts it, and
/// they are what a way back would need) until the next rotation begins.
/// Returns the rotation as recorded.
pub fn record(conn: &Connection, stack: &str, c: &Credentials) -> Result<Rotation, String> {
    let Some(next) = c.rotation.next else {
        return Err(format!("no rotation of stack {stack}'s CA is under way"));
    };
    if c.step < STEPS {
        let r = Rotation {
            step: c.step,
            ..c.rotation
        };
        write(conn, stack, r)?;
        return Ok(r);
    }
    let done = Rotation {
        current: next,
        next: None,
        step: 0,
    };
    write(conn, stack, done)?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_change_at_every_step_and_stay_after_the_last() {
        let never = Rotation::default();
        assert_eq!(marker(never, 0), "");
        let first = Rotation {
            current: 0,
            next: Some(1),
            step: 0,
        };
        let steps: Vec<String> = (0..=STEPS).map(|s| marker(first, s)).collect();
        assert_eq!(steps, ["", "ca1-step1", "ca1-step2", "ca1-step3"]);
        let done = Rotation {
            current: 1,
            next: None,
            step: 0,
        };
        assert_eq!(marker(done, 0), "ca1-step3");
        let second = Rotation {
            current: 1,
            next: Some(2),
            step: 0,
        };
        assert_eq!(marker(second, 0), "ca1-step3");
        assert_eq!(marker(second, 1), "ca2-step1");
    }

    #[test]
    fn records_order_by_progress() {
        let begun = Rotation {
            current: 0,
            next: Some(1),
            step: 0,
        };
        let stepped = Rotation { step: 2, ..begun };
        let done = Rotation {
            current: 1,
            next: None,
            step: 0,
        };
        assert!(Rotation::default() < begun && begun < stepped && stepped < done);
    }
}
