//! A cluster's credentials and where they live (README, "Cluster
//! credentials"): its CA (key and certificate in Barbican, readable by the
//! applying user only), the other secrets its Kubernetes masters share
//! (`ca::shared`, kept the same way), and the node credential the masters
//! fetch them with (a Keystone application credential that may read those
//! secrets and nothing else, and expires).
//!
//! The node credential reaches the masters in their user data, which Heat
//! shows to anyone who may read the stack's events. So it is open only while
//! apply builds masters: apply makes it before a create or an update that
//! adds, rebuilds or replaces masters ([`open`]) and deletes it from Keystone
//! once that is over ([`retire`]); Keystone expires it at the change's
//! timeout anyway. Every opening has the same name and secret, so the
//! stack's parameters never change for it: the secret stays in Barbican,
//! readable by the owner only, and the masters log in by name, user and
//! secret.
//!
//! Everything is found by the cluster's stack name, so there is no local
//! state: `ensure` finds or makes them, `find` only reads, `delete` removes
//! every piece and says which it removed. A rotation of the CA
//! ([`rotation`]) keeps its progress in Barbican too.

pub mod rotation;
pub use rotation::Rotation;

use crate::ca::{self, Ca};
use crate::heat::Secret;
use crate::heat::auth::Connection;
use crate::heat::keystore::{
    AccessRule, create_app_credential, delete_app_credential, delete_secret, fetch_secret,
    find_app_credentials, find_secrets, restrict_secret, store_secret,
};
use serde_json::{Value, json};
use std::time::SystemTime;

/// What a cluster's nodes and coe's signing commands need, at one step of
/// its CA's rotation (step 0 when none is under way).
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The CA the nodes and coe sign with.
    pub ca: Ca,
    /// Barbican's URL of its key, which the masters fetch at bootstrap.
    pub ca_key_ref: String,
    /// What the nodes and clients trust (PEM): that CA's certificate, and
    /// during a rotation the other CA's after it.
    pub trust: String,
    /// A value that changes at every step of a rotation, so that Heat
    /// replaces every node (see `rotation`); empty for a cluster whose CA
    /// was never rotated.
    pub rotation_marker: String,
    /// The rotation as Barbican records it.
    pub rotation: Rotation,
    /// The step these values are for.
    pub step: u8,
    /// Barbican's URL of the masters' other shared secrets (Kubernetes),
    /// when coe keeps them.
    pub shared_ref: Option<String>,
    /// The node credential logs in as this Keystone user (the owner), by
    /// its name ([`app_credential_name`]) and this secret.
    pub node_user: String,
    pub node_secret: Secret,
    current: KeptCa,
    next: Option<KeptCa>,
}

/// A CA and Barbican's URL of its key (none until it is stored).
#[derive(Debug, Clone)]
struct KeptCa {
    ca: Ca,
    key_ref: Option<String>,
}

impl Credentials {
    /// The values of rotation step `step` (0: as before the rotation).
    pub fn at_step(mut self, step: u8) -> Credentials {
        let (signing, trusted): (&KeptCa, Vec<&KeptCa>) = match (&self.next, step) {
            (None, _) | (Some(_), 0) => (&self.current, vec![&self.current]),
            (Some(n), 1) => (&self.current, vec![&self.current, n]),
            (Some(n), 2) => (n, vec![n, &self.current]),
            (Some(n), _) => (n, vec![n]),
        };
        self.ca = signing.ca.clone();
        self.ca_key_ref = signing.key_ref.clone().unwrap_or_default();
        self.trust = trusted
            .iter()
            .map(|k| k.ca.cert_pem.as_str())
            .collect::<Vec<_>>()
            .join("");
        self.rotation_marker = rotation::marker(self.rotation, step);
        self.step = step;
        self
    }

    fn new(
        current: KeptCa,
        shared_ref: Option<String>,
        node_user: String,
        node_secret: Secret,
    ) -> Credentials {
        Credentials {
            ca: current.ca.clone(),
            ca_key_ref: current.key_ref.clone().unwrap_or_default(),
            trust: current.ca.cert_pem.clone(),
            rotation_marker: String::new(),
            rotation: Rotation::default(),
            step: 0,
            shared_ref,
            node_user,
            node_secret,
            current,
            next: None,
        }
    }
}

