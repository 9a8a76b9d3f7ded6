//! `coe fmt`: idempotent, meaning-preserving, keeps every comment.

use coe::fmt::{Error, format_source, shape};
use coe::source::FileId;
use coe::syntax::parse;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fmt(text: &str) -> String {
    match format_source(FileId(0), text) {
        Ok(out) => out,
        Err(e) => panic!("cannot format: {e:?}\n--- input ---\n{text}"),
    }
}

/// Formatting twice changes nothing more, and the result parses to the same
/// tree with the same comments in the same order.
fn assert_stable(name: &str, text: &str) -> String {
    let once = fmt(text);
    let again = parse(FileId(0), &once);
    assert!(
        !again.has_errors(),
        "{name}: output does not parse: {:?}\n{once}",
        again.diagnostics
    );
    assert_eq!(
        shape(&parse(FileId(0), text).file),
        shape(&again.file),
        "{name}: meaning or comments changed\n--- output ---\n{once}"
    );
    assert_eq!(fmt(&once), once, "{name}: not idempotent");
    once
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn coe_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            coe_files_under(&p, out);
        } else if p.extension().is_some_and(|x| x == "coe") {
            out.push(p);
        }
    }
}

#[test]
fn every_example_and_stdlib_file_is_stable() {
    let mut files = Vec::new();
    for dir in ["examples", "stdlib", "tests/syntax/ok"] {
        coe_files_under(&root().join(dir), &mut files);
    }
    files.sort();
    let mut checked = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if parse(FileId(0), &text).has_errors() {
            continue;
        }
        assert_stable(&f.display().to_string(), &text);
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} files checked");
}

// ---------------------------------------------------------------------------
// Hand-written cases

#[test]
fn attributes_align_and_trailing_comments_stay_on_their_line() {
    let input = "\
cloud \"c\" {
  heat_template_version = rocky
  nova_microversion = \"2.1\"   # no soft-anti-affinity before 2.15
  octavia = false # none
  image \"magnum-coreos\" {}               # no os_distro
  flavor \"m1.small\" { vcpus = 1 ram = 2GiB disk = 20GiB }
  network \"public\"      { external = true }
  keypair \"dxl-key\"   {}
}
";
    let expected = "\
cloud \"c\" {
  heat_template_version = rocky
  nova_microversion     = \"2.1\"  # no soft-anti-affinity before 2.15
  octavia               = false  # none
  image \"magnum-coreos\" {}       # no os_distro
  flavor \"m1.small\"     { vcpus = 1  ram = 2GiB  disk = 20GiB }
  network \"public\"      { external = true }
  keypair \"dxl-key\" {}
}
";
    assert_eq!(assert_stable("align", input), expected);
}

#[test]
fn comments_in_awkward_places_are_kept_in_order() {
    // Leading blank lines are dropped.
    let input = "\n\n# header
let a = 1 # after a
cluster /* kind */ \"c\" # name
{ # open
  template /* key */ = /* value */ template.t
  node_count = 3


  # before labels
  labels { # labels open
    x = \"y\"
  } // after labels
  # at the end
}
// the end
";
    let expected = "\
# header
let a = 1  # after a

/* kind */
# name
cluster \"c\" {  # open
  /* key */
  /* value */
  template   = template.t
  node_count = 3

  # before labels
  labels {  # labels open
    x = \"y\"
  }  // after labels
  # at the end
}
// the end
";
    assert_eq!(assert_stable("awkward", input), expected);
}

