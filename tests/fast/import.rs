//! `coe import`: what Magnum accepted imports into `.coe` that checks clean,
//! what Magnum refused imports into `.coe` that fails with the matching code.

use crate::common;

use coe::check::{Options, check_files};
use coe::diag::{Diagnostic, Severity};
use coe::import::{Input, import};
use coe::source::{FileId, SourceMap};
use coe::syntax::ast::{BodyItem, Item};
use common::codes_of as codes;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import")
}

fn input(name: &str) -> Input {
    let path = fixture_dir().join(name);
    Input {
        name: name.to_string(),
        text: std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    }
}

fn inline(name: &str, text: &str) -> Input {
    Input {
        name: name.to_string(),
        text: text.to_string(),
    }
}

/// Imports fixtures; the result must at least parse.
fn import_text(inputs: Vec<Input>) -> String {
    let text = import(&inputs).expect("import failed").text;
    let parsed = coe::syntax::parse(FileId(0), &text);
    assert!(
        parsed.diagnostics.is_empty(),
        "imported text does not parse: {:?}\n{text}",
        parsed.diagnostics
    );
    text
}

fn import_fixtures(names: &[&str]) -> String {
    import_text(names.iter().map(|n| input(n)).collect())
}

/// The text with wrapped comment lines joined, for searching in comments.
fn prose(text: &str) -> String {
    text.replace("\n  # ", " ")
}

/// Whether some line sets `key = value`, however the `=` is aligned.
fn has_attr(text: &str, key: &str, value: &str) -> bool {
    text.lines().any(|l| {
        l.trim()
            .strip_prefix(key)
            .and_then(|rest| rest.trim_start().strip_prefix('='))
            .is_some_and(|rest| rest.trim() == value)
    })
}

/// The diagnostics of an imported file, but for COE0409: Magnum's labels
/// are imported as they are, and those coe does not act on are warned
/// about on purpose (the import keeps what the user had).
fn check(text: &str) -> Vec<Diagnostic> {
    let mut sources = SourceMap::new();
    let id = sources.add_text("imported.coe", text);
    check_files(&mut sources, &[id], &Options::default())
        .diagnostics
        .into_vec()
        .into_iter()
        .filter(|d| d.code.to_string() != "COE0409")
        .collect()
}

macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({
            snapshot_path => "../import/snapshots",
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

const FCOS: [&str; 3] = ["fcos-template.json", "fcos-cluster.json", "fcos-image.json"];
const SEED: [&str; 3] = ["seed-template.json", "seed-cluster.json", "seed-image.json"];

#[test]
fn a_valid_fedora_coreos_setup_checks_clean() {
    let text = import_fixtures(&FCOS);
    let diags = check(&text);
    // Clean but for Magnum's volume_driver and docker_storage_driver, kept
    // as imported: coe says they do nothing rather than dropping them unseen.
    assert_eq!(
        codes(&diags, Severity::Error),
        [] as [&str; 0],
        "{diags:#?}\n{text}"
    );
    assert_eq!(
        codes(&diags, Severity::Warning),
        ["COE0315", "COE0315"],
        "{diags:#?}\n{text}"
    );
    snapshot!("fcos", text);
}

#[test]
fn the_seed_deployment_fails_for_its_image_without_os_distro() {
    let text = import_fixtures(&SEED);
    let diags = check(&text);
    assert_eq!(codes(&diags, Severity::Error), ["COE0308"], "{diags:#?}");
    // The legacy boot labels stay labels; check shows the typed form.
    assert_eq!(
        codes(&diags, Severity::Warning),
        ["COE0315", "COE0315", "COE0405", "COE0406"],
        "{diags:#?}"
    );
    snapshot!("seed", text);
}

#[test]
fn a_network_driver_in_the_wrong_case_fails() {
    let text = import_fixtures(&["template-network-driver-case.json", "fcos-image.json"]);
    assert!(has_attr(&text, "network_driver", "Flannel"), "{text}");
    let diags = check(&text);
    assert_eq!(codes(&diags, Severity::Error), ["COE0202"], "{diags:#?}");
}

#[test]
fn three_masters_without_a_load_balancer_fail() {
    let text = import_fixtures(&[
        "fcos-template.json",
        "cluster-three-masters-no-lb.json",
        "fcos-image.json",
    ]);
    // The cluster overrides the template's load balancer setting.
    assert!(has_attr(&text, "master_lb_enabled", "false"), "{text}");
    let diags = check(&text);
    assert_eq!(codes(&diags, Severity::Error), ["COE0309"], "{diags:#?}");
}

#[test]
fn image_properties_printed_as_a_string_are_read() {
    let text = import_fixtures(&["fcos-template.json", "image-properties-string.json"]);
    assert!(has_attr(&text, "os_distro", "\"fedora-coreos\""), "{text}");
    assert!(has_attr(&text, "image", "\"fedora-coreos-38\""));
    let diags = check(&text);
    assert_eq!(
        codes(&diags, Severity::Warning),
        ["COE0315", "COE0315"],
        "{diags:#?}\n{text}"
    );
    assert_eq!(diags.len(), 2, "{diags:#?}\n{text}");
}

#[test]
fn without_an_image_there_is_no_cloud_and_check_asks_for_os_distro() {
    let text = import_fixtures(&["fcos-template.json", "fcos-cluster.json"]);
    assert!(!text.contains("cloud \""), "{text}");
    assert!(
        prose(&text).contains(
            "is not among the imported files; import its `openstack image show -f json` output"
        ),
        "{text}"
    );
    // The template keeps the image ID, since no image names it.
    assert!(has_attr(
        &text,
        "image",
        "\"0f3e6d2c-9b1a-4c8e-a7d5-3e2f1b0c9a87\""
    ));
    // What Magnum recorded about the distro is kept as a hint.
    assert!(
        prose(&text).contains("Magnum recorded cluster_distro \"fedora-coreos\""),
        "{text}"
    );
    let diags = check(&text);
    assert_eq!(codes(&diags, Severity::Error), ["COE0308"], "{diags:#?}");
}

#[test]
fn a_cluster_whose_template_is_missing_keeps_the_reference() {
    let text = import_fixtures(&["fcos-cluster.json", "fcos-image.json"]);
    assert!(
        text.contains("# imported from cluster_template_id 4b7c1f5e-2d8a-4e6b-9c3f-8a1d2e5f7b90"),
        "{text}"
    );
    assert!(has_attr(
        &text,
        "template",
        "template.\"4b7c1f5e-2d8a-4e6b-9c3f-8a1d2e5f7b90\""
    ));
    // Without the template nothing is known to be inherited: all is written.
    assert!(
        text.contains("keypair ") && text.contains("kube_tag"),
        "{text}"
    );
    let diags = check(&text);
    assert!(
        codes(&diags, Severity::Error).contains(&"COE0107".to_string()),
        "{diags:#?}"
    );

    let by_name = import_fixtures(&["cluster-three-masters-no-lb.json"]);
    assert!(
        has_attr(&by_name, "template", "template.\"k8s-fcos-1.27\""),
        "{by_name}"
    );
}

#[test]
fn cluster_settings_of_its_own_are_written() {
    let cluster = serde_json::json!({
        "uuid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "name": "own",
        "cluster_template_id": "k8s-coreos",
        "keypair": "other-key",
        "node_count": 2,
        "master_count": 1,
        "docker_volume_size": 5,
        "create_timeout": 90,
        "discovery_url": "https://etcd-discovery.example.com/abc",
        "labels": {},
        "status": "CREATE_COMPLETE"
    });
    let text = import_text(vec![
        input("seed-template.json"),
        inline("own.json", &cluster.to_string()),
        input("seed-image.json"),
    ]);
    assert!(has_attr(&text, "template", "template.k8s-coreos"), "{text}");
    assert!(has_attr(&text, "keypair", "\"other-key\""), "{text}");
    assert!(has_attr(&text, "docker_volume_size", "5GiB"), "{text}");
    assert!(has_attr(&text, "create_timeout", "90m"), "{text}");
    assert!(
        has_attr(
            &text,
            "discovery_url",
            "\"https://etcd-discovery.example.com/abc\""
        ),
        "{text}"
    );
    // Rocky kept an explicit `{}`: the cluster ran without the template's labels.
    assert!(
        prose(&text).contains("Magnum stored no labels for this cluster"),
        "{text}"
    );
    assert!(!text.contains("status in Magnum"), "{text}");
    // Both keypairs are declared in the cloud block.
    assert!(text.contains("keypair \"dxl-key\" {}") && text.contains("keypair \"other-key\" {}"));
}

#[test]
fn cluster_values_equal_to_the_template_are_inherited_not_repeated() {
    let text = import_fixtures(&FCOS);
    let cluster = &text[text.find("cluster \"prod-k8s\"").unwrap()..];
    let cluster = &cluster[..cluster.find("\n}").unwrap()];
    for inherited in [
        "keypair",
        "master_flavor",
        "floating_ip_enabled",
        "kube_tag",
        "create_timeout",
    ] {
        assert!(
            !cluster.contains(inherited),
            "{inherited} repeated:\n{cluster}"
        );
    }
    // The cluster's own flavor and the labels it added are kept.
    assert!(has_attr(cluster, "flavor", "\"m1.xlarge\""), "{cluster}");
    assert!(has_attr(cluster, "merge_labels", "true"), "{cluster}");
    assert!(cluster.contains("min_node_count"), "{cluster}");
}

const ROCKY_TEMPLATE: &str = r#"{
  "uuid": "11111111-2222-4333-8444-555555555555",
  "name": "rocky",
  "coe": "kubernetes",
  "image_id": "fedora-atomic-27",
  "external_network_id": "public",
  "keypair_id": "k",
  "labels": "{u'flannel_backend': u'vxlan', u'kube_tag': u'v1.11.5-1'}",
  "docker_volume_size": "5",
  "docker_storage_driver": "overlay2",
  "tls_disabled": "False",
  "hidden": "",
  "tags": "",
  "master_lb_enabled": "-"
}"#;

const ATOMIC_IMAGE: &str = r#"{"id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "name": "fedora-atomic-27",
  "os_distro": "fedora-atomic", "min_disk": 0, "disk_format": "qcow2"}"#;

