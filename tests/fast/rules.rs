//! One test per rule path: each fails when its rule is removed. The base
//! configuration checks clean; each case changes one thing.

use coe::check::{Options, check_files};
use coe::source::SourceMap;

const CLOUD: &str = r#"
cloud "c" {
  nova_microversion = "2.60"
  octavia           = true
  volume_types      = ["ssd"]
  image "fcos"   { os_distro = "fedora-coreos"  id = "5b2f0f8e-6a51-4c8a-9a7e-0a9c3c4f5d61" }
  image "atomic" { os_distro = "fedora-atomic" }
  image "bare"   {}
  flavor "m1"    { vcpus = 2  ram = 4GiB  disk = 40GiB }
  flavor "diskless" { vcpus = 2  ram = 4GiB  disk = 0GiB }
  network "public"  { external = true }
  network "private" {}
  subnet "sub" { network = "private"  cidr = "10.20.1.0/24" }
  keypair "k" {}
  quota { clusters = 3  nodes = 12 }
}
"#;

/// The template body lines and cluster body lines of a configuration.
fn config(template: &str, cluster: &str) -> String {
    format!(
        "{CLOUD}\ntemplate \"t\" {{\n  coe = kubernetes\n  image = \"fcos\"\n  external_network = \"public\"\n  keypair = \"k\"\n  flavor = \"m1\"\n{template}\n}}\n\ncluster \"c1\" {{\n  template = template.t\n{cluster}\n}}\n"
    )
}

fn diagnostics(text: &str, options: &Options) -> Vec<(String, String)> {
    let mut sources = SourceMap::new();
    let id = sources.add_text("test.coe", text);
    check_files(&mut sources, &[id], options)
        .diagnostics
        .into_iter()
        .map(|d| (d.code.to_string(), d.message))
        .collect()
}

fn codes(template: &str, cluster: &str) -> Vec<String> {
    diagnostics(&config(template, cluster), &Options::default())
        .into_iter()
        .map(|(c, _)| c)
        .collect()
}

#[track_caller]
fn expect_text(text: &str, code: &str) {
    let found = diagnostics(text, &Options::default());
    assert!(
        found.iter().any(|(c, _)| c == code),
        "expected {code}, found {found:#?}\n{text}"
    );
}

#[track_caller]
fn expect(template: &str, cluster: &str, code: &str) {
    let text = config(template, cluster);
    let found = diagnostics(&text, &Options::default());
    assert!(
        found.iter().any(|(c, _)| c == code),
        "expected {code}, found {found:#?}\n{text}"
    );
}

#[test]
fn the_base_configuration_is_clean() {
    assert_eq!(codes("", ""), Vec::<String>::new());
}

#[test]
fn unsupported_coe_and_wrong_case() {
    let text = config("", "").replace("coe = kubernetes", "coe = dcos");
    expect_text(&text, "COE0301");
    let text = config("", "").replace("coe = kubernetes", "coe = Kubernetes");
    expect_text(&text, "COE0202");
}

#[test]
fn server_network_volume_and_storage_drivers() {
    expect("  server_type = bmm", "", "COE0302");
    expect("  network_driver = weave", "", "COE0303");
    expect("  network_driver = Calico", "", "COE0202");
    expect("  network_driver = cilium", "", "COE0304");
    expect("  volume_driver = rexray", "", "COE0305");
    expect("  docker_storage_driver = zfs", "", "COE0312");
    // fedora-coreos cannot use devicemapper
    expect(
        "  docker_storage_driver = devicemapper\n  docker_volume_size = 5GiB",
        "",
        "COE0312",
    );
}

#[test]
fn devicemapper_needs_three_gigabytes() {
    let atomic = "  docker_storage_driver = devicemapper";
    let text = config(atomic, "").replace("image = \"fcos\"", "image = \"atomic\"");
    expect_text(&text, "COE0306");
    let text = config(&format!("{atomic}\n  docker_volume_size = 2GiB"), "")
        .replace("image = \"fcos\"", "image = \"atomic\"");
    expect_text(&text, "COE0306");
    let text = config(
        &format!("{atomic}\n  docker_volume_size = 5GiB"),
        "  docker_volume_size = 1GiB",
    )
    .replace("image = \"fcos\"", "image = \"atomic\"");
    expect_text(&text, "COE0306");
}

#[test]
fn driver_selection() {
    let text = config("", "").replace("image = \"fcos\"", "image = \"bare\"");
    let found = diagnostics(&text, &Options::default());
    let d = found.iter().find(|(c, _)| c == "COE0308").expect("COE0308");
    assert!(d.1.contains("`bare`"), "names the image: {}", d.1);
    expect("  cluster_distro = \"ubuntu\"", "", "COE0307");
    expect("  driver = \"k8s_nope\"", "", "COE0307");
}

