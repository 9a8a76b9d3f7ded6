//! Input meant to make coe fall over: deep nesting, long chains, long lines,
//! large files, many files, many diagnostics, bytes that are not text and
//! files that cannot be read. coe must answer each with diagnostics (or a
//! plain error naming the file), never a panic (exit 101) or a crash.

use coe::check::{Options, check_files};
use coe::source::SourceMap;
use std::path::Path;
use std::process::{Command, Output};

fn coe(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coe"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// coe ran to its end: an exit code it chose, and no internal error.
fn ended_well(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{what}: exit {:?}\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("internal error"), "{what}: {stderr}");
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn codes(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// 100,000 levels of every construct that nests, inside a cluster.
#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let n = 100_000;
    let cases = [
        ("list", format!("x = {}{}", "[".repeat(n), "]".repeat(n))),
        (
            "map",
            format!("x = {}1{}", "{a = ".repeat(n), "}".repeat(n)),
        ),
        ("call", format!("x = {}{}", "f(".repeat(n), ")".repeat(n))),
        (
            "interpolation",
            format!("x = \"{}{}\"", "${\"".repeat(n), "\"}".repeat(n)),
        ),
        ("block", format!("{}{}", "a {".repeat(n), "}".repeat(n))),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (what, body) in cases {
        let text = format!("cluster \"c\" {{\n{body}\n}}\n");
        write(tmp.path(), "deep.coe", &text);
        let out = coe(&["check", "--format", "json", "deep.coe"], tmp.path());
        ended_well(&out, what);
        assert!(
            codes(&out).contains("levels deep"),
            "{what}: {}",
            codes(&out)
        );
        // The formatter leaves a file with errors alone, and says so.
        let out = coe(&["fmt", "--check", "deep.coe"], tmp.path());
        ended_well(&out, what);
    }
}

/// Exactly at the limit parses clean; one more level is the error.
#[test]
fn the_nesting_limit_is_exact() {
    let limit = coe::syntax::MAX_DEPTH;
    // The cluster block is one level; the list makes up the rest.
    let at = |lists: usize| {
        format!(
            "cluster \"c\" {{\n  x = {}{}\n}}\n",
            "[".repeat(lists),
            "]".repeat(lists)
        )
    };
    let parse = |text: &str| coe::syntax::parse(Default::default(), text);
    let ok = parse(&at(limit - 1));
    assert_eq!(ok.grammar_errors, 0, "{:?}", ok.diagnostics);
    let deep = parse(&at(limit));
    assert!(
        deep.diagnostics
            .iter()
            .any(|d| d.message.contains("levels deep")),
        "{:?}",
        deep.diagnostics
    );
}

#[test]
fn a_long_chain_of_constants_is_an_error_not_a_stack_overflow() {
    let n = 100_000;
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("let a{i} = \"${{a{}}}x\"\n", i + 1));
    }
    text.push_str(&format!("let a{n} = \"end\"\n"));
    let mut sources = SourceMap::new();
    let id = sources.add_text("chain.coe", &text);
    let checked = check_files(&mut sources, &[id], &Options::default());
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code.to_string() == "COE0115")
    );
}

/// One line of a megabyte, many diagnostics on it, in every format.
#[test]
fn a_long_line_with_many_diagnostics_renders_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let mut line = String::from("labels \"l\" {");
    for i in 0..20_000 {
        line.push_str(&format!(" k{i} = [1]"));
    }
    line.push_str(" }\n");
    assert!(line.len() > 200_000);
    write(tmp.path(), "long.coe", &line);
    for format in ["human", "json", "sarif", "github"] {
        let out = coe(&["check", "--format", format, "long.coe"], tmp.path());
        ended_well(&out, format);
        assert_eq!(out.status.code(), Some(1), "{format}");
    }
}

