//! Every bundled example behaves as its comments say.

use crate::common;

use coe::check::{Options, check_files};
use coe::diag::{Diagnostic, Severity};
use coe::source::SourceMap;
use common::{check_example, codes_of as codes};
use std::path::Path;

fn check_dir(dir: &str) -> Vec<Diagnostic> {
    let (_, checked) = check_example(dir);
    assert!(
        !checked.model.clusters.is_empty(),
        "examples/{dir} declares no cluster"
    );
    checked.diagnostics.into_vec()
}

#[test]
fn the_seed_deployment_fails_with_the_three_field_failures() {
    let diags = check_dir("seed-as-deployed");
    assert_eq!(
        codes(&diags, Severity::Error),
        ["COE0308", "COE0506", "COE0507"],
        "{diags:#?}"
    );
    // Its boot labels are reported with the typed form, its cluster labels
    // drop the template's, and volume_driver and docker_storage_driver do
    // nothing on coe's Kubernetes nodes.
    assert_eq!(
        codes(&diags, Severity::Warning),
        ["COE0315", "COE0315", "COE0405", "COE0406"],
        "{diags:#?}"
    );
    for d in diags.iter().filter(|d| d.is_error()) {
        assert!(
            !d.suggestions.is_empty() || !d.help.is_empty(),
            "{} has no fix: {d:#?}",
            d.code
        );
    }
}

#[test]
fn clean_examples_have_no_diagnostics_at_all() {
    for dir in ["seed-fixed", "ha-fedora-coreos", "swarm-mode", "mesos"] {
        let diags = check_dir(dir);
        assert!(diags.is_empty(), "examples/{dir}: {diags:#?}");
    }
}

#[test]
fn the_stdlib_alone_checks_clean() {
    let mut sources = SourceMap::new();
    let checked = check_files(&mut sources, &[], &Options::default());
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    assert!(
        checked.catalogue.labels.len() >= 85,
        "label catalogue too small"
    );
    assert!(checked.catalogue.drivers.len() >= 7);
}

#[test]
fn the_ha_example_resolves_what_compile_needs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ha-fedora-coreos");
    let mut sources = SourceMap::new();
    let ids: Vec<_> = ["cloud.coe", "clusters.coe"]
        .iter()
        .map(|f| sources.add_path(&root.join(f)).unwrap())
        .collect();
    let checked = check_files(&mut sources, &ids, &Options::default());
    let c = &checked.model.clusters[0];
    let eff = c.effective.as_ref().unwrap();
    assert_eq!(eff.driver.as_deref(), Some("k8s_fedora_coreos_v1"));
    assert_eq!(eff.master_count.value, 3);
    assert!(eff.master_lb_enabled.value);
    assert_eq!(eff.create_timeout, 90 * 60);
    assert_eq!(
        eff.label_text("container_infra_prefix"),
        Some("registry.example.com/magnum/")
    );
    assert_eq!(
        eff.label_text("calico_tag"),
        Some("v3.26.1"),
        "label set merged"
    );
    // prod-eu2 merges its labels over the template's.
    let eu2 = checked.model.clusters[1].effective.as_ref().unwrap();
    assert_eq!(eu2.label_text("etcd_volume_size"), Some("30"));
    assert_eq!(eu2.label_text("kube_tag"), Some("v1.27.8-rancher2"));
    assert_eq!(eu2.stack_name, "prod-eu2");
}

#[test]
fn the_fixed_seed_has_typed_boot_options() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed-fixed/cluster.coe");
    let mut sources = SourceMap::new();
    let id = sources.add_path(&root).unwrap();
    let checked = check_files(&mut sources, &[id], &Options::default());
    let eff = checked.model.clusters[0].effective.as_ref().unwrap();
    let store = eff.boot.instance_store.as_ref().unwrap();
    assert_eq!(store.kind, "local");
    assert_eq!(
        store.uuid.as_deref(),
        Some("a3239e52-2902-44ac-81ff-3c28ead35e98")
    );
    assert_eq!(eff.driver.as_deref(), Some("k8s_coreos_v1"));
}

#[test]
fn the_examples_are_in_canonical_layout() {
    for dir in [
        "seed-as-deployed",
        "seed-fixed",
        "ha-fedora-coreos",
        "swarm-mode",
        "mesos",
    ] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(dir);
        for f in std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()) {
            let text = std::fs::read_to_string(&f).unwrap();
            let formatted = coe::fmt::format_source(coe::source::FileId(0), &text)
                .unwrap_or_else(|e| panic!("{}: {e:?}", f.display()));
            assert_eq!(
                formatted,
                text,
                "{} is not formatted: run `coe fmt {}`",
                f.display(),
                f.display()
            );
        }
    }
}
