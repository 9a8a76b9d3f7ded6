//! The cluster CA: what coe signs verifies with openssl, a CSR gets a client
//! certificate and nothing more, and no private key prints.

use coe::ca::kubeconfig::{Entry, merge};
use coe::ca::{Ca, verifies};
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl {args:?}: {text}");
    text
}

#[test]
fn a_client_certificate_verifies_against_the_ca_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let ca = Ca::generate("prod-eu1", now).unwrap();
    let client = ca
        .issue_client("coe-admin", &["kubeadm:cluster-admins"], now, 30)
        .unwrap();
    std::fs::write(dir.path().join("ca.pem"), &ca.cert_pem).unwrap();
    std::fs::write(dir.path().join("client.pem"), &client.cert_pem).unwrap();
    let verdict = openssl(dir.path(), &["verify", "-CAfile", "ca.pem", "client.pem"]);
    assert!(verdict.contains("client.pem: OK"), "{verdict}");
    let subject = openssl(
        dir.path(),
        &["x509", "-in", "client.pem", "-noout", "-subject"],
    );
    assert!(
        subject.contains("O = kubeadm:cluster-admins, CN = coe-admin"),
        "{subject}"
    );
    let text = openssl(dir.path(), &["x509", "-in", "ca.pem", "-noout", "-text"]);
    assert!(text.contains("CA:TRUE"), "{text}");
    assert!(verifies(&client.cert_pem, &ca.cert_pem));
    // A CA read back from its PEM texts signs the same way.
    let again = Ca::from_pem(&ca.cert_pem, ca.key_pem().clone()).unwrap();
    let second = again.issue_client("ci", &[], now, 1).unwrap();
    assert!(verifies(&second.cert_pem, &ca.cert_pem));
}

#[test]
fn a_csr_gets_a_client_certificate_whatever_else_it_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let ca = Ca::generate("c1", now).unwrap();
    // A request that also asks to be a CA.
    openssl(
        dir.path(),
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "alice.key",
            "-out",
            "alice.csr",
            "-subj",
            "/O=devs/CN=alice",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
    );
    let csr = std::fs::read_to_string(dir.path().join("alice.csr")).unwrap();
    let issued = ca.sign_csr(&csr, now, 90).unwrap();
    assert!(issued.key_pem.is_none());
    std::fs::write(dir.path().join("ca.pem"), &ca.cert_pem).unwrap();
    std::fs::write(dir.path().join("alice.pem"), &issued.cert_pem).unwrap();
    let verdict = openssl(
        dir.path(),
        &[
            "verify",
            "-CAfile",
            "ca.pem",
            "-purpose",
            "sslclient",
            "alice.pem",
        ],
    );
    assert!(verdict.contains("alice.pem: OK"), "{verdict}");
    let text = openssl(dir.path(), &["x509", "-in", "alice.pem", "-noout", "-text"]);
    assert!(!text.contains("CA:TRUE"), "{text}");
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    // The certificate is for the requester's key.
    let cert_key = openssl(
        dir.path(),
        &["x509", "-in", "alice.pem", "-noout", "-pubkey"],
    );
    let own_key = openssl(dir.path(), &["pkey", "-in", "alice.key", "-pubout"]);
    assert_eq!(cert_key, own_key);
    let e = ca.sign_csr("not a csr", now, 90).unwrap_err();
    assert!(
        e.starts_with("cannot read the certificate signing request"),
        "{e}"
    );
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let now = SystemTime::now();
    let a = Ca::generate("a", now).unwrap();
    let b = Ca::generate("b", now).unwrap();
    let e = Ca::from_pem(&a.cert_pem, b.key_pem().clone()).unwrap_err();
    assert_eq!(e, "the CA's key does not belong to its certificate");
    // Private keys never print.
    let shown = format!("{a:?}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
}

#[test]
fn kubeconfig_entries_merge_by_name_and_keep_the_rest() {
    let now = SystemTime::now();
    let ca = Ca::generate("c1", now).unwrap();
    let client = ca.issue_client("coe-admin", &[], now, 1).unwrap();
    let key = client.key_pem.unwrap();
    let entry = Entry {
        name: "c1",
        server: "https://203.0.113.10:6443",
        ca_pem: &ca.cert_pem,
        cert_pem: &client.cert_pem,
        key_pem: &key,
    };
    let existing = "\
apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: https://other:6443}
- name: c1
  cluster: {server: https://stale:6443}
users:
- name: other
  user: {token: abc}
contexts:
- name: other
  context: {cluster: other, user: other}
current-context: other
";
    let merged = merge(Some(existing), &entry, false).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(merged.expose()).unwrap();
    let names = |list: &str| -> Vec<String> {
        doc[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("clusters"), ["other", "c1"]);
    assert_eq!(names("users"), ["other", "c1"]);
    assert_eq!(names("contexts"), ["other", "c1"]);
    assert_eq!(
        doc["clusters"][1]["cluster"]["server"],
        "https://203.0.113.10:6443"
    );
    assert_eq!(doc["users"][0]["user"]["token"], "abc");
    assert_eq!(doc["current-context"], "other");
    let switched = merge(Some(existing), &entry, true).unwrap();
    assert!(switched.expose().contains("current-context: c1"));
    let fresh = merge(None, &entry, false).unwrap();
    assert!(fresh.expose().contains("current-context: c1"));
    let e = merge(Some("clusters: 3\n"), &entry, false).unwrap_err();
    assert_eq!(e, "`clusters` of the existing kubeconfig is not a list");
    assert!(merge(Some("- a\n"), &entry, false).is_err());
}

#[test]
#[ignore = "needs PyPI: installs the Kubernetes Python client into target/kube-venv"]
fn the_kubernetes_client_loads_the_kubeconfig_coe_writes() {
    let now = SystemTime::now();
    let ca = Ca::generate("c1", now).unwrap();
    let client = ca
        .issue_client("coe-admin", &["kubeadm:cluster-admins"], now, 1)
        .unwrap();
    let key = client.key_pem.unwrap();
    let entry = Entry {
        name: "c1",
        server: "https://203.0.113.10:6443",
        ca_pem: &ca.cert_pem,
        cert_pem: &client.cert_pem,
        key_pem: &key,
    };
    let other = "clusters:\n- name: other\n  cluster: {server: 'https://other:6443'}\n";
    let merged = merge(Some(other), &entry, false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, merged.expose()).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("scripts/kubeconfig-check"))
        .arg(&path)
        .arg("c1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["server"], "https://203.0.113.10:6443");
    assert_eq!(seen["ca"], ca.cert_pem.as_str());
    assert_eq!(seen["cert"], client.cert_pem.as_str());
    assert_eq!(seen["key"], key.expose());
}
