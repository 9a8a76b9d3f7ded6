//! `cargo bench --bench check`: `coe check` throughput on a generated
//! configuration of more than 5,000 clusters and 10 MB, beside the raw pest
//! parse rate measured in the same run (the baseline), and peak memory; then
//! `coe build` time per cluster on the same input and on one small example.

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

/// Runs a command; returns its stdout, whether it succeeded, wall time and its own peak memory (MiB).
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its rusage
fn run_measured(cmd: &mut Command) -> (Vec<u8>, bool, f64, f64) {
    use std::io::Read;
    let t = Instant::now();
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 reaps our own child and writes into structs we own.
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let secs = t.elapsed().as_secs_f64();
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (stdout, ok, secs, usage.ru_maxrss as f64 / 1024.0)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` starts this
    // binary without it. A measurement is not a test: then it does nothing.
    if !std::env::args().any(|a| a == "--bench") {
        println!("a benchmark, not a test: run it with `cargo bench --bench check`");
        return;
    }
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
    let mut peak: f64 = 0.0;
    for _ in 0..3 {
        let (stdout, _, secs, rss) = run_measured(
            Command::new(exe)
                .args(["check", "--format", "json"])
                .arg(&path),
        );
        check_best = check_best.min(secs);
        peak = peak.max(rss);
        let report: serde_json::Value = serde_json::from_slice(&stdout).expect("json output");
        assert_eq!(
            report["summary"]["errors"], 0,
            "the generated configuration must check clean"
        );
    }

    // `coe build` on the same input, for the first WRITTEN clusters (all 14,000
    // bundles would be gigabytes of identical templates on disk).
    const WRITTEN: usize = 200;
    let out_dir = dir.join("build-out");
    let _ = std::fs::remove_dir_all(&out_dir);
    let mut cmd = Command::new(exe);
    cmd.args(["build", "-o"]).arg(&out_dir).arg(&path);
    for c in 0..WRITTEN {
        cmd.arg("--cluster").arg(format!("cluster-{c:05}"));
    }
    let (stdout, ok, build_secs, build_peak) = run_measured(&mut cmd);
    assert!(ok, "coe build failed: {}", String::from_utf8_lossy(&stdout));
    let _ = std::fs::remove_dir_all(&out_dir);

    // One small cluster, as users mostly build: per-cluster cost including start-up.
    let small = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/seed-fixed");
    let small_out = dir.join("build-small");
    let mut small_best = f64::MAX;
    for _ in 0..5 {
        let (_, ok, secs, _) = run_measured(
            Command::new(exe)
                .args(["build", "-o"])
                .arg(&small_out)
                .arg(&small),
        );
        small_best = small_best.min(secs);
        assert!(ok);
    }
    let _ = std::fs::remove_dir_all(&small_out);

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
    println!(
        "coe build         : {build_secs:.2} s to check all {CLUSTERS} clusters and compile and write {WRITTEN} bundles \
         = {:.2} ms per bundle beyond the check (peak memory {build_peak:.0} MiB)",
        1000.0 * (build_secs - check_best).max(0.0) / WRITTEN as f64
    );
    println!(
        "coe build, 1 small cluster (examples/seed-fixed, whole process): {:.1} ms",
        small_best * 1000.0
    );
}