#[test]
fn older_client_output_with_strings_for_everything_imports() {
    let text = import_text(vec![
        inline("rocky.json", ROCKY_TEMPLATE),
        inline("image.json", ATOMIC_IMAGE),
    ]);
    assert!(has_attr(&text, "flannel_backend", "\"vxlan\""), "{text}");
    assert!(has_attr(&text, "docker_volume_size", "5GiB"), "{text}");
    assert!(
        !text.contains("tls_disabled"),
        "a default is left out:\n{text}"
    );
    assert!(!text.contains("hidden") && !text.contains("tags"), "{text}");
    assert!(has_attr(&text, "os_distro", "\"fedora-atomic\""), "{text}");
    // Rocky's kube_tag is older than anything coe's nodes install: the
    // import keeps it, and checking says so (COE0411) instead of the nodes
    // quietly installing another version.
    let diags = check(&text);
    assert_eq!(
        codes(&diags, Severity::Error),
        ["COE0411"],
        "{diags:#?}\n{text}"
    );
}

#[test]
fn strings_are_escaped_and_odd_words_quoted() {
    let weird = "a \"b\" ${c} \\ d\nnext";
    let json = serde_json::json!({
        "name": "t \"x\"",
        "coe": "kubernetes",
        "image_id": "img",
        "external_network_id": "public",
        "network_driver": "flannel v2",
        "labels": { "weird": weird, "vendor.io/key": 1, "flag": true },
    });
    let text = import_text(vec![inline("t.json", &json.to_string())]);
    assert!(
        has_attr(&text, "network_driver", "\"flannel v2\""),
        "{text}"
    );
    assert!(text.contains("\"vendor.io/key\" = \"1\""), "{text}");
    assert!(has_attr(&text, "flag", "\"true\""), "{text}");
    let parsed = coe::syntax::parse(FileId(0), &text);
    let template = parsed
        .file
        .items
        .iter()
        .find_map(|i| match i {
            Item::Block(b) if b.kind.name == "template" => Some(b),
            _ => None,
        })
        .expect("a template block");
    assert_eq!(template.name_str(), "t \"x\"");
    let labels = template.blocks().find(|b| b.kind.name == "labels").unwrap();
    let value = labels
        .body
        .iter()
        .find_map(|i| match i {
            BodyItem::Attribute(a) if a.key.name == "weird" => a.value.as_plain_str(),
            _ => None,
        })
        .expect("the label");
    assert_eq!(value, weird);
    // The odd network driver is reported by check (a string where a bare
    // word belongs), not as a syntax error.
    let diags = check(&text);
    assert!(!codes(&diags, Severity::Error).contains(&"COE0001".to_string()));
    assert!(
        codes(&diags, Severity::Error).contains(&"COE0201".to_string()),
        "{diags:#?}"
    );
}