/// Many files, and many blocks per file: every one is checked.
#[test]
fn many_files_are_all_checked() {
    let tmp = tempfile::tempdir().unwrap();
    for i in 0..500 {
        write(
            tmp.path(),
            &format!("f{i}.coe"),
            format!("template \"t{i}\" {{\n  coe = kubernetes\n  flavr = \"x\"\n}}\n"),
        );
    }
    let out = coe(&["check", "--format", "github", "."], tmp.path());
    ended_well(&out, "many files");
    let text = codes(&out);
    // Each file's misspelt attribute is reported in that file.
    for i in [0, 250, 499] {
        assert!(
            text.contains(&format!("file=f{i}.coe,line=3")),
            "f{i}.coe missing"
        );
    }
}

/// Bytes that are not UTF-8: the file, line, column and byte are named in
/// every output format, and the other files are still checked.
#[test]
fn invalid_utf8_is_located_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = b"# first line\nlet region = \"Z".to_vec();
    bytes.push(0xFC); // Latin-1 for `ü`
    bytes.extend_from_slice(b"rich\"\n");
    write(tmp.path(), "latin1.coe", &bytes);
    write(tmp.path(), "ok.coe", "template \"t\" {\n  flavr = 1\n}\n");
    let at = 13 + 15; // the offset of 0xFC
    assert_eq!(bytes[at], 0xFC);

    let out = coe(&["check", "--format", "json", "."], tmp.path());
    ended_well(&out, "json");
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = doc["diagnostics"].as_array().unwrap();
    let utf8 = diags
        .iter()
        .find(|d| d["code"] == "COE0005")
        .expect("a COE0005 diagnostic");
    assert_eq!(utf8["file"], "latin1.coe");
    assert_eq!(utf8["start"]["line"], 2);
    assert_eq!(utf8["start"]["column"], 16);
    assert_eq!(utf8["range"]["start"], at);
    assert!(
        utf8["message"]
            .as_str()
            .unwrap()
            .contains(&format!("byte {at} (0xFC)"))
    );
    // The other file is checked as usual.
    assert!(diags.iter().any(|d| d["file"] == "ok.coe"));

    let out = coe(&["check", "--format", "sarif", "."], tmp.path());
    ended_well(&out, "sarif");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "COE0005")
        .expect("a COE0005 result")
        .clone();
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 2);
    assert_eq!(region["startColumn"], 16);

    let out = coe(&["check", "--format", "github", "."], tmp.path());
    ended_well(&out, "github");
    assert!(
        codes(&out).contains("::error file=latin1.coe,line=2,col=16,"),
        "{}",
        codes(&out)
    );

    let out = coe(&["check", "--color", "never", "."], tmp.path());
    ended_well(&out, "human");
    let text = codes(&out);
    assert!(text.contains("COE0005"), "{text}");
    assert!(text.contains("latin1.coe:2:16"), "{text}");

    // Commands without a format say it on standard error, and stop.
    let out = coe(&["labels", "."], tmp.path());
    ended_well(&out, "labels");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("COE0005"), "{stderr}");
    assert!(stderr.contains("not UTF-8"), "{stderr}");

    // build writes nothing.
    let out = coe(&["build", "-o", "out", "."], tmp.path());
    ended_well(&out, "build");
    assert_eq!(out.status.code(), Some(1));
    assert!(!tmp.path().join("out").exists());
}

/// A file that cannot be read is named, with exit 2.
#[test]
fn an_unreadable_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    // Root reads any file, so make reading fail in ways that hold for root too.
    std::fs::create_dir(tmp.path().join("dir.coe")).unwrap();
    std::os::unix::fs::symlink("nowhere.coe", tmp.path().join("dangling.coe")).unwrap();
    for name in ["dir.coe", "dangling.coe"] {
        let out = coe(&["check", name], tmp.path());
        ended_well(&out, name);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}

