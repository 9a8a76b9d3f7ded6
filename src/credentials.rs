//! A cluster's credentials and where they live (README, "Cluster
//! credentials"): its CA (key and certificate in Barbican, readable by the
//! applying user only) and its application credential (in Keystone, its
//! secret kept in Barbican because Keystone shows it only once).
//!
//! Everything is found by the cluster's stack name, so there is no local
//! state: `ensure` finds or makes them, `find` only reads, `delete` removes
//! every piece and says which it removed.

use crate::ca::Ca;
use crate::heat::Secret;
use crate::heat::auth::Connection;
use crate::heat::keystore::{
    AppCredential, create_app_credential, delete_app_credential, delete_secret, fetch_secret,
    find_app_credentials, find_secrets, restrict_secret, store_secret,
};
use std::time::SystemTime;

/// What a cluster's nodes and coe's signing commands need.
#[derive(Debug)]
pub struct Credentials {
    pub ca: Ca,
    /// Barbican's URL of the CA key, which masters fetch at bootstrap.
    pub ca_key_ref: String,
    pub app_credential_id: String,
    pub app_credential_secret: Secret,
}

fn names(stack: &str) -> [String; 3] {
    [
        format!("coe-{stack}-ca-key"),
        format!("coe-{stack}-ca-cert"),
        format!("coe-{stack}-app-credential"),
    ]
}

/// The application credential's name in Keystone.
pub fn app_credential_name(stack: &str) -> String {
    format!("coe-{stack}")
}

/// The cluster's credentials, if every piece is there; an error if only
/// some are (someone deleted a piece: coe does not guess which to remake).
pub fn find(conn: &Connection, stack: &str) -> Result<Option<Credentials>, String> {
    let [key_name, cert_name, cred_name] = names(stack);
    let key = find_secrets(conn, &key_name)?;
    let cert = find_secrets(conn, &cert_name)?;
    let cred = find_secrets(conn, &cred_name)?;
    let app = find_app_credentials(conn, &app_credential_name(stack))?;
    let found = [
        !key.is_empty(),
        !cert.is_empty(),
        !cred.is_empty(),
        !app.is_empty(),
    ];
    if found.iter().all(|f| !f) {
        return Ok(None);
    }
    if found.iter().any(|f| !f) {
        let what = [
            "the CA key",
            "the CA certificate",
            "the credential's secret",
            "the application credential",
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
    let secret = fetch_secret(conn, &cred[0])?;
    Ok(Some(Credentials {
        ca,
        ca_key_ref: key[0].clone(),
        app_credential_id: app[0].clone(),
        app_credential_secret: secret,
    }))
}

/// Finds the cluster's credentials, or makes them: a new CA, its key and
/// certificate stored readable by this user only, and an application
/// credential whose secret is stored the same way. Returns whether they are new.
pub fn ensure(conn: &Connection, stack: &str) -> Result<(Credentials, bool), String> {
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
    let AppCredential { id, secret, .. } = create_app_credential(
        conn,
        &app_credential_name(stack),
        &format!("coe: the cloud credential of the cluster in stack {stack}"),
    )?;
    store(&cred_name, &secret)?;
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
