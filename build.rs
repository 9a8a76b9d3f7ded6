//! Embeds every file under `stdlib/heat/` (the Heat templates and scripts) so
//! the binary is self-contained; `src/compile/templates.rs` includes the list.

use std::fmt::Write as _;
use std::path::Path;

fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, base, out);
        } else if p.file_name().is_some_and(|n| n != "README.md") {
            out.push(
                p.strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let heat = root.join("stdlib/heat");
    println!("cargo:rerun-if-changed=stdlib/heat");
    let mut files = Vec::new();
    if heat.is_dir() {
        walk(&heat, &heat, &mut files);
    }
    let mut code = String::from(
        "/// (path under stdlib/heat, contents)\npub static HEAT_FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed=stdlib/heat/{f}");
        let _ = writeln!(
            code,
            "    ({f:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/stdlib/heat/{f}\"))),"
        );
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("heat_files.rs");
    std::fs::write(out, code).unwrap();
}