/// A few megabytes of clusters, each with warnings: the check ends, and
/// every cluster's diagnostics are there.
#[test]
fn a_large_file_with_many_diagnostics_is_checked_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::new();
    let n = 3_000;
    for i in 0..n {
        text.push_str(&format!(
            "template \"t{i}\" {{\n  coe = kubernetes\n  colour = \"blue\"\n}}\n\n"
        ));
    }
    write(tmp.path(), "big.coe", &text);
    let out = coe(&["check", "--format", "json", "big.coe"], tmp.path());
    ended_well(&out, "big");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unknown = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "COE0102")
        .count();
    assert_eq!(unknown, n);
}

/// Every other input a command reads says where it stops being UTF-8.
#[test]
fn other_inputs_that_are_not_utf8_are_located() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = b"{\n  \"name\": \"k\xFC\"\n}\n";
    write(tmp.path(), "bad.coe", bad);
    write(tmp.path(), "bad.json", bad);
    write(tmp.path(), "env.yaml", bad);
    let cases: [&[&str]; 4] = [
        &["fmt", "bad.coe"],
        &["import", "bad.json"],
        &["apply", "bad.json"],
        &["plan", "-e", "env.yaml", "bad.coe"],
    ];
    for args in cases {
        let out = coe(args, tmp.path());
        ended_well(&out, &args.join(" "));
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("not UTF-8") && stderr.contains("line 2") && stderr.contains("byte 14"),
            "{args:?}: {stderr}"
        );
    }
}

/// Constants that double at each step ("billion laughs"), and a large
/// constant used many times: both stop at a bound, quickly.
#[test]
fn constants_cannot_blow_up() {
    let check = |text: &str| {
        let mut sources = SourceMap::new();
        let id = sources.add_text("laughs.coe", text);
        let checked = check_files(&mut sources, &[id], &Options::default());
        checked
            .diagnostics
            .iter()
            .filter(|d| d.code.to_string() == "COE0116")
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
    };
    let mut doubling = String::new();
    for i in 0..60 {
        doubling.push_str(&format!("let a{i} = \"${{a{}}}${{a{}}}\"\n", i + 1, i + 1));
    }
    doubling.push_str("let a60 = \"xx\"\n");
    let found = check(&doubling);
    assert!(
        found.iter().any(|m| m.contains("more than 1 MiB")),
        "{found:?}"
    );

    let mut many = format!("let big = \"{}\"\n", "x".repeat((1 << 20) - 1));
    many.push_str("let all = \"");
    for _ in 0..300 {
        many.push_str("${big}");
    }
    many.push_str("\"\n");
    let found = check(&many);
    assert!(
        found.iter().any(|m| m.contains("more than 256 MiB")),
        "{found:?}"
    );
}

/// A timeout too long for Heat (or for seconds) is reported, not wrapped
/// around or carried to apply. Found by the import fuzzer.
#[test]
fn timeouts_beyond_heats_range_are_reported() {
    let fixed = include_str!("../../examples/seed-fixed/cluster.coe");
    let with = |value: &str| {
        let text = fixed.replacen(
            "cluster \"k8s-c1\" {",
            &format!("cluster \"k8s-c1\" {{\n  create_timeout = {value}"),
            1,
        );
        assert_ne!(text, fixed);
        let mut sources = SourceMap::new();
        let id = sources.add_text("timeout.coe", &text);
        let checked = check_files(&mut sources, &[id], &Options::default());
        checked
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect::<Vec<_>>()
    };
    for (value, says) in [
        ("60000000000000000000", "integer is too large"),
        (
            "600000000000000000",
            "at most 2147483647 minutes, found 600000000000000000",
        ),
        ("2147483648", "at most 2147483647 minutes, found 2147483648"),
        (
            "5000000000d",
            "at most 2147483647 minutes, found 7200000000000",
        ),
    ] {
        let found = with(value);
        assert!(found.iter().any(|m| m.contains(says)), "{value}: {found:?}");
    }
    for fine in ["2147483647", "90m", "1491308d"] {
        assert_eq!(with(fine), Vec::<String>::new(), "{fine}");
    }
}
