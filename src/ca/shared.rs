//! What every Kubernetes master shares besides the cluster CA: kubeadm's
//! front-proxy CA, etcd CA and service-account key pair. coe makes them
//! with the cluster CA and keeps them in Barbican, so that every master,
//! joining ones too, installs them before kubeadm runs, and no master ever
//! uploads certificates into the cluster for another to download (which is
//! what kubeadm's certificate key is for, and Heat would show that key).
//!
//! One text, one file after another, each after a `=== PATH` line (PATH
//! under /etc/kubernetes/pki); the node script takes the files it knows by
//! name (`k8s_install_shared` in kubernetes-common.sh).

use super::{Ca, key_pair};
use crate::heat::Secret;
use std::time::SystemTime;

/// The files, by their path under kubeadm's PKI directory.
pub const FILES: [&str; 6] = [
    "front-proxy-ca.crt",
    "front-proxy-ca.key",
    "etcd/ca.crt",
    "etcd/ca.key",
    "sa.key",
    "sa.pub",
];

const HEADER: &str = "=== ";

/// New shared secrets for `cluster`'s masters.
pub fn generate(cluster: &str, now: SystemTime) -> Result<Secret, String> {
    let front_proxy = Ca::generate_named(&format!("coe cluster {cluster} front-proxy CA"), now)?;
    let etcd = Ca::generate_named(&format!("coe cluster {cluster} etcd CA"), now)?;
    let (sa_key, sa_pub) = key_pair()?;
    let contents = [
        front_proxy.cert_pem.as_str(),
        front_proxy.key_pem().expose(),
        etcd.cert_pem.as_str(),
        etcd.key_pem().expose(),
        sa_key.expose(),
        sa_pub.as_str(),
    ];
    let mut text = String::new();
    for (path, pem) in FILES.iter().zip(contents) {
        text.push_str(HEADER);
        text.push_str(path);
        text.push('\n');
        text.push_str(pem.trim_end());
        text.push('\n');
    }
    Ok(Secret::new(text))
}

/// The files of a bundle, checked: every one of [`FILES`], once, each a PEM
/// text. An error names what is wrong, never a key.
pub fn parse(text: &str) -> Result<Vec<(&str, String)>, String> {
    let mut files: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        if let Some(path) = line.strip_prefix(HEADER) {
            let Some(known) = FILES.iter().find(|f| **f == path) else {
                return Err(format!("the bundle has an unknown file `{path}`"));
            };
            if files.iter().any(|(p, _)| p == known) {
                return Err(format!("the bundle has `{path}` twice"));
            }
            files.push((known, String::new()));
        } else if let Some((_, body)) = files.last_mut() {
            body.push_str(line);
            body.push('\n');
        } else if !line.trim().is_empty() {
            return Err("the bundle does not start with a file".into());
        }
    }
    for f in FILES {
        match files.iter().find(|(p, _)| *p == f) {
            None => return Err(format!("the bundle has no `{f}`")),
            Some((_, body)) if !body.starts_with("-----BEGIN ") => {
                return Err(format!("the bundle's `{f}` is not PEM"));
            }
            Some(_) => {}
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_bundle_has_every_file_and_its_cas_sign() {
        let bundle = generate("demo", SystemTime::now()).unwrap();
        let files = parse(bundle.expose()).unwrap();
        assert_eq!(
            files.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            FILES.to_vec()
        );
        let get = |name: &str| files.iter().find(|(p, _)| *p == name).unwrap().1.clone();
        for (cert, key) in [
            ("front-proxy-ca.crt", "front-proxy-ca.key"),
            ("etcd/ca.crt", "etcd/ca.key"),
        ] {
            let ca = Ca::from_pem(&get(cert), Secret::new(get(key))).unwrap();
            assert!(ca.cert_pem.contains("BEGIN CERTIFICATE"));
        }
        assert!(get("sa.key").starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(get("sa.pub").starts_with("-----BEGIN PUBLIC KEY-----"));
        // two bundles share nothing
        let other = generate("demo", SystemTime::now()).unwrap();
        assert_ne!(other.expose(), bundle.expose());
    }

    #[test]
    fn a_bundle_missing_a_file_or_with_a_stranger_is_refused() {
        let bundle = generate("demo", SystemTime::now()).unwrap();
        let text = bundle.expose();
        let cut = text.find("=== sa.pub").unwrap();
        assert_eq!(
            parse(&text[..cut]).unwrap_err(),
            "the bundle has no `sa.pub`"
        );
        let odd = format!("{text}=== ../../root/.ssh/authorized_keys\nssh-ed25519 x\n");
        assert_eq!(
            parse(&odd).unwrap_err(),
            "the bundle has an unknown file `../../root/.ssh/authorized_keys`"
        );
        let twice = format!("{text}=== sa.pub\n-----BEGIN PUBLIC KEY-----\n");
        assert_eq!(parse(&twice).unwrap_err(), "the bundle has `sa.pub` twice");
        assert_eq!(
            parse("=== sa.key\nnot a key\n").unwrap_err(),
            "the bundle has no `front-proxy-ca.crt`"
        );
    }
}
