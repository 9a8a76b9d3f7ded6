//! `cargo bench --bench check`: issue 12's goals, each as a ratio against a
//! baseline measured in the same run.
//!
//! 1. The peer workload of `../shared/bench` (N templates + N clusters, the
//!    same rules in Jsonnet), when `scripts/bench` has generated it into
//!    `target/bench/peer` (`COE_BENCH_PEER`): `coe check` in its default
//!    human output and in JSON, beside pest's raw parse of the same text and
//!    beside jrsonnet (`COE_BENCH_JRSONNET`) on the same data, with MB/s,
//!    clusters/s and peak memory against the input's size.
//! 2. Rendering: 10,000 diagnostics on a 10 MB file in every format, beside
//!    the same check with none.
//! 3. `coe check` on a generated clean configuration of more than 10 MB.
//! 4. `coe build` of 1,000 clusters beside copying what it wrote.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const TEMPLATES: usize = 100;
const CLUSTERS: usize = 14_000;

/// A configuration of `clusters` clusters over `templates` templates; the
/// first `unknown` clusters each set an attribute that does not exist
/// (one COE0102 each).
fn generate_with(templates: usize, clusters: usize, unknown: usize) -> String {
    let text = generate_clean(templates, clusters);
    if unknown == 0 {
        return text;
    }
    let mut out = String::with_capacity(text.len() + unknown * 20);
    let mut seen = 0;
    for line in text.split_inclusive('\n') {
        out.push_str(line);
        if seen < unknown && line.starts_with("cluster \"") {
            out.push_str("  colour = \"blue\"\n");
            seen += 1;
        }
    }
    out
}

fn generate() -> String {
    generate_clean(TEMPLATES, CLUSTERS)
}

fn generate_clean(templates: usize, clusters: usize) -> String {
    let mut s = String::with_capacity(12 << 20);
    s.push_str("cloud \"bench\" {\n  heat_template_version = wallaby\n  nova_microversion = \"2.88\"\n  octavia = true\n  volume_types = [\"ssd\"]\n");
    s.push_str("  image \"fcos\" { os_distro = \"fedora-coreos\" }\n  flavor \"m1\" { vcpus = 2  ram = 4GiB  disk = 40GiB }\n  network \"public\" { external = true }\n  keypair \"k\" {}\n}\n\n");
    for t in 0..templates {
        let _ = write!(
            s,
            "template \"t{t}\" {{\n  coe = kubernetes\n  image = \"fcos\"\n  keypair = \"k\"\n  external_network = \"public\"\n  flavor = \"m1\"\n  master_flavor = \"m1\"\n  network_driver = calico\n  docker_volume_size = 20GiB\n  master_lb_enabled = true\n  labels {{\n    kube_tag = \"v1.27.{t}\"\n    docker_volume_type = \"ssd\"\n    calico_ipv4pool = \"10.100.0.0/16\"\n  }}\n}}\n\n"
        );
    }
    for c in 0..clusters {
        let _ = write!(
            s,
            "# cluster number {c}, generated for the benchmark\ncluster \"cluster-{c:05}\" {{\n  template = template.t{}\n  master_count = 3\n  node_count = {}\n  create_timeout = 1h30m\n  merge_labels = true\n  labels {{\n",
            c % templates,
            1 + c % 20
        );
        // Sixteen labels coe acts on for this driver: a clean check.
        for (k, v) in [
            (
                "kubelet_options",
                "\"--max-pods=110 --image-gc-high-threshold=85\"",
            ),
            ("kubeapi_options", "\"--audit-log-maxage=30\""),
            ("kubecontroller_options", "\"--node-monitor-period=5s\""),
            ("kubescheduler_options", "\"--v=2\""),
            ("etcd_volume_size", "20"),
            ("etcd_volume_type", "\"ssd\""),
            ("availability_zone", "\"nova\""),
            ("selinux_mode", "\"permissive\""),
            ("container_runtime", "\"containerd\""),
            ("boot_volume_size", "40"),
            ("boot_volume_type", "\"ssd\""),
            ("master_lb_floating_ip_enabled", "true"),
            ("kubeproxy_options", "\"--proxy-mode=ipvs\""),
            ("master_lb_allowed_cidrs", "\"10.0.0.0/8\""),
            ("calico_tag", "\"v3.26.4\""),
            ("container_infra_prefix", "\"registry.example.com/k8s/\""),
        ] {
            let _ = writeln!(s, "    {k} = {v}");
        }
        s.push_str("  }\n}\n\n");
    }
    s
}

