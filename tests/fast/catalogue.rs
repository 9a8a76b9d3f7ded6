//! Every label of the catalogue does what its entry says, for every driver
//! that reads it: a label with an `effect` changes the built bundle (beyond
//! the `labels` JSON the nodes receive) or is read by a node script the
//! bundle ships; a label marked `unimplemented` changes neither, and
//! `coe check` reports it (COE0409). One test over the whole table.

use coe::check::catalogue::{LabelInfo, LabelType};
use coe::check::{Checked, Options, check_files};
use coe::source::SourceMap;
use serde_json::Value;

/// A small cluster per buildable driver; `@LABELS@` is where labels go.
/// Kubernetes is built with each network driver, since some labels are
/// read only with one of them.
/// The last part of a base is the template's own lines: with volumes and
/// a load balancer, the labels that shape them have something to shape.
const RICH: &str =
    "  docker_volume_size = 10GiB\n  master_lb_enabled = true\n  floating_ip_enabled = false";
/// Labels a rich base sets, so that labels depending on them show.
const RICH_LABELS: &[(&str, &str)] = &[("etcd_volume_size", "10"), ("boot_volume_size", "30")];

const BASES: &[(&str, &str, &str)] = &[
    (
        "k8s_fedora_coreos_v1",
        "fedora-coreos",
        "kubernetes\n  network_driver = calico",
    ),
    (
        "k8s_fedora_coreos_v1",
        "fedora-coreos",
        "kubernetes\n  network_driver = flannel",
    ),
    (
        "k8s_fedora_coreos_v1",
        "fedora-coreos",
        "kubernetes\n  network_driver = calico\n@RICH@",
    ),
    (
        "k8s_fedora_atomic_v1",
        "fedora-atomic",
        "kubernetes\n  network_driver = flannel\n@RICH@",
    ),
    (
        "k8s_coreos_v1",
        "coreos",
        "kubernetes\n  network_driver = flannel\n@RICH@",
    ),
    (
        "swarm_fedora_atomic_v2",
        "fedora-atomic",
        "swarm-mode\n@RICH@",
    ),
    (
        "k8s_fedora_atomic_v1",
        "fedora-atomic",
        "kubernetes\n  network_driver = flannel",
    ),
    (
        "k8s_fedora_atomic_v1",
        "fedora-atomic",
        "kubernetes\n  network_driver = calico",
    ),
    (
        "k8s_coreos_v1",
        "coreos",
        "kubernetes\n  network_driver = flannel",
    ),
    (
        "k8s_coreos_v1",
        "coreos",
        "kubernetes\n  network_driver = calico",
    ),
    ("swarm_fedora_atomic_v2", "fedora-atomic", "swarm-mode"),
    ("mesos_ubuntu_v1", "ubuntu", "mesos"),
];

fn source(os_distro: &str, coe: &str, labels: &str) -> String {
    // A rich base: volumes, a load balancer, and the labels sizing them
    // (but for the one under test, which `labels` sets).
    let (coe, labels) = match coe.strip_suffix("\n@RICH@") {
        Some(c) => {
            let mut all = labels.to_string();
            for (k, v) in RICH_LABELS {
                if !labels.contains(&format!(" {k} =")) {
                    all.push_str(&format!("\n    {k} = {v}"));
                }
            }
            (format!("{c}\n{RICH}"), all)
        }
        None => (coe.to_string(), labels.to_string()),
    };
    format!(
        r#"cloud "c" {{
  heat_template_version = wallaby
  nova_microversion     = "2.88"
  octavia               = true
  volume_types          = ["ssd", "hdd"]
  image "img" {{ os_distro = "{os_distro}" }}
  flavor "f" {{ vcpus = 2  ram = 4GiB  disk = 40GiB }}
  network "ext" {{ external = true }}
  keypair "k" {{}}
}}

template "t" {{
  coe              = {coe}
  image            = "img"
  keypair          = "k"
  external_network = "ext"
  flavor           = "f"
  labels {{
{labels}
  }}
}}

cluster "c1" {{
  template = template.t
}}
"#
    )
}

fn check(text: &str) -> (SourceMap, Checked) {
    let mut sources = SourceMap::new();
    let id = sources.add_text("c.coe", text);
    let checked = check_files(&mut sources, &[id], &Options::default());
    (sources, checked)
}

/// What the built cluster is made of, without the labels JSON the nodes
/// receive (every label is in it, whether anything reads it or not).
/// Also the check's diagnostics, as (code, message).
type Built = (Value, String, Vec<(String, String)>);

