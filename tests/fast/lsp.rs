//! `coe lsp` driven over stdio as an editor drives it: framed JSON-RPC in,
//! responses and published diagnostics out, on a copy of an example.

use crate::common::lsp_client::Client;
use crate::common::root;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The line and column of the first `needle` in `text` (plus `skip` columns).
fn pos(text: &str, needle: &str, skip: u32) -> (u32, u32) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the text"));
    let line = text[..at].matches('\n').count() as u32;
    let col = (at - text[..at].rfind('\n').map_or(0, |i| i + 1)) as u32;
    (line, col + skip)
}

fn example() -> (tempfile::TempDir, PathBuf, String, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("examples/ha-fedora-coreos");
    for f in ["cloud.coe", "clusters.coe"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let clusters = dir.path().join("clusters.coe");
    let text = std::fs::read_to_string(&clusters).unwrap();
    let cloud = dir.path().join("cloud.coe");
    (dir, clusters, text, cloud)
}

#[test]
fn diagnostics_follow_the_buffer_across_the_configuration() {
    let (_dir, clusters, text, cloud) = example();
    let mut c = Client::start();
    let u = uri(&clusters);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "coe", "version": 1, "text": text}}),
    );
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());
    assert_eq!(c.diagnostics_for(&uri(&cloud)), Vec::<Value>::new());

    // a typo in a flag and a half-typed attribute: both reported, nothing else
    let broken = text
        .replace("--proxy-mode=ipvs", "--proxy-mod=ipvs")
        .replace(
            "  master_count = 3\n  node_count   = 3\n",
            "  master_count = 3\n  node_count   = 3\n  node_flav\n",
        );
    assert_ne!(broken, text);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": broken}]}),
    );
    let diags = c.diagnostics_for(&u);
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["COE0001", "COE0412"], "{diags:#?}");
    assert_eq!(
        diags[0]["range"]["start"],
        json!({"line": pos(&broken, "node_flav", 0).0, "character": 2})
    );
    assert!(
        diags[1]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `--proxy-mode`?"),
        "{diags:#?}"
    );
    assert_eq!(diags[1]["source"], "coe");

    // closing the buffer goes back to the file on disk: clean again
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());
    c.stop();
}

#[test]
fn hover_completion_and_navigation() {
    let (_dir, clusters, text, cloud) = example();
    let mut c = Client::start();
    let u = uri(&clusters);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "coe", "version": 1, "text": text}}),
    );
    let _ = c.diagnostics_for(&u);

    // hover: a label (its catalogue entry), an attribute (its schema), a reference (its target)
    let h = c.at(
        "textDocument/hover",
        &u,
        pos(&text, "kubeproxy_options", 2),
        json!({}),
    );
    let h = h["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        h.contains("label kubeproxy_options") && h.contains("--proxy-mode"),
        "{h}"
    );
    let h = c.at(
        "textDocument/hover",
        &u,
        pos(&text, "master_flavor", 2),
        json!({}),
    );
    let h = h["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(h.starts_with("**master_flavor**"), "{h}");
    // an attribute's hover says what a change does, from plan's analysis
    let h = c.at(
        "textDocument/hover",
        &u,
        pos(&text, "  image               =", 3),
        json!({}),
    );
    let h = h["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        h.contains("`masters/*/server`: rebuild (the root disk is re-imaged)"),
        "{h}"
    );
    let h = c.at(
        "textDocument/hover",
        &u,
        pos(&text, "template.k8s-ha", 10),
        json!({}),
    );
    let h = h["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(h.contains("template \"k8s-ha\" {"), "{h}");

    // completion: label keys in a labels block, members after `=`, references
    let line = pos(&text, "    kubeproxy_options", 0).0;
    let items = c.at("textDocument/completion", &u, (line, 4), json!({}));
    let labels: Vec<&str> = items["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"kube_tag") && labels.contains(&"flannel_backend"),
        "{labels:?}"
    );
    let items = c.at(
        "textDocument/completion",
        &u,
        pos(&text, "network_driver      = calico", 22),
        json!({}),
    );
    let members: Vec<&str> = items["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        members.contains(&"flannel") && members.contains(&"calico"),
        "{members:?}"
    );
    let items = c.at(
        "textDocument/completion",
        &u,
        pos(&text, "template       = template.k8s-ha", 17),
        json!({}),
    );
    let refs: Vec<&str> = items["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(refs.contains(&"template.k8s-ha"), "{refs:?}");

    // right after the digits of a size: its units
    let items = c.at(
        "textDocument/completion",
        &u,
        pos(&text, "= 50GiB", 4),
        json!({}),
    );
    let units: Vec<&str> = items["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(units.contains(&"GiB") && !units.contains(&"h"), "{units:?}");

    // definition and references of the template; rename it everywhere
    let d = c.at(
        "textDocument/definition",
        &u,
        pos(&text, "template.k8s-ha", 10),
        json!({}),
    );
    assert_eq!(d["result"]["uri"], u.as_str());
    assert_eq!(
        d["result"]["range"]["start"],
        json!({"line": pos(&text, "template \"k8s-ha\"", 0).0, "character": 10})
    );
    let r = c.at(
        "textDocument/references",
        &u,
        pos(&text, "template \"k8s-ha\"", 11),
        json!({"context": {"includeDeclaration": true}}),
    );
    let uses = text.matches("template.k8s-ha").count();
    assert_eq!(r["result"].as_array().unwrap().len(), uses + 1, "{r}");
    let e = c.at(
        "textDocument/rename",
        &u,
        pos(&text, "template.k8s-ha", 10),
        json!({"newName": "k8s-main"}),
    );
    let edits = e["result"]["changes"][&u].as_array().unwrap();
    assert_eq!(edits.len(), uses + 1, "{e}");
    assert!(edits.iter().all(|x| x["newText"] == "k8s-main"));
    let bad = c.at(
        "textDocument/rename",
        &u,
        pos(&text, "template.k8s-ha", 10),
        json!({"newName": "a\"b"}),
    );
    assert!(bad.get("error").is_some(), "{bad}");

    // outline and folds
    let s = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    let names: Vec<&str> = s["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["registry", "versions", "k8s-ha", "prod-eu1", "prod-eu2"],
        "{s}"
    );
    let f = c.request(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": u}}),
    );
    assert!(f["result"].as_array().unwrap().len() >= 5, "{f}");

    // the cloud file is part of the configuration: hover there works too
    let cloud_text = std::fs::read_to_string(&cloud).unwrap();
    let cu = uri(&cloud);
    let h = c.at(
        "textDocument/hover",
        &cu,
        pos(&cloud_text, "nova_microversion", 1),
        json!({}),
    );
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("microversion"),
        "{h}"
    );
    c.stop();
}

