//! `coe env CLUSTER`: the Docker TLS settings of a swarm-mode cluster, with a
//! client certificate signed by the CA coe keeps for it (README, "Cluster
//! credentials"); the files go in a directory only the user may read.

use crate::cli::args::EnvArgs;
use crate::cli::cluster_credentials::{Signing, for_signing};
use crate::cli::exit;
use crate::heat::Secret;
use std::path::PathBuf;
use std::time::SystemTime;

pub fn run(a: EnvArgs) -> crate::cli::error::Outcome {
    let Signing {
        creds,
        api: host,
        user,
        ..
    } = for_signing(&a.cloud, &a.cluster, false, a.user.as_deref())?;
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => std::env::home_dir()
            .map(|h| h.join(".docker").join("coe").join(&a.cluster))
            .ok_or("no home directory: pass --dir DIR")?,
    };
    let issued = creds
        .ca
        .issue_client(&user, &[], SystemTime::now(), a.days)?;
    let key = issued
        .key_pem
        .ok_or("coe made no client key; this is a bug in coe")?;
    make_private_dir(&dir)?;
    let write = crate::cli::write::private;
    write(&dir.join("ca.pem"), &Secret::new(creds.trust.clone()))?;
    write(&dir.join("cert.pem"), &Secret::new(issued.cert_pem.clone()))?;
    write(&dir.join("key.pem"), &key)?;
    println!("export DOCKER_HOST={host}");
    println!("export DOCKER_TLS_VERIFY=1");
    println!("export DOCKER_CERT_PATH={}", shell_quote(&dir));
    eprintln!(
        "wrote a client certificate for {user}, valid {} days, to {}; `eval \"$(coe env {})\"` sets the variables",
        a.days,
        dir.display(),
        a.cluster
    );
    Ok(exit::OK)
}

/// The directory, made (or narrowed) to mode 0700.
fn make_private_dir(dir: &PathBuf) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
        .map_err(|e| format!("cannot make `{}`: {e}", dir.display()))
}

/// A path as one shell word.
fn shell_quote(p: &std::path::Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