#[test]
fn inputs_given_twice_are_taken_once_and_output_is_deterministic() {
    let twice = import_fixtures(&[
        "fcos-template.json",
        "fcos-template.json",
        "fcos-image.json",
    ]);
    assert_eq!(twice.matches("template \"k8s-fcos-1.27\"").count(), 1);
    assert_eq!(import_fixtures(&FCOS), import_fixtures(&FCOS));
}

#[test]
fn several_documents_in_one_input_are_all_read() {
    let joined: String = FCOS.iter().map(|n| input(n).text).collect();
    let text = import_text(vec![inline("all.json", &joined)]);
    assert!(text.contains("cluster \"prod-k8s\""), "{text}");
    let diags = check(&text);
    assert_eq!(
        codes(&diags, Severity::Warning),
        ["COE0315", "COE0315"],
        "{diags:#?}"
    );
    assert_eq!(diags.len(), 2, "{diags:#?}");
}

#[test]
fn bad_inputs_are_errors_that_name_the_file() {
    let err = |text: &str| import(&[inline("bad.json", text)]).err().unwrap();
    let e = err("+-------+-------+\n| Field | Value |");
    assert!(e.starts_with("`bad.json` is not valid JSON"), "{e}");
    assert!(
        e.contains("`openstack coe cluster template show -f json`"),
        "{e}"
    );
    let e = err(r#"{"id": "x", "status": "ACTIVE"}"#);
    assert!(e.contains("is not a Magnum cluster template"), "{e}");
    let e = err(r#"{"coe": "kubernetes", "labels": "not a map"}"#);
    assert!(e.contains("`labels` of the cluster template"), "{e}");
    let e = err(r#"{"coe": "kubernetes", "docker_volume_size": [3]}"#);
    assert!(e.contains("expected an integer"), "{e}");
    let e = err("");
    assert!(e.contains("holds no JSON object"), "{e}");
}

// The built binary.

fn coe() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coe"));
    c.current_dir(fixture_dir());
    c
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn binary_writes_the_output_file_atomically_and_it_checks_clean() {
    let tmp = scratch();
    let dir = tmp.path();
    let out = dir.join("cluster.coe");
    let run = coe()
        .arg("import")
        .args(FCOS)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    assert!(run.stdout.is_empty());
    assert!(String::from_utf8_lossy(&run.stderr).contains("1 template, 1 cluster, 1 image"));
    let files: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert_eq!(files.len(), 1, "temporary file left behind: {files:?}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        import_fixtures(&FCOS)
    );
    let check = coe().arg("check").arg(&out).output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{check:?}");

    let seed = dir.join("seed.coe");
    let run = coe()
        .arg("import")
        .args(SEED)
        .arg("-o")
        .arg(&seed)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let check = coe().arg("check").arg(&seed).output().unwrap();
    assert_eq!(check.status.code(), Some(1), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("COE0308"));
}

#[test]
fn binary_reads_standard_input() {
    let mut child = coe()
        .args(["import", "-", "fcos-image.json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(input("fcos-template.json").text.as_bytes())
            .unwrap();
    }
    let run = child.wait_with_output().unwrap();
    assert!(run.status.success(), "{run:?}");
    let text = String::from_utf8(run.stdout).unwrap();
    assert!(
        text.starts_with("# Imported by `coe import` from standard input, fcos-image.json."),
        "{text}"
    );
    assert!(text.contains("template \"k8s-fcos-1.27\""), "{text}");
    assert!(has_attr(&text, "image", "\"fedora-coreos-38\""), "{text}");
}

#[test]
fn binary_reports_bad_input_with_exit_code_2() {
    let run = coe().args(["import", "nope.json"]).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot read `nope.json`"));

    let tmp = scratch();
    let dir = tmp.path();
    let bad = dir.join("table.txt");
    std::fs::write(&bad, "+-------+\n| Field |\n").unwrap();
    let out = dir.join("out.coe");
    let run = coe()
        .arg("import")
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.starts_with("coe: error: "), "{stderr}");
    assert!(stderr.contains("table.txt` is not valid JSON"), "{stderr}");
    assert!(!out.exists(), "nothing is written on error");

    let run = coe()
        .args(["import", "-", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
}

fn cli_fixture(name: &str) -> Input {
    input(&format!("cli/{name}"))
}

const CLI: [&str; 7] = [
    "flavor-list.json",
    "network-list-long.json",
    "subnet-list.json",
    "volume-type-list.json",
    "keypair-list.json",
    "image-list-long.json",
    "versions-show.json",
];

#[test]
fn the_openstack_clients_listings_make_a_cloud_block() {
    let imported = import(&CLI.iter().map(|n| cli_fixture(n)).collect::<Vec<_>>()).unwrap();
    assert_eq!(
        imported.facts.as_deref(),
        Some(
            "1 images, 3 flavors, 2 networks, 1 subnets, 1 keypairs, 2 volume types, volume_types, nova_microversion, octavia"
        )
    );
    // What the listings cannot tell is said, not guessed.
    let warnings = imported.warnings.join("\n");
    assert!(
        warnings.contains("does not show the images' os_distro"),
        "{warnings}"
    );
    assert!(
        warnings.contains("not active") && warnings.contains("upload-in-progress"),
        "{warnings}"
    );
    assert!(
        warnings.contains("does not mark the cloud's default type"),
        "{warnings}"
    );
    snapshot!("cli-cloud", imported.text);
}

#[test]
fn listings_fill_in_the_cloud_block_of_a_magnum_import() {
    let mut inputs: Vec<Input> = SEED.iter().map(|n| input(n)).collect();
    inputs.extend(
        [
            "flavor-list.json",
            "versions-show.json",
            "network-list-long.json",
        ]
        .map(cli_fixture),
    );
    let text = import_text(inputs);
    // The flavor's sizes and the microversion come from the listings; the
    // seed's image still has no os_distro, and check still says so.
    assert!(
        text.contains("flavor \"m1.small\" { id = \"2\"  vcpus = 1  ram = 2GiB  disk = 20GiB }"),
        "{text}"
    );
    assert!(has_attr(&text, "nova_microversion", "\"2.1\""), "{text}");
    let diags = check(&text);
    assert!(
        codes(&diags, Severity::Error)
            .iter()
            .any(|c| c == "COE0308"),
        "{diags:#?}"
    );
    // Listing a whole kind removes what the cloud does not have: the
    // seed's keypair stays (no keypair list was given).
    assert!(text.contains("keypair \"dxl-key\""), "{text}");
}

#[test]
fn an_empty_listing_is_left_out_with_a_warning() {
    let imported = import(&[inline("types.json", "[]")]).unwrap();
    assert!(
        imported.warnings[0].contains("cannot tell what it lists"),
        "{:?}",
        imported.warnings
    );
    assert!(imported.warnings[0].contains("volume_types = []"));
}