#[test]
fn images_can_be_named_by_id() {
    let text = config("", "").replace(
        "image = \"fcos\"",
        "image = \"5b2f0f8e-6a51-4c8a-9a7e-0a9c3c4f5d61\"",
    );
    assert_eq!(diagnostics(&text, &Options::default()), vec![]);
}

#[test]
fn master_counts() {
    expect("", "  master_count = 3", "COE0309");
    expect(
        "  master_lb_enabled = true",
        "  master_count = 2",
        "COE0310",
    );
    expect("", "  master_count = 0", "COE0204");
    expect("", "  node_count = -1", "COE0204");
    assert!(codes("  master_lb_enabled = true", "  master_count = 3").is_empty());
}

#[test]
fn names_and_stack_names() {
    let text = format!(
        "{}\ncluster \"C1\" {{ template = template.t }}\n",
        config("", "")
    );
    expect_text(&text, "COE0110");
    let text = config("", "").replace("cluster \"c1\"", "cluster \"1c\"");
    expect_text(&text, "COE0111");
}

#[test]
fn labels() {
    expect("  labels { flannel_backend = \"gre\" }", "", "COE0402");
    expect("  labels { flannel_backend = \"VXLAN\" }", "", "COE0202");
    expect("  labels { flannel_bakend = \"vxlan\" }", "", "COE0401");
    expect(
        "  labels { container_infra_prefix = \"registry.io\" }",
        "",
        "COE0402",
    );
    expect("  labels { etcd_volume_size = \"ten\" }", "", "COE0402");
    expect(
        "  labels { calico_ipv4pool = \"10.100.0.1/16\" }",
        "",
        "COE0402",
    );
    expect("  labels { prometheus_monitoring = true }", "", "COE0403");
    expect("  labels { swarm_strategy = \"spread\" }", "", "COE0404");
    expect(
        "  labels { kube_tag = \"v1.30.6\" }",
        "  labels { node_count_hint = \"x\" }",
        "COE0406",
    );
    expect(
        "  labels { service_cluster_ip_range = \"10.0.0.0/16\" }",
        "",
        "COE0407",
    );
    expect(
        "  volume_driver = cinder\n  labels { cloud_provider_enabled = false }",
        "",
        "COE0314",
    );
    // label sets resolve and merge
    expect("  label_sets = [labels.nope]", "", "COE0107");
}

#[test]
fn unknown_labels_can_be_errors() {
    let text = config("  labels { my_vendor_flag = \"x\" }", "");
    let strict = Options {
        deny_unknown_labels: true,
        ..Options::default()
    };
    let mut sources = SourceMap::new();
    let id = sources.add_text("t.coe", &text);
    let checked = check_files(&mut sources, &[id], &strict);
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code.to_string() == "COE0401" && d.is_error())
    );
}

#[test]
fn a_settings_block_makes_unknown_labels_errors() {
    let text = format!(
        "settings {{ unknown_labels = error }}\n{}",
        config("  labels { my_vendor_flag = \"x\" }", "")
    );
    let mut sources = SourceMap::new();
    let id = sources.add_text("t.coe", &text);
    let checked = check_files(&mut sources, &[id], &Options::default());
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code.to_string() == "COE0401" && d.is_error())
    );
}

#[test]
fn secrets_are_never_printed() {
    // A vendor's secret label that something reads (the catalogue's own
    // secrets are refused while nothing does) in one configuration, and a
    // refused one in the other: neither value is ever printed.
    let vendor = format!(
        "{}\nlabel \"site_token\" {{\n  secret = true\n  coes = [kubernetes]\n  description = \"a vendor token\"\n  effect = \"read by the site's environment file\"\n}}\n",
        config(
            "  labels { site_token = \"hunter2-secret\" }",
            "  labels { site_token = \"s3cr3t-too\"\n kube_tag = \"v1.30.6\" }",
        )
    );
    let refused = config(
        "",
        "  labels { grafana_admin_passwd = \"hunter2-refused\" }",
    );
    for (text, clean) in [(vendor, true), (refused, false)] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("c.coe"), text).unwrap();
        for args in [
            vec!["labels"],
            vec!["labels", "--json"],
            vec!["check"],
            vec!["check", "--format", "json"],
        ] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_coe"))
                .args(&args)
                .arg(dir)
                .output()
                .unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                !all.contains("hunter2") && !all.contains("s3cr3t"),
                "{args:?} printed a secret:\n{all}"
            );
            assert_eq!(out.status.success(), clean, "{args:?}: {all}");
            if clean && args[0] == "labels" {
                assert!(all.contains("(sensitive)"), "{all}");
            }
            if !clean && args[0] == "check" {
                assert!(all.contains("COE0409"), "{all}");
            }
        }
    }
}