/// The Barbican names of generation `generation`'s CA key and certificate
/// (0 is the CA the cluster was made with; each rotation adds one).
fn ca_names(stack: &str, generation: u32) -> (String, String) {
    let g = if generation == 0 {
        String::new()
    } else {
        generation.to_string()
    };
    (
        format!("coe-{stack}-ca{g}-key"),
        format!("coe-{stack}-ca{g}-cert"),
    )
}

/// The node credential's record: its secret.
fn record_name(stack: &str) -> String {
    format!("coe-{stack}-node-credential")
}

/// The masters' other shared secrets.
fn shared_name(stack: &str) -> String {
    format!("coe-{stack}-control-plane")
}

/// The node credential's name in Keystone.
pub fn app_credential_name(stack: &str) -> String {
    format!("coe-{stack}")
}

/// The CA of `generation` as kept in Barbican, if it is.
fn find_ca(conn: &Connection, stack: &str, generation: u32) -> Result<Option<KeptCa>, String> {
    let (key_name, cert_name) = ca_names(stack, generation);
    let key = find_secrets(conn, &key_name)?;
    let cert = find_secrets(conn, &cert_name)?;
    match (key.first(), cert.first()) {
        (None, None) => Ok(None),
        (Some(key_ref), Some(cert_ref)) => {
            let ca_key = fetch_secret(conn, key_ref)?;
            let ca_cert = fetch_secret(conn, cert_ref)?;
            Ok(Some(KeptCa {
                ca: Ca::from_pem(ca_cert.expose(), ca_key)?,
                key_ref: Some(key_ref.clone()),
            }))
        }
        (None, Some(_)) => Err(format!("the CA key ({key_name}) is missing")),
        (Some(_), None) => Err(format!("the CA certificate ({cert_name}) is missing")),
    }
}

/// The cluster's credentials at the step of its rotation Barbican records,
/// if its CA is kept; an error if only part of them is (someone deleted a
/// piece: coe does not guess which to remake).
pub fn find(conn: &Connection, stack: &str) -> Result<Option<Credentials>, String> {
    let incomplete = |what: String| {
        format!(
            "the credentials of stack {stack} are incomplete: {what}; `coe destroy` removes the rest, or delete them by hand (Barbican secrets named coe-{stack}-*, application credential coe-{stack})"
        )
    };
    let cred = find_secrets(conn, &record_name(stack))?;
    let r = rotation::read(conn, stack)?;
    let current = find_ca(conn, stack, r.current).map_err(incomplete)?;
    let (current, record) = match (current, cred.first()) {
        (None, None) => return Ok(None),
        (Some(c), Some(record)) => (c, record),
        (Some(_), None) => {
            return Err(incomplete(format!(
                "the node credential's record ({}) is missing",
                record_name(stack)
            )));
        }
        (None, Some(_)) => {
            let (key_name, _) = ca_names(stack, r.current);
            return Err(incomplete(format!(
                "the CA ({key_name} and its certificate) is missing"
            )));
        }
    };
    let record = fetch_secret(conn, record)?;
    let parsed: Value = serde_json::from_str(record.expose()).map_err(|_| {
        format!(
            "the Barbican secret {} is not the record coe wrote",
            record_name(stack)
        )
    })?;
    let secret = parsed
        .get("secret")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the Barbican secret {} has no secret", record_name(stack)))?;
    let shared_ref = find_secrets(conn, &shared_name(stack))?.into_iter().next();
    if shared_ref.is_none() && parsed.get("shared") == Some(&Value::Bool(true)) {
        return Err(incomplete(format!(
            "the masters' shared secrets ({}) are missing",
            shared_name(stack)
        )));
    }
    let mut c = Credentials::new(
        current,
        shared_ref,
        owner(conn)?,
        Secret::new(secret.to_string()),
    );
    c.rotation = r;
    if let Some(g) = r.next {
        c.next = Some(
            find_ca(conn, stack, g)
                .map_err(incomplete)?
                .ok_or_else(|| {
                    incomplete(format!(
                        "the CA it is being rotated to ({}) is missing",
                        ca_names(stack, g).0
                    ))
                })?,
        );
    }
    Ok(Some(c.at_step(r.step)))
}

fn owner(conn: &Connection) -> Result<String, String> {
    conn.user_id
        .clone()
        .ok_or_else(|| "the Keystone login named no user".to_string())
}

