//! `coe ... | head -1`: when the reader goes away, every command that
//! prints ends quietly, never with an internal error (exit 101).

use crate::common::root;
use std::process::{Command, Stdio};

#[test]
fn a_closed_pipe_ends_every_printing_command_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("build").display().to_string();
    let commands: [&[&str]; 7] = [
        &["explain", "--list"],
        &["explain", "COE0401"],
        &["labels", "examples/ha-fedora-coreos"],
        &["labels", "--json", "examples/ha-fedora-coreos"],
        &["check", "--format", "json", "examples/broken"],
        &["check", "examples/broken"],
        &["build", "-o", &out, "examples/ha-fedora-coreos"],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_coe"))
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before coe writes a byte.
        drop(child.stdout.take());
        let done = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert_ne!(done.status.code(), Some(101), "{args:?}: {stderr}");
        assert!(!stderr.contains("internal error"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}
