//! Smoke test of the local Heat that `scripts/heat-local start` runs.

use crate::common;

use common::*;
use serde_json::{Value, json};

#[test]
#[ignore = "needs the local Heat: scripts/test starts it (cargo test -- --include-ignored)"]
fn stack_list_answers() {
    let base = heat_url();
    let resp = request("GET", &format!("{base}/stacks"), None);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.json()["stacks"].is_array(), "{}", resp.body);
}

#[test]
#[ignore = "needs the local Heat: scripts/test starts it (cargo test -- --include-ignored)"]
fn validate_accepts_native_resources() {
    let base = heat_url();
    let template = json!({
        "heat_template_version": "2021-04-16",
        "resources": {
            "marker": {"type": "OS::Heat::None"},
            "secret": {"type": "OS::Heat::RandomString", "properties": {"length": 12}}
        }
    });
    let resp = request(
        "POST",
        &format!("{base}/validate"),
        Some(&json!({"template": template})),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
}

#[test]
#[ignore = "needs the local Heat: scripts/test starts it (cargo test -- --include-ignored)"]
fn stack_with_a_stubbed_server_is_created_and_deleted() {
    let base = heat_url();
    let (environment, files) = stub_env_and_files();
    let name = unique_name("smoke");
    let template = json!({
        "heat_template_version": "2021-04-16",
        "resources": {
            "secret": {"type": "OS::Heat::RandomString", "properties": {"length": 12}},
            "server": {"type": "OS::Nova::Server", "properties": {
                "image": "fedora-coreos", "flavor": "m1.small",
                "metadata": {"secret": {"get_attr": ["secret", "value"]}}
            }}
        },
        "outputs": {
            "address": {"value": {"get_attr": ["server", "first_address"]}},
            "secret": {"value": {"get_attr": ["secret", "value"]}}
        }
    });
    let body = json!({
        "stack_name": name, "template": template, "environment": environment,
        "files": files, "disable_rollback": true, "timeout_mins": 5
    });
    let resp = request("POST", &format!("{base}/stacks"), Some(&body));
    assert_eq!(resp.status, 201, "{}", resp.body);
    let id = resp.json()["stack"]["id"].as_str().unwrap().to_string();
    let stack_url = format!("{base}/stacks/{name}/{id}");

    let stack = wait_for(&stack_url);
    assert_eq!(stack["stack_status"], "CREATE_COMPLETE", "{stack}");
    let outputs = stack["outputs"].as_array().cloned().unwrap_or_default();
    let output = |key: &str| {
        outputs
            .iter()
            .find(|o| o["output_key"] == key)
            .map(|o| o["output_value"].clone())
            .unwrap_or(Value::Null)
    };
    // The stub's placeholder proves the server went through stub-env.yaml.
    assert_eq!(output("address"), "192.0.2.10", "{stack}");
    assert_eq!(output("secret").as_str().map(str::len), Some(12), "{stack}");

    let resp = request("DELETE", &stack_url, None);
    assert_eq!(resp.status, 204, "{}", resp.body);
    let stack = wait_for(&stack_url);
    assert_eq!(stack["stack_status"], "DELETE_COMPLETE", "{stack}");
}

#[test]
#[ignore = "needs the local Heat: scripts/test starts it (cargo test -- --include-ignored)"]
fn stubbed_server_rejects_an_unknown_property() {
    let base = heat_url();
    let (environment, files) = stub_env_and_files();
    let template = json!({
        "heat_template_version": "2021-04-16",
        "resources": {"server": {"type": "OS::Nova::Server",
            "properties": {"image": "fedora-coreos", "flavour": "m1.small"}}}
    });
    let body = json!({
        "stack_name": unique_name("stub-check"), "template": template,
        "environment": environment, "files": files
    });
    let resp = request("POST", &format!("{base}/stacks/preview"), Some(&body));
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert!(
        resp.body.contains("Unknown Property flavour"),
        "{}",
        resp.body
    );
}
