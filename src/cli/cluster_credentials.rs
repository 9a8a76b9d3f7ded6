//! Cluster credentials at plan, apply and destroy time (README, "Cluster
//! credentials"): plan puts the credentials a cluster has into its request
//! and makes nothing; apply makes them for the clusters it creates, and
//! opens the node credential for every change that builds masters, after
//! the confirmation and before any stack is sent, and retires it once the
//! change is over; destroy deletes them once the stack is gone.

use crate::apply::{Outcome, Step, StepKind};
use crate::cli::error::Error;
use crate::credentials::rotation;
use crate::credentials::{self, Credentials};
use crate::heat::auth::Connection;
use crate::plan::{Action, Plan, Target, add_defaults, takes_parameter};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The hidden one among the parameters below.
const SECRET: &str = "node_credential_secret";
/// The parameter of templates whose masters share more than the CA.
const SHARED: &str = "control_plane_url";
/// The parameter of templates whose nodes a CA rotation replaces.
const ROTATION: &str = "ca_rotation";

/// The credentials plan found (or, for the cluster whose CA rotates, the
/// next step's), by stack name: apply uses them as they were planned.
#[derive(Default)]
pub struct Kept(BTreeMap<String, Credentials>);

/// Whether this cloud keeps cluster credentials: a Keystone login whose
/// catalog has Barbican.
pub fn keeps(conn: &Connection) -> bool {
    conn.token.is_some() && conn.services.contains_key("key-manager")
}

/// What a cluster's stack gets from its credentials (stdlib/heat/README.md).
fn parameters(conn: &Connection, t: &Target, c: &Credentials) -> Map<String, Value> {
    let keystone = conn
        .services
        .get("identity")
        .map(|u| format!("{}/v3", u.trim_end_matches('/').trim_end_matches("/v3")))
        .unwrap_or_default();
    let payload = |r: &str| format!("{r}/payload");
    let mut m = Map::new();
    m.insert("ca_cert".into(), json!(c.trust));
    m.insert("ca_key_url".into(), json!(payload(&c.ca_key_ref)));
    if takes_parameter(t, ROTATION) {
        m.insert(ROTATION.into(), json!(c.rotation_marker));
    }
    if takes_parameter(t, SHARED) {
        let url = c.shared_ref.as_deref().map(payload).unwrap_or_default();
        m.insert(SHARED.into(), json!(url));
    }
    m.insert("keystone_url".into(), json!(keystone));
    m.insert(
        "node_credential_name".into(),
        json!(credentials::app_credential_name(&t.stack_name)),
    );
    m.insert("node_credential_user".into(), json!(c.node_user));
    m.insert(SECRET.into(), json!(c.node_secret.expose()));
    m
}

