//! `coe ca rotate` end to end, through Keystone, Barbican and Heat with the
//! stub environment (no node boots: what the nodes do at each step is
//! tested in tests/fast/node_scripts.rs): three runs, each planning every
//! node's replacement with the step's parameters, plans clean between
//! them, the node credential opened for each (and left to expire, since
//! Heat does not wait for replaced masters), and the old CA gone at the
//! end.

use crate::keystone::{
    TempDir, coe_cli, heat_get, k8s_cluster_file, login, openrc, services, unique,
};
use coe::credentials::{self, Credentials};
use coe::heat::auth::Connection;
use coe::heat::clouds::CloudArgs;
use serde_json::Value;
use std::path::PathBuf;

/// The stack's path: `/stacks/NAME/ID`.
fn path(conn: &Connection, stack: &str) -> String {
    let list = heat_get(conn, &format!("/stacks?name={stack}"));
    let id = list["stacks"][0]["id"].as_str().expect("the stack exists");
    format!("/stacks/{stack}/{id}")
}

/// The stack's parameter `name`, as Heat shows it.
fn parameter(conn: &Connection, stack: &str, name: &str) -> String {
    let found = heat_get(conn, &path(conn, stack));
    found["stack"]["parameters"][name]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn kept(conn: &Connection, stack: &str) -> Credentials {
    credentials::find(conn, stack).unwrap().expect("kept")
}

#[test]
#[ignore = "needs the local Keystone, Heat and Barbican: scripts/test starts them"]
fn coe_ca_rotate_replaces_every_node_in_three_steps_and_retires_the_old_ca() {
    let svc = services();
    let dir = TempDir::new();
    let cluster = unique("rot");
    let file = k8s_cluster_file(&cluster, 3, 2, "  rolling_master_pause = 0\n");
    dir.write("cluster.coe", &file);
    let stubs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("harness/heat/stub-env.yaml");
    let stubs = stubs.display().to_string();
    let coe = coe_cli(&svc, dir.path());
    let admin = login(&CloudArgs::default(), &dir.env(&openrc(&svc)));
    assert!(
        admin.services.contains_key("key-manager"),
        "no Barbican in the catalog; fix: scripts/setup-barbican"
    );
    let stack = coe::check::stack_name(&cluster);

    // A cluster not made yet has nothing to rotate.
    let (code, out, err) = coe(&["ca", "rotate", &cluster, "-e", &stubs, "--yes"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("no CA") || err.contains("no stack"), "{err}");

    let (code, out, err) = coe(&["apply", "--yes", "-e", &stubs]);
    assert_eq!(code, 0, "{out}{err}");
    let old = kept(&admin, &stack);
    assert_eq!(parameter(&admin, &stack, "ca_rotation"), "");

    let mut new_cert = String::new();
    for step in 1..=3u8 {
        let (code, out, err) = coe(&["ca", "rotate", &cluster, "-e", &stubs, "--yes"]);
        assert_eq!(code, 0, "step {step}: {out}{err}");
        assert!(
            out.contains(&format!("CA rotation of {cluster}, step {step} of 3")),
            "{out}"
        );
        assert_eq!(out.contains("made the new CA"), step == 1, "{out}");
        assert!(
            out.contains(&format!(
                "{cluster}: opened the node credential for the update"
            )),
            "{out}"
        );
        // Heat does not wait for replaced masters to bootstrap: it stays
        // open (until it expires, or the next step opens it again).
        assert!(out.contains("the node credential stays open"), "{out}");
        assert!(!out.contains("deleted the node credential"), "{out}");
        // Every node is replaced (the stub servers are nested stacks that
        // Heat updates; a real server is replaced for its scheduler hints).
        for group in ["masters", "workers"] {
            assert!(
                out.contains(&format!("-/+ {group}/*/server (OS::Nova::Server): replace")),
                "{out}"
            );
        }
        // The step's trust, signing key and marker are the stack's.
        let c = kept(&admin, &stack);
        assert_eq!(c.rotation.step, if step < 3 { step } else { 0 });
        let trust = parameter(&admin, &stack, "ca_cert");
        let marker = parameter(&admin, &stack, "ca_rotation");
        assert_eq!(marker, format!("ca1-step{step}"));
        match step {
            1 => {
                new_cert = trust.strip_prefix(&old.ca.cert_pem).unwrap().to_string();
                assert!(
                    new_cert.starts_with("-----BEGIN CERTIFICATE-----"),
                    "{trust}"
                );
                assert_eq!(
                    c.ca.cert_pem, old.ca.cert_pem,
                    "step 1 signs with the old CA"
                );
                assert!(
                    out.contains(&format!("run `coe ca rotate {cluster}` for step 2")),
                    "{out}"
                );
            }
            2 => {
                assert_eq!(trust, format!("{new_cert}{}", old.ca.cert_pem));
                assert_eq!(c.ca.cert_pem, new_cert, "step 2 signs with the new CA");
                assert_ne!(c.ca_key_ref, old.ca_key_ref);
                assert!(
                    parameter(&admin, &stack, "ca_key_url").starts_with(&c.ca_key_ref),
                    "the masters fetch the new key"
                );
                // A kubeconfig now: signed by the new CA, trusting both.
                let kc = dir.path().join("kube/config");
                let (code, out, err) = coe(&[
                    "kubeconfig",
                    &cluster,
                    "--kubeconfig",
                    &kc.display().to_string(),
                ]);
                assert_eq!(code, 0, "{out}{err}");
                let text = std::fs::read_to_string(&kc).unwrap();
                let v: Value = serde_saphyr::from_str(&text).unwrap();
                use base64::Engine;
                let b64 = |p: &str| {
                    String::from_utf8(
                        base64::engine::general_purpose::STANDARD
                            .decode(v.pointer(p).unwrap().as_str().unwrap())
                            .unwrap(),
                    )
                    .unwrap()
                };
                assert_eq!(b64("/clusters/0/cluster/certificate-authority-data"), trust);
                let cert = b64("/users/0/user/client-certificate-data");
                assert!(coe::ca::verifies(&cert, &new_cert));
                assert!(!coe::ca::verifies(&cert, &old.ca.cert_pem));
            }
            _ => {
                assert_eq!(trust, new_cert);
                assert!(out.contains("the CA rotation is complete"), "{out}");
                assert_eq!(c.ca.cert_pem, new_cert);
                assert_eq!(c.rotation.current, 1);
                // No node trusts the old CA; its secrets stay until the
                // next rotation begins.
                let old_key = format!("coe-{stack}-ca-key");
                assert_eq!(
                    coe::heat::keystore::find_secrets(&admin, &old_key)
                        .unwrap()
                        .len(),
                    1
                );
            }
        }
        if step == 2 {
            assert!(
                out.contains(&format!(
                    "step 1 of cluster {cluster}'s CA rotation was applied but not recorded"
                )),
                "{out}"
            );
        }
        // One credential, and a plan shows no change.
        assert!(credentials::node_credential_alive(&admin, &stack).unwrap());
        let (code, out, err) = coe(&["plan", "--detailed-exitcode", "-e", &stubs]);
        assert_eq!(code, 0, "after step {step}: {out}{err}");
        if step == 1 {
            // The record of step 1 is lost (say Barbican failed after Heat
            // applied it): the next run sees the stack has it, records it,
            // and goes on with step 2.
            let name = coe::credentials::rotation::record_name(&stack);
            for r in coe::heat::keystore::find_secrets(&admin, &name).unwrap() {
                coe::heat::keystore::delete_secret(&admin, &r).unwrap();
            }
            let begun = r#"{"current":0,"next":1,"step":0}"#;
            coe::heat::keystore::store_secret(
                &admin,
                &name,
                &coe::heat::Secret::new(begun.to_string()),
            )
            .unwrap();
            assert_eq!(kept(&admin, &stack).rotation.step, 0);
            // A plain plan does not roll the nodes back: it plans the step
            // the stack has, and says what records it.
            let (code, out, err) = coe(&["plan", "--detailed-exitcode", "-e", &stubs]);
            assert_eq!(code, 0, "{out}{err}");
            assert!(err.contains("was applied but not recorded"), "{err}");
        }
    }
    let (code, shown, err) = coe(&["ca", "show", &cluster]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(shown, new_cert);
    // The next rotation's first step deletes what is left of the first CA.
    let (code, out, err) = coe(&["ca", "rotate", &cluster, "-e", &stubs, "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("Barbican secrets coe-{stack}-ca2-*")),
        "{out}"
    );
    for name in ["ca-key", "ca-cert"] {
        let left = coe::heat::keystore::find_secrets(&admin, &format!("coe-{stack}-{name}"));
        assert!(
            left.unwrap().is_empty(),
            "{name} outlived the next rotation"
        );
    }
    assert_eq!(parameter(&admin, &stack, "ca_rotation"), "ca2-step1");

    let (code, out, err) = coe(&["destroy", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(credentials::find(&admin, &stack).unwrap().is_none());
    for name in [
        "ca1-key",
        "ca1-cert",
        "ca2-key",
        "ca2-cert",
        "ca-rotation",
        "node-credential",
    ] {
        let left = coe::heat::keystore::find_secrets(&admin, &format!("coe-{stack}-{name}"));
        assert!(left.unwrap().is_empty(), "{name} outlived destroy");
    }
}
