//! Cluster credentials at plan, apply and destroy time (README, "Cluster
//! credentials"): plan puts the credentials a cluster has into its request
//! and makes nothing; apply makes them for the clusters it creates, after
//! the confirmation and before any stack is sent; destroy deletes them once
//! the stack is gone.

use crate::apply::{Outcome, Step, StepKind};
use crate::cli::error::Error;
use crate::credentials::{self, Credentials};
use crate::heat::auth::Connection;
use crate::plan::{Target, add_defaults};
use serde_json::{Map, Value, json};

/// The hidden one among the parameters below.
const SECRET: &str = "node_credential_secret";

/// Whether this cloud keeps cluster credentials: a Keystone login whose
/// catalog has Barbican.
pub fn kept(conn: &Connection) -> bool {
    conn.token.is_some() && conn.services.contains_key("key-manager")
}

/// What a cluster's stack gets from its credentials (stdlib/heat/README.md).
fn parameters(conn: &Connection, c: &Credentials) -> Map<String, Value> {
    let keystone = conn
        .services
        .get("identity")
        .map(|u| format!("{}/v3", u.trim_end_matches('/').trim_end_matches("/v3")))
        .unwrap_or_default();
    let mut m = Map::new();
    m.insert("ca_cert".into(), json!(c.ca.cert_pem));
    m.insert(
        "ca_key_url".into(),
        json!(format!("{}/payload", c.ca_key_ref)),
    );
    m.insert("keystone_url".into(), json!(keystone));
    m.insert("node_credential_id".into(), json!(c.app_credential_id));
    m.insert(SECRET.into(), json!(c.app_credential_secret.expose()));
    m
}

/// At plan time: every cluster whose credentials exist gets them in its
/// request, so that a plan of an unchanged cluster shows no change.
pub fn attach_found(conn: &Connection, targets: &mut [Target]) -> Result<(), Error> {
    if !kept(conn) {
        return Ok(());
    }
    for t in targets {
        match credentials::find(conn, &t.stack_name).map_err(Error::failed)? {
            Some(c) => add_defaults(t, parameters(conn, &c), &[SECRET]),
            None => {
                // Only the user who keeps a CA may read it: anyone else's plan
                // would take the cluster's credentials out of its stack.
                let others =
                    credentials::kept_by_others(conn, &t.stack_name).map_err(Error::failed)?;
                if !others.is_empty() {
                    return Err(Error::failed(format!(
                        "the CA of cluster `{}` is kept in Barbican by another user ({}), and only they may read it: plan and apply it as that user (or delete their secrets coe-{}-* if they are not theirs to keep)",
                        t.cluster,
                        others.join(", "),
                        t.stack_name
                    )));
                }
            }
        }
    }
    Ok(())
}

/// What the plan should say when it creates clusters (lines short enough
/// for any terminal: the plan above names the clusters). A cluster whose
/// credentials were found (its stack is made again) keeps its CA.
pub fn plan_note(conn: &Connection, creates: &[&str], targets: &[Target]) -> Option<String> {
    if creates.is_empty() {
        return None;
    }
    if !kept(conn) {
        return Some("Credentials: no key manager (Barbican) here, so kubeadm makes each new\n  cluster's CA on master 0, and `coe kubeconfig` cannot sign for it.".into());
    }
    let found = |name: &&str| {
        targets
            .iter()
            .any(|t| t.cluster == *name && t.hidden.contains(SECRET))
    };
    let mut lines = Vec::new();
    if creates.iter().any(|c| !found(c)) {
        lines.push("Credentials: apply makes each new cluster's CA (its key in Barbican, yours\n  only) and a node credential that reads that key only, gone after the create.");
    }
    if creates.iter().any(found) {
        lines.push("Credentials: a cluster made again keeps the CA coe keeps for it; apply\n  renews its node credential if the old one is gone.");
    }
    Some(lines.join("\n"))
}

