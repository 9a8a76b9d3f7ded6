//! `coe kubeconfig CLUSTER`: a kubeconfig entry for a cluster, with a client
//! certificate signed by the CA coe keeps for it, merged into the user's
//! kubeconfig by name (mode 0600: it holds the client key).

use crate::ca::kubeconfig::{Entry, merge};
use crate::cli::args::KubeconfigArgs;
use crate::cli::cluster_credentials::{Signing, for_signing};
use crate::cli::exit;
use std::path::PathBuf;
use std::time::SystemTime;

pub fn run(a: KubeconfigArgs) -> crate::cli::error::Outcome {
    let path = match &a.kubeconfig {
        Some(p) => p.clone(),
        None => default_path()?,
    };
    let Signing {
        creds,
        params,
        api: server,
        user,
    } = for_signing(&a.cloud, &a.cluster, true, a.user.as_deref())?;
    let labels = params["labels"]
        .as_str()
        .and_then(crate::plan::labels_map)
        .unwrap_or_default();
    let group = match &a.group {
        Some(g) => g.clone(),
        None => admin_group(labels.get("kube_tag").and_then(|v| v.as_str())).to_string(),
    };
    let issued = creds
        .ca
        .issue_client(&user, &[&group], SystemTime::now(), a.days)?;
    let key = issued
        .key_pem
        .ok_or("coe made no client key; this is a bug in coe")?;
    let existing = match std::fs::read(&path) {
        Ok(bytes) => Some(
            crate::source::utf8_text(bytes)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read `{}`: {e}", path.display()).into()),
    };
    let entry = Entry {
        name: &a.cluster,
        server: &server,
        ca_pem: &creds.trust,
        cert_pem: &issued.cert_pem,
        key_pem: &key,
    };
    let text = merge(existing.as_deref(), &entry, !a.no_switch)
        .map_err(|e| format!("`{}`: {e}", path.display()))?;
    crate::cli::write::private(&path, &text)?;
    eprintln!(
        "wrote context `{}` to {} ({server}, user {user} in group {group}, valid {} days){}",
        a.cluster,
        path.display(),
        a.days,
        if a.no_switch {
            ""
        } else {
            "; it is the current context"
        }
    );
    Ok(exit::OK)
}

/// kubeadm binds cluster-admin to `kubeadm:cluster-admins` from 1.29 on;
/// before, admins were `system:masters`. Without a `kube_tag` label the
/// cluster runs the catalogue's default, which is newer.
fn admin_group(kube_tag: Option<&str>) -> &'static str {
    let minor = kube_tag.and_then(|t| {
        let mut parts = t.trim_start_matches('v').split('.');
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        Some((major, minor))
    });
    match minor {
        Some(v) if v < (1, 29) => "system:masters",
        _ => "kubeadm:cluster-admins",
    }
}

/// The first file of $KUBECONFIG, else ~/.kube/config, as kubectl writes.
fn default_path() -> Result<PathBuf, String> {
    if let Some(list) = std::env::var_os("KUBECONFIG")
        && let Some(first) = std::env::split_paths(&list).find(|p| !p.as_os_str().is_empty())
    {
        return Ok(first);
    }
    std::env::home_dir()
        .map(|h| h.join(".kube").join("config"))
        .ok_or_else(|| "no home directory: pass --kubeconfig FILE".to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_admin_group_follows_the_kubernetes_version() {
        assert_eq!(super::admin_group(Some("v1.28.9")), "system:masters");
        assert_eq!(
            super::admin_group(Some("v1.29.0")),
            "kubeadm:cluster-admins"
        );
        assert_eq!(super::admin_group(None), "kubeadm:cluster-admins");
    }
}
