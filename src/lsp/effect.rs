//! What changing an attribute would do to a running cluster, for hover:
//! the clusters are compiled as `coe build` does, the Heat parameters the
//! attribute sets are found through the source map, and plan's own
//! analysis follows those parameters through the templates and judges each
//! resource with Heat's update schemas and coe's update policies.

use super::analysis::{Analysis, FileData};
use crate::compile;
use crate::plan::analyze::{self, Effect, Side};
use crate::source::{SourceMap, Span};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

impl Analysis {
    /// "Changing it: …" for the attribute whose value is `value` in `file`,
    /// or `None` when no cluster's parameters come from it (or the
    /// configuration does not compile).
    pub fn change_effect(&self, file: &FileData, value: Span) -> Option<String> {
        let mut sources = SourceMap::new();
        crate::check::add_stdlib(&mut sources);
        for f in &self.files {
            sources.add_text(&f.path.display().to_string(), &f.text);
        }
        let bundles = compile::compile(&self.checked, &sources).ok()?;
        let name = file.path.display().to_string();
        let mut lines: Vec<String> = Vec::new();
        let mut clusters = 0;
        for b in &bundles {
            let params: BTreeMap<String, String> = b
                .sourcemap
                .parameters
                .iter()
                .filter(|(_, e)| e.file == name && e.start == value.start)
                .map(|(p, _)| (p.clone(), format!("`{p}` changes")))
                .collect();
            if params.is_empty() {
                continue;
            }
            clusters += 1;
            let template: Value = serde_saphyr::from_str(&b.template).ok()?;
            let files: BTreeMap<String, Value> = b
                .files
                .iter()
                .filter(|(k, _)| k.ends_with(".yaml"))
                .filter_map(|(k, v)| Some((k.clone(), serde_saphyr::from_str(v).ok()?)))
                .collect();
            let env = b.environment_json();
            let empty = Map::new();
            let registry = env["resource_registry"].as_object().unwrap_or(&empty);
            let values = env["parameters"].as_object().unwrap_or(&empty);
            let side = Side {
                template: &template,
                files: &files,
                registry,
                params: values,
            };
            let mut changes = analyze::analyze(&side, &side, &params);
            changes.sort_by_key(|c| std::cmp::Reverse(c.effect));
            for c in changes
                .iter()
                .filter(|c| c.effect > Effect::Ignored)
                .take(4)
            {
                let line = format!("`{}`: {}", c.path, c.effect.word());
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
            if changes.iter().all(|c| c.effect == Effect::Ignored) && !changes.is_empty() {
                let line = "no change to running servers (read once at bootstrap)".to_string();
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
        }
        if clusters == 0 {
            return None;
        }
        if lines.is_empty() {
            lines.push("nothing in the stacks changes".into());
        }
        let who = if clusters == 1 {
            "its cluster".to_string()
        } else {
            format!("its {clusters} clusters")
        };
        Some(format!(
            "Changing it on a running cluster ({who}; `coe plan` shows the same):\n\n{}",
            lines
                .iter()
                .map(|l| format!("- {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        ))
    }
}