/// At apply time, after the confirmation and before anything is sent: the
/// credentials of every cluster about to be created, in its request.
pub fn make_for_creates(
    conn: &Connection,
    targets: &mut [Target],
    steps: &mut [Step],
) -> Result<(), Error> {
    if !kept(conn) {
        return Ok(());
    }
    for step in steps.iter_mut().filter(|s| s.kind == StepKind::Create) {
        let Some(t) = targets.iter_mut().find(|t| t.stack_name == step.stack_name) else {
            continue;
        };
        // Good for the create and a margin; apply retires it sooner.
        let minutes = t.timeout_mins.saturating_add(30);
        if t.hidden.contains(SECRET) {
            // Found at plan time: the cluster's stack was deleted outside coe
            // and is made again. Master 0 fetches the key once more, so its
            // node credential must log in: a retired one is renewed.
            if !credentials::node_credential_alive(conn, &t.stack_name).map_err(Error::failed)? {
                let c = credentials::renew(conn, &t.stack_name, minutes).map_err(|e| {
                    Error::failed(format!(
                        "nothing was applied: the node credential of cluster `{}` could not be renewed: {e}",
                        t.cluster
                    ))
                })?;
                println!(
                    "renewed the node credential of cluster {} (its CA is kept; its stack is made again)",
                    t.cluster
                );
                add_defaults(t, parameters(conn, &c), &[SECRET]);
                step.request = Some(t.request.clone());
            }
            continue;
        }
        let (c, new) = credentials::ensure(conn, &t.stack_name, minutes).map_err(|e| {
            Error::failed(format!(
                "nothing was applied: the credentials of cluster `{}` could not be made: {e}",
                t.cluster
            ))
        })?;
        if new {
            println!(
                "made the CA and node credential of cluster {} (Barbican secrets coe-{}-*)",
                t.cluster, t.stack_name
            );
        }
        add_defaults(t, parameters(conn, &c), &[SECRET]);
        step.request = Some(t.request.clone());
    }
    Ok(())
}

/// After apply: the node credential of every cluster just created goes
/// from Keystone (master 0 has its CA key), so the secret its stack's events
/// show opens nothing. False if one could not be deleted (said on stderr).
pub fn retire_after(conn: &Connection, results: &[(Step, Outcome)]) -> bool {
    if !kept(conn) {
        return true;
    }
    let mut all = true;
    for (step, outcome) in results {
        if step.kind != StepKind::Create || !matches!(outcome, Outcome::Done { .. }) {
            continue;
        }
        match credentials::retire(conn, &step.stack_name) {
            Ok(true) => println!(
                "{}: deleted the node credential (master 0 has the CA key; the secret in the stack's events opens nothing now)",
                step.cluster
            ),
            Ok(false) => {}
            Err(e) => {
                all = false;
                eprintln!(
                    "coe: error: {}: the node credential could not be deleted: {e}; it expires on its own at the create's timeout, or delete the application credential coe-{} now",
                    step.cluster, step.stack_name
                );
            }
        }
    }
    all
}

/// After destroy: removes the credentials of the stacks that are gone;
/// false if some could not be deleted (said on standard error).
pub fn delete_for(conn: &Connection, stacks: &[String]) -> bool {
    if !kept(conn) {
        return true;
    }
    let mut all = true;
    for stack in stacks {
        match credentials::delete(conn, stack) {
            Ok(removed) if removed.is_empty() => {}
            Ok(removed) => println!("deleted for {stack}: {}", removed.join(", ")),
            Err(e) => {
                all = false;
                eprintln!(
                    "coe: error: the credentials of stack {stack} were not all deleted: {e}; delete the Barbican secrets coe-{stack}-* and the application credential coe-{stack} by hand"
                )
            }
        }
    }
    all
}

