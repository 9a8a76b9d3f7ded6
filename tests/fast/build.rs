//! `coe build`: every example compiles, deterministically, to YAML that Heat's
//! own loader reads back exactly, and (against the local Heat) to bundles Heat
//! validates, previews, creates and deletes.

use crate::common;

use common::{build_example, coe_build, root};

use coe::check::{Options, check_files};
use coe::compile::{Bundle, compile};
use coe::source::SourceMap;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const EXAMPLES: &[&str] = &["seed-fixed", "ha-fedora-coreos", "swarm-mode", "mesos"];

fn build_text(name: &str, text: &str) -> Result<Vec<Bundle>, String> {
    let mut sources = SourceMap::new();
    let id = sources.add_text(name, text);
    let checked = check_files(&mut sources, &[id], &Options::default());
    compile(&checked, &sources).map_err(|d| format!("{d:#?}"))
}

/// The local Heat's python, which has PyYAML and Heat's own YAML loaders.
fn heat_python() -> PathBuf {
    let py = root().join("target/heat-venv/bin/python");
    assert!(
        py.exists(),
        "{} is missing; fix: run `scripts/heat-local install`",
        py.display()
    );
    py
}

/// Writes bundles to a fresh directory and loads every YAML file with Heat's loaders.
fn load_with_heat(py: &Path, bundles: &[Bundle]) -> (tempfile::TempDir, Value) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut paths = Vec::new();
    for b in bundles {
        let d = dir.join(&b.cluster);
        std::fs::create_dir_all(&d).unwrap();
        for (name, text) in b.outputs().unwrap() {
            std::fs::write(d.join(&name), &text).unwrap();
            if name.ends_with(".yaml") {
                paths.push(d.join(&name).to_string_lossy().into_owned());
            }
        }
    }
    let out = Command::new(py)
        .arg(root().join("tests/tools/load_yaml.py"))
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "loading failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (tmp, serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn every_example_builds_deterministically() {
    for dir in EXAMPLES {
        let a = build_example(dir);
        let b = build_example(dir);
        assert!(!a.is_empty(), "{dir}: no bundles");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                x.outputs().unwrap(),
                y.outputs().unwrap(),
                "{dir}/{}: output differs between runs",
                x.cluster
            );
        }
    }
}

#[test]
#[ignore = "needs Heat's Python from PyPI: scripts/test installs it (cargo test -- --include-ignored)"]
fn every_environment_and_template_loads_back_exactly_with_heats_loader() {
    let py = heat_python();
    for dir in EXAMPLES {
        let bundles = build_example(dir);
        let (tmp, loaded) = load_with_heat(&py, &bundles);
        let out_dir = tmp.path();
        for b in &bundles {
            let env_path = out_dir.join(&b.cluster).join("environment.yaml");
            let env = &loaded[env_path.to_string_lossy().as_ref()]["safe"];
            assert_eq!(
                env,
                &b.environment_json(),
                "{dir}/{}: environment.yaml does not load back as written",
                b.cluster
            );
            let tpl_path = out_dir.join(&b.cluster).join("template.yaml");
            let tpl = &loaded[tpl_path.to_string_lossy().as_ref()]["heat"];
            assert!(
                tpl["heat_template_version"].is_string(),
                "{dir}: version must load as a string: {tpl}"
            );
        }
    }
}

fn config_with_labels(pairs: &[(String, String)]) -> String {
    let mut labels = String::new();
    for (k, v) in pairs {
        labels.push_str(&format!(
            "    {} = {}\n",
            coe::check::value::quote(k),
            coe::check::value::quote(v)
        ));
    }
    format!(
        r#"cloud "c" {{
  image "fcos" {{ os_distro = "fedora-coreos" }}
  flavor "m1" {{ vcpus = 2  ram = 4GiB  disk = 40GiB }}
  network "public" {{ external = true }}
  keypair "k" {{}}
}}
template "t" {{
  coe = kubernetes
  image = "fcos"
  keypair = "k"
  external_network = "public"
  flavor = "m1"
  no_proxy = {}
  labels {{
{labels}  }}
}}
cluster "c1" {{ template = template.t }}
"#,
        coe::check::value::quote(&pairs.first().map(|p| p.1.clone()).unwrap_or_default())
    )
}