#[test]
fn vendor_labels_are_declared_in_coe() {
    let text = format!(
        "{}\nlabel \"my_vendor_flag\" {{\n  type = bool\n  coes = [kubernetes]\n  description = \"a vendor switch\"\n  effect = \"read by the site's environment file\"\n}}\n",
        config("  labels { my_vendor_flag = true }", "")
    );
    assert_eq!(diagnostics(&text, &Options::default()), vec![]);
    let bad = text.replace("my_vendor_flag = true", "my_vendor_flag = \"maybe\"");
    expect_text(&bad, "COE0402");
}

#[test]
fn vendor_drivers_are_declared_in_coe() {
    let text = config("", "")
        .replace(
            "image \"bare\"   {}",
            "image \"bare\" { os_distro = \"flatcar\" }",
        )
        .replace("image = \"fcos\"", "image = \"bare\"");
    expect_text(&text, "COE0307");
    let with_driver = format!(
        "{text}\ndriver \"k8s_flatcar_v1\" {{\n  server_type = vm\n  os_distro = \"flatcar\"\n  coe = kubernetes\n  storage_drivers = [overlay2]\n  network_drivers = [flannel, calico]\n}}\n"
    );
    assert_eq!(diagnostics(&with_driver, &Options::default()), vec![]);
}

#[test]
fn boot_options() {
    expect(
        "",
        "  labels {\n    instance_store_type = \"local\"\n    instance_store_uuid = \"a3239e52-2902-44ac-81ff-3c28ead35e98\"\n  }",
        "COE0405",
    );
    expect(
        "",
        "  labels { instance_store_type = \"local\" }",
        "COE0205",
    );
    expect("", "  labels { instance_store_uuid = \"nope\" }", "COE0205");
    expect("", "  boot { instance_store = local(\"abc\") }", "COE0205");
    expect("", "  boot { instance_store = local }", "COE0205");
    expect("", "  boot { image_store = volume }", "COE0203");
    expect(
        "",
        "  boot { instance_store = volume }\n  labels { instance_store_type = \"local\"\n instance_store_uuid = \"a3239e52-2902-44ac-81ff-3c28ead35e98\" }",
        "COE0408",
    );
    assert!(
        codes(
            "",
            "  boot {\n    instance_store = volume\n    image_store = glance\n  }"
        )
        .is_empty()
    );
}

#[test]
fn cloud_resources() {
    expect("", "  flavor = \"m2\"", "COE0502");
    expect("", "  keypair = \"other\"", "COE0504");
    expect("  fixed_network = \"nope\"", "", "COE0503");
    expect("  fixed_subnet = \"nope\"", "", "COE0511");
    expect("  fixed_network = \"private\"", "", "COE0512");
    assert!(
        codes(
            "  fixed_network = \"private\"\n  fixed_subnet = \"sub\"",
            ""
        )
        .is_empty()
    );
    let text = config("", "").replace(
        "external_network = \"public\"",
        "external_network = \"private\"",
    );
    expect_text(&text, "COE0505");
    let text = config("", "").replace("image = \"fcos\"", "image = \"fcos2\"");
    expect_text(&text, "COE0501");
}

#[test]
fn cloud_capabilities() {
    let old_nova = config("", "").replace("\"2.60\"", "\"2.14\"");
    expect_text(&old_nova, "COE0506");
    let hard =
        config("  nodes_affinity_policy = anti-affinity", "").replace("\"2.60\"", "\"2.14\"");
    assert_eq!(diagnostics(&hard, &Options::default()), vec![]);
    expect(
        "  docker_volume_size = 5GiB\n  labels { docker_volume_type = \"hdd\" }",
        "",
        "COE0507",
    );
    let no_types = config("  docker_volume_size = 5GiB", "")
        .replace("volume_types      = [\"ssd\"]", "volume_types = []");
    expect_text(&no_types, "COE0507");
    let no_types = config("  labels { etcd_volume_size = 5 }", "")
        .replace("volume_types      = [\"ssd\"]", "volume_types = []");
    expect_text(&no_types, "COE0507");
    let no_lb = config("  master_lb_enabled = true", "")
        .replace("octavia           = true", "octavia = false");
    expect_text(&no_lb, "COE0508");
    let no_lb = config("  labels { ingress_controller = \"octavia\" }", "")
        .replace("octavia           = true", "octavia = false");
    expect_text(&no_lb, "COE0508");
    expect("", "  flavor = \"diskless\"", "COE0509");
    assert!(
        codes(
            "",
            "  flavor = \"diskless\"\n  labels { boot_volume_size = 20 }"
        )
        .iter()
        .all(|c| c != "COE0509")
    );
}

