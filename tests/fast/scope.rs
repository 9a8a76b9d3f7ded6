//! What a cloud command works on and how it ends, before it reaches any
//! cloud: the scope flags, the configuration's identity, and exit codes a
//! CI job can gate on (Terraform's: 0 none, 1 error, 2 changes).

use crate::common::root;
use std::process::{Command, Output};

/// A port where nothing listens: every cloud request fails at once.
const DEAD_HEAT: &str = "http://127.0.0.1:9/v1/admin";

fn coe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coe"))
        .args(args)
        .current_dir(root())
        .env("COE_HEAT_URL", DEAD_HEAT)
        .env("COE_RETRY_ATTEMPTS", "1")
        .env_remove("OS_CLOUD")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_unreachable_cloud_is_an_error_never_changes() {
    for extra in [&[][..], &["--detailed-exitcode"][..]] {
        let o = coe(&[&["plan", "examples/swarm-mode"][..], extra].concat());
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("127.0.0.1:9"), "{}", stderr(&o));
    }
}

#[test]
fn under_detailed_exitcode_no_error_exits_2() {
    let cases: [&[&str]; 4] = [
        &["plan", "--detailed-exitcode", "--no-such-flag"],
        &["plan", "--detailed-exitcode", "examples/nowhere"],
        &[
            "plan",
            "--detailed-exitcode",
            "--cluster",
            "swarm",
            "examples/swarm-mode",
        ],
        &["plan", "--detailed-exitcode", "examples/broken/COE0001.coe"],
    ];
    for args in cases {
        let o = coe(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn an_unknown_cluster_gets_a_did_you_mean_and_exit_2() {
    let o = coe(&["plan", "--cluster", "swarm-2", "examples/swarm-mode"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("no cluster named `swarm-2` in the configuration; did you mean `swarm-1`?"),
        "{}",
        stderr(&o)
    );
    let o = coe(&["plan", "--cluster", "zzz", "examples/swarm-mode"]);
    assert!(stderr(&o).contains("there are: swarm-1"), "{}", stderr(&o));
}

#[test]
fn prune_needs_the_whole_configuration() {
    for args in [
        &[
            "plan",
            "--prune",
            "--cluster",
            "swarm-1",
            "examples/swarm-mode",
        ][..],
        &["plan", "--prune", "examples/swarm-mode/cluster.coe"][..],
    ] {
        let o = coe(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("needs the whole configuration"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn one_run_is_one_configuration() {
    let o = coe(&["plan", "examples/swarm-mode", "examples/mesos/cluster.coe"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("are two configurations"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_saved_plan_takes_no_planning_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let saved = tmp.path().join("plan.json");
    std::fs::write(&saved, "{}").unwrap();
    let saved = saved.display().to_string();
    let o = coe(&["apply", &saved, "--prune"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--prune shapes a plan"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn plan_shows_the_checkers_warnings_first_and_can_deny_them() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/swarm-mode/cluster.coe"))
        .unwrap()
        .replace(
            "docker_volume_type = \"standard\"",
            "docker_volume_typ = \"standard\"",
        );
    std::fs::write(tmp.path().join("cluster.coe"), text).unwrap();
    let dir = tmp.path().display().to_string();
    let o = coe(&["plan", &dir]);
    let err = stderr(&o);
    let warning = err.find("COE0401").expect("the unknown label's warning");
    let cloud = err.find("127.0.0.1:9").expect("the cloud error");
    assert!(warning < cloud, "{err}");
    let o = coe(&["plan", "--deny-warnings", &dir]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was planned"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("127.0.0.1:9"), "{}", stderr(&o));
}

#[test]
fn help_names_real_docs_and_no_empty_environment_values() {
    let commands = [
        "check", "build", "labels", "explain", "fmt", "import", "plan", "apply", "destroy", "list",
        "stats",
    ];
    for c in commands {
        let o = Command::new(env!("CARGO_BIN_EXE_coe"))
            .args([c, "--help"])
            .env_remove("COE_HEAT_URL")
            .env_remove("OS_CLOUD")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(
            !help.contains("=]"),
            "`coe {c} --help` shows an unset value: {help}"
        );
        for doc in help.split_whitespace().filter(|w| w.contains("docs/")) {
            let path = doc.trim_matches(|ch: char| {
                !ch.is_ascii_alphanumeric() && ch != '/' && ch != '.' && ch != '-' && ch != '_'
            });
            let path = path.trim_end_matches('.');
            assert!(
                root().join(path).is_file(),
                "`coe {c} --help` names {path}, which does not exist"
            );
        }
    }
    let plan = Command::new(env!("CARGO_BIN_EXE_coe"))
        .args(["plan", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&plan.stdout).contains("docs/plan-format.md"));
}

#[test]
fn errors_are_reported_even_when_nothing_is_in_scope() {
    // a configuration with an error and no cluster: nothing to plan, but
    // the error is still the answer, before any cloud is asked
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("a.coe"),
        "template \"t\" {\n  coe = kubernetes\n}\n",
    )
    .unwrap();
    let o = coe(&["plan", &tmp.path().display().to_string()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("127.0.0.1:9"), "{}", stderr(&o));
}