/// Strings PyYAML (YAML 1.1) likes to misread, plus arbitrary text.
fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "~",
            "null",
            "1_000",
            "12:30",
            "190:20:30.15",
            "2021-04-16",
            "2001-12-14t21:59:43.10-05:00",
            "=",
            "<<",
            "0b101",
            "0x1F",
            "1e3",
            ".inf",
            "-.5",
            "- a",
            "---",
            "? x",
            "a: b",
            "#x",
            "@x",
            "`x",
            "!x",
            "&x",
            "*x",
            "%x",
            "|",
            ">-",
            "{a}",
            "[a]",
            "a, b",
            " lead",
            "trailing ",
            "\ttab",
            "a\n\tb",
            "\tfoo\nbar",
            "multi\nline\n",
            "crlf\r\nline",
            "nbsp\u{a0}x",
            "bom\u{feff}x",
            "nel\u{85}x",
            "ls\u{2028}x",
            "bell\u{7}x",
            "back\\slash",
            "it's",
            "say \"hi\"",
            "${x}",
            "%index%",
            "OS::Nova::Server",
            "",
        ])
        .prop_map(str::to_string),
        "\\PC{0,40}",
        "[ -~\t\n]{0,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random label keys and values survive `coe build` and Heat's YAML loader
    /// with the same value and type.
    #[test]
    #[ignore = "needs Heat's Python from PyPI: scripts/test installs it (cargo test -- --include-ignored)"]
    fn random_strings_round_trip_through_heats_yaml_loader(
        pairs in prop::collection::vec((tricky(), tricky()), 1..40)
    ) {
        let py = heat_python();
        // Keys must be unique and non-empty to be labels.
        let mut seen = std::collections::HashSet::new();
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| (format!("k{}", k), v))
            .filter(|(k, _)| seen.insert(k.clone()))
            .collect();
        let bundles = build_text("random.coe", &config_with_labels(&pairs)).map_err(TestCaseError::fail)?;
        let (tmp, loaded) = load_with_heat(&py, &bundles);
        let env_path = tmp.path().join("c1").join("environment.yaml");
        let env = &loaded[env_path.to_string_lossy().as_ref()]["safe"];
        prop_assert_eq!(env, &bundles[0].environment_json());
        // The labels as the nodes read them: KEY=VALUE lines that decode back.
        let lines = env["parameters"]["labels"].as_str().unwrap_or_default();
        let decoded: std::collections::HashMap<String, String> =
            coe::compile::label_lines::decode(lines).unwrap_or_default().into_iter().collect();
        prop_assert_eq!(decoded.len(), pairs.len(), "{}", lines);
        for (k, v) in &pairs {
            prop_assert_eq!(decoded.get(k), Some(v), "label {:?}", k);
        }
    }
}

/// The readable part of each example's bundle: the environment (every
/// parameter and switch), where each parameter came from, and the file list.
#[test]
fn bundle_snapshots() {
    for dir in EXAMPLES {
        for b in build_example(dir) {
            let mut text = String::new();
            text.push_str(&format!(
                "stack_name: {}\ntags: {}\ntimeout_mins: {}\n\n",
                b.stack_name,
                b.tags.join(","),
                b.timeout_mins
            ));
            text.push_str("# environment.yaml\n");
            text.push_str(&b.environment_yaml().unwrap());
            text.push_str("\n# parameter sources\n");
            for (name, e) in &b.sourcemap.parameters {
                let file = e.file.trim_start_matches(&format!("{}/", root().display()));
                text.push_str(&format!("{name}: {file}:{}:{}\n", e.line, e.column));
            }
            text.push_str("\n# files\n");
            for name in b.files.keys() {
                text.push_str(&format!("{name}\n"));
            }
            insta::assert_snapshot!(format!("{}__{}", dir, b.cluster), text);
        }
    }
}

