//! Every example's bundle against the real local Heat: `POST /validate`
//! accepts it, preview accepts it, and a create with the test environment
//! (real-cloud types mapped to schema-checking stubs) reaches CREATE_COMPLETE
//! with every output resolved; delete completes. On the created stacks it
//! also checks that a secret label never leaves the top-level stack and that
//! the user data Heat resolves for each server stays within budget.

use crate::common;

use coe::compile::{Bundle, ParamValue};
use common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// A secret label every test cluster gets (README "Secrets": it stays in the
/// top-level stack, where Heat shows it as `******`).
const SECRET_LABEL: &str = "grafana_admin_passwd";

/// Nova takes 65,535 bytes of base64 user data, about 49,151 raw bytes; the
/// templates must leave room for labels and longer names.
const USER_DATA_BUDGET: usize = 46 * 1024;

/// The links of one rel in a Heat API object.
fn links<'a>(obj: &'a Value, rel: &'a str) -> impl Iterator<Item = String> + 'a {
    obj["links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |l| l["rel"] == rel)
        .filter_map(|l| l["href"].as_str().map(str::to_string))
}

fn get_ok(url: &str) -> Response {
    let resp = request("GET", url, None);
    assert_eq!(resp.status, 200, "GET {url}: {}", resp.body);
    resp
}

/// Reads back what Heat shows about a created cluster: every stack's
/// template, environment, parameters and outputs, and every resource. Fails
/// if `secret` shows up anywhere. With the stub environment every server is
/// a nested stack whose parameters are the server's resolved properties;
/// returns the size of each server's user data as Heat resolved it.
fn inspect(what: &str, top: &str, secret: &str) -> Vec<(String, usize)> {
    let resources = get_ok(&format!("{top}/resources?nested_depth=10")).json()["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut stacks = BTreeSet::from([top.to_string()]);
    for r in &resources {
        stacks.extend(links(r, "stack").chain(links(r, "nested")));
    }
    let leak = |url: &str, body: &str| {
        assert!(
            !body.contains(secret),
            "{what}: the secret label's value leaks through GET {url}:\n{body}"
        );
    };
    for stack in &stacks {
        for part in ["", "/template", "/environment"] {
            let url = format!("{stack}{part}");
            leak(&url, &get_ok(&url).body);
        }
    }
    let mut user_data = Vec::new();
    for r in &resources {
        for url in links(r, "self") {
            leak(&url, &get_ok(&url).body);
        }
        if r["resource_type"] != "OS::Nova::Server" {
            continue;
        }
        let stub = links(r, "nested")
            .next()
            .unwrap_or_else(|| panic!("{what}: server {r} is not a stub stack"));
        let shown = get_ok(&stub).json();
        let ud = shown["stack"]["parameters"]["user_data"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no user data in {stub}"));
        user_data.push((stub, ud.len()));
    }
    assert!(
        stacks.len() > 2,
        "{what}: only {} stacks found",
        stacks.len()
    );
    user_data
}

/// The bundle's create request with the stub environment laid over it.
fn with_stubs(b: &Bundle, name: &str) -> Value {
    let (stub_env, stub_files) = stub_env_and_files();
    let stub_env: Value = serde_saphyr::from_str(&stub_env).expect("stub-env.yaml");
    let mut req = b.create_request();
    req["stack_name"] = json!(name);
    let registry = req["environment"]["resource_registry"]
        .as_object_mut()
        .unwrap();
    for (k, v) in stub_env["resource_registry"].as_object().unwrap() {
        registry.insert(k.clone(), v.clone());
    }
    // neutron-lbaas is gone from Heat 27 (Rocky clouds still have it): no-ops here.
    for t in [
        "LoadBalancer",
        "Listener",
        "Pool",
        "PoolMember",
        "HealthMonitor",
    ] {
        registry.insert(format!("OS::Neutron::LBaaS::{t}"), json!("OS::Heat::None"));
    }
    let files = req["files"].as_object_mut().unwrap();
    for (k, v) in stub_files.as_object().unwrap() {
        files.insert(k.clone(), v.clone());
    }
    req
}

fn exercise(dir: &str) {
    let base = heat_url();
    for b in build_example(dir) {
        let name = unique_name(&b.cluster);
        let mut req = with_stubs(&b, &name);
        let secret = format!("s3cret-{}", unique_name("label"));
        req["environment"]["parameters"]["secret_labels"] = json!({ SECRET_LABEL: secret });
        let body = json!({"template": req["template"], "files": req["files"], "environment": req["environment"]});
        let resp = request("POST", &format!("{base}/validate"), Some(&body));
        assert_eq!(
            resp.status, 200,
            "{dir}/{}: validate: {}",
            b.cluster, resp.body
        );

        let resp = request("POST", &format!("{base}/stacks/preview"), Some(&req));
        assert_eq!(
            resp.status, 200,
            "{dir}/{}: preview: {}",
            b.cluster, resp.body
        );

        let resp = request("POST", &format!("{base}/stacks"), Some(&req));
        assert_eq!(
            resp.status, 201,
            "{dir}/{}: create: {}",
            b.cluster, resp.body
        );
        let id = resp.json()["stack"]["id"].as_str().unwrap().to_string();
        let url = format!("{base}/stacks/{name}/{id}");
        let stack = wait_for(&url);
        assert_eq!(
            stack["stack_status"], "CREATE_COMPLETE",
            "{dir}/{}: {}",
            b.cluster, stack["stack_status_reason"]
        );
        for o in stack["outputs"].as_array().into_iter().flatten() {
            assert!(
                o.get("output_error").is_none_or(Value::is_null),
                "{dir}/{}: output {}",
                b.cluster,
                o
            );
        }
        let keys: Vec<&str> = stack["outputs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["output_key"].as_str())
            .collect();
        for k in ["api_address", "master_addresses", "node_addresses"] {
            assert!(
                keys.contains(&k),
                "{dir}/{}: no output {k} in {keys:?}",
                b.cluster
            );
        }
        let what = format!("{dir}/{}", b.cluster);
        let sizes = inspect(&what, &url, &secret);
        let count = |p: &str| match b.params.get(p) {
            Some(ParamValue::Num(n)) => *n as usize,
            other => panic!("{what}: {p} is {other:?}"),
        };
        let servers = count("number_of_masters") + count("number_of_workers");
        assert_eq!(sizes.len(), servers, "{what}: servers {sizes:?}");
        for (server, size) in &sizes {
            assert!(
                *size <= USER_DATA_BUDGET,
                "{what}: {server} has {size} bytes of user data, over the budget of {USER_DATA_BUDGET}"
            );
        }
        eprintln!(
            "{what}: {} servers, largest user data {} bytes",
            sizes.len(),
            sizes.iter().map(|s| s.1).max().unwrap_or(0)
        );
        let resp = request("DELETE", &url, None);
        assert_eq!(
            resp.status, 204,
            "{dir}/{}: delete: {}",
            b.cluster, resp.body
        );
        let gone = wait_for_delete(&url);
        assert!(gone, "{dir}/{}: delete did not complete", b.cluster);
    }
}

#[test]
#[ignore = "needs the local Heat: scripts/test starts it (cargo test -- --include-ignored)"]
fn seed_fixed_on_heat() {
    exercise("seed-fixed");
}

#[test]
#[ignore = "needs the local Heat: scripts/test starts it (cargo test -- --include-ignored)"]
fn ha_fedora_coreos_on_heat() {
    exercise("ha-fedora-coreos");
}

#[test]
#[ignore = "needs the local Heat: scripts/test starts it (cargo test -- --include-ignored)"]
fn swarm_mode_on_heat() {
    exercise("swarm-mode");
}

#[test]
#[ignore = "needs the local Heat: scripts/test starts it (cargo test -- --include-ignored)"]
fn mesos_on_heat() {
    exercise("mesos");
}

/// The escape hatch the README promises: `openstack stack create -t
/// template.yaml -e environment.yaml` on a `coe build` directory (here as a
/// dry run, with the stub environment as a second `-e`).
#[test]
#[ignore = "needs the local Heat: scripts/test starts it (cargo test -- --include-ignored)"]
fn openstack_stack_create_accepts_a_build_directory() {
    let base = heat_url();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("build");
    coe_build("seed-fixed", &out);
    let cli = root.join("target/heat-venv/bin/openstack");
    let run = std::process::Command::new(&cli)
        .current_dir(out.join("k8s-c1"))
        .env("OS_AUTH_TYPE", "none")
        .env("OS_ENDPOINT", &base)
        .args([
            "stack",
            "create",
            "--dry-run",
            "-t",
            "template.yaml",
            "-e",
            "environment.yaml",
            "-e",
        ])
        .arg(root.join("harness/heat/stub-env.yaml"))
        .args(["-f", "value", "-c", "stack_name", &unique_name("hatch")])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", cli.display()));
    assert!(
        run.status.success(),
        "openstack stack create failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}