/// The stack coe manages for `cluster`, and the credentials coe keeps for
/// it; an error that says where the CA is otherwise.
pub fn of_cluster(
    heat: &crate::heat::Heat,
    conn: &Connection,
    cluster: &str,
) -> Result<(crate::heat::StackSummary, Credentials), Error> {
    let stacks = heat.list_stacks(&[crate::compile::MANAGED_TAG])?;
    let named: Vec<&crate::heat::StackSummary> = stacks
        .iter()
        .filter(|s| s.tag("coe-cluster=") == Some(cluster))
        .collect();
    let stack = match named.as_slice() {
        [one] => (*one).clone(),
        [] => {
            let names: Vec<&str> = stacks
                .iter()
                .filter_map(|s| s.tag("coe-cluster="))
                .collect();
            return Err(crate::cli::error::unknown_cluster(
                cluster,
                names,
                "among the stacks coe manages (see `coe list`)",
            ));
        }
        several => {
            let configs: Vec<&str> = several
                .iter()
                .filter_map(|s| s.tag(crate::plan::CONFIG_TAG_PREFIX))
                .collect();
            return Err(Error::usage(format!(
                "{} stacks are cluster `{cluster}` (configurations {}); this cannot tell which",
                several.len(),
                configs.join(", ")
            )));
        }
    };
    if !kept(conn) {
        return Err(Error::failed(format!(
            "this cloud's catalog has no key manager (Barbican), so coe keeps no CA: cluster `{cluster}`'s CA is on its master 0, and its admin kubeconfig is /etc/kubernetes/admin.conf there"
        )));
    }
    match credentials::find(conn, &stack.stack_name).map_err(Error::failed)? {
        Some(c) => Ok((stack, c)),
        None => Err(Error::failed(format!(
            "coe keeps no CA for cluster `{cluster}` (stack {}): it was created before coe kept CAs, or by another user (only the user who applied it may read its CA); its admin kubeconfig is /etc/kubernetes/admin.conf on master 0",
            stack.stack_name
        ))),
    }
}

/// What `coe kubeconfig` and `coe env` need of a cluster.
pub struct Signing {
    pub creds: Credentials,
    /// The stack's parameters, as Heat shows them.
    pub params: Value,
    /// Its API address: `https://...` (Kubernetes) or `tcp://...` (swarm-mode).
    pub api: String,
    /// The name to sign for: `user`, or coe-<Keystone user>.
    pub user: String,
}

/// The cluster's credentials and API address, for a family: Kubernetes
/// (`kubeconfig`) or swarm-mode (`env`); the other family is a usage error
/// that names the right command.
pub fn for_signing(
    cloud: &crate::cli::args::CloudOpts,
    cluster: &str,
    kubernetes: bool,
    user: Option<&str>,
) -> Result<Signing, Error> {
    let (heat, conn) = crate::cli::remote::connect_full(cloud)?;
    let (stack, creds) = of_cluster(&heat, &conn, cluster)?;
    let shown = heat.show(&stack.path())?;
    let is_kubernetes = shown["parameters"].get("kube_api_port").is_some();
    if is_kubernetes != kubernetes {
        return Err(Error::usage(if is_kubernetes {
            format!(
                "cluster `{cluster}` is a Kubernetes cluster: `coe kubeconfig {cluster}` gives its credentials"
            )
        } else {
            format!(
                "cluster `{cluster}` is not a Kubernetes cluster: `eval \"$(coe env {cluster})\"` gives a swarm-mode cluster's Docker TLS settings"
            )
        }));
    }
    let output = shown["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["output_key"] == "api_address")
        .map(|o| o["output_value"].clone())
        .unwrap_or_default();
    let scheme = if kubernetes { "https://" } else { "tcp://" };
    let api = match output.as_str() {
        Some(a) if a.starts_with(scheme) => a.to_string(),
        _ => {
            return Err(Error::failed(format!(
                "cluster `{cluster}` has no {scheme} API address (stack {} is {}, its api_address output is {output}); `coe show {cluster}` says more",
                stack.stack_name, stack.stack_status
            )));
        }
    };
    let user = match user {
        Some(u) => u.to_string(),
        None => format!(
            "coe-{}",
            conn.user_name
                .as_deref()
                .or(conn.user_id.as_deref())
                .unwrap_or("user")
        ),
    };
    Ok(Signing {
        creds,
        params: shown["parameters"].clone(),
        api,
        user,
    })
}
