//! Golden snapshots of the rendered Heat templates, every line of which has
//! been read. One full copy per COE family and for the shared `common/`
//! templates; the other drivers and HOT versions are snapshotted as a unified
//! diff against their nearest full copy, so a reviewer reads what differs and
//! a change to a shared line shows up once, not five times.
//!
//! Scripts are not snapshotted: they go into the bundle byte for byte from
//! `stdlib/heat/scripts/`, which this test checks.

use crate::common;

use coe::check::{Options, check_files};
use coe::compile::{Bundle, compile};
use coe::source::SourceMap;
use common::root;
use std::collections::BTreeMap;

/// One driver at one HOT version, from an example's sources with a few
/// words replaced.
struct Variant {
    name: &'static str,
    example: &'static str,
    replace: &'static [(&'static str, &'static str)],
    /// The variant whose own templates this one is shown as a diff against;
    /// `None` snapshots them in full.
    diff_against: Option<&'static str>,
}

const BASE: &str = "kubernetes-fedora-coreos";

const VARIANTS: &[Variant] = &[
    Variant {
        name: BASE,
        example: "ha-fedora-coreos",
        replace: &[],
        diff_against: None,
    },
    Variant {
        name: "kubernetes-fedora-coreos-rocky",
        example: "ha-fedora-coreos",
        replace: &[("wallaby", "rocky")],
        diff_against: Some(BASE),
    },
    Variant {
        name: "kubernetes-fedora-coreos-newton",
        example: "ha-fedora-coreos",
        replace: &[("wallaby", "newton")],
        diff_against: Some(BASE),
    },
    Variant {
        name: "kubernetes-coreos-rocky",
        example: "seed-fixed",
        replace: &[],
        diff_against: Some("kubernetes-fedora-coreos-rocky"),
    },
    Variant {
        name: "kubernetes-fedora-atomic-rocky",
        example: "seed-fixed",
        replace: &[("os_distro = \"coreos\"", "os_distro = \"fedora-atomic\"")],
        diff_against: Some("kubernetes-coreos-rocky"),
    },
    Variant {
        name: "swarm-mode-rocky",
        example: "swarm-mode",
        replace: &[],
        diff_against: None,
    },
    Variant {
        name: "mesos-rocky",
        example: "mesos",
        replace: &[],
        diff_against: None,
    },
];

fn build_variant(v: &Variant) -> Bundle {
    let dir = root().join("examples").join(v.example);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "coe"))
        .collect();
    paths.sort();
    let mut sources = SourceMap::new();
    let mut ids = Vec::new();
    let mut replaced = vec![false; v.replace.len()];
    for p in &paths {
        let mut text = std::fs::read_to_string(p).unwrap();
        for (i, (from, to)) in v.replace.iter().enumerate() {
            if text.contains(from) {
                text = text.replace(from, to);
                replaced[i] = true;
            }
        }
        ids.push(sources.add_text(&p.display().to_string(), &text));
    }
    assert!(
        replaced.iter().all(|r| *r),
        "{}: a replacement no longer matches examples/{}",
        v.name,
        v.example
    );
    let checked = check_files(&mut sources, &ids, &Options::default());
    let mut bundles = compile(&checked, &sources).unwrap_or_else(|d| panic!("{}: {d:#?}", v.name));
    bundles.remove(0)
}

/// The names of the templates every family shares (`stdlib/heat/common/`).
fn common_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("stdlib/heat/common"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .map(|n| n.trim_end_matches(".j2").to_string())
        .collect();
    names.sort();
    names
}

/// The rendered templates of a bundle, split into the family's own
/// (`template.yaml` first) and the common ones.
/// Rendered templates by file name.
type Files = BTreeMap<String, String>;

fn templates(b: &Bundle) -> (Files, Files) {
    let common = common_names();
    let mut own = BTreeMap::new();
    let mut shared = BTreeMap::new();
    own.insert(" template.yaml".to_string(), b.template.to_string());
    for (name, text) in b.files.iter() {
        if !name.ends_with(".yaml") {
            continue;
        }
        if common.contains(name) {
            shared.insert(name.clone(), text.clone());
        } else {
            own.insert(name.clone(), text.clone());
        }
    }
    (own, shared)
}

fn full(files: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (name, text) in files {
        out.push_str(&format!("# ==== {}\n{text}\n", name.trim()));
    }
    out
}

fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>, against: &str) -> String {
    let mut out = String::new();
    let names: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for name in names {
        let a = old.get(name).map(String::as_str).unwrap_or("");
        let b = new.get(name).map(String::as_str).unwrap_or("");
        let name = name.trim();
        if a == b {
            out.push_str(&format!("# ==== {name}: same as {against}\n"));
            continue;
        }
        let d = similar::TextDiff::from_lines(a, b);
        out.push_str(&format!(
            "{}\n",
            d.unified_diff()
                .context_radius(3)
                .header(&format!("{against}/{name}"), name)
        ));
    }
    out
}

#[test]
fn rendered_templates_match_the_reviewed_golden_copies() {
    let mut built: BTreeMap<&str, (Files, Files)> = BTreeMap::new();
    for v in VARIANTS {
        let b = build_variant(v);
        // Scripts are copied, not rendered.
        for (name, text) in b.files.iter() {
            if name.ends_with(".yaml") {
                continue;
            }
            let src = std::fs::read_to_string(root().join("stdlib/heat/scripts").join(name))
                .unwrap_or_else(|e| panic!("{}: bundle file `{name}`: {e}", v.name));
            let shipped = coe::compile::shipped_script(&src);
            assert_eq!(
                &shipped, text,
                "{}: `{name}` differs from its source",
                v.name
            );
        }
        let (own, shared) = templates(&b);
        let header = format!(
            "driver: {}\nheat_template_version: {}\n\n",
            b.driver, b.heat_template_version
        );
        let body = match v.diff_against {
            None => full(&own),
            Some(base) => diff(&built[base].0, &own, base),
        };
        let common = if v.name == BASE {
            insta::assert_snapshot!("common", full(&shared));
            String::new()
        } else {
            format!(
                "\n# common templates, against {BASE}\n{}",
                diff(&built[BASE].1, &shared, "common")
            )
        };
        insta::assert_snapshot!(v.name, format!("{header}{body}{common}"));
        built.insert(v.name, (own, shared));
    }
}

/// Every example's bundles use templates one of the variants above covers.
#[test]
fn every_example_uses_a_golden_driver_and_version() {
    let covered: Vec<(String, String)> = VARIANTS
        .iter()
        .map(build_variant)
        .map(|b| (b.driver, b.heat_template_version))
        .collect();
    for dir in ["seed-fixed", "ha-fedora-coreos", "swarm-mode", "mesos"] {
        for b in common::build_example(dir) {
            let key = (b.driver.clone(), b.heat_template_version.clone());
            assert!(
                covered.contains(&key),
                "examples/{dir} ({}): {key:?} has no golden snapshot",
                b.cluster
            );
        }
    }
}