#[test]
fn the_seed_boot_options_reach_the_servers() {
    let b = &build_example("seed-fixed")[0];
    let env = b.environment_json();
    let meta = &env["parameters"]["server_metadata"];
    assert_eq!(meta["instance_store_type"], "local");
    assert_eq!(
        meta["instance_store_uuid"],
        "a3239e52-2902-44ac-81ff-3c28ead35e98"
    );
    assert_eq!(meta["image_store_type"], "local");
    // Every server definition passes them on.
    let servers: Vec<&String> = b
        .files
        .iter()
        .filter(|(_, t)| t.contains("OS::Nova::Server"))
        .map(|(n, _)| n)
        .collect();
    assert!(!servers.is_empty());
    for name in servers {
        assert!(
            b.files[name].contains("server_metadata"),
            "{name} does not pass server_metadata to its servers"
        );
    }
}

/// Two clusters of one driver: the shared templates and scripts are one
/// file on disk under both directories, each directory has every file,
/// and `stack.json` plus the named files is exactly the request coe sends.
#[test]
fn a_build_of_several_clusters_writes_shared_files_once() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("build");
    coe_build("ha-fedora-coreos", &out);
    let bundles = build_example("ha-fedora-coreos");
    assert!(bundles.len() >= 2);
    let (first, second) = (&bundles[0], &bundles[1]);
    assert!(std::sync::Arc::ptr_eq(&first.files, &second.files));
    for name in first.files.keys().chain([&"template.yaml".to_string()]) {
        let a = std::fs::metadata(out.join(&first.cluster).join(name)).unwrap();
        let b = std::fs::metadata(out.join(&second.cluster).join(name)).unwrap();
        assert_eq!(
            (a.dev(), a.ino()),
            (b.dev(), b.ino()),
            "{name} is two files"
        );
    }
    for b in &bundles {
        let dir = out.join(&b.cluster);
        let env_a = std::fs::metadata(dir.join("environment.yaml")).unwrap();
        assert_eq!(env_a.nlink(), 1, "environment.yaml is the cluster's own");
        // stack.json with the named files read back in = the request.
        let mut stack: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("stack.json")).unwrap())
                .unwrap();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        let template = read(stack["template"].as_str().unwrap());
        let files: serde_json::Map<String, Value> = stack["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                let n = n.as_str().unwrap();
                (n.to_string(), Value::String(read(n)))
            })
            .collect();
        stack["template"] = Value::String(template);
        stack["files"] = Value::Object(files);
        assert_eq!(stack, b.create_request(), "{}", b.cluster);
    }
}

#[test]
fn coe_build_writes_every_file_and_is_atomic() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("build");
    coe_build("seed-fixed", &out);
    for f in [
        "template.yaml",
        "environment.yaml",
        "stack.json",
        "sourcemap.json",
    ] {
        assert!(out.join("k8s-c1").join(f).is_file(), "{f} missing");
    }
    let stack: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("k8s-c1/stack.json")).unwrap())
            .unwrap();
    assert_eq!(stack["stack_name"], "k8s-c1");
    assert!(stack["tags"].as_str().unwrap().contains("coe-managed"));
    // A configuration with errors writes nothing.
    let bad = tmp.path().join("bad.coe");
    std::fs::write(&bad, "cluster \"x\" { template = template.nope }\n").unwrap();
    let out2 = out.join("second");
    let run = Command::new(env!("CARGO_BIN_EXE_coe"))
        .args(["build", "-o"])
        .arg(&out2)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(
        !out2.exists(),
        "nothing may be written when the check fails"
    );
}