/// Stores `value` as a secret readable by this user only.
fn store(conn: &Connection, name: &str, value: &Secret) -> Result<String, String> {
    let secret_ref = store_secret(conn, name, value)?;
    // Readable by the project until restricted: if that fails, it goes.
    if let Err(e) = restrict_secret(conn, &secret_ref) {
        let _ = delete_secret(conn, &secret_ref);
        return Err(e);
    }
    Ok(secret_ref)
}

/// Finds the cluster's credentials, or makes them: a new CA (and, when
/// `shared`, the masters' other shared secrets) and the node credential's
/// secret, stored readable by this user only. The credential itself is
/// made in Keystone only when [`open`]ed. Returns whether they are new.
pub fn ensure(conn: &Connection, stack: &str, shared: bool) -> Result<(Credentials, bool), String> {
    if let Some(found) = find(conn, stack)? {
        return Ok((found, false));
    }
    let (key_name, cert_name) = ca_names(stack, 0);
    let now = SystemTime::now();
    let ca = Ca::generate(stack, now)?;
    let ca_key_ref = store(conn, &key_name, ca.key_pem())?;
    store(conn, &cert_name, &Secret::new(ca.cert_pem.clone()))?;
    let shared_ref = if shared {
        Some(store(
            conn,
            &shared_name(stack),
            &ca::shared::generate(stack, now)?,
        )?)
    } else {
        None
    };
    let current = KeptCa {
        ca,
        key_ref: Some(ca_key_ref),
    };
    // Every opening of the node credential uses this secret.
    let secret = Secret::new(ca::random_token()?);
    let c = Credentials::new(current, shared_ref, owner(conn)?, secret);
    let record = json!({"secret": c.node_secret.expose(), "shared": shared}).to_string();
    store(conn, &record_name(stack), &Secret::new(record))?;
    Ok((c, true))
}

/// Adds the masters' shared secrets to credentials kept without them (a
/// cluster whose stack is made again, now with a template that takes them).
pub fn add_shared(conn: &Connection, stack: &str, c: &mut Credentials) -> Result<(), String> {
    if c.shared_ref.is_none() {
        let bundle = ca::shared::generate(stack, SystemTime::now())?;
        c.shared_ref = Some(store(conn, &shared_name(stack), &bundle)?);
    }
    Ok(())
}

/// Opens the node credential for a change that builds masters: made again
/// in Keystone with its kept name and secret (so nothing in the stack
/// changes), good until `valid_minutes` from now; an open one is replaced,
/// so its access rules and expiry are this change's.
pub fn open(
    conn: &Connection,
    stack: &str,
    c: &Credentials,
    valid_minutes: u64,
) -> Result<(), String> {
    retire(conn, stack)?;
    node_credential(conn, stack, c, &c.node_secret, valid_minutes)
}

/// Whether the cluster's node credential is open (it is in Keystone).
pub fn node_credential_alive(conn: &Connection, stack: &str) -> Result<bool, String> {
    Ok(!find_app_credentials(conn, &app_credential_name(stack))?.is_empty())
}

/// Makes the node credential with `secret`: it may read the CA key and the
/// shared secrets of `c` and nothing else, until `valid_minutes` from now.
fn node_credential(
    conn: &Connection,
    stack: &str,
    c: &Credentials,
    secret: &Secret,
    valid_minutes: u64,
) -> Result<(), String> {
    let payloads: Vec<String> = std::iter::once(&c.ca_key_ref)
        .chain(c.shared_ref.as_ref())
        .map(|r| {
            let id = r.rsplit('/').next().unwrap_or_default();
            format!("/v1/secrets/{id}/payload")
        })
        .collect();
    let rules: Vec<AccessRule> = payloads
        .iter()
        .map(|path| AccessRule {
            service: "key-manager",
            method: "GET",
            path,
        })
        .collect();
    let expires = expiry(SystemTime::now(), valid_minutes)?;
    create_app_credential(
        conn,
        &app_credential_name(stack),
        &format!("coe: lets the masters of stack {stack} read its CA while apply builds them"),
        &rules,
        Some(&expires),
        Some(secret),
    )?;
    Ok(())
}

