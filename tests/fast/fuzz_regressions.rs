//! Every input a fuzzing run found a crash or hang with
//! (`fuzz/regressions/TARGET/`), and every input of the committed corpora
//! (`fuzz/corpus/TARGET/`), through the same target functions the fuzzer
//! runs (`fuzz/src/lib.rs`): what was fixed stays fixed.

#[path = "../../fuzz/src/lib.rs"]
mod targets;

use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("parse", targets::parse),
    ("check", targets::check),
    ("fmt", targets::fmt),
    ("import", targets::import),
    ("labels", targets::labels),
    ("plan_file", targets::plan_file),
];

/// Runs every file under `fuzz/DIR/TARGET/`; returns how many ran.
fn replay(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let mut ran = 0;
    for (name, target) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} fails again", file.display());
            ran += 1;
        }
    }
    ran
}

#[test]
fn every_saved_crash_stays_fixed() {
    replay("regressions");
}

/// Thousands of inputs (the check target's alone take minutes in a debug
/// build), so `scripts/test` runs it; AFL++ also replays every corpus input
/// before it fuzzes (`scripts/fuzz smoke`).
#[test]
#[ignore = "replays thousands of inputs; scripts/test runs it"]
fn every_corpus_input_runs_clean() {
    assert!(replay("corpus") > 100, "the corpora are missing");
}