/// Runs a command; returns its stdout, whether it succeeded, wall time and its own peak memory (MiB).
///
/// The command is started by a copy of this binary ([`launch`]), because a
/// child's `ru_maxrss` counts the memory of the process it was forked from
/// before its exec: forked from this benchmark, which holds the inputs and
/// outputs of every measurement, each command seemed to use as much as the
/// benchmark (243 MiB for all of them in one run).
fn run_measured(cmd: &mut Command) -> (Vec<u8>, bool, f64, f64) {
    use std::io::Read;
    let peak_file = std::env::temp_dir().join(format!("coe-bench-peak-{}", std::process::id()));
    let mut launcher = Command::new(std::env::current_exe().unwrap());
    launcher
        .arg(LAUNCH)
        .arg(&peak_file)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdout(std::process::Stdio::piped());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => launcher.env(key, v),
            None => launcher.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        launcher.current_dir(dir);
    }
    let t = Instant::now();
    let mut child = launcher.spawn().unwrap();
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    let ok = child.wait().unwrap().success();
    let secs = t.elapsed().as_secs_f64();
    let kib: f64 = std::fs::read_to_string(&peak_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _ = std::fs::remove_file(&peak_file);
    (stdout, ok, secs, kib / 1024.0)
}

/// The first argument of this binary started as a launcher.
const LAUNCH: &str = "--launch-measured";

/// `LAUNCH PEAK_FILE PROGRAM ARGS...`: runs the program from this small
/// process, writes its peak resident memory (KiB) to PEAK_FILE and exits
/// with its status.
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its rusage
fn launch(mut args: impl Iterator<Item = std::ffi::OsString>) -> ! {
    let peak_file = args.next().unwrap();
    let program = args.next().unwrap();
    let child = Command::new(program).args(args).spawn().unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 reaps our own child and writes into structs we own.
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    std::fs::write(peak_file, usage.ru_maxrss.to_string()).unwrap();
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    std::process::exit(if ok { 0 } else { 1 });
}

/// The median of `runs` measured runs of a command: (seconds, peak MiB, stdout of the last, ok).
fn median_of(runs: usize, mut make: impl FnMut() -> Command) -> (f64, f64, Vec<u8>, bool) {
    let mut times = Vec::new();
    let mut peak: f64 = 0.0;
    let mut last = (Vec::new(), false);
    for _ in 0..runs {
        let (stdout, ok, secs, rss) = run_measured(&mut make());
        times.push(secs);
        peak = peak.max(rss);
        last = (stdout, ok);
    }
    times.sort_by(f64::total_cmp);
    (times[runs / 2], peak, last.0, last.1)
}