#[test]
fn quotas() {
    let mut text = config("", "  node_count = 2");
    for i in 2..=4 {
        text.push_str(&format!("cluster \"c{i}\" {{ template = template.t }}\n"));
    }
    assert!(
        diagnostics(&text, &Options::default())
            .iter()
            .any(|(c, m)| c == "COE0510" && m.contains("clusters"))
    );
    assert!(
        diagnostics(&config("", "  node_count = 20"), &Options::default())
            .iter()
            .any(|(c, m)| c == "COE0510" && m.contains("node"))
    );
}

#[test]
fn constants() {
    let base = config("", "");
    let cycle = format!("let a = \"${{b}}\"\nlet b = \"${{a}}\"\n{base}");
    expect_text(&cycle, "COE0109");
    let undefined = format!("let a = \"${{nope}}\"\n{base}");
    expect_text(&undefined, "COE0108");
    let shadow = format!("let flannel = \"x\"\n{base}");
    expect_text(&shadow, "COE0112");
    let list = format!("let l = [1]\nlet s = \"${{l}}\"\n{base}");
    expect_text(&list, "COE0209");
}

#[test]
fn several_clouds_need_a_choice() {
    let text = format!("{}\ncloud \"other\" {{}}\n", config("", ""));
    expect_text(&text, "COE0113");
    let chosen = text.replace("coe = kubernetes", "coe = kubernetes\n  cloud = cloud.c");
    assert_eq!(diagnostics(&chosen, &Options::default()), vec![]);
}

#[test]
fn structure() {
    expect("  netwrok_driver = flannel", "", "COE0102");
    expect("  flannel_backend = \"vxlan\"", "", "COE0102");
    expect("  lables { }", "", "COE0101");
    expect("  flavor = \"m1\"", "", "COE0103");
    let text = format!(
        "{}\ncluster \"c1\" {{ template = template.t }}\n",
        config("", "")
    );
    expect_text(&text, "COE0104");
    let text = config("", "").replace("  external_network = \"public\"\n", "");
    expect_text(&text, "COE0105");
    let text = format!("{}\ncluster {{ template = template.t }}\n", config("", ""));
    expect_text(&text, "COE0106");
    expect("", "  boot \"x\" { }", "COE0114");
    let text = config("", "").replace("template = template.t", "template = template.nope");
    expect_text(&text, "COE0107");
}

#[test]
fn value_types() {
    expect("  tls_disabled = \"yes\"", "", "COE0201");
    expect("  apiserver_port = 80", "", "COE0204");
    expect("  dns_nameserver = \"dns.example.com\"", "", "COE0207");
    expect("  http_proxy = \"proxy:3128\"", "", "COE0210");
    expect("  docker_volume_size = 512MiB", "", "COE0208");
    expect("  nodes_affinity_policy = sof-anti-affinity", "", "COE0203");
}

#[test]
fn a_label_value_the_build_ignores_is_reported() {
    // with node floating IPs on, `false` cannot take the API's away
    expect(
        "  master_lb_enabled = true\n  labels { master_lb_floating_ip_enabled = false }",
        "",
        "COE0409",
    );
    let quiet = config(
        "  master_lb_enabled = true\n  floating_ip_enabled = false\n  labels { master_lb_floating_ip_enabled = true }",
        "",
    );
    assert!(
        !diagnostics(&quiet, &Options::default())
            .iter()
            .any(|(c, _)| c == "COE0409"),
        "{quiet}"
    );
}

#[test]
fn allowed_cidrs_are_ipv4_networks() {
    for bad in ["10.0.0.1/24", "office", "", "10.0.0.0/24,,x"] {
        expect(
            "",
            &format!("  labels {{ master_lb_allowed_cidrs = \"{bad}\" }}"),
            "COE0402",
        );
    }
    let good = config(
        "  master_lb_enabled = true",
        "  master_count = 3\n  labels { master_lb_allowed_cidrs = \"198.51.100.0/24, 203.0.113.0/24\" }",
    );
    assert_eq!(diagnostics(&good, &Options::default()), vec![]);
}
