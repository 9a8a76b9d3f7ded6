//! `cargo bench --bench check`: `coe check` throughput on a generated
//! configuration of more than 5,000 clusters and 10 MB, beside the raw pest
//! parse rate measured in the same run (the baseline), and peak memory.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const TEMPLATES: usize = 100;
const CLUSTERS: usize = 14_000;

fn generate() -> String {
    let mut s = String::with_capacity(12 << 20);
    s.push_str("cloud \"bench\" {\n  heat_template_version = wallaby\n  nova_microversion = \"2.88\"\n  octavia = true\n  volume_types = [\"ssd\"]\n");
    s.push_str("  image \"fcos\" { os_distro = \"fedora-coreos\" }\n  flavor \"m1\" { vcpus = 2  ram = 4GiB  disk = 40GiB }\n  network \"public\" { external = true }\n  keypair \"k\" {}\n}\n\n");
    for t in 0..TEMPLATES {
        let _ = write!(
            s,
            "template \"t{t}\" {{\n  coe = kubernetes\n  image = \"fcos\"\n  keypair = \"k\"\n  external_network = \"public\"\n  flavor = \"m1\"\n  master_flavor = \"m1\"\n  network_driver = calico\n  volume_driver = cinder\n  docker_volume_size = 20GiB\n  master_lb_enabled = true\n  labels {{\n    kube_tag = \"v1.27.{t}\"\n    docker_volume_type = \"ssd\"\n    calico_ipv4pool = \"10.100.0.0/16\"\n  }}\n}}\n\n"
        );
    }
    for c in 0..CLUSTERS {
        let _ = write!(
            s,
            "# cluster number {c}, generated for the benchmark\ncluster \"cluster-{c:05}\" {{\n  template = template.t{}\n  master_count = 3\n  node_count = {}\n  create_timeout = 1h30m\n  merge_labels = true\n  labels {{\n",
            c % TEMPLATES,
            1 + c % 20
        );
        for (k, v) in [
            ("monitoring_enabled", "true"),
            ("monitoring_retention_days", "30"),
            ("auto_healing_enabled", "true"),
            ("auto_scaling_enabled", "true"),
            ("max_node_count", "25"),
            ("min_node_count", "1"),
            ("cgroup_driver", "\"systemd\""),
            ("container_runtime", "\"containerd\""),
            ("selinux_mode", "\"permissive\""),
            (
                "kubelet_options",
                "\"--max-pods=110 --image-gc-high-threshold=85\"",
            ),
            ("kubeapi_options", "\"--audit-log-maxage=30\""),
            ("etcd_volume_size", "20"),
            ("etcd_volume_type", "\"ssd\""),
            ("availability_zone", "\"nova\""),
            ("cinder_csi_enabled", "true"),
            ("metrics_server_enabled", "true"),
        ] {
            let _ = writeln!(s, "    {k} = {v}");
        }
        s.push_str("  }\n}\n\n");
    }
    s
}

/// Peak resident memory of finished child processes, in MiB.
fn children_peak_mib() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let text = generate();
    let path = dir.join("large.coe");
    std::fs::write(&path, &text).unwrap();
    let mb = text.len() as f64 / 1e6;
    println!(
        "input: {CLUSTERS} clusters, {TEMPLATES} templates, {mb:.1} MB ({})",
        path.display()
    );

    // Baseline: the grammar alone, no tree, best of 3.
    let mut pest_best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        assert!(coe::syntax::pest_only(&text), "generated input must parse");
        pest_best = pest_best.min(t.elapsed().as_secs_f64());
    }

    // The whole front end as users run it: the coe binary, best of 3.
    let exe = env!("CARGO_BIN_EXE_coe");
    let mut check_best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let out = Command::new(exe)
            .args(["check", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        check_best = check_best.min(t.elapsed().as_secs_f64());
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
        assert_eq!(
            report["summary"]["errors"], 0,
            "the generated configuration must check clean"
        );
    }
    let peak = children_peak_mib();

    println!(
        "pest grammar only : {:>7.1} MB/s ({pest_best:.3} s)",
        mb / pest_best
    );
    println!(
        "coe check (binary): {:>7.1} MB/s ({check_best:.3} s, peak memory {peak:.0} MiB)",
        mb / check_best
    );
    println!(
        "ratio             : coe check runs at {:.0}% of pest's raw rate",
        100.0 * pest_best / check_best
    );
}
