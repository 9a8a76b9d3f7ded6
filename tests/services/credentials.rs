//! Cluster credentials against a real Keystone 30 and Barbican 23
//! (`scripts/setup-keystone`, `scripts/setup-barbican`): the CA's key is
//! stored in Barbican and read back byte for byte, a client certificate it
//! signs verifies with openssl, only its owner may read it, and an
//! application credential logs in until it is deleted.

use crate::keystone::{TempDir, app_credential_env, login, openrc, services, unique};
use coe::ca::{Ca, verifies};
use coe::heat::auth::ConnectErrorKind;
use coe::heat::clouds::{CloudArgs, resolve};
use coe::heat::keystore::{
    create_app_credential, delete_app_credential, delete_secret, fetch_secret,
    find_app_credentials, find_secrets, restrict_secret, store_secret,
};
use std::process::Command;
use std::time::SystemTime;

#[test]
#[ignore = "needs Keystone and Barbican: scripts/setup-keystone, scripts/setup-barbican"]
fn the_ca_key_round_trips_through_barbican_and_signs_what_openssl_verifies() {
    let svc = services();
    let dir = TempDir::new();
    let conn = login(&CloudArgs::default(), &dir.env(&openrc(&svc)));
    assert!(
        conn.services.contains_key("key-manager"),
        "no Barbican in the catalog ({:?}); fix: scripts/setup-barbican",
        conn.services.keys().collect::<Vec<_>>()
    );
    let now = SystemTime::now();
    let ca = Ca::generate("creds-test", now).unwrap();
    let name = unique("coe-test-ca");
    let secret_ref = store_secret(&conn, &name, ca.key_pem()).unwrap();
    restrict_secret(&conn, &secret_ref).unwrap();
    assert_eq!(
        find_secrets(&conn, &name).unwrap(),
        vec![secret_ref.clone()]
    );
    let key = fetch_secret(&conn, &secret_ref).unwrap();
    assert_eq!(
        key.expose(),
        ca.key_pem().expose(),
        "the key came back changed"
    );
    let again = Ca::from_pem(&ca.cert_pem, key).unwrap();
    let client = again
        .issue_client("coe-admin", &["kubeadm:cluster-admins"], now, 1)
        .unwrap();
    assert!(verifies(&client.cert_pem, &ca.cert_pem));
    let tmp = dir.path();
    std::fs::write(tmp.join("ca.pem"), &ca.cert_pem).unwrap();
    std::fs::write(tmp.join("client.pem"), &client.cert_pem).unwrap();
    let out = Command::new("openssl")
        .args(["verify", "-CAfile", "ca.pem", "client.pem"])
        .current_dir(tmp)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("client.pem: OK"),
        "{out:?}"
    );
    delete_secret(&conn, &secret_ref).unwrap();
    let e = fetch_secret(&conn, &secret_ref).unwrap_err();
    assert!(e.contains("is gone from Barbican"), "{e}");
}

#[test]
#[ignore = "needs Keystone: scripts/setup-keystone"]
fn an_application_credential_logs_in_until_it_is_deleted() {
    let svc = services();
    let dir = TempDir::new();
    let conn = login(&CloudArgs::default(), &dir.env(&openrc(&svc)));
    let name = unique("coe-test-cluster");
    let cred = create_app_credential(&conn, &name, "coe test", &[], None, None).unwrap();
    assert_eq!(
        find_app_credentials(&conn, &name).unwrap(),
        vec![cred.id.clone()]
    );
    assert!(!format!("{cred:?}").contains(cred.secret.expose()));
    let vars = app_credential_env(&svc, &cred.id, cred.secret.expose());
    let as_cluster = login(&CloudArgs::default(), &dir.env(&vars));
    assert_eq!(as_cluster.project_id, conn.project_id);
    delete_app_credential(&conn, &cred.id).unwrap();
    assert!(find_app_credentials(&conn, &name).unwrap().is_empty());
    let profile = resolve(&CloudArgs::default(), &dir.env(&vars)).unwrap();
    let e = coe::heat::auth::connect(&profile).unwrap_err();
    assert_eq!(e.kind, ConnectErrorKind::Unauthorized, "{e:?}");
}