/// At plan time: every cluster whose credentials exist gets them in its
/// request, so that a plan of an unchanged cluster shows no change; the
/// cluster `rotate` names gets the next step of its CA's rotation (begun in
/// memory if none is under way: nothing is stored before the confirmation).
/// A cluster whose CA rotation's last applied step Barbican did not record
/// (it failed, or coe was stopped, after Heat applied it) is planned at the
/// step its stack shows: `coe ca rotate` records it, other commands only
/// say so, so that no plan rolls the nodes back a step.
pub fn attach_found(
    conn: &Connection,
    heat: &crate::heat::Heat,
    targets: &mut [Target],
    rotate: Option<&str>,
) -> Result<Kept, Error> {
    let mut kept = Kept::default();
    if !keeps(conn) {
        if let Some(cluster) = rotate {
            return Err(Error::failed(format!(
                "this cloud's catalog has no key manager (Barbican), so coe keeps no CA for cluster `{cluster}` to rotate"
            )));
        }
        return Ok(kept);
    }
    let stacks: Vec<String> = targets.iter().map(|t| t.stack_name.clone()).collect();
    let mut found = find_all(conn, &stacks);
    for t in targets {
        let found = found
            .remove(&t.stack_name)
            .expect("every stack was looked up")
            .map_err(Error::failed)?;
        let c = match (found, rotate == Some(t.cluster.as_str())) {
            (Some(c), rotating) => {
                let unrecorded = c.rotation.next.is_some()
                    && c.rotation.step < rotation::STEPS
                    && applied_marker(heat, &t.stack_name)?.as_deref()
                        == Some(rotation::marker(c.rotation, c.rotation.step + 1).as_str());
                let mut c = c;
                if unrecorded && !rotating {
                    eprintln!(
                        "coe: warning: step {} of cluster `{}`'s CA rotation was applied but not recorded; planned as applied; `coe ca rotate {}` records it",
                        c.rotation.step + 1,
                        t.cluster,
                        t.cluster
                    );
                    let step = c.rotation.step + 1;
                    c = c.at_step(step);
                } else if unrecorded {
                    let done = c.clone().at_step(c.rotation.step + 1);
                    rotation::record(conn, &t.stack_name, &done).map_err(Error::failed)?;
                    println!(
                        "step {} of cluster {}'s CA rotation was applied but not recorded; recorded it now",
                        done.step, t.cluster
                    );
                    c = credentials::find(conn, &t.stack_name)
                        .map_err(Error::failed)?
                        .ok_or_else(|| {
                            Error::failed("the credentials went while recording".to_string())
                        })?;
                }
                if rotating {
                    if !takes_parameter(t, ROTATION) {
                        return Err(Error::failed(format!(
                            "`coe ca rotate` rotates Kubernetes clusters, whose templates replace every node for each step; cluster `{}`'s does not (a swarm whose manager 0 is replaced starts a new swarm)",
                            t.cluster
                        )));
                    }
                    if t.master_count < 3 {
                        return Err(Error::failed(format!(
                            "cluster `{}` has {} master(s): each step of a rotation replaces them one at a time, which loses etcd's quorum (and with one, the control plane's data); give it three masters first, or create it again instead",
                            t.cluster, t.master_count
                        )));
                    }
                    if unrecorded && c.rotation.next.is_none() {
                        println!("cluster {}'s CA rotation is complete", t.cluster);
                    } else {
                        let c2 = rotation::plan_new(&t.stack_name, c).map_err(Error::failed)?;
                        let step = c2.rotation.step + 1;
                        c = c2.at_step(step);
                    }
                }
                c
            }
            (None, rotating) => {
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
                if rotating {
                    return Err(Error::failed(format!(
                        "coe keeps no CA for cluster `{}` (stack {}) to rotate: it was created without Barbican or before coe kept CAs, or it is not created yet",
                        t.cluster, t.stack_name
                    )));
                }
                continue;
            }
        };
        let values = parameters(conn, t, &c);
        add_defaults(t, values, &[SECRET]);
        kept.0.insert(t.stack_name.clone(), c);
    }
    Ok(kept)
}

/// The `ca_rotation` parameter of the stack, when its last update
/// completed: the step of a rotation it has.
fn applied_marker(heat: &crate::heat::Heat, stack: &str) -> Result<Option<String>, Error> {
    let Some(s) = heat.find_stack(stack)? else {
        return Ok(None);
    };
    if s.stack_status != "UPDATE_COMPLETE" {
        return Ok(None);
    }
    let shown = heat.show(&s.path())?;
    Ok(shown["parameters"]["ca_rotation"]
        .as_str()
        .map(str::to_string))
}

/// Lookups at a time: each is a few Barbican requests, and a configuration
/// may hold many clusters.
const LOOKUPS: usize = 8;

/// The credentials of every stack, looked up a few at a time.
fn find_all(
    conn: &Connection,
    stacks: &[String],
) -> BTreeMap<String, Result<Option<Credentials>, String>> {
    let queue = Mutex::new(stacks.iter().collect::<Vec<_>>());
    let found = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..LOOKUPS.min(stacks.len()) {
            s.spawn(|| {
                while let Some(stack) = queue.lock().expect("queue").pop() {
                    let c = credentials::find(conn, stack);
                    found.lock().expect("found").insert(stack.clone(), c);
                }
            });
        }
    });
    found.into_inner().expect("found")
}