fn built(text: &str) -> Result<Built, String> {
    let (sources, checked) = check(text);
    let diags = checked
        .diagnostics
        .iter()
        .map(|d| (d.code.to_string(), d.message.clone()))
        .collect();
    let bundles = coe::compile::compile_only(&checked, &sources, &[])
        .map_err(|d| format!("{:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()))?;
    let mut request = bundles[0].create_request();
    // A parameter the template does not declare is dropped by Heat unseen.
    let template: Value = match &request["template"] {
        Value::String(t) => serde_saphyr::from_str(t).map_err(|e| e.to_string())?,
        t => t.clone(),
    };
    for section in ["parameters", "parameter_defaults"] {
        for key in request["environment"][section]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            if template["parameters"].get(key).is_none() {
                return Err(format!("sets `{key}`, which its template does not declare"));
            }
        }
    }
    let env = &mut request["environment"];
    for section in ["parameters", "parameter_defaults"] {
        if let Some(p) = env.get_mut(section).and_then(Value::as_object_mut) {
            p.remove("labels");
            p.remove("secret_labels");
        }
    }
    let scripts: String = request["files"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| name.ends_with(".sh"))
        .filter_map(|(_, text)| text.as_str())
        .collect();
    Ok((request, scripts, diags))
}

/// A value other than the default, valid for the label's type. An entry
/// whose rules a generic value cannot meet gives one as `example`.
fn other_value(info: &LabelInfo) -> String {
    let default = info.default.clone().unwrap_or_default();
    let quoted = |s: &str| format!("\"{s}\"");
    if let Some(e) = &info.example {
        return quoted(e);
    }
    match info.ty {
        LabelType::Bool => if default == "true" { "false" } else { "true" }.to_string(),
        LabelType::Int => {
            let d: i64 = default.parse().unwrap_or(0);
            let v = if info.max.is_some_and(|m| d + 1 > m) {
                d - 1
            } else {
                d + 1
            };
            v.max(info.min.unwrap_or(i64::MIN)).to_string()
        }
        LabelType::Member | LabelType::List if !info.values.is_empty() => {
            // what coe's nodes support, when the catalogue narrows Magnum's values
            let values = if info.supported.is_empty() {
                &info.values
            } else {
                &info.supported
            };
            quoted(values.iter().find(|v| **v != default).unwrap_or(&values[0]))
        }
        LabelType::Cidr => quoted("10.123.0.0/16"),
        LabelType::CidrList => quoted("192.0.2.0/24,198.51.100.0/24"),
        LabelType::Ipv4 => quoted("10.1.2.3"),
        LabelType::Json => quoted("{}"),
        _ => quoted(&format!(
            "coe-test{}",
            info.ends_with.clone().unwrap_or_default()
        )),
    }
}

#[test]
fn every_label_does_what_the_catalogue_says() {
    let (_, catalogue_of) = check(&source("fedora-coreos", "kubernetes", ""));
    let catalogue = &catalogue_of.catalogue;
    let mut wrong = Vec::new();
    let mut tried = 0;
    // Each base built once, without the label under test.
    let plain: Vec<Value> = BASES
        .iter()
        .map(|(_, os, coe)| built(&source(os, coe, "")).expect("the base builds").0)
        .collect();
    // The labels, judged on both cores.
    let labels: Vec<&LabelInfo> = catalogue.labels.values().collect();
    let halves = labels.chunks(labels.len().div_ceil(2));
    std::thread::scope(|scope| {
        let jobs: Vec<_> = halves
            .map(|half| {
                scope.spawn(|| {
                    half.iter()
                        .map(|info| judge(info, &plain))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for job in jobs {
            for (n, w) in job.join().unwrap() {
                tried += n;
                wrong.extend(w);
            }
        }
    });
    assert!(tried > 100, "only {tried} label/driver pairs were tried");
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// What a node script falls back to when a label is unset is the default
/// the catalogue states (and `coe labels` shows): one value, not two.
#[test]
fn node_script_defaults_are_the_catalogues() {
    let (_, checked) = check(&source("fedora-coreos", "kubernetes", ""));
    let labels = &checked.catalogue.labels;
    let dir = crate::common::root().join("stdlib/heat/scripts");
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for call in text.split("$(label ").skip(1) {
            let call = &call[..call.find(')').unwrap_or(call.len())];
            let mut words = call.splitn(2, ' ');
            let key = words.next().unwrap_or("");
            let Some(fallback) = words.next().map(|w| w.trim_matches('"')) else {
                continue; // no fallback: unset means empty
            };
            let Some(info) = labels.get(key) else {
                wrong.push(format!(
                    "{}: `{key}` is not in the catalogue",
                    path.display()
                ));
                continue;
            };
            let default = info.default.clone().unwrap_or_default();
            if fallback != default {
                wrong.push(format!(
                    "{}: `{key}` falls back to `{fallback}`, the catalogue's default is `{default}`",
                    crate::common::file_name(&path)
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// One label against every buildable driver that reads it: how many pairs
/// were tried, and what is wrong.
fn judge(info: &LabelInfo, plain: &[Value]) -> (usize, Vec<String>) {
    let mut wrong = Vec::new();
    let mut tried = 0;
    // Boot labels come in pairs and are covered by the boot tests.
    if info.replaced_by.is_some() {
        return (0, wrong);
    }
    let value = other_value(info);
    let line = format!("    {} = {value}", info.name);
    let drivers: Vec<&str> = BASES
        .iter()
        .map(|b| b.0)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for driver in drivers {
        let bases: Vec<_> = BASES
            .iter()
            .zip(plain)
            .filter(|(b, _)| b.0 == driver)
            .collect();
        let coe_name = bases[0].0.2.split('\n').next().unwrap();
        if !info.read_by(coe_name, Some(driver)) {
            continue;
        }
        tried += 1;
        let implemented = info.effect_on(coe_name, Some(driver)).is_ok();
        let mut changes = false;
        let mut reported = false;
        for ((_, os, coe), base) in &bases {
            let text = source(os, coe, &line);
            // A secret nothing reads is refused (an error): nothing to build.
            if info.secret && !implemented {
                let (_, checked) = check(&text);
                reported |= checked.diagnostics.iter().any(|d| {
                    d.code.to_string() == "COE0409"
                        && d.is_error()
                        && d.message.contains(&format!("`{}`", info.name))
                });
                continue;
            }
            let (with, scripts, diags) = match built(&text) {
                Ok(b) => b,
                Err(e) => {
                    wrong.push(format!(
                        "{} on {driver}: {value} does not build: {e}",
                        info.name
                    ));
                    continue;
                }
            };
            let read = scripts.contains(&format!("label {}", info.name));
            changes |= with != **base || read;
            reported |= diags
                .iter()
                .any(|(code, m)| code == "COE0409" && m.contains(&format!("`{}`", info.name)));
        }
        match (implemented, changes) {
            (true, false) => wrong.push(format!(
                "{} on {driver}: the catalogue says it does something, but {value} changes nothing the cluster is built from",
                info.name
            )),
            (false, true) => wrong.push(format!(
                "{} on {driver}: the catalogue says coe does not act on it, but {value} changes the built cluster",
                info.name
            )),
            _ => {}
        }
        if !implemented && !reported {
            wrong.push(format!(
                "{} on {driver}: not acted on, yet `coe check` says nothing",
                info.name
            ));
        }
    }
    (tried, wrong)
}

/// Where a label feeds a template parameter (its effect names it in
/// backquotes) and that parameter has a default, the two defaults agree:
/// an unset label means what the catalogue says.
#[test]
fn template_defaults_are_the_catalogues() {
    let (_, checked) = check(&source("fedora-coreos", "kubernetes", ""));
    let mut wrong = Vec::new();
    let mut compared = 0;
    for (os, coe) in [
        ("fedora-coreos", "kubernetes"),
        ("fedora-atomic", "swarm-mode"),
        ("ubuntu", "mesos"),
    ] {
        let (request, _, _) = built(&source(os, coe, "")).expect("the base builds");
        let template: Value = match &request["template"] {
            Value::String(t) => serde_saphyr::from_str(t).unwrap(),
            t => t.clone(),
        };
        for info in checked.catalogue.labels.values() {
            let (Some(effect), Some(default)) = (&info.effect, &info.default) else {
                continue;
            };
            for param in effect.split('`').skip(1).step_by(2) {
                let Some(declared) = template["parameters"][param]["default"].as_str() else {
                    continue;
                };
                compared += 1;
                if declared != default {
                    wrong.push(format!(
                        "{coe}: `{param}` defaults to `{declared}`, label `{}` to `{default}`",
                        info.name
                    ));
                }
            }
        }
    }
    assert!(compared >= 3, "only {compared} defaults compared");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `coe explain LABEL` says, for every label of the catalogue, what it does
/// with each driver that reads it, or why it does nothing: the catalogue's
/// own words, so the two cannot drift.
#[test]
fn explain_tells_what_every_label_does() {
    let (_, checked) = check("");
    let mut wrong = Vec::new();
    for info in checked.catalogue.labels.values() {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_coe"))
            .args(["explain", &info.name])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            wrong.push(format!("{}: exit {:?}", info.name, out.status.code()));
            continue;
        }
        let said = [&info.effect, &info.unimplemented]
            .into_iter()
            .flatten()
            .any(|words| text.contains(words.as_str()));
        let read = checked
            .catalogue
            .drivers
            .values()
            .any(|d| info.read_by(&d.coe, Some(&d.name)));
        if read && !said {
            wrong.push(format!(
                "{}: neither its effect nor why not:\n{text}",
                info.name
            ));
        }
        if info.secret && info.default.is_some() && !text.contains("(sensitive)") {
            wrong.push(format!("{}: a secret's default is not hidden", info.name));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
