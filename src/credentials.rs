//! A cluster's credentials and where they live (README, "Cluster
//! credentials"): its CA (key and certificate in Barbican, readable by the
//! applying user only) and the node credential master 0 fetches the CA key
//! with (a Keystone application credential that may read that one secret and
//! nothing else, and expires).
//!
//! The node credential reaches master 0 in its user data, which Heat shows
//! to anyone who may read the stack's events. So it lives only while the
//! cluster is being created: apply deletes it from Keystone once the create
//! succeeds ([`retire`]), and Keystone expires it at the create's timeout
//! anyway. Its ID and secret stay in Barbican, readable by the owner only,
//! because the stack's parameters keep them and a later plan must send the
//! same values to show no change.
//!
//! Everything is found by the cluster's stack name, so there is no local
//! state: `ensure` finds or makes them, `find` only reads, `delete` removes
//! every piece and says which it removed.

use crate::ca::Ca;
use crate::heat::Secret;
use crate::heat::auth::Connection;
use crate::heat::keystore::{
    AccessRule, AppCredential, create_app_credential, delete_app_credential, delete_secret,
    fetch_secret, find_app_credentials, find_secrets, restrict_secret, store_secret,
};
use serde_json::{Value, json};
use std::time::SystemTime;

/// What a cluster's nodes and coe's signing commands need.
#[derive(Debug)]
pub struct Credentials {
    pub ca: Ca,
    /// Barbican's URL of the CA key, which master 0 fetches at bootstrap.
    pub ca_key_ref: String,
    pub app_credential_id: String,
    pub app_credential_secret: Secret,
}

fn names(stack: &str) -> [String; 3] {
    [
        format!("coe-{stack}-ca-key"),
        format!("coe-{stack}-ca-cert"),
        format!("coe-{stack}-node-credential"),
    ]
}

/// The node credential's name in Keystone.
pub fn app_credential_name(stack: &str) -> String {
    format!("coe-{stack}")
}

/// The cluster's credentials, if its CA is kept; an error if only part of it
/// is (someone deleted a piece: coe does not guess which to remake).
pub fn find(conn: &Connection, stack: &str) -> Result<Option<Credentials>, String> {
    let [key_name, cert_name, cred_name] = names(stack);
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
    let field = |k: &str| {
        parsed
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("the Barbican secret {cred_name} has no {k}"))
    };
    Ok(Some(Credentials {
        ca,
        ca_key_ref: key[0].clone(),
        app_credential_id: field("id")?,
        app_credential_secret: Secret::new(field("secret")?),
    }))
}

/// Finds the cluster's credentials, or makes them: a new CA, its key and
/// certificate stored readable by this user only, and a node credential
/// good for reading that key until `valid_minutes` from now. Returns
/// whether they are new.
pub fn ensure(
    conn: &Connection,
    stack: &str,
    valid_minutes: u64,
) -> Result<(Credentials, bool), String> {
    if let Some(found) = find(conn, stack)? {
        return Ok((found, false));
    }
    let [key_name, cert_name, cred_name] = names(stack);
    let ca = Ca::generate(stack, SystemTime::now())?;
    let store = |name: &str, value: &Secret| -> Result<String, String> {
        let secret_ref = store_secret(conn, name, value)?;
        // Readable by the project until restricted: if that fails, it goes.
        if let Err(e) = restrict_secret(conn, &secret_ref) {
            let _ = delete_secret(conn, &secret_ref);
            return Err(e);
        }
        Ok(secret_ref)
    };
    let ca_key_ref = store(&key_name, ca.key_pem())?;
    store(&cert_name, &Secret::new(ca.cert_pem.clone()))?;
    // The node credential can do one thing: read the CA key.
    let (id, secret) = node_credential(conn, stack, &ca_key_ref, valid_minutes)?;
    let record = json!({"id": id, "secret": secret.expose()}).to_string();
    store(&cred_name, &Secret::new(record))?;
    Ok((
        Credentials {
            ca,
            ca_key_ref,
            app_credential_id: id,
            app_credential_secret: secret,
        },
        true,
    ))
}

/// A new node credential for a cluster whose CA is kept but whose node
/// credential was retired (its stack was deleted outside coe and is created
/// again, so master 0 must fetch the key once more); the record is replaced.
pub fn renew(conn: &Connection, stack: &str, valid_minutes: u64) -> Result<Credentials, String> {
    let found = find(conn, stack)?
        .ok_or_else(|| format!("coe keeps no CA for stack {stack} to renew a credential for"))?;
    retire(conn, stack)?;
    let [_, _, cred_name] = names(stack);
    let (id, secret) = node_credential(conn, stack, &found.ca_key_ref, valid_minutes)?;
    for old in find_secrets(conn, &cred_name)? {
        delete_secret(conn, &old)?;
    }
    let record = json!({"id": id, "secret": secret.expose()}).to_string();
    let secret_ref = store_secret(conn, &cred_name, &Secret::new(record))?;
    if let Err(e) = restrict_secret(conn, &secret_ref) {
        let _ = delete_secret(conn, &secret_ref);
        return Err(e);
    }
    Ok(Credentials {
        app_credential_id: id,
        app_credential_secret: secret,
        ..found
    })
}

/// Whether the cluster's node credential still logs in (it is in Keystone).
pub fn node_credential_alive(conn: &Connection, stack: &str) -> Result<bool, String> {
    Ok(!find_app_credentials(conn, &app_credential_name(stack))?.is_empty())
}

/// Makes the node credential: it may read the CA key at `ca_key_ref` and
/// nothing else, until `valid_minutes` from now.
fn node_credential(
    conn: &Connection,
    stack: &str,
    ca_key_ref: &str,
    valid_minutes: u64,
) -> Result<(String, Secret), String> {
    let id_of_key = ca_key_ref.rsplit('/').next().unwrap_or_default();
    let payload = format!("/v1/secrets/{id_of_key}/payload");
    let rule = AccessRule {
        service: "key-manager",
        method: "GET",
        path: &payload,
    };
    let expires = expiry(SystemTime::now(), valid_minutes)?;
    let AppCredential { id, secret, .. } = create_app_credential(
        conn,
        &app_credential_name(stack),
        &format!(
            "coe: lets master 0 of stack {stack} read its CA key while the cluster is created"
        ),
        &[rule],
        Some(&expires),
    )?;
    Ok((id, secret))
}

/// Other users who keep a CA for this stack name (a colleague applied the
/// cluster, or someone planted one): their Keystone user IDs.
pub fn kept_by_others(conn: &Connection, stack: &str) -> Result<Vec<String>, String> {
    let [key_name, _, _] = names(stack);
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
