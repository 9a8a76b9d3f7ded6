//! `coe import`: Magnum JSON files (or standard input) → `.coe` text on
//! standard output or, atomically, in a file.

use crate::cli::args::ImportArgs;
use crate::cli::exit;
use crate::import::{Input, import};
use std::io::{Read, Write};

pub fn run(a: ImportArgs) -> crate::cli::error::Outcome {
    let mut inputs = Vec::new();
    let mut stdin_read = false;
    for f in &a.files {
        if f.as_os_str() == "-" {
            if stdin_read {
                return Err("standard input (`-`) can be read only once".into());
            }
            stdin_read = true;
            let mut bytes = Vec::new();
            let text = std::io::stdin()
                .read_to_end(&mut bytes)
                .and_then(|_| crate::source::utf8_text(bytes))
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            inputs.push(Input {
                name: "standard input".into(),
                text,
            });
        } else {
            let text = crate::source::read_text(f)
                .map_err(|e| format!("cannot read `{}`: {e}", f.display()))?;
            inputs.push(Input {
                name: f.display().to_string(),
                text,
            });
        }
    }
    let imported = import(&inputs)?;
    for w in &imported.warnings {
        eprintln!("warning: {w}");
    }
    match &a.output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(imported.text.as_bytes())
                .and_then(|_| out.flush())
                .map_err(|e| format!("cannot write to standard output: {e}"))?;
        }
        Some(path) => {
            crate::cli::write::atomically(path, &imported.text)?;
            eprintln!(
                "imported {} into `{}`; run `coe check {}` next",
                counts(&imported),
                path.display(),
                path.display()
            );
        }
    }
    Ok(exit::OK)
}

fn counts(i: &crate::import::Imported) -> String {
    let part = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut parts = vec![
        part(i.templates, "template"),
        part(i.clusters, "cluster"),
        part(i.images, "image"),
    ];
    if let Some(facts) = &i.facts {
        parts.push(format!("cloud facts ({facts})"));
    }
    parts.join(", ")
}