#[test]
fn formatting_and_quick_fixes_are_coes_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.coe");
    let text = "cluster \"c\" {\n node_count=3\n    master_count  =  1\n}\n";
    std::fs::write(&path, text).unwrap();
    let mut c = Client::start();
    let u = uri(&path);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "coe", "version": 1, "text": text}}),
    );
    let _ = c.diagnostics_for(&u);
    let f = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let expected = coe::fmt::format_source(coe::source::FileId(0), text).unwrap();
    assert_eq!(f["result"][0]["newText"], expected.as_str(), "{f}");

    // `:` for `=`: the diagnostic's fix is a quick fix
    let colon = "cluster \"c\" {\n  node_count: 3\n}\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": colon}]}),
    );
    let diags = c.diagnostics_for(&u);
    assert_eq!(diags[0]["code"], "COE0001");
    let a = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u}, "range": diags[0]["range"], "context": {"diagnostics": diags}}),
    );
    let action = &a["result"][0];
    assert_eq!(action["kind"], "quickfix", "{a}");
    let edit = &action["edit"]["changes"][&u][0];
    assert_eq!(edit["newText"], "=");
    assert_eq!(edit["range"]["start"], json!({"line": 1, "character": 12}));
    // a file with a syntax error is not formatted
    let f = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(f["result"], Value::Null, "{f}");
    c.stop();
}

#[test]
fn bad_requests_get_errors_and_the_server_lives_on() {
    let mut c = Client::start();
    // a buffer that is no file is checked alone
    let untitled = "untitled:Untitled-1";
    let r = c.at("textDocument/hover", untitled, (0, 0), json!({}));
    assert!(r.get("error").is_none() && r["result"].is_null(), "{r}");
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": untitled, "languageId": "coe", "version": 1, "text": "cluster \"c\" {\n  node_count: 3\n}\n"}}),
    );
    let d = c.diagnostics_for(untitled);
    assert_eq!(d[0]["code"], "COE0001", "{d:?}");
    let h = c.at("textDocument/hover", untitled, (1, 4), json!({}));
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("node_count"),
        "{h}"
    );
    // an unknown method, malformed JSON, a position far off
    let r = c.request("coe/unknown", json!({}));
    assert_eq!(r["error"]["code"], -32601, "{r}");
    c.send_raw("{not json");
    write!(c.stdin, "X-Garbage: 1\r\n\r\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("far.coe");
    let u = uri(&path);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "coe", "version": 1, "text": "let a = 1\n"}}),
    );
    let _ = c.diagnostics_for(&u);
    let r = c.at("textDocument/hover", &u, (900, 900), json!({}));
    assert_eq!(r["result"], Value::Null, "{r}");
    let r = c.at("textDocument/completion", &u, (900, 900), json!({}));
    assert!(r.get("error").is_none(), "{r}");
    // the malformed messages were logged, and the server answered on
    let logged = c
        .notifications
        .iter()
        .filter(|n| {
            n["method"] == "window/logMessage"
                && n["params"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("malformed message")
        })
        .count();
    assert_eq!(logged, 2, "{:#?}", c.notifications);
    c.stop();
}

