//! Every diagnostic code is explained and exercised: its explanation has the
//! four parts `coe explain` promises, its wrong example produces it, its right
//! example produces nothing at all, and `examples/broken/` holds at least one
//! realistic configuration per code, whose full rendering is snapshotted.

use coe::check::{Options, check_files};
use coe::diag::render::human;
use coe::diag::{CODES, CodeInfo, Diagnostic};
use coe::source::SourceMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Codes that no input can produce, as (code, reason). They still need an
/// explanation, but neither examples nor a broken file: codes reported
/// against a live cloud, whose tests live with the command that reports them.
const NOT_TRIGGERABLE: &[(&str, &str)] = &[
    (
        "COE0005",
        "reported when a file is read, before any text exists; tests/fast/hostile.rs triggers it",
    ),
    (
        "COE0701",
        "reported by `coe apply` against a live Heat; tests/services/apply.rs triggers it",
    ),
];

fn triggerable(info: &CodeInfo) -> bool {
    !NOT_TRIGGERABLE
        .iter()
        .any(|(c, _)| *c == info.code.to_string())
}

/// Codes of the 06xx block are reported by the compiler, after a clean check.
fn compile_stage(info: &CodeInfo) -> bool {
    info.code.0 / 100 == 6
}

/// Checks one configuration (the stdlib is added), and for compile-stage codes
/// also compiles it when the check is clean, as coe does before Heat.
fn run(name: &str, text: &str, compile: bool) -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let id = sources.add_text(name, text);
    let checked = check_files(&mut sources, &[id], &Options::default());
    let mut diags = checked.diagnostics.iter().cloned().collect::<Vec<_>>();
    if compile
        && !checked.diagnostics.has_errors()
        && let Err(errors) = coe::compile::compile(&checked, &sources)
    {
        diags.extend(errors);
    }
    (sources, diags)
}

