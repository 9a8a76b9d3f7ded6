#![allow(dead_code)]
//! Shared by the tests that talk to the local Heats that `scripts/setup-heat`
//! (or, for one, `scripts/heat-local start`) runs.
//!
//! The base URL comes from `HEAT_URL`, else `target/heat-urls` (every Heat
//! `scripts/setup-heat` started, one a line), else `target/heat-home/url`
//! (written by `scripts/heat-local start`); without any, the tests fail and
//! say how to start one.

pub mod proxy;

pub mod lsp_client;

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A bound on one request, not a measurement: generous, because the service
/// tests run several at a time against one Heat.
pub const TIMEOUT: Duration = Duration::from_secs(120);

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The base URL (`http://host:port/v1/<tenant>`) of a local Heat. With
/// several, consecutive calls take turns, so tests that run at once spread
/// over them: each Heat is one Python process that keeps one core busy.
pub fn heat_url() -> String {
    static TURN: AtomicUsize = AtomicUsize::new(0);
    let urls = heat_urls();
    urls[TURN.fetch_add(1, Ordering::Relaxed) % urls.len()].clone()
}

fn heat_urls() -> Vec<String> {
    let clean = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.trim().trim_end_matches('/'))
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    if let Ok(url) = std::env::var("HEAT_URL") {
        let urls = clean(&url);
        if !urls.is_empty() {
            return urls;
        }
    }
    // A run killed before its clean-up leaves its list behind: only Heats
    // that still listen count.
    for file in ["target/heat-urls", "target/heat-home/url"] {
        if let Ok(text) = std::fs::read_to_string(root().join(file)) {
            let urls: Vec<String> = clean(&text).into_iter().filter(|u| listens(u)).collect();
            if !urls.is_empty() {
                return urls;
            }
        }
    }
    panic!(
        "no local heat: HEAT_URL is unset and no Heat of target/heat-urls or target/heat-home/url answers; fix: run `scripts/heat-local start`, or the whole suite with `scripts/test`"
    )
}

/// Whether something accepts connections at the host and port of `url`.
fn listens(url: &str) -> bool {
    use std::net::ToSocketAddrs;
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("");
    authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("response is not json ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request with `Connection: close` (the server speaks 1.0).
pub fn request(method: &str, url: &str, body: Option<&Value>) -> Response {
    try_request(method, url, body).unwrap_or_else(|e| panic!("{e}"))
}

/// [`request`] without panicking (for clean-up code that runs while a test
/// is already failing).
pub fn try_request(method: &str, url: &str, body: Option<&Value>) -> Result<Response, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// urls are supported, got {url}"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(authority).map_err(|e| {
        format!("cannot reach heat at {url} ({e}); fix: run `scripts/heat-local start`")
    })?;
    let io = |e: std::io::Error| format!("{method} {url}: {e}");
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
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
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(payload.as_bytes()).map_err(io)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(io)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{method} {url}: bad status line in {head:?}"))?;
    Ok(Response {
        status,
        body: body.to_string(),
    })
}

/// `coe build -o OUT examples/EXAMPLE`, as a user runs it; it must succeed.
pub fn coe_build(example: &str, out: &Path) {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_coe"))
        .args(["build", "-o"])
        .arg(out)
        .arg(root().join("examples").join(example))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
}

pub fn unique_name(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("t-{test}-{}-{nanos}", std::process::id())
}

/// Polls a stack until its status no longer ends in `_IN_PROGRESS`.
pub fn wait_for(stack_url: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(600);
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
            "{stack_url} still {status} after 600 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The stub environment and its files, as the harness documents them.
pub fn stub_env_and_files() -> (String, Value) {
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

pub fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Polls a deleted stack until it is gone (404) or DELETE_COMPLETE; false on DELETE_FAILED.
pub fn wait_for_delete(stack_url: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let resp = request("GET", stack_url, None);
        if resp.status == 404 {
            return true;
        }
        let status = resp.json()["stack"]["stack_status"]
            .as_str()
            .unwrap_or("")
            .to_string();
        match status.as_str() {
            "DELETE_COMPLETE" => return true,
            "DELETE_FAILED" => return false,
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "{stack_url} still {status} after 180 s"
        );
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// Checks `examples/<dir>` (every .coe file of it, in name order).
pub fn check_example(dir: &str) -> (coe::source::SourceMap, coe::check::Checked) {
    let path = root().join("examples").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "coe"))
        .collect();
    files.sort();
    let mut sources = coe::source::SourceMap::new();
    let ids: Vec<_> = files.iter().map(|f| sources.add_path(f).unwrap()).collect();
    let checked = coe::check::check_files(&mut sources, &ids, &coe::check::Options::default());
    (sources, checked)
}

/// The bundles of `examples/<dir>`; panics with the diagnostics if it does not build.
pub fn build_example(dir: &str) -> Vec<coe::compile::Bundle> {
    let (sources, checked) = check_example(dir);
    coe::compile::compile(&checked, &sources).unwrap_or_else(|d| panic!("examples/{dir}: {d:#?}"))
}

/// The codes of the diagnostics of one severity, sorted.
pub fn codes_of(diags: &[coe::diag::Diagnostic], severity: coe::diag::Severity) -> Vec<String> {
    let mut c: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| d.code.to_string())
        .collect();
    c.sort();
    c
}