#[test]
fn the_cloud_can_ask_for_boot_options_as_scheduler_hints() {
    let text = std::fs::read_to_string(root().join("examples/seed-fixed/cluster.coe"))
        .unwrap()
        .replace(
            "octavia               = false",
            "octavia               = false\n  boot_options          = scheduler_hints",
        );
    let b = &build_text("hints.coe", &text).unwrap()[0];
    let env = b.environment_json();
    assert_eq!(
        env["parameters"]["scheduler_hints"]["instance_store_type"], "local",
        "{env}"
    );
    assert!(env["parameters"].get("server_metadata").is_none());
}

/// With an existing network the templates get the existing subnet's real
/// range (swarm-mode opens its plain-HTTP Docker API to it), or "" when the
/// cloud block does not give it, never the default of a subnet coe creates.
#[test]
fn an_existing_subnet_passes_its_own_range() {
    let base = std::fs::read_to_string(root().join("examples/swarm-mode/cluster.coe")).unwrap();
    let with = |subnet: &str| {
        base.replace(
            "network \"public\"         { external = true }",
            &format!("network \"public\"         {{ external = true }}\n  network \"lan\" {{}}\n  subnet \"lan-v4\" {{ network = \"lan\" {subnet} }}"),
        )
        .replace(
            "external_network      = \"public\"",
            "external_network      = \"public\"\n  fixed_network         = \"lan\"\n  fixed_subnet          = \"lan-v4\"\n  tls_disabled          = true",
        )
    };
    let param = |text: &str| {
        let b = &build_text("existing.coe", text).unwrap()[0];
        assert_eq!(b.resource_registry["Coe::Network"], "network_existing.yaml");
        b.environment_json()["parameters"]["fixed_subnet_cidr"].clone()
    };
    assert_eq!(param(&with("cidr = \"192.168.7.0/24\"")), "192.168.7.0/24");
    assert_eq!(param(&with("")), "");
}

/// `volume_type` in a boot block device mapping needs Nova 2.67: the boot
/// volume type goes to Heat only when the user asked for one and the cloud's
/// Nova takes it; otherwise the volume gets Cinder's default type.
#[test]
fn a_boot_volume_type_needs_nova_2_67() {
    let dir = root().join("examples/ha-fedora-coreos");
    let base = ["cloud.coe", "clusters.coe"]
        .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
        .join("\n");
    let boot_type = |nova: &str, labels: &str| {
        let text = base.replace("\"2.88\"", &format!("\"{nova}\"")).replace(
            "    etcd_volume_size       = 20\n",
            &format!("    etcd_volume_size       = 20\n{labels}"),
        );
        let b = &build_text("boot.coe", &text).unwrap()[0];
        let env = b.environment_json();
        assert_eq!(env["parameters"]["boot_volume_size"], 30, "{env}");
        env["parameters"].get("boot_volume_type").cloned()
    };
    let typed = "    boot_volume_size = 30\n    boot_volume_type = \"ssd\"\n";
    let untyped = "    boot_volume_size = 30\n";
    assert_eq!(boot_type("2.67", typed), Some(json!("ssd")));
    assert_eq!(boot_type("2.60", typed), None);
    assert_eq!(boot_type("2.88", untyped), None);
}