/// `COE0107 no template named `k8s``, one per line, for failure messages.
fn listing(diags: &[Diagnostic]) -> String {
    if diags.is_empty() {
        return "  (no diagnostics)".into();
    }
    diags
        .iter()
        .map(|d| format!("  {} {}: {}", d.code, d.severity.as_str(), d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fails with every problem found, so one run shows them all.
fn report(what: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{what} ({}):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The parts of `docs/codes/COEnnnn.md`.
struct Explanation<'a> {
    wrong: Option<&'a str>,
    right: Option<&'a str>,
}

/// The single ```coe block of a section, if it has one.
fn coe_block(section: &str) -> Result<Option<&str>, String> {
    let Some(start) = section.find("```coe\n") else {
        return Ok(None);
    };
    let body = &section[start + "```coe\n".len()..];
    let end = body.find("```").ok_or("a ```coe block is never closed")?;
    if body[end + 3..].contains("```") {
        return Err("a section holds more than one code block".into());
    }
    Ok(Some(&body[..end]))
}

/// Parses `# COEnnnn name`, a paragraph, then `## Why`, `## Wrong`, `## Right`.
fn parse(info: &CodeInfo) -> Result<Explanation<'static>, String> {
    let text = info.explanation;
    let title = format!("# {} {}\n", info.code, info.name);
    let rest = text
        .strip_prefix(title.as_str())
        .ok_or_else(|| format!("the first line is not `{}`", title.trim_end()))?;
    let (what, rest) = rest.split_once("\n## Why\n").ok_or("no `## Why` section")?;
    let (why, rest) = rest
        .split_once("\n## Wrong\n")
        .ok_or("no `## Wrong` section after `## Why`")?;
    let (wrong, right) = rest
        .split_once("\n## Right\n")
        .ok_or("no `## Right` section after `## Wrong`")?;
    if what.trim().is_empty() {
        return Err("no paragraph saying what is flagged".into());
    }
    if why.trim().is_empty() {
        return Err("the `## Why` section is empty".into());
    }
    if right.contains("\n## ") {
        return Err("a section after `## Right`".into());
    }
    let (wrong, right) = (coe_block(wrong)?, coe_block(right)?);
    if triggerable(info) && (wrong.is_none() || right.is_none()) {
        return Err("`## Wrong` and `## Right` each need a ```coe example".into());
    }
    Ok(Explanation { wrong, right })
}

#[test]
fn every_explanation_has_the_four_parts() {
    let failures = CODES
        .iter()
        .filter_map(|c| parse(c).err().map(|e| format!("{}: {e}", c.code)))
        .collect();
    report("malformed explanations", failures);
}

#[test]
fn every_wrong_example_produces_its_code() {
    let mut failures = Vec::new();
    for info in CODES.iter().filter(|c| triggerable(c)) {
        let Ok(Explanation {
            wrong: Some(text), ..
        }) = parse(info)
        else {
            continue; // reported by `every_explanation_has_the_four_parts`
        };
        let name = format!("docs/codes/{}.md (wrong)", info.code);
        let (_, diags) = run(&name, text, compile_stage(info));
        if !diags.iter().any(|d| d.code == info.code) {
            failures.push(format!(
                "{}: the wrong example does not produce it; it gives\n{}",
                info.code,
                listing(&diags)
            ));
        }
    }
    report("wrong examples that miss their code", failures);
}

#[test]
fn every_right_example_is_clean() {
    let mut failures = Vec::new();
    for info in CODES.iter().filter(|c| triggerable(c)) {
        let Ok(Explanation {
            right: Some(text), ..
        }) = parse(info)
        else {
            continue;
        };
        let name = format!("docs/codes/{}.md (right)", info.code);
        // Compile-stage codes' right examples must also build.
        let (_, diags) = run(&name, text, compile_stage(info));
        if !diags.is_empty() {
            failures.push(format!(
                "{}: the right example is not clean:\n{}",
                info.code,
                listing(&diags)
            ));
        }
    }
    report("right examples that are not clean", failures);
}

fn coe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coe"))
}

#[test]
fn explain_prints_the_explanation() {
    let out = coe().args(["explain", "COE0308"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let expected = CODES
        .iter()
        .find(|c| c.code.to_string() == "COE0308")
        .expect("COE0308 is registered")
        .explanation;
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn explain_refuses_an_unknown_code_with_exit_2() {
    let out = coe().args(["explain", "COE9999"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("COE9999"), "stderr: {stderr}");
}

fn broken_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/broken")
}

/// `(file name, code it is for)` of every broken example, sorted.
fn broken_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(broken_dir())
        .expect("examples/broken exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".coe"))
        .map(|n| {
            let code = n.trim_end_matches(".coe");
            let code = code.split_once('_').map_or(code, |(c, _)| c).to_string();
            (n, code)
        })
        .collect();
    files.sort();
    files
}

fn info_for(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code.to_string() == code)
}

#[test]
fn every_code_has_a_broken_example() {
    let files = broken_files();
    let mut failures: Vec<String> = CODES
        .iter()
        .filter(|c| triggerable(c))
        .map(|c| c.code.to_string())
        .filter(|code| !files.iter().any(|(_, c)| c == code))
        .map(|code| format!("{code}: no examples/broken/{code}.coe"))
        .collect();
    for (name, code) in &files {
        let variant = name.trim_end_matches(".coe").split_once('_').map(|v| v.1);
        if info_for(code).is_none() || variant.is_some_and(|v| v.parse::<u8>().is_err()) {
            failures.push(format!(
                "{name}: not named `COEnnnn.coe` or `COEnnnn_N.coe` after a registered code"
            ));
        }
    }
    report("missing or misnamed broken examples", failures);
}

#[test]
fn every_broken_example_says_what_is_wrong_and_produces_its_code() {
    let mut failures = Vec::new();
    for (name, code) in broken_files() {
        let Some(info) = info_for(&code) else {
            continue; // reported by `every_code_has_a_broken_example`
        };
        let text = std::fs::read_to_string(broken_dir().join(&name)).unwrap();
        if !text.starts_with("# ") {
            failures.push(format!("{name}: the first line is not a `# ...` comment"));
        }
        let (_, diags) = run(&name, &text, compile_stage(info));
        if !diags.iter().any(|d| d.code == info.code) {
            failures.push(format!(
                "{name}: does not produce {code}; it gives\n{}",
                listing(&diags)
            ));
        }
    }
    report("broken examples that miss their code", failures);
}

/// The full human rendering of each broken example, without colour, with the
/// summary line `coe check` prints after it.
#[test]
fn broken() {
    insta::glob!("../../examples/broken", "*.coe", |path| {
        let name = format!(
            "examples/broken/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let text = std::fs::read_to_string(path).unwrap();
        let code = name.trim_start_matches("examples/broken/");
        let code = &code[..code.find(['_', '.']).unwrap_or(code.len())];
        let compile = info_for(code).is_some_and(compile_stage);
        let (sources, diags) = run(&name, &text, compile);
        let rendered = format!(
            "{}{}\n",
            human::render(&sources, &diags, false),
            human::summary(&diags)
        );
        let what = text.lines().next().unwrap_or("").trim_start_matches("# ");
        insta::with_settings!({ description => what, omit_expression => true }, {
            insta::assert_snapshot!(rendered);
        });
    });
}

#[test]
fn explain_takes_a_codes_name_as_well_as_its_number() {
    let by_name = coe().args(["explain", "unknown-label"]).output().unwrap();
    let by_number = coe().args(["explain", "COE0401"]).output().unwrap();
    assert_eq!(by_name.status.code(), Some(0));
    assert_eq!(by_name.stdout, by_number.stdout);
    let typo = coe().args(["explain", "unknown-labels"]).output().unwrap();
    assert_eq!(typo.status.code(), Some(2));
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(err.contains("did you mean `unknown-label`?"), "{err}");
    // A label's name is explained too, and a misspelt one gets its hint.
    let typo = coe()
        .args(["explain", "master_lb_alowed_cidrs"])
        .output()
        .unwrap();
    assert_eq!(typo.status.code(), Some(2));
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(
        err.contains("did you mean `master_lb_allowed_cidrs`?"),
        "{err}"
    );
}
