//! `cargo bench --bench lsp`: the time from a one-character edit to the
//! published diagnostics in `coe lsp`, median and p95, on a configuration of
//! about 5,000 lines, beside `coe check` (human output) on the same file,
//! measured in the same run. Goal: p50 under 20 ms.

#[path = "../tests/common/lsp_client.rs"]
mod lsp_client;

use lsp_client::Client;
use serde_json::json;
use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

const TEMPLATES: usize = 20;
const CLUSTERS: usize = 440;

fn generate() -> String {
    let mut s = String::new();
    s.push_str("cloud \"bench\" {\n  heat_template_version = wallaby\n  nova_microversion = \"2.88\"\n  octavia = true\n  volume_types = [\"ssd\"]\n");
    s.push_str("  image \"fcos\" { os_distro = \"fedora-coreos\" }\n  flavor \"m1\" { vcpus = 2  ram = 4GiB  disk = 40GiB }\n  network \"public\" { external = true }\n  keypair \"k\" {}\n}\n\n");
    for t in 0..TEMPLATES {
        let _ = write!(
            s,
            "template \"t{t}\" {{\n  coe = kubernetes\n  image = \"fcos\"\n  keypair = \"k\"\n  external_network = \"public\"\n  flavor = \"m1\"\n  network_driver = calico\n  docker_volume_size = 20GiB\n  master_lb_enabled = true\n  labels {{\n    kube_tag = \"v1.27.{t}\"\n    docker_volume_type = \"ssd\"\n  }}\n}}\n\n"
        );
    }
    for c in 0..CLUSTERS {
        let _ = write!(
            s,
            "# cluster {c}\ncluster \"cluster-{c:04}\" {{\n  template = template.t{}\n  master_count = 3\n  node_count = {}\n  labels {{\n    etcd_volume_size = 20\n    availability_zone = \"nova\"\n  }}\n}}\n\n",
            c % TEMPLATES,
            1 + c % 9
        );
    }
    s
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --all-targets` builds and runs benches without it
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.coe");
    let text = generate();
    std::fs::write(&file, &text).unwrap();
    let lines = text.lines().count();

    // the baseline: `coe check` on the same file, default human output
    let mut check = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_coe"))
            .arg("check")
            .arg(&file)
            .output()
            .unwrap();
        check.push(t.elapsed());
        assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    }
    check.sort();

    let mut c = Client::start();
    let uri = format!("file://{}", file.display());
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "coe", "version": 1, "text": text}}),
    );
    let _ = c.diagnostics_for(&uri);
    // one character at a time: a cluster's node_count goes 1 → 2 → 1 ...
    let anchor =
        "cluster \"cluster-0200\" {\n  template = template.t0\n  master_count = 3\n  node_count = ";
    let at = text.find(anchor).expect("the generated cluster") + anchor.len();
    let mut edits = Vec::new();
    for i in 0..60 {
        let digit = if i % 2 == 0 { "2" } else { &text[at..at + 1] };
        let edited = format!("{}{digit}{}", &text[..at], &text[at + 1..]);
        let t = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{"text": edited}]}),
        );
        let _ = c.diagnostics_for(&uri);
        edits.push(t.elapsed());
    }
    c.stop();
    edits.sort();

    // the same work without the protocol: parse, check, convert diagnostics
    let mut inside = Vec::new();
    let mut parse_only = Vec::new();
    let mut count = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let a = coe::lsp::Analysis::new(vec![(file.clone(), text.clone())]);
        count = a.diagnostics().iter().map(|(_, d)| d.len()).sum::<usize>();
        inside.push(t.elapsed());
        let t = Instant::now();
        let _ = coe::syntax::parse(coe::source::FileId(0), &text);
        parse_only.push(t.elapsed());
    }
    inside.sort();
    parse_only.sort();

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (p50, p95) = (percentile(&edits, 0.5), percentile(&edits, 0.95));
    let check50 = percentile(&check, 0.5);
    println!(
        "lsp: {lines} lines, {} bytes, {CLUSTERS} clusters",
        text.len()
    );
    println!(
        "  edit → published diagnostics   p50 {:7.1} ms   p95 {:7.1} ms   (goal: p50 < 20 ms)",
        ms(p50),
        ms(p95)
    );
    println!(
        "  coe check (human), same file  p50 {:7.1} ms (process start included)",
        ms(check50)
    );
    println!("  ratio edit p50 / check p50: {:.2}", ms(p50) / ms(check50));
    println!(
        "  of which analysis (parse + check + {count} diagnostics) p50 {:7.1} ms, the parse alone {:5.1} ms",
        ms(percentile(&inside, 0.5)),
        ms(percentile(&parse_only, 0.5))
    );
}