/// Whether coe keeps credentials for the target (found at plan time).
fn found(t: &Target) -> bool {
    t.hidden.contains(SECRET)
}

/// What the plan should say about credentials (lines short enough for any
/// terminal: the plan above names the clusters): what creates make, which
/// updates open the node credential because they build masters, and the
/// step of a CA rotation.
pub fn plan_note(
    conn: &Connection,
    plan: &Plan,
    targets: &[Target],
    kept: &Kept,
) -> Option<String> {
    let target = |name: &str| targets.iter().find(|t| t.cluster == name);
    let creates = plan.creates();
    let opened: Vec<(&str, bool)> = plan
        .clusters
        .iter()
        .filter(|c| matches!(c.action, Action::Update | Action::Replace) && c.builds_masters)
        .filter(|c| target(&c.cluster).is_some_and(found))
        .map(|c| (c.cluster.as_str(), c.rebuilds_masters))
        .collect();
    let rotating: Vec<(&str, u8)> = plan
        .clusters
        .iter()
        .filter_map(|c| {
            let k = kept.0.get(&c.stack_name)?;
            (k.step > k.rotation.step).then_some((c.cluster.as_str(), k.step))
        })
        .collect();
    if creates.is_empty() && opened.is_empty() && rotating.is_empty() {
        return None;
    }
    if !keeps(conn) {
        if creates.is_empty() {
            return None;
        }
        return Some("Credentials: no key manager (Barbican) here, so kubeadm makes each new\n  cluster's CA on master 0, and `coe kubeconfig` cannot sign for it.".into());
    }
    let made_again = |name: &&str| target(name).is_some_and(found);
    let mut lines = Vec::new();
    if creates.iter().any(|c| !made_again(c)) {
        lines.push("Credentials: apply makes each new cluster's CA (its key in Barbican, yours\n  only) and a node credential its masters fetch it with, open only while\n  they are built.".to_string());
    }
    if creates.iter().any(made_again) {
        lines.push("Credentials: a cluster made again keeps the CA coe keeps for it; apply\n  opens its node credential for the create.".to_string());
    }
    for (cluster, step) in &rotating {
        lines.push(format!(
            "CA rotation of {cluster}, step {step} of {}: {}.",
            rotation::STEPS,
            rotation::what(*step)
        ));
    }
    let names = |rebuilt: bool| -> Vec<&str> {
        opened
            .iter()
            .filter(|(_, r)| *r == rebuilt)
            .map(|(n, _)| *n)
            .collect()
    };
    let (added, rebuilt) = (names(false), names(true));
    if !added.is_empty() {
        lines.push(format!(
            "Credentials: the update of {} builds masters, which fetch the CA from\n  Barbican: apply opens the node credential for it and deletes it after.",
            added.join(", ")
        ));
    }
    if !rebuilt.is_empty() {
        lines.push(format!(
            "Credentials: the update of {} rebuilds or replaces masters, which fetch the\n  CA from Barbican: apply opens the node credential for it and leaves it to\n  expire (Heat does not wait for them to bootstrap).",
            rebuilt.join(", ")
        ));
    }
    Some(lines.join("\n"))
}