#[test]
#[ignore = "needs Keystone and Barbican: scripts/setup-keystone, scripts/setup-barbican"]
fn a_clusters_credentials_are_made_once_found_again_and_deleted_whole() {
    use coe::credentials::{app_credential_name, delete, ensure, find, open, retire};
    let svc = services();
    let dir = TempDir::new();
    let conn = login(&CloudArgs::default(), &dir.env(&openrc(&svc)));
    let stack = unique("coe-creds");
    assert!(find(&conn, &stack).unwrap().is_none());
    let (made, new) = ensure(&conn, &stack, true).unwrap();
    assert!(new);
    let (found, new) = ensure(&conn, &stack, true).unwrap();
    assert!(!new, "a second ensure made new credentials");
    assert_eq!(found.ca.cert_pem, made.ca.cert_pem);
    assert_eq!(found.ca_key_ref, made.ca_key_ref);
    assert_eq!(found.shared_ref, made.shared_ref);
    assert_eq!(found.node_user, made.node_user);
    assert_eq!(found.node_secret.expose(), made.node_secret.expose());
    // The stored CA signs what its certificate verifies.
    let client = found
        .ca
        .issue_client("coe-admin", &[], SystemTime::now(), 1)
        .unwrap();
    assert!(verifies(&client.cert_pem, &made.ca.cert_pem));
    // The masters log in by the credential's name, their user and the
    // secret, as the node script does; they read the CA key and the shared
    // secrets, and nothing else.
    let name = app_credential_name(&stack);
    let vars = [
        ("OS_AUTH_URL", svc.auth_url.as_str()),
        ("OS_AUTH_TYPE", "v3applicationcredential"),
        ("OS_APPLICATION_CREDENTIAL_NAME", name.as_str()),
        ("OS_USER_ID", made.node_user.as_str()),
        (
            "OS_APPLICATION_CREDENTIAL_SECRET",
            made.node_secret.expose(),
        ),
        ("OS_REGION_NAME", "RegionOne"),
    ];
    // Made, the credential is not open yet: only `open` makes it in Keystone.
    assert!(!coe::credentials::node_credential_alive(&conn, &stack).unwrap());
    open(&conn, &stack, &made, 60).unwrap();
    let node = login(&CloudArgs::default(), &dir.env(&vars));
    let key = fetch_secret(&node, &made.ca_key_ref).unwrap();
    assert_eq!(key.expose(), made.ca.key_pem().expose());
    let shared_ref = made.shared_ref.clone().expect("shared secrets made");
    let bundle = fetch_secret(&node, &shared_ref).unwrap();
    assert_eq!(coe::ca::shared::parse(bundle.expose()).unwrap().len(), 6);
    let e = find_secrets(&node, &format!("coe-{stack}-ca-key")).unwrap_err();
    assert!(
        e.contains("answered 401") || e.contains("answered 403"),
        "{e}"
    );
    let record = find_secrets(&conn, &format!("coe-{stack}-node-credential")).unwrap();
    let e = fetch_secret(&node, &record[0]).unwrap_err();
    assert!(!e.is_empty());
    // Retired, the credential opens nothing, and the record stays for plans.
    assert!(retire(&conn, &stack).unwrap());
    let profile = resolve(&CloudArgs::default(), &dir.env(&vars)).unwrap();
    let e = coe::heat::auth::connect(&profile).unwrap_err();
    assert_eq!(e.kind, ConnectErrorKind::Unauthorized, "{e:?}");
    let after = find(&conn, &stack).unwrap().expect("found after retiring");
    assert_eq!(after.node_secret.expose(), made.node_secret.expose());
    assert!(!retire(&conn, &stack).unwrap());
    // Opened again for a change that builds masters: the same name and
    // secret log in (nothing in the stack changes), and read the same.
    assert!(!coe::credentials::node_credential_alive(&conn, &stack).unwrap());
    open(&conn, &stack, &after, 60).unwrap();
    assert!(coe::credentials::node_credential_alive(&conn, &stack).unwrap());
    let node = login(&CloudArgs::default(), &dir.env(&vars));
    assert_eq!(
        fetch_secret(&node, &made.ca_key_ref).unwrap().expose(),
        made.ca.key_pem().expose()
    );
    assert_eq!(
        fetch_secret(&node, &shared_ref).unwrap().expose(),
        bundle.expose()
    );
    // Opening an open one replaces it: one credential, still logging in.
    open(&conn, &stack, &after, 60).unwrap();
    assert_eq!(
        coe::heat::keystore::find_app_credentials(&conn, &name)
            .unwrap()
            .len(),
        1
    );
    login(&CloudArgs::default(), &dir.env(&vars));
    assert!(retire(&conn, &stack).unwrap());
    // A missing piece is reported, not silently remade.
    let cert_ref = find_secrets(&conn, &format!("coe-{stack}-ca-cert")).unwrap();
    delete_secret(&conn, &cert_ref[0]).unwrap();
    let e = find(&conn, &stack).unwrap_err();
    assert!(e.contains("the CA certificate (coe-"), "{e}");
    let removed = delete(&conn, &stack).unwrap();
    assert_eq!(removed.len(), 3, "{removed:?}"); // the key, the record, the shared secrets
    assert!(find(&conn, &stack).unwrap().is_none());
    assert!(delete(&conn, &stack).unwrap().is_empty());
}