#[test]
fn semantic_tokens_and_inlay_hints() {
    let (_dir, clusters, text, _cloud) = example();
    let mut c = Client::start();
    let u = uri(&clusters);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "coe", "version": 1, "text": text}}),
    );
    let _ = c.diagnostics_for(&u);
    let r = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": u}}),
    );
    let data: Vec<u64> = r["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    // decode: (line, column, length, type) in the legend's order
    let legend = [
        "comment",
        "string",
        "number",
        "keyword",
        "type",
        "property",
        "enumMember",
        "variable",
        "function",
        "operator",
    ];
    let (mut line, mut col) = (0u64, 0u64);
    let mut tokens = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            col = 0;
        }
        line += t[0];
        col += t[1];
        let l = text.lines().nth(line as usize).unwrap();
        let word: String = l.chars().skip(col as usize).take(t[2] as usize).collect();
        tokens.push((word, legend[t[3] as usize]));
    }
    let has = |w: &str, k: &str| tokens.iter().any(|(a, b)| a == w && *b == k);
    assert!(
        has("let", "keyword") && has("registry", "variable"),
        "{tokens:?}"
    );
    assert!(
        has("template", "type") && has("k8s-ha", "variable"),
        "{tokens:?}"
    );
    assert!(
        has("master_count", "property") && has("calico", "enumMember"),
        "{tokens:?}"
    );
    assert!(
        has("50GiB", "number") && has("true", "keyword"),
        "{tokens:?}"
    );
    assert!(
        tokens
            .iter()
            .any(|(w, k)| w.starts_with('#') && *k == "comment"),
        "{tokens:?}"
    );

    let r = c.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": u}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 999, "character": 0}}}),
    );
    let hints: Vec<&str> = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["label"].as_str().unwrap())
        .collect();
    assert_eq!(hints.len(), 2, "{r}");
    assert!(
        hints[0].contains("k8s_fedora_coreos_v1, 3 masters, 5 workers, m1.medium"),
        "{hints:?}"
    );
    c.stop();
}

/// Edits faster than checks: whatever is published in between, the last
/// diagnostics are those of the last text, and requests see the last text.
#[test]
fn rapid_edits_end_with_the_last_texts_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.coe");
    std::fs::write(&path, "").unwrap();
    let mut c = Client::start();
    let u = uri(&path);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "coe", "version": 1, "text": ""}}),
    );
    let _ = c.diagnostics_for(&u);
    let texts: Vec<String> = (0..20)
        .map(|i| {
            format!(
                "cluster \"c\" {{\n{}  node_count = {i}\n}}\n",
                "\n".repeat(i)
            )
        })
        .chain(["let broken = \n".to_string()])
        .collect();
    for (v, text) in texts.iter().enumerate() {
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": v + 2}, "contentChanges": [{"text": text}]}),
        );
    }
    // hover asks about the last text: line 0 holds `let broken`
    let h = c.at("textDocument/hover", &u, (0, 5), json!({}));
    assert!(h.get("error").is_none(), "{h}");
    let last = loop {
        let d = c.diagnostics_for(&u);
        if d.first().is_some_and(|d| {
            d["message"]
                .as_str()
                .unwrap()
                .contains("`broken` has no value")
                || d["message"].as_str().unwrap().contains("expected a value")
        }) {
            break d;
        }
    };
    assert_eq!(last.len(), 1, "{last:?}");
    // nothing stale arrives after it
    std::thread::sleep(std::time::Duration::from_millis(300));
    let r = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    assert_eq!(r["result"][0]["name"], "broken", "{r}");
    assert!(
        !c.notifications
            .iter()
            .any(|n| n["method"] == "textDocument/publishDiagnostics"),
        "{:#?}",
        c.notifications
    );
    c.stop();
}

/// A large file (20,000 lines and a 1 MB line) is checked and answered like
/// a small one.
#[test]
fn large_files_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.coe");
    let mut text = format!("let long = \"{}\"\n", "x".repeat(1 << 20));
    for i in 0..2000 {
        text.push_str(&format!(
            "cluster \"c{i}\" {{\n  node_count = {}\n  master_count = 1\n  labels {{\n    kube_tag = \"v1.27.4\"\n  }}\n  create_timeout = 1h\n}}\n\n",
            i % 7
        ));
    }
    assert!(text.lines().count() > 18_000);
    let mut c = Client::start();
    let u = uri(&path);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "coe", "version": 1, "text": text}}),
    );
    let diags = c.diagnostics_for(&u);
    // no template: every cluster says so, and nothing else goes wrong
    assert!(!diags.is_empty());
    let last = text.lines().count() as u32 - 3;
    let h = c.at("textDocument/hover", &u, (last, 4), json!({}));
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("create_timeout"),
        "{h}"
    );
    let s = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    assert_eq!(s["result"].as_array().unwrap().len(), 2001);
    c.stop();
}