#[test]
fn lists_break_when_they_hold_comments_or_do_not_fit() {
    let input = "\
template \"t\" {
  dns = [\"8.8.8.8\", # google
    \"1.1.1.1\"
    # more later
  ]
  long = [\"aaaaaaaaaaaaaaaaaaaa\", \"bbbbbbbbbbbbbbbbbbbb\", \"cccccccccccccccccccc\", \"dddddddddddddddddddd\"]
  short = [
    a,
    b,
  ]
  map = { a = 1, \"b c\": [x] }
}
";
    let expected = "\
template \"t\" {
  dns = [
    \"8.8.8.8\",  # google
    \"1.1.1.1\",
    # more later
  ]
  long = [
    \"aaaaaaaaaaaaaaaaaaaa\",
    \"bbbbbbbbbbbbbbbbbbbb\",
    \"cccccccccccccccccccc\",
    \"dddddddddddddddddddd\",
  ]
  short = [a, b]
  map   = { a = 1, \"b c\" = [x] }
}
";
    assert_eq!(assert_stable("lists", input), expected);
}

#[test]
fn blocks_stay_on_one_line_only_if_written_so_and_they_fit() {
    let input = "\
cloud \"c\" {
  flavor \"a\" {
    vcpus = 1
  }
  flavor \"b\" { vcpus = 2 }
  flavor \"c\" { vcpus = 3 quota { x = 1 } }
  image \"i\" { os_distro = \"a very long distribution name that goes on\" description = \"and on and on\" }
  empty {
  }
}
cluster \"one\" { template = template.t }
";
    let expected = "\
cloud \"c\" {
  flavor \"a\" {
    vcpus = 1
  }
  flavor \"b\" { vcpus = 2 }
  flavor \"c\" {
    vcpus = 3
    quota { x = 1 }
  }
  image \"i\" {
    os_distro   = \"a very long distribution name that goes on\"
    description = \"and on and on\"
  }
  empty {}
}

cluster \"one\" {
  template = template.t
}
";
    assert_eq!(assert_stable("one-line", input), expected);
}

#[test]
fn blank_lines_are_kept_once_and_top_level_blocks_stand_apart() {
    let input = "\
let a = 1


let bb = 2
let ccc = 3
cloud \"c\" {


  a = 1



  b = 2

}
template \"t\" {}
";
    let expected = "\
let a = 1

let bb  = 2
let ccc = 3

cloud \"c\" {
  a = 1

  b = 2
}

template \"t\" {}
";
    assert_eq!(assert_stable("blank lines", input), expected);
}

#[test]
fn values_take_their_canonical_spelling() {
    let input = r#"let s = "tab	and \u{41} \$ \${x} ${ name } $${y}"
let d = [90s, 60m, 5400s, 1d1s]
let z = [3GiB, 1.5GiB, 20GB, 0.5KiB]
let f = [1.50, 007, -0.0]
let r = [template."k8s", labels."a b"]
let c = local( "x" , )
"#;
    let expected = r#"let s = "tab\tand A $ \${x} ${name} $${y}"
let d = [1m30s, 1h, 1h30m, 1d1s]
let z = [3GiB, 1.5GiB, 20GB, 0.5KiB]
let f = [1.5, 7, -0.0]
let r = [template.k8s, labels."a b"]
let c = local("x")
"#;
    assert_eq!(assert_stable("values", input), expected);
}

#[test]
fn comments_inside_interpolations_stay_inside() {
    let input = "let s = \"a${ /* in */ b # line\n}c\"\n";
    let out = assert_stable("interpolation", input);
    assert_eq!(out, "let s = \"a${/* in */ b # line\n  }c\"\n");
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(assert_stable("empty", ""), "");
    assert_eq!(assert_stable("blank", "\n\n  \n"), "");
    assert_eq!(
        assert_stable("comments", "\n# a\n\n\n/* b */   \n"),
        "# a\n\n/* b */\n"
    );
}

