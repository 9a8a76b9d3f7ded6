//! `coe cloud pull` and `coe check --cloud live` against the real Glance 33,
//! Nova 34, Cinder 29, Neutron 29 and Octavia 19 APIs of `scripts/setup-cloud`
//! (behind the test Keystone). The test creates what it pulls through the
//! services' own APIs, and shows that a hand-written cloud block's wrong facts
//! give wrong verdicts that the pulled facts correct.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// `target/cloud-home-tests/env`: admin's `OS_*` and each service's URL.
fn cloud_env() -> HashMap<String, String> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/cloud-home-tests/env");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "no local cloud services: cannot read {} ({e}); fix: run `scripts/setup-cloud`, or the whole suite with `scripts/test`",
            file.display()
        )
    });
    text.lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

struct Admin {
    http: reqwest::blocking::Client,
    token: String,
    env: HashMap<String, String>,
}

impl Admin {
    fn login() -> Admin {
        let env = cloud_env();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": env["OS_USERNAME"], "domain": {"name": "Default"}, "password": env["OS_PASSWORD"]}}},
            "scope": {"project": {"name": env["OS_PROJECT_NAME"], "domain": {"name": "Default"}}}}});
        let resp = http
            .post(format!("{}/auth/tokens", env["OS_AUTH_URL"]))
            .json(&body)
            .send()
            .expect("keystone answers; fix: scripts/setup-cloud");
        assert_eq!(resp.status().as_u16(), 201, "admin login");
        let token = resp.headers()["X-Subject-Token"]
            .to_str()
            .unwrap()
            .to_string();
        Admin { http, token, env }
    }

    fn url(&self, service: &str) -> &str {
        &self.env[&format!("COE_CLOUD_{service}_URL")]
    }

    /// POSTs JSON and returns the answer; `ok` are the statuses expected.
    fn post(&self, url: &str, body: Value, ok: &[u16]) -> Value {
        let resp = self
            .http
            .post(url)
            .header("X-Auth-Token", &self.token)
            .json(&body)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().unwrap();
        assert!(ok.contains(&status), "POST {url}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// An image record, with a few bytes of data so that it is `active`.
    fn image(&self, name: &str, props: Value, upload: bool) {
        // raw: Glance inspects uploaded data, and a few bytes are no qcow2.
        let mut body = json!({"name": name, "disk_format": "raw", "container_format": "bare"});
        body.as_object_mut()
            .unwrap()
            .extend(props.as_object().unwrap().clone());
        let img = self.post(&format!("{}/v2/images", self.url("GLANCE")), body, &[201]);
        if upload {
            let resp = self
                .http
                .put(format!(
                    "{}/v2/images/{}/file",
                    self.url("GLANCE"),
                    img["id"].as_str().unwrap()
                ))
                .header("X-Auth-Token", &self.token)
                .header("Content-Type", "application/octet-stream")
                .body(b"coe test image".to_vec())
                .send()
                .unwrap();
            assert_eq!(resp.status().as_u16(), 204, "upload {name}");
        }
    }
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn coe(dir: &Path, env: &HashMap<String, String>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coe"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("NO_COLOR", "1");
    for (k, v) in env.iter().filter(|(k, _)| k.starts_with("OS_")) {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn codes(out: &Output) -> Vec<String> {
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check --format json: {e}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut codes: Vec<String> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    codes
}

#[test]
#[ignore = "needs the cloud services: scripts/setup-cloud"]
fn pulled_facts_correct_what_a_hand_written_cloud_block_got_wrong() {
    let admin = Admin::login();
    let fcos = unique("fcos");
    let plain = unique("plain");
    let queued = unique("queued");
    let flavor = unique("m1.pull");
    let ssd = unique("ssd");
    let public = unique("public");
    let private = unique("private");
    admin.image(
        &fcos,
        json!({"os_distro": "fedora-coreos", "min_disk": 10}),
        true,
    );
    admin.image(&plain, json!({}), true);
    admin.image(&queued, json!({"os_distro": "fedora-coreos"}), false);
    admin.post(
        &format!("{}/flavors", admin.url("NOVA")),
        json!({"flavor": {"name": flavor, "ram": 4096, "vcpus": 2, "disk": 20}}),
        &[200],
    );
    admin.post(
        &format!("{}/types", admin.url("CINDER")),
        json!({"volume_type": {"name": ssd}}),
        &[200],
    );
    admin.post(
        &format!("{}/v2.0/networks", admin.url("NEUTRON")),
        json!({"network": {"name": public, "router:external": true}}),
        &[201],
    );
    let net = admin.post(
        &format!("{}/v2.0/networks", admin.url("NEUTRON")),
        json!({"network": {"name": private}}),
        &[201],
    );
    admin.post(
        &format!("{}/v2.0/subnets", admin.url("NEUTRON")),
        json!({"subnet": {"name": format!("{private}-v4"), "network_id": net["network"]["id"],
            "ip_version": 4, "cidr": "10.77.0.0/24"}}),
        &[201],
    );

    let dir = tempfile::tempdir().unwrap();
    // The cloud block as someone wrote it once: the image "has" os_distro,
    // Nova is old, Cinder has no types. Each is wrong about this cloud.
    let written = format!(
        r#"# Our lab cloud.
cloud "lab" {{
  heat_template_version = rocky  # what our Heat speaks
  nova_microversion     = "2.1"
  volume_types          = []
  image "{plain}" {{ os_distro = "fedora-coreos" }}  # we thought
  flavor "{flavor}" {{ vcpus = 2  ram = 4GiB  disk = 20GiB }}
  network "{public}" {{ external = true }}
  flavor "retired" {{ vcpus = 1 }}
}}

template "k8s" {{
  coe                   = kubernetes
  image                 = "{plain}"
  external_network      = "{public}"
  flavor                = "{flavor}"
  master_flavor         = "{flavor}"
  network_driver        = flannel
  docker_volume_size    = 10GiB
  nodes_affinity_policy = soft-anti-affinity
  labels {{ docker_volume_type = "{ssd}" }}
}}

cluster "c1" {{
  template   = template.k8s
  node_count = 1
}}
"#
    );
    let file = dir.path().join("lab.coe");
    std::fs::write(&file, &written).unwrap();
    let check = |extra: &[&str]| {
        let mut args = vec!["check", ".", "--format", "json"];
        args.extend_from_slice(extra);
        codes(&coe(dir.path(), &admin.env, &args))
    };
    // As written: the old microversion and the missing volume type are
    // errors, and the image's missing os_distro is not seen.
    assert_eq!(check(&[]), ["COE0506", "COE0507"]);
    // Against the live facts, without writing: the real failure shows.
    assert_eq!(check(&["--cloud", "live"]), ["COE0308"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);

    let dry = coe(dir.path(), &admin.env, &["cloud", "pull", ".", "--dry-run"]);
    assert!(dry.status.success(), "{dry:?}");
    let diff = String::from_utf8_lossy(&dry.stdout);
    assert!(
        diff.contains("-  nova_microversion     = \"2.1\""),
        "{diff}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
    // Without a terminal and without --yes nothing is written.
    let refused = coe(dir.path(), &admin.env, &["cloud", "pull", "."]);
    assert!(!refused.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);

    let pulled = coe(dir.path(), &admin.env, &["cloud", "pull", ".", "--yes"]);
    let stderr = String::from_utf8_lossy(&pulled.stderr);
    assert!(pulled.status.success(), "{stderr}");
    assert!(
        stderr.contains(&queued) && stderr.contains("not active"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    // Other tests share these services: find this test's resources by name.
    let value = |kind: &str, name: Option<&str>, key: &str| attr(&text, kind, name, key);
    for comment in ["# Our lab cloud.", "# what our Heat speaks", "# we thought"] {
        assert!(text.contains(comment), "`{comment}` lost:\n{text}");
    }
    assert_eq!(
        value("cloud", None, "nova_microversion").as_deref(),
        Some("\"2.104\"")
    );
    assert_eq!(value("cloud", None, "octavia").as_deref(), Some("true"));
    assert_eq!(
        value("cloud", None, "heat_template_version").as_deref(),
        Some("rocky")
    );
    assert!(
        value("cloud", None, "volume_types")
            .unwrap()
            .contains(&format!("\"{ssd}\""))
    );
    assert_eq!(
        value("image", Some(&fcos), "os_distro").as_deref(),
        Some("\"fedora-coreos\"")
    );
    assert_eq!(
        value("image", Some(&fcos), "min_disk").as_deref(),
        Some("10GiB")
    );
    assert!(value("image", Some(&plain), "id").is_some(), "{text}");
    assert_eq!(value("image", Some(&plain), "os_distro"), None, "{text}");
    assert_eq!(
        value("flavor", Some(&flavor), "ram").as_deref(),
        Some("4GiB")
    );
    assert_eq!(
        value("network", Some(&public), "external").as_deref(),
        Some("true")
    );
    assert_eq!(
        value("network", Some(&private), "external").as_deref(),
        Some("false")
    );
    let subnet = format!("{private}-v4");
    assert_eq!(
        value("subnet", Some(&subnet), "cidr").as_deref(),
        Some("\"10.77.0.0/24\"")
    );
    assert_eq!(
        value("subnet", Some(&subnet), "network").as_deref(),
        Some(format!("\"{private}\"").as_str())
    );
    assert!(!text.contains("retired"), "{text}");
    assert!(!text.contains(&queued), "{text}");
    // The plain image's made-up os_distro is gone, and the check says so.
    assert_eq!(check(&[]), ["COE0308"]);
    // A second pull finds nothing to change.
    let again = coe(dir.path(), &admin.env, &["cloud", "pull", ".", "--yes"]);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("is up to date"),
        "{again:?}"
    );
}

/// The source text of `key` in the cloud block (`kind` "cloud") or in one of
/// its `kind "name"` blocks, read with coe's own parser.
fn attr(text: &str, kind: &str, name: Option<&str>, key: &str) -> Option<String> {
    use coe::syntax::ast::Item;
    let parsed = coe::syntax::parse(coe::source::FileId(0), text);
    let cloud = parsed.file.items.iter().find_map(|i| match i {
        Item::Block(b) if b.kind.name == "cloud" => Some(b),
        _ => None,
    })?;
    let block = match name {
        None => cloud,
        Some(n) => cloud
            .blocks()
            .find(|b| b.kind.name == kind && b.name_str() == n)?,
    };
    let a = block.attribute(key)?;
    Some(text[a.value.span.range()].to_string())
}