/// `master_lb_allowed_cidrs` reaches Heat as `api_allowed_cidrs`, with the
/// cluster subnet added: the range coe creates (its label, or the
/// catalogue's default), or the existing subnet's range from the cloud
/// block. Unset, the parameter is not sent and the API stays open.
#[test]
fn allowed_cidrs_take_the_cluster_subnet_along() {
    let base =
        std::fs::read_to_string(root().join("examples/ha-fedora-coreos/clusters.coe")).unwrap();
    let cloud =
        std::fs::read_to_string(root().join("examples/ha-fedora-coreos/cloud.coe")).unwrap();
    let cidrs = |clusters: &str, cloud: &str| {
        let text = format!("{cloud}\n{clusters}");
        let bundles = build_text("allowed.coe", &text).unwrap();
        let b = bundles.iter().find(|b| b.cluster == "prod-eu2").unwrap();
        b.environment_json()["parameters"]["api_allowed_cidrs"].clone()
    };
    let edit = |text: &str, from: &str, to: &str| {
        assert!(text.contains(from), "{from:?} is not in the example");
        text.replace(from, to)
    };
    let office = "198.51.100.0/24";
    assert_eq!(
        cidrs(&base, &cloud),
        serde_json::json!([office, "203.0.113.0/24", "10.0.0.0/24"])
    );
    // The subnet's own label, and a range the label already lists once.
    let own = edit(
        &base,
        "    etcd_volume_size        = 30\n",
        "    etcd_volume_size        = 30\n    fixed_subnet_cidr       = \"10.9.0.0/24\"\n",
    );
    assert_eq!(
        cidrs(&own, &cloud),
        serde_json::json!([office, "203.0.113.0/24", "10.9.0.0/24"])
    );
    let listed = edit(&own, "203.0.113.0/24", "10.9.0.0/24");
    assert_eq!(
        cidrs(&listed, &cloud),
        serde_json::json!([office, "10.9.0.0/24"])
    );
    // An existing subnet: its range from the cloud block.
    let existing = edit(
        &base,
        "  floating_ip_enabled = false\n",
        "  floating_ip_enabled = false\n  fixed_network = \"lan\"\n  fixed_subnet = \"lan-v4\"\n",
    );
    let lan = edit(
        &cloud,
        "  keypair",
        "  network \"lan\" {}\n  subnet \"lan-v4\" { network = \"lan\"  cidr = \"192.168.7.0/24\" }\n  keypair",
    );
    assert_eq!(
        cidrs(&existing, &lan),
        serde_json::json!([office, "203.0.113.0/24", "192.168.7.0/24"])
    );
    // Unset: not sent, the template's empty default leaves the API open.
    let open = edit(
        &base,
        "    master_lb_allowed_cidrs = \"198.51.100.0/24,203.0.113.0/24\"\n",
        "",
    );
    assert_eq!(cidrs(&open, &cloud), Value::Null);
}

/// kubeproxy_options: each flag becomes its KubeProxyConfiguration field,
/// typed by the catalogue's table, as one line of JSON for master 0.
#[test]
fn kube_proxy_flags_become_its_configuration() {
    let base =
        std::fs::read_to_string(root().join("examples/ha-fedora-coreos/clusters.coe")).unwrap();
    let cloud =
        std::fs::read_to_string(root().join("examples/ha-fedora-coreos/cloud.coe")).unwrap();
    let config = |flags: Option<&str>| {
        let line = "    kubeproxy_options       = \"--proxy-mode=ipvs\"\n";
        assert!(base.contains(line));
        let clusters = match flags {
            Some(f) => base.replace(line, &format!("    kubeproxy_options = \"{f}\"\n")),
            None => base.replace(line, ""),
        };
        let bundles = build_text("proxy.coe", &format!("{cloud}\n{clusters}")).unwrap();
        let b = bundles.iter().find(|b| b.cluster == "prod-eu2").unwrap();
        b.environment_json()["parameters"]["kube_proxy_config"].clone()
    };
    let text = config(Some(
        "--proxy-mode=ipvs --ipvs-scheduler=wrr --ipvs-strict-arp=true --conntrack-max-per-core=0 \
         --conntrack-tcp-timeout-established=12h --nodeport-addresses=10.0.0.0/8,192.168.0.0/16 \
         --feature-gates=A=true,B=false --kube-api-qps=7.5",
    ));
    let doc: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "mode": "ipvs",
            "ipvs": {"scheduler": "wrr", "strictARP": true},
            "conntrack": {"maxPerCore": 0, "tcpEstablishedTimeout": "12h"},
            "nodePortAddresses": ["10.0.0.0/8", "192.168.0.0/16"],
            "featureGates": {"A": true, "B": false},
            "clientConnection": {"qps": 7.5},
        })
    );
    assert!(!text.as_str().unwrap().contains('\n'));
    // Unset: not sent, and kubeadm's own configuration stands.
    assert_eq!(config(None), Value::Null);
}