fn best_in_process(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// Part 1: the peer workload beside pest and jrsonnet.
fn peer(exe: &str) {
    let Some(dir) = std::env::var_os("COE_BENCH_PEER").map(PathBuf::from) else {
        println!("peer workload: skipped (run scripts/bench, which generates it)");
        return;
    };
    let n: usize = std::env::var("COE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let coe_file = dir.join(format!("data-{n}.coe"));
    let json_file = dir.join(format!("data-{n}.json"));
    let text = std::fs::read_to_string(&coe_file).expect("the peer workload's .coe file");
    let mb = text.len() as f64 / 1e6;
    let input_mib = text.len() as f64 / (1 << 20) as f64;
    println!(
        "== peer workload: {n} templates + {n} clusters, {mb:.1} MB of .coe ({})",
        coe_file.display()
    );
    let pest = best_in_process(3, || assert!(coe::syntax::pest_only(&text)));
    let parse = best_in_process(3, || {
        let p = coe::syntax::parse(Default::default(), &text);
        assert_eq!(p.grammar_errors, 0);
    });
    let check_dir = coe_file.parent().unwrap().join(format!("check-{n}"));
    let _ = std::fs::create_dir_all(&check_dir);
    let _ = std::fs::copy(&coe_file, check_dir.join("data.coe"));
    let (human, human_peak, out, _) = median_of(3, || {
        let mut c = Command::new(exe);
        c.args(["check", "--color", "never"]).arg(&check_dir);
        c
    });
    let summary = String::from_utf8_lossy(&out)
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    let (json, json_peak, _, _) = median_of(3, || {
        let mut c = Command::new(exe);
        c.args(["check", "--format", "json"]).arg(&check_dir);
        c
    });
    println!("pest grammar only          : {:>8.1} MB/s", mb / pest);
    println!(
        "coe parser (tree + AST)    : {:>8.1} MB/s  ({:.0}% of pest's rate)",
        mb / parse,
        100.0 * pest / parse
    );
    println!(
        "coe check (human, default) : {:>8.1} MB/s  {:>9.0} clusters/s  {human:.2} s  peak {human_peak:.0} MiB = {:.1}x the input  [{summary}]",
        mb / human,
        n as f64 / human,
        human_peak / input_mib
    );
    println!(
        "coe check --format json    : {:>8.1} MB/s  {:>9.0} clusters/s  {json:.2} s  peak {json_peak:.0} MiB = {:.1}x the input",
        mb / json,
        n as f64 / json,
        json_peak / input_mib
    );
    let jrsonnet = std::env::var_os("COE_BENCH_JRSONNET");
    let rules = std::env::var_os("COE_BENCH_PEER_RULES").map(PathBuf::from);
    match (jrsonnet, rules) {
        (Some(j), Some(rules)) => {
            let (secs, peak, _, ok) = median_of(3, || {
                let mut c = Command::new(&j);
                c.arg("-S")
                    .arg("--tla-code-file")
                    .arg(format!("data={}", json_file.display()))
                    .arg(rules.join("main_tla.jsonnet"));
                c
            });
            assert!(ok, "jrsonnet failed");
            let json_mib = std::fs::metadata(&json_file).unwrap().len() as f64 / (1 << 20) as f64;
            println!(
                "jrsonnet (same rules)      : {:>9.0} clusters/s  {secs:.2} s  peak {peak:.0} MiB = {:.1}x its input",
                n as f64 / secs,
                peak / json_mib
            );
            println!(
                "goal: coe check >= 15 MB/s: {:.1} MB/s, {}",
                mb / human,
                verdict(mb / human >= 15.0)
            );
            println!(
                "goal: >= 10x jrsonnet's clusters/s: {:.1}x, {}",
                secs / human,
                verdict(secs / human >= 10.0)
            );
            println!(
                "goal: peak memory <= 5x the input: {:.1}x, {}",
                human_peak / input_mib,
                verdict(human_peak / input_mib <= 5.0)
            );
        }
        _ => println!("jrsonnet: skipped (scripts/bench installs it and sets COE_BENCH_JRSONNET)"),
    }
}

/// Part 2: 10,000 diagnostics on a 10 MB file, in every format.
fn rendering(exe: &str, dir: &std::path::Path) {
    let clean = generate_with(TEMPLATES, 11_500, 0);
    let noisy = generate_with(TEMPLATES, 11_500, 10_000);
    let clean_path = dir.join("render-clean.coe");
    let noisy_path = dir.join("render-noisy.coe");
    std::fs::write(&clean_path, &clean).unwrap();
    std::fs::write(&noisy_path, &noisy).unwrap();
    println!(
        "== rendering: 10,000 diagnostics on a {:.1} MB file",
        noisy.len() as f64 / 1e6
    );
    let (base, _, _, _) = median_of(3, || {
        let mut c = Command::new(exe);
        c.args(["check", "--format", "json"]).arg(&clean_path);
        c
    });
    println!("check, no diagnostics      : {base:.2} s");
    for format in ["human", "json", "sarif", "github"] {
        let (secs, _, out, _) = median_of(3, || {
            let mut c = Command::new(exe);
            c.args(["check", "--color", "never", "--format", format])
                .arg(&noisy_path);
            c
        });
        let render = (secs - base).max(0.0);
        println!(
            "{format:<7}: {secs:.2} s, {render:.2} s beyond the clean check ({:.1} MB of output); goal under 1 s: {}",
            out.len() as f64 / 1e6,
            verdict(render < 1.0)
        );
    }
}

/// Part 4: `coe build` of 1,000 clusters beside copying its output.
fn build(exe: &str, dir: &std::path::Path) {
    let text = generate_with(20, 1000, 0);
    let input = dir.join("build-1000.coe");
    std::fs::write(&input, &text).unwrap();
    let out = dir.join("build-out");
    let copy = dir.join("build-copy");
    let (secs, peak, stdout, ok) = median_of(3, || {
        let _ = std::fs::remove_dir_all(&out);
        let mut c = Command::new(exe);
        c.args(["build", "-o"]).arg(&out).arg(&input);
        c
    });
    assert!(ok, "coe build failed: {}", String::from_utf8_lossy(&stdout));
    let du = |p: &std::path::Path| -> String {
        let o = Command::new("du").args(["-sh"]).arg(p).output().unwrap();
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .next()
            .unwrap_or("?")
            .to_string()
    };
    // The baseline: the same tree copied, hard links kept (cp -a writes
    // what build wrote, and links what it linked).
    let (cp, _, _, cp_ok) = median_of(3, || {
        let _ = std::fs::remove_dir_all(&copy);
        let mut c = Command::new("cp");
        c.arg("-a").arg(&out).arg(&copy);
        c
    });
    assert!(cp_ok);
    let (check, _, _, _) = median_of(3, || {
        let mut c = Command::new(exe);
        c.args(["check", "--format", "json"]).arg(&input);
        c
    });
    println!(
        "== build: 1,000 clusters ({:.1} MB of .coe)",
        text.len() as f64 / 1e6
    );
    println!(
        "coe build: {secs:.2} s (its check alone {check:.2} s), wrote {} on disk, peak {peak:.0} MiB; cp -a of the result: {cp:.2} s",
        du(&out)
    );
    println!(
        "goal: build within 2x of writing its output: {:.1}x, {}",
        secs / cp,
        verdict(secs / cp <= 2.0)
    );
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&copy);
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == LAUNCH) {
        launch(args);
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` starts this
    // binary without it. A measurement is not a test: then it does nothing.
    if !std::env::args().any(|a| a == "--bench") {
        println!("a benchmark, not a test: run it with `cargo bench --bench check`");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = env!("CARGO_BIN_EXE_coe");
    // COE_BENCH_PARTS=peer,rendering,large,build runs only those parts.
    let parts = std::env::var("COE_BENCH_PARTS").unwrap_or_default();
    let wanted = |part: &str| parts.is_empty() || parts.split(',').any(|p| p == part);
    if wanted("peer") {
        peer(exe);
    }
    if wanted("rendering") {
        rendering(exe, &dir);
    }
    if wanted("large") {
        large(exe, &dir);
    }
    if wanted("build") {
        build(exe, &dir);
    }
}

/// Part 3: a clean configuration of more than 10 MB.
fn large(exe: &str, dir: &std::path::Path) {
    let text = generate();
    let path = dir.join("large.coe");
    std::fs::write(&path, &text).unwrap();
    let mb = text.len() as f64 / 1e6;
    println!(
        "== clean: {CLUSTERS} clusters, {TEMPLATES} templates, {mb:.1} MB ({})",
        path.display()
    );
    let pest_best = best_in_process(3, || assert!(coe::syntax::pest_only(&text)));
    let (check_best, peak, stdout, _) = median_of(3, || {
        let mut c = Command::new(exe);
        c.args(["check", "--format", "json"]).arg(&path);
        c
    });
    let report: serde_json::Value = serde_json::from_slice(&stdout).expect("json output");
    assert_eq!(
        (&report["summary"]["errors"], &report["summary"]["warnings"]),
        (&serde_json::json!(0), &serde_json::json!(0)),
        "the generated configuration must check clean"
    );
    println!(
        "pest grammar only : {:>7.1} MB/s ({pest_best:.3} s)",
        mb / pest_best
    );
    println!(
        "coe check (binary): {:>7.1} MB/s ({check_best:.3} s, peak memory {peak:.0} MiB = {:.1}x the input)",
        mb / check_best,
        peak / (text.len() as f64 / (1 << 20) as f64)
    );
    println!(
        "ratio             : coe check runs at {:.0}% of pest's raw rate",
        100.0 * pest_best / check_best
    );
}
