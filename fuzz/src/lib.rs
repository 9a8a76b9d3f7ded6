//! The fuzz targets: each takes any bytes and panics only when coe breaks a
//! promise (a panic of its own, a lossy tree, a formatter that changes
//! meaning, an import that writes text coe cannot read). `src/bin/*` hand
//! them to AFL++; `tests/fast/fuzz_regressions.rs` replays every saved
//! input through the same functions.

use coe::check::{Options, add_stdlib, check_files};
use coe::source::{FileId, SourceMap};
use coe::syntax;
use std::sync::OnceLock;

/// The parser: any text gives a tree holding exactly that text.
pub fn parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = syntax::parse(FileId(0), text);
    let tree = parsed.syntax().text().to_string();
    assert_eq!(tree, text, "the syntax tree lost or changed text");
    assert!(parsed.grammar_errors <= parsed.diagnostics.len());
}

/// A configuration checked with the stdlib; compiled when it checks clean.
fn check_text(text: &str) {
    let mut sources = SourceMap::new();
    // The stdlib first: the check then uses its trees parsed once.
    add_stdlib(&mut sources);
    let id = sources.add_text("fuzz.coe", text);
    let checked = check_files(&mut sources, &[id], &Options::default());
    if !checked.diagnostics.has_errors() {
        let _ = coe::compile::compile(&checked, &sources);
    }
    // Every renderer must cope with every diagnostic.
    let diags: Vec<_> = checked.diagnostics.iter().cloned().collect();
    let _ = coe::diag::render::human::render(&sources, &diags, false);
    let _ = coe::diag::render::json::render(&sources, &diags);
    let _ = coe::diag::render::sarif::render(&sources, &diags);
    let _ = coe::diag::render::github::render(&sources, &diags);
}

/// The checker (and compiler, and renderers) on any text.
pub fn check(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        check_text(text);
    }
}

/// The formatter: its output means the same as its input (`format_source`
/// verifies that and reports `Unstable` otherwise) and is its own fixpoint.
pub fn fmt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match coe::fmt::format_source(FileId(0), text) {
        Err(coe::fmt::Error::Unstable(why)) => panic!("formatter: {why}"),
        Err(coe::fmt::Error::Syntax(_)) => {}
        Ok(out) => match coe::fmt::format_source(FileId(0), &out) {
            Ok(again) => assert_eq!(again, out, "formatting twice changed the text"),
            Err(e) => panic!("formatted text does not format again: {e:?}"),
        },
    }
}

/// `coe import` of JSON: whatever it accepts becomes text coe parses.
pub fn import(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let input = coe::import::Input {
        name: "fuzz.json".into(),
        text: text.into(),
    };
    if let Ok(imported) = coe::import::import(&[input]) {
        let parsed = syntax::parse(FileId(0), &imported.text);
        assert_eq!(
            parsed.grammar_errors, 0,
            "import wrote text that does not parse:\n{}\n{:?}",
            imported.text, parsed.diagnostics
        );
        check_text(&imported.text);
    }
}

/// Every label key the catalogue knows, in a fixed order.
fn label_keys() -> &'static [String] {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut sources = SourceMap::new();
        let checked = check_files(&mut sources, &[], &Options::default());
        checked.catalogue.labels.keys().cloned().collect()
    })
}

/// A template and cluster that check clean, with one label to be set.
const CONFIG: &str = r#"cloud "devstack" {
  image "fedora-coreos-38" { os_distro = "fedora-coreos" }
  flavor "m1.medium" { vcpus = 2  ram = 4GiB  disk = 40GiB }
  network "public" { external = true }
  keypair "ops-key" {}
}

template "k8s" {
  coe              = kubernetes
  image            = "fedora-coreos-38"
  keypair          = "ops-key"
  external_network = "public"
  flavor           = "m1.medium"
  labels { LABEL }
}

cluster "prod" {
  template = template.k8s
}
"#;

/// The label readers: the first byte picks a label of the catalogue, the
/// rest is its value, checked (and compiled) in a template that is
/// otherwise clean.
pub fn labels(data: &[u8]) {
    let Some((&pick, value)) = data.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(value) else {
        return;
    };
    let keys = label_keys();
    let key = &keys[pick as usize % keys.len()];
    let mut quoted = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '$' => quoted.push_str("\\$"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c if c.is_control() => quoted.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    let text = CONFIG.replace("LABEL", &format!("{key} = {quoted}"));
    // The value must arrive as written: no escape of ours may fail.
    let parsed = syntax::parse(FileId(0), &text);
    assert_eq!(parsed.grammar_errors, 0, "{text}\n{:?}", parsed.diagnostics);
    check_text(&text);
}

/// Plan files (`coe plan -o`): refused with a message, or read back the
/// same after writing them again.
pub fn plan_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(plan) = coe::plan::SavedPlan::parse(text) {
        let again = serde_json::to_string_pretty(&plan).expect("a plan serializes");
        let back = coe::plan::SavedPlan::parse(&again).expect("a written plan reads back");
        assert_eq!(format!("{plan:?}"), format!("{back:?}"));
    }
}