/// Other users who keep a CA for this stack name (a colleague applied the
/// cluster, or someone planted one): their Keystone user IDs.
pub fn kept_by_others(conn: &Connection, stack: &str) -> Result<Vec<String>, String> {
    let me = conn.user_id.clone().unwrap_or_default();
    // The record, which every rotation keeps, and the first CA's key.
    let mut others = Vec::new();
    for name in [record_name(stack), ca_names(stack, 0).0] {
        for creator in crate::heat::keystore::secret_creators(conn, &name)? {
            if creator != me && !others.contains(&creator) {
                others.push(creator);
            }
        }
    }
    Ok(others)
}

/// Deletes the node credential from Keystone, so the secret the stack's
/// events show opens nothing; its record stays. Returns whether there was one.
pub fn retire(conn: &Connection, stack: &str) -> Result<bool, String> {
    let ids = find_app_credentials(conn, &app_credential_name(stack))?;
    for id in &ids {
        delete_app_credential(conn, id)?;
    }
    Ok(!ids.is_empty())
}

/// Deletes every piece of the cluster's credentials there is; returns what
/// was deleted, for the user.
pub fn delete(conn: &Connection, stack: &str) -> Result<Vec<String>, String> {
    let mut removed = Vec::new();
    let r = rotation::read(conn, stack)?;
    // Every generation up to the one a rotation may have begun to store.
    let last = r.next.unwrap_or(r.current).saturating_add(1);
    let mut names = vec![record_name(stack), shared_name(stack)];
    for generation in 0..=last {
        let (key, cert) = ca_names(stack, generation);
        names.extend([key, cert]);
    }
    names.push(rotation::record_name(stack));
    for name in names {
        for secret_ref in find_secrets(conn, &name)? {
            delete_secret(conn, &secret_ref)?;
            removed.push(format!("Barbican secret {name}"));
        }
    }
    let cred = app_credential_name(stack);
    for id in find_app_credentials(conn, &cred)? {
        delete_app_credential(conn, &id)?;
        removed.push(format!("application credential {cred}"));
    }
    Ok(removed)
}

/// `now` plus `minutes`, as Keystone takes an expiry.
fn expiry(now: SystemTime, minutes: u64) -> Result<String, String> {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| "the system clock is before 1970".to_string())?
        .as_secs()
        .saturating_add(minutes.saturating_mul(60));
    let t = time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .map_err(|_| format!("an expiry {minutes} minutes from now is out of range"))?;
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn expiries_are_utc_iso_8601() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_765_000_000);
        assert_eq!(super::expiry(t, 90).unwrap(), "2025-12-06T07:16:40Z");
    }
}

#[cfg(test)]
mod step_tests {
    use super::*;

    fn kept(name: &str, key_ref: Option<&str>) -> KeptCa {
        KeptCa {
            ca: Ca::generate(name, SystemTime::now()).unwrap(),
            key_ref: key_ref.map(str::to_string),
        }
    }

    #[test]
    fn each_step_trusts_and_signs_as_the_rotation_says() {
        let old = kept("old", Some("https://kms/v1/secrets/old"));
        let new = kept("new", Some("https://kms/v1/secrets/new"));
        let (a, b) = (old.ca.cert_pem.clone(), new.ca.cert_pem.clone());
        let mut c = Credentials::new(old, None, "u".into(), Secret::new(String::from("s")));
        // Never rotated: exactly the certificate, as every stack has it.
        let before = c.clone().at_step(0);
        assert_eq!(
            (before.trust.as_str(), before.rotation_marker.as_str()),
            (a.as_str(), "")
        );
        c.next = Some(new);
        c.rotation = Rotation {
            current: 0,
            next: Some(1),
            step: 0,
        };
        let seen: Vec<(String, String, String)> = (0..=rotation::STEPS)
            .map(|s| {
                let at = c.clone().at_step(s);
                (at.trust, at.ca_key_ref, at.rotation_marker)
            })
            .collect();
        let old_key = "https://kms/v1/secrets/old".to_string();
        let new_key = "https://kms/v1/secrets/new".to_string();
        assert_eq!(
            seen,
            [
                (a.clone(), old_key.clone(), String::new()),
                (format!("{a}{b}"), old_key, "ca1-step1".into()),
                (format!("{b}{a}"), new_key.clone(), "ca1-step2".into()),
                (b.clone(), new_key, "ca1-step3".into()),
            ]
        );
        // The CA coe signs with follows the key the nodes get.
        assert_eq!(c.clone().at_step(1).ca.cert_pem, a);
        assert_eq!(c.at_step(2).ca.cert_pem, b);
    }
}