#[test]
fn files_with_syntax_errors_are_refused() {
    for text in [
        "cloud \"c\" {\n  a = \n}\n",
        "let x = 3parsecs\n",
        "cloud {",
    ] {
        match format_source(FileId(0), text) {
            Err(Error::Syntax(diags)) => assert!(!diags.is_empty()),
            other => panic!("{text:?} was not refused: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Random but valid sources

/// Whitespace or a comment between two tokens; never empty.
fn gap() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(" ".to_string()),
        3 => Just("\n".to_string()),
        1 => Just("\n\n\n".to_string()),
        1 => Just(" \t ".to_string()),
        1 => "[a-z ]{0,6}".prop_map(|t| format!(" # {t}\n")),
        1 => "[a-z]{0,4}".prop_map(|t| format!("\n//{t}\n\n")),
        1 => "[a-z {}\"]{0,6}".prop_map(|t| format!(" /*{t}*/ ")),
        1 => Just("\n/* two\n   lines */\n".to_string()),
    ]
}

/// Source text of a piece of a string literal.
fn string_piece(interp: Option<BoxedStrategy<String>>) -> BoxedStrategy<String> {
    let text = prop_oneof![
        "[a-zA-Z0-9 .,:/-]{1,6}",
        Just(r#"\""#.to_string()),
        Just(r"\\".to_string()),
        Just(r"\n".to_string()),
        Just("\t".to_string()),
        Just(r"\t".to_string()),
        Just(r"\${x}".to_string()),
        Just(r"\$".to_string()),
        Just("é😀#}".to_string()),
        Just(r"\u{1F600}".to_string()),
    ];
    match interp {
        Some(inner) => prop_oneof![
            3 => text,
            1 => (gap(), inner, gap()).prop_map(|(a, e, b)| format!("${{{a}{e}{b}}}")),
        ]
        .boxed(),
        None => text.boxed(),
    }
}

fn plain_string() -> impl Strategy<Value = String> {
    prop::collection::vec(string_piece(None), 0..4).prop_map(|p| format!("\"{}\"", p.concat()))
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["a", "node_count", "x-1", "_k", "image"]).prop_map(String::from),
        1 => plain_string(),
    ]
}

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        plain_string(),
        any::<i32>().prop_map(|n| n.to_string()),
        (0u32..1000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        any::<bool>().prop_map(|b| b.to_string()),
        (
            1u32..5000,
            any::<bool>(),
            prop::sample::select(vec![
                "B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"
            ])
        )
            .prop_map(|(n, half, u)| if half {
                format!("{n}.5{u}")
            } else {
                format!("{n}{u}")
            }),
        prop::collection::vec(0u32..200, 4).prop_map(|n| {
            let d: String = n
                .iter()
                .zip(["d", "h", "m", "s"])
                .filter(|(n, _)| **n % 3 != 0)
                .map(|(n, u)| format!("{n}{u}"))
                .collect();
            if d.is_empty() { "0s".to_string() } else { d }
        }),
        prop::sample::select(vec!["kubernetes", "vm", "anti-affinity", "_x", "a1"])
            .prop_map(String::from),
        prop::sample::select(vec!["template.k8s-coreos", "labels.\"a b\"", "a.b.c"])
            .prop_map(String::from),
    ]
}

fn value() -> BoxedStrategy<String> {
    atom()
        .prop_recursive(3, 24, 4, |inner| {
            let item = (gap(), inner.clone(), gap())
                .prop_map(|(a, v, b)| format!("{a}{v}{b}"))
                .boxed();
            prop_oneof![
                (prop::collection::vec(item.clone(), 0..4), any::<bool>()).prop_map(
                    |(items, comma)| {
                        let tail = if comma && !items.is_empty() { "," } else { "" };
                        format!("[{}{tail}]", items.join(","))
                    }
                ),
                prop::collection::vec(
                    (
                        key(),
                        gap(),
                        prop::sample::select(vec!["=", ":"]),
                        item.clone(),
                        any::<bool>()
                    ),
                    0..4
                )
                .prop_map(|entries| {
                    let body: Vec<String> = entries
                        .into_iter()
                        .map(|(k, g, sep, v, comma)| {
                            format!(" {k}{g}{sep}{v}{}", if comma { "," } else { " " })
                        })
                        .collect();
                    format!("{{{} }}", body.concat())
                }),
                (
                    prop::sample::select(vec!["local", "f"]),
                    prop::collection::vec(item, 0..3)
                )
                    .prop_map(|(name, args)| format!("{name}({})", args.join(","))),
                prop::collection::vec(string_piece(Some(inner)), 0..4)
                    .prop_map(|p| format!("\"{}\"", p.concat())),
            ]
        })
        .boxed()
}

fn attribute() -> impl Strategy<Value = String> {
    (key(), gap(), gap(), value()).prop_map(|(k, a, b, v)| format!("{k}{a}={b}{v}"))
}

/// Nested block kinds avoid the top-level words, which the scanner treats as
/// a new item when they start a line at column 0.
fn block(kinds: Vec<&'static str>, depth: u32) -> BoxedStrategy<String> {
    let item = if depth == 0 {
        attribute().boxed()
    } else {
        prop_oneof![3 => attribute(), 1 => block(vec!["image", "flavor", "boot", "x-y"], depth - 1)]
            .boxed()
    };
    (
        prop::sample::select(kinds),
        prop::option::of(plain_string()),
        gap(),
        prop::collection::vec((gap(), item), 0..5),
        gap(),
    )
        .prop_map(|(kind, name, g, body, end)| {
            let name = name.map(|n| format!(" {n}")).unwrap_or_default();
            let body: String = body.into_iter().map(|(g, i)| format!("{g}{i}")).collect();
            format!("{kind}{name}{g}{{{body}{end}}}")
        })
        .boxed()
}

