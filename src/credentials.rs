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
//! every piece and says which it removed.

use crate::ca::{self, Ca};
use crate::heat::Secret;
use crate::heat::auth::Connection;
use crate::heat::keystore::{
    AccessRule, create_app_credential, delete_app_credential, delete_secret, fetch_secret,
    find_app_credentials, find_secrets, restrict_secret, store_secret,
};
use serde_json::{Value, json};
use std::time::SystemTime;

/// What a cluster's nodes and coe's signing commands need.
#[derive(Debug)]
pub struct Credentials {
    pub ca: Ca,
    /// Barbican's URL of the CA key, which the masters fetch at bootstrap.
    pub ca_key_ref: String,
    /// Barbican's URL of the masters' other shared secrets (Kubernetes),
    /// when coe keeps them.
    pub shared_ref: Option<String>,
    /// The node credential logs in as this Keystone user (the owner), by
    /// its name ([`app_credential_name`]) and this secret.
    pub node_user: String,
    pub node_secret: Secret,
}

/// The Barbican secrets' names: the CA key, its certificate, the node
/// credential's secret, the masters' shared secrets (optional).
fn names(stack: &str) -> [String; 4] {
    [
        format!("coe-{stack}-ca-key"),
        format!("coe-{stack}-ca-cert"),
        format!("coe-{stack}-node-credential"),
        format!("coe-{stack}-control-plane"),
    ]
}

/// The node credential's name in Keystone.
pub fn app_credential_name(stack: &str) -> String {
    format!("coe-{stack}")
}

/// The cluster's credentials, if its CA is kept; an error if only part of it
/// is (someone deleted a piece: coe does not guess which to remake).
pub fn find(conn: &Connection, stack: &str) -> Result<Option<Credentials>, String> {
    let [key_name, cert_name, cred_name, shared_name] = names(stack);
    let key = find_secrets(conn, &key_name)?;
    let cert = find_secrets(conn, &cert_name)?;
    let cred = find_secrets(conn, &cred_name)?;
    let found = [!key.is_empty(), !cert.is_empty(), !cred.is_empty()];
    if found.iter().all(|f| !f) {
        return Ok(None);
    }
    if found.iter().any(|f| !f) {
        let what = [
            "the CA key",
            "the CA certificate",
            "the node credential's record",
        ];
        let missing: Vec<&str> = what
            .iter()
            .zip(found)
            .filter(|(_, f)| !f)
            .map(|(w, _)| *w)
            .collect();
        return Err(format!(
            "the credentials of stack {stack} are incomplete: {} missing; `coe destroy` removes the rest, or delete them by hand (Barbican secrets named coe-{stack}-*, application credential coe-{stack})",
            missing.join(", ")
        ));
    }
    let ca_key = fetch_secret(conn, &key[0])?;
    let ca_cert = fetch_secret(conn, &cert[0])?;
    let ca = Ca::from_pem(ca_cert.expose(), ca_key)?;
    let record = fetch_secret(conn, &cred[0])?;
    let parsed: Value = serde_json::from_str(record.expose())
        .map_err(|_| format!("the Barbican secret {cred_name} is not the record coe wrote"))?;
    let secret = parsed
        .get("secret")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the Barbican secret {cred_name} has no secret"))?;
    let shared_ref = find_secrets(conn, &shared_name)?.into_iter().next();
    Ok(Some(Credentials {
        ca,
        ca_key_ref: key[0].clone(),
        shared_ref,
        node_user: owner(conn)?,
        node_secret: Secret::new(secret.to_string()),
    }))
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
/// `shared`, the masters' other shared secrets), stored readable by this
/// user only, and a node credential open for reading them until
/// `valid_minutes` from now. Returns whether they are new.
pub fn ensure(
    conn: &Connection,
    stack: &str,
    shared: bool,
    valid_minutes: u64,
) -> Result<(Credentials, bool), String> {
    if let Some(found) = find(conn, stack)? {
        return Ok((found, false));
    }
    let [key_name, cert_name, cred_name, shared_name] = names(stack);
    let now = SystemTime::now();
    let ca = Ca::generate(stack, now)?;
    let ca_key_ref = store(conn, &key_name, ca.key_pem())?;
    store(conn, &cert_name, &Secret::new(ca.cert_pem.clone()))?;
    let shared_ref = if shared {
        Some(store(
            conn,
            &shared_name,
            &ca::shared::generate(stack, now)?,
        )?)
    } else {
        None
    };
    let mut c = Credentials {
        ca,
        ca_key_ref,
        shared_ref,
        node_user: owner(conn)?,
        node_secret: Secret::new(String::new()),
    };
    // Keystone draws the secret; every later opening reuses it.
    c.node_secret = node_credential(conn, stack, &c, None, valid_minutes)?;
    let record = json!({"secret": c.node_secret.expose()}).to_string();
    store(conn, &cred_name, &Secret::new(record))?;
    Ok((c, true))
}

/// Adds the masters' shared secrets to credentials kept without them (a
/// cluster whose stack is made again, now with a template that takes them).
pub fn add_shared(conn: &Connection, stack: &str, c: &mut Credentials) -> Result<(), String> {
    if c.shared_ref.is_none() {
        let [_, _, _, shared_name] = names(stack);
        let bundle = ca::shared::generate(stack, SystemTime::now())?;
        c.shared_ref = Some(store(conn, &shared_name, &bundle)?);
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
    node_credential(conn, stack, c, Some(&c.node_secret), valid_minutes)?;
    Ok(())
}

/// Whether the cluster's node credential is open (it is in Keystone).
pub fn node_credential_alive(conn: &Connection, stack: &str) -> Result<bool, String> {
    Ok(!find_app_credentials(conn, &app_credential_name(stack))?.is_empty())
}

/// Makes the node credential: it may read the CA key and the shared secrets
/// of `c` and nothing else, until `valid_minutes` from now. Returns its
/// secret (`secret`, or the one Keystone drew).
fn node_credential(
    conn: &Connection,
    stack: &str,
    c: &Credentials,
    secret: Option<&Secret>,
    valid_minutes: u64,
) -> Result<Secret, String> {
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
    let made = create_app_credential(
        conn,
        &app_credential_name(stack),
        &format!("coe: lets the masters of stack {stack} read its CA while apply builds them"),
        &rules,
        Some(&expires),
        secret,
    )?;
    Ok(made.secret)
}

/// Other users who keep a CA for this stack name (a colleague applied the
/// cluster, or someone planted one): their Keystone user IDs.
pub fn kept_by_others(conn: &Connection, stack: &str) -> Result<Vec<String>, String> {
    let [key_name, _, _, _] = names(stack);
    let me = conn.user_id.clone().unwrap_or_default();
    Ok(crate::heat::keystore::secret_creators(conn, &key_name)?
        .into_iter()
        .filter(|c| *c != me)
        .collect())
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
    for name in names(stack) {
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