/// At apply time, after the confirmation and before anything is sent: the
/// credentials of every cluster about to be created, in its request; a CA
/// rotation's new CA stored. Nothing is opened yet ([`NodeCredentials`]
/// opens each cluster's credential just before its change is sent).
pub fn make_for_steps(
    conn: &Connection,
    targets: &mut [Target],
    steps: &mut [Step],
    kept: &mut Kept,
) -> Result<(), Error> {
    if !keeps(conn) {
        return Ok(());
    }
    for step in steps.iter_mut() {
        let rotating = kept
            .0
            .get(&step.stack_name)
            .is_some_and(|c| c.step > c.rotation.step);
        if !step.builds_masters && !rotating {
            continue;
        }
        let Some(t) = targets.iter_mut().find(|t| t.stack_name == step.stack_name) else {
            continue;
        };
        let create = step.kind == StepKind::Create;
        let failed = |what: &str, e: String| {
            Error::failed(format!(
                "nothing was applied: {what} of cluster `{}` could not be made: {e}",
                t.cluster
            ))
        };
        let shared = takes_parameter(t, SHARED);
        let mut c = match kept.0.remove(&t.stack_name) {
            Some(c) => c,
            None if create => {
                let (c, new) = credentials::ensure(conn, &t.stack_name, shared)
                    .map_err(|e| failed("the credentials", e))?;
                if new {
                    println!(
                        "made the CA of cluster {} (Barbican secrets coe-{}-*)",
                        t.cluster, t.stack_name
                    );
                }
                c
            }
            // Created before coe kept credentials: its masters make their own.
            None => continue,
        };
        if create && shared && c.shared_ref.is_none() {
            // Made again with a template whose masters share more.
            credentials::add_shared(conn, &t.stack_name, &mut c)
                .map_err(|e| failed("the masters' shared secrets", e))?;
        }
        if c.step > c.rotation.step
            && rotation::begin(conn, &t.stack_name, &mut c).map_err(|e| failed("the new CA", e))?
        {
            println!(
                "made the new CA of cluster {} for its rotation (Barbican secrets coe-{}-ca{}-*)",
                t.cluster,
                t.stack_name,
                c.rotation.next.unwrap_or_default()
            );
        }
        let values = parameters(conn, t, &c);
        add_defaults(t, values, &[SECRET]);
        step.request = Some(t.request.clone());
        kept.0.insert(t.stack_name.clone(), c);
    }
    Ok(())
}

/// Opens each cluster's node credential just before its change is sent,
/// and closes it as soon as that change is over, so that it is open only
/// while its own masters may need it. What it did is said after the
/// progress display ([`NodeCredentials::report`]).
pub struct NodeCredentials<'a> {
    conn: &'a Connection,
    kept: &'a Kept,
    /// The stacks whose credential this apply opened: only those it closes
    /// (another apply's may be open for a change still under way).
    opened: Mutex<Vec<String>>,
    lines: Mutex<Vec<String>>,
    errors: Mutex<Vec<String>>,
}

impl<'a> NodeCredentials<'a> {
    pub fn new(conn: &'a Connection, kept: &'a Kept) -> NodeCredentials<'a> {
        NodeCredentials {
            conn,
            kept,
            opened: Mutex::new(Vec::new()),
            lines: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
        }
    }

    fn kept_for(&self, step: &Step) -> Option<&Credentials> {
        if !keeps(self.conn) || step.kind == StepKind::Delete {
            return None;
        }
        let c = self.kept.0.get(&step.stack_name)?;
        (step.builds_masters || c.step > c.rotation.step).then_some(c)
    }

    fn say(&self, line: String) {
        self.lines.lock().expect("lines").push(line);
    }

    /// Prints what was opened and closed; false if a credential could not
    /// be closed (said on standard error).
    pub fn report(self) -> bool {
        for line in self.lines.into_inner().expect("lines") {
            println!("{line}");
        }
        let errors = self.errors.into_inner().expect("errors");
        for e in &errors {
            eprintln!("{e}");
        }
        errors.is_empty()
    }
}