fn source() -> impl Strategy<Value = String> {
    let top = block(
        vec!["cloud", "template", "cluster", "labels", "label", "schema"],
        2,
    );
    let item = prop_oneof![
        1 => ("[a-z_]{1,4}", gap(), value()).prop_map(|(n, g, v)| format!("let {n}{g}={g}{v}")),
        2 => top,
    ];
    (prop::collection::vec((gap(), item), 0..5), gap()).prop_map(|(items, end)| {
        let mut s: String = items
            .into_iter()
            .map(|(g, i)| format!("{g}{i}\n"))
            .collect();
        s.push_str(&end);
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_sources_format_stably(src in source()) {
        let parsed = parse(FileId(0), &src);
        prop_assert!(!parsed.has_errors(), "generator made an invalid source: {:?}\n{src}", parsed.diagnostics);
        // the pest grammar, the reference, agrees and builds the same tree
        let reference = coe::syntax::reference::parse_reference(FileId(0), &src);
        prop_assert!(reference.is_some(), "pest rejects what the parser accepts:\n{src}");
        prop_assert_eq!(&reference.unwrap().items, &parsed.file.items);
        let once = format_source(FileId(0), &src);
        prop_assert!(once.is_ok(), "{once:?}\n--- input ---\n{src}");
        let once = once.unwrap();
        let again = parse(FileId(0), &once);
        prop_assert!(!again.has_errors(), "{:?}\n{once}", again.diagnostics);
        prop_assert_eq!(shape(&parsed.file), shape(&again.file), "\n{}", once);
        let twice = format_source(FileId(0), &once);
        prop_assert!(twice.is_ok());
        prop_assert_eq!(twice.unwrap(), once);
    }
}

// ---------------------------------------------------------------------------
// The command line

struct TempDir(tempfile::TempDir);

impl TempDir {
    fn new(name: &str) -> Self {
        TempDir(
            tempfile::Builder::new()
                .prefix(&format!("coe-fmt-{name}-"))
                .tempdir()
                .unwrap(),
        )
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    fn names(&self) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }
}

fn coe(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_coe"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const MESSY: &str = "cloud \"c\" {\n    a = 1\n  bb = 2 # note\n}\n";
const TIDY: &str = "cloud \"c\" {\n  a  = 1\n  bb = 2  # note\n}\n";

#[test]
fn check_lists_the_files_that_would_change_and_writes_nothing() {
    let t = TempDir::new("check");
    t.write("messy.coe", MESSY);
    t.write("tidy.coe", TIDY);
    let (code, out, err) = coe(&["fmt", "--check", "."], t.path());
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "messy.coe\n");
    assert_eq!(t.read("messy.coe"), MESSY);
    let (code, out, err) = coe(&["fmt", "--check", "tidy.coe"], t.path());
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
}

#[test]
fn diff_prints_a_unified_diff_and_writes_nothing() {
    let t = TempDir::new("diff");
    t.write("messy.coe", MESSY);
    let (code, out, err) = coe(&["fmt", "--diff", "messy.coe"], t.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("--- messy.coe\n+++ messy.coe\n@@ "),
        "{out}"
    );
    assert!(out.contains("\n-    a = 1\n"), "{out}");
    assert!(out.contains("\n+  a  = 1\n"), "{out}");
    assert_eq!(t.read("messy.coe"), MESSY);
    t.write("tidy.coe", TIDY);
    let (code, out, _) = coe(&["fmt", "--diff", "tidy.coe"], t.path());
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn fmt_rewrites_in_place_and_skips_files_with_syntax_errors() {
    let t = TempDir::new("write");
    t.write("messy.coe", MESSY);
    t.write("broken.coe", "cloud \"c\" {\n  a = \n}\n");
    let (code, out, err) = coe(&["fmt", "."], t.path());
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("broken.coe"), "{err}");
    assert_eq!(t.read("messy.coe"), TIDY);
    assert_eq!(t.read("broken.coe"), "cloud \"c\" {\n  a = \n}\n");
    // No temporary file is left behind.
    assert_eq!(t.names(), ["broken.coe", "messy.coe"]);
    let (code, _, err) = coe(&["fmt", "--check", "messy.coe"], t.path());
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let t = TempDir::new("missing");
    let (code, _, err) = coe(&["fmt", "nope.coe"], t.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nope.coe"), "{err}");
}