/// Admin's token and Keystone URL, for making a second user.
fn admin_call(
    conn: &coe::heat::auth::Connection,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let base = conn.services["identity"]
        .trim_end_matches('/')
        .trim_end_matches("/v3");
    let mut req = conn
        .http
        .request(method.parse().unwrap(), format!("{base}/v3{path}"))
        .header("X-Auth-Token", conn.token.as_ref().unwrap().expose());
    if !body.is_null() {
        req = req.json(&body);
    }
    let resp = req.send().unwrap();
    let status = resp.status();
    let text = resp.text().unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

#[test]
#[ignore = "needs Keystone and Barbican: scripts/setup-keystone, scripts/setup-barbican"]
fn another_project_member_cannot_plant_a_clusters_ca() {
    use coe::credentials::{delete, ensure, find};
    let svc = services();
    let dir = TempDir::new();
    let conn = login(&CloudArgs::default(), &dir.env(&openrc(&svc)));
    let stack = unique("coe-plant");
    // Mallory, a member of the same project, stores a CA key and certificate
    // under the names coe looks for, before the cluster's first apply.
    let name = unique("mallory");
    let user = admin_call(
        &conn,
        "POST",
        "/users",
        serde_json::json!({"user": {
        "name": name, "password": "mallorypass", "domain_id": "default"}}),
    );
    let user_id = user["user"]["id"].as_str().unwrap().to_string();
    let roles = admin_call(&conn, "GET", "/roles?name=member", serde_json::Value::Null);
    let member = roles["roles"][0]["id"].as_str().unwrap().to_string();
    let project = conn.project_id.clone().unwrap();
    admin_call(
        &conn,
        "PUT",
        &format!("/projects/{project}/users/{user_id}/roles/{member}"),
        serde_json::Value::Null,
    );
    let auth_url = svc
        .openrc
        .iter()
        .find(|(k, _)| k == "OS_AUTH_URL")
        .unwrap()
        .1
        .clone();
    let vars = [
        ("OS_AUTH_URL", auth_url.as_str()),
        ("OS_USERNAME", name.as_str()),
        ("OS_PASSWORD", "mallorypass"),
        ("OS_USER_DOMAIN_NAME", "Default"),
        ("OS_PROJECT_NAME", "admin"),
        ("OS_PROJECT_DOMAIN_NAME", "Default"),
        ("OS_REGION_NAME", "RegionOne"),
    ];
    let mallory = login(&CloudArgs::default(), &dir.env(&vars));
    let planted = Ca::generate("planted", SystemTime::now()).unwrap();
    store_secret(&mallory, &format!("coe-{stack}-ca-key"), planted.key_pem()).unwrap();
    store_secret(
        &mallory,
        &format!("coe-{stack}-ca-cert"),
        &coe::heat::Secret::new(planted.cert_pem.clone()),
    )
    .unwrap();
    // The owner's coe takes none of it (a plan names Mallory instead of
    // planning with her CA), and makes the cluster's own CA.
    assert!(find(&conn, &stack).unwrap().is_none());
    assert_eq!(
        coe::credentials::kept_by_others(&conn, &stack).unwrap(),
        vec![user_id.clone()]
    );
    let (made, new) = ensure(&conn, &stack, false).unwrap();
    assert!(new);
    assert_ne!(made.ca.cert_pem, planted.cert_pem);
    // Mallory's coe sees that the owner keeps a CA for it, and refuses to
    // plan rather than take the credentials out of the stack.
    assert_eq!(
        coe::credentials::kept_by_others(&mallory, &stack).unwrap(),
        vec![conn.user_id.clone().unwrap()]
    );
    // And Mallory cannot read the real key.
    let e = fetch_secret(&mallory, &made.ca_key_ref).unwrap_err();
    assert!(e.contains("only the user who applied the cluster"), "{e}");
    // Three secrets (ensure opens no application credential).
    assert_eq!(delete(&conn, &stack).unwrap().len(), 3);
    for r in find_secrets(&mallory, &format!("coe-{stack}-ca-key"))
        .unwrap()
        .into_iter()
        .chain(find_secrets(&mallory, &format!("coe-{stack}-ca-cert")).unwrap())
    {
        delete_secret(&mallory, &r).unwrap();
    }
    admin_call(
        &conn,
        "DELETE",
        &format!("/users/{user_id}"),
        serde_json::Value::Null,
    );
}