impl crate::apply::Hooks for NodeCredentials<'_> {
    fn before(&self, step: &Step) -> Result<(), String> {
        let Some(c) = self.kept_for(step) else {
            return Ok(());
        };
        // Good for the change and a margin; closed sooner when it is over.
        let minutes = step.timeout_mins.saturating_add(30);
        credentials::open(self.conn, &step.stack_name, c, minutes).map_err(|e| {
            format!("its masters' node credential could not be opened, so nothing was sent: {e}")
        })?;
        self.opened
            .lock()
            .expect("opened")
            .push(step.stack_name.clone());
        self.say(format!(
            "{}: opened the node credential for the {} (its masters fetch the CA)",
            step.cluster,
            if step.kind == StepKind::Create {
                "create"
            } else {
                "update"
            }
        ));
        Ok(())
    }

    fn after(&self, step: &Step, outcome: &Outcome) {
        if !self
            .opened
            .lock()
            .expect("opened")
            .contains(&step.stack_name)
        {
            return;
        }
        let minutes = step.timeout_mins.saturating_add(30);
        let stays = if matches!(
            outcome,
            Outcome::Interrupted { .. } | Outcome::Unsure(_) | Outcome::Error(_)
        ) {
            Some("Heat may still be building its masters")
        } else if step.rebuilds_masters
            && matches!(
                outcome,
                Outcome::Done { .. } | Outcome::Failed { .. } | Outcome::TimedOut { .. }
            )
        {
            Some("Heat may not wait for the masters it rebuilt or replaced to bootstrap again")
        } else {
            None
        };
        if let Some(why) = stays {
            self.say(format!(
                "{}: the node credential stays open ({why}); it expires {minutes} minutes after it was opened, or delete the application credential coe-{} once every master is back",
                step.cluster, step.stack_name
            ));
            return;
        }
        match credentials::retire(self.conn, &step.stack_name) {
            Ok(true) => self.say(format!(
                "{}: deleted the node credential (the masters have their secrets; the one in the stack's events opens nothing now)",
                step.cluster
            )),
            Ok(false) => {}
            Err(e) => self.errors.lock().expect("errors").push(format!(
                "coe: error: {}: the node credential could not be deleted: {e}; it expires on its own {minutes} minutes after it was opened, or delete the application credential coe-{} now",
                step.cluster, step.stack_name
            )),
        }
    }
}

/// After apply: each CA rotation step that was applied is recorded, so the
/// next plan starts from it; says what comes next. False if one could not
/// be recorded (said on stderr).
pub fn record_rotations(conn: &Connection, kept: &Kept, results: &[(Step, Outcome)]) -> bool {
    let mut all = true;
    for (step, outcome) in results {
        let Some(c) = kept.0.get(&step.stack_name) else {
            continue;
        };
        if c.step <= c.rotation.step {
            continue;
        }
        if !matches!(outcome, Outcome::Done { .. }) {
            eprintln!(
                "coe: error: {}: step {} of the CA rotation did not complete; once the cause is fixed, `coe ca rotate {}` applies it again",
                step.cluster, c.step, step.cluster
            );
            continue;
        }
        match rotation::record(conn, &step.stack_name, c) {
            Ok(r) if r.next.is_none() => println!(
                "{}: the CA rotation is complete: no node trusts the old CA, and `coe kubeconfig` signs with the new one (the old CA's secrets stay in Barbican until the next rotation begins or `coe destroy`)",
                step.cluster
            ),
            Ok(_) => println!(
                "{}: step {} of {} of the CA rotation is applied. Check that every node is back (kubectl get nodes), then run `coe ca rotate {}` for step {}.",
                step.cluster,
                c.step,
                rotation::STEPS,
                step.cluster,
                c.step + 1
            ),
            Err(e) => {
                all = false;
                eprintln!(
                    "coe: error: {}: step {} of the CA rotation was applied but could not be recorded in Barbican: {e}; run `coe ca rotate {}` again once Barbican answers",
                    step.cluster, c.step, step.cluster
                );
            }
        }
    }
    all
}

/// After destroy: removes the credentials of the stacks that are gone;
/// false if some could not be deleted (said on standard error).
pub fn delete_for(conn: &Connection, stacks: &[String]) -> bool {
    if !keeps(conn) {
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
    if !keeps(conn) {
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
