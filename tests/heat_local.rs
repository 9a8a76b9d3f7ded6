//! Smoke test of the local Heat that `scripts/heat-local start` runs.
//!
//! The base URL comes from `HEAT_URL` or, if unset, `target/heat-home/url`
//! (written by `scripts/heat-local start`). `COE_SKIP_HEAT=1` skips.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const TIMEOUT: Duration = Duration::from_secs(30);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The base URL (`http://host:port/v1/<tenant>`), or `None` when skipped.
fn heat_url() -> Option<String> {
    if std::env::var("COE_SKIP_HEAT").is_ok_and(|v| v == "1") {
        eprintln!("skipped: COE_SKIP_HEAT=1");
        return None;
    }
    if let Ok(url) = std::env::var("HEAT_URL")
        && !url.trim().is_empty()
    {
        return Some(url.trim().trim_end_matches('/').to_string());
    }
    let file = root().join("target/heat-home/url");
    match std::fs::read_to_string(&file) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_string()),
        _ => panic!(
            "no local heat: HEAT_URL is unset and {} is missing; fix: run `scripts/heat-local start` (or set `COE_SKIP_HEAT=1`)",
            file.display()
        ),
    }
}

struct Response {
    status: u16,
    body: String,
}

impl Response {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("response is not json ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request with `Connection: close` (the server speaks 1.0).
fn request(method: &str, url: &str, body: Option<&Value>) -> Response {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("only http:// urls are supported, got {url}"));
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(authority).unwrap_or_else(|e| {
        panic!("cannot reach heat at {url} ({e}); fix: run `scripts/heat-local start`")
    });
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n"
    );
    if body.is_some() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            payload.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(payload.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{method} {url}: bad status line in {head:?}"));
    Response {
        status,
        body: body.to_string(),
    }
}

fn unique_name(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("t-{test}-{}-{nanos}", std::process::id())
}

/// Polls a stack until its status no longer ends in `_IN_PROGRESS`.
fn wait_for(stack_url: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let resp = request("GET", stack_url, None);
        assert_eq!(resp.status, 200, "GET {stack_url}: {}", resp.body);
        let stack = resp.json()["stack"].clone();
        let status = stack["stack_status"].as_str().unwrap_or("").to_string();
        if !status.ends_with("_IN_PROGRESS") {
            return stack;
        }
        assert!(
            Instant::now() < deadline,
            "{stack_url} still {status} after 120 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The stub environment and its files, as the harness documents them.
fn stub_env_and_files() -> (String, Value) {
    let dir = root().join("harness/heat");
    let env = std::fs::read_to_string(dir.join("stub-env.yaml")).unwrap();
    let mut files = serde_json::Map::new();
    for entry in std::fs::read_dir(dir.join("stubs")).unwrap() {
        let path = entry.unwrap().path();
        let name = format!("stubs/{}", file_name(&path));
        files.insert(name, Value::String(std::fs::read_to_string(&path).unwrap()));
    }
    (env, Value::Object(files))
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn stack_list_answers() {
    let Some(base) = heat_url() else { return };
    let resp = request("GET", &format!("{base}/stacks"), None);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.json()["stacks"].is_array(), "{}", resp.body);
}

#[test]
fn validate_accepts_native_resources() {
    let Some(base) = heat_url() else { return };
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
fn stack_with_a_stubbed_server_is_created_and_deleted() {
    let Some(base) = heat_url() else { return };
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
fn stubbed_server_rejects_an_unknown_property() {
    let Some(base) = heat_url() else { return };
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
