//! `coe labels`: each cluster's effective labels and where each came from.

use crate::check::{self, Options, model::Origin};
use crate::cli::args::LabelsArgs;
use crate::cli::exit;
use crate::diag::render;

pub fn run(a: LabelsArgs) -> crate::cli::error::Outcome {
    let (mut sources, ids) = super::check::load(&a.paths)?;
    let checked = check::check_files(&mut sources, &ids, &Options::default());
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !errors.is_empty() {
        print!("{}", render::human::render(&sources, &errors, false));
        return Ok(exit::FAILED);
    }
    let mut json = Vec::new();
    let mut found = false;
    for c in &checked.model.clusters {
        if a.cluster.as_ref().is_some_and(|n| *n != c.name) {
            continue;
        }
        found = true;
        let Some(eff) = &c.effective else { continue };
        let driver = eff.driver.as_deref();
        // What each label does here: the catalogue's word, per driver.
        let effect = |key: &str| -> Result<String, String> {
            match checked.catalogue.labels.get(key) {
                Some(info) => info.effect_on(&eff.coe.value, driver).map(str::to_string),
                None => Err("no catalogue entry: coe knows nothing of it".to_string()),
            }
        };
        let effects: Vec<Result<String, String>> =
            eff.labels.iter().map(|l| effect(&l.key)).collect();
        let rows: Vec<(String, String, String)> = eff
            .labels
            .iter()
            .map(|l| {
                let origin = match &l.origin {
                    Origin::Template => {
                        format!("template {}", checked.model.templates[eff.template].name)
                    }
                    Origin::Cluster => "cluster".to_string(),
                    Origin::LabelSet(s) => format!("labels {s}"),
                    Origin::Default => "default".to_string(),
                };
                (l.key.clone(), l.display_value(), origin)
            })
            .collect();
        if a.json {
            let labels: Vec<_> = rows
                .iter()
                .zip(&effects)
                .map(|((k, v, o), e)| {
                    let mut row = serde_json::json!({ "key": k, "value": v, "from": o });
                    if a.effect {
                        match e {
                            Ok(does) => row["effect"] = does.clone().into(),
                            Err(why) => row["unimplemented"] = why.clone().into(),
                        }
                    }
                    row
                })
                .collect();
            json.push(serde_json::json!({ "cluster": c.name, "labels": labels }));
            continue;
        }
        println!("cluster {}", c.name);
        if rows.is_empty() {
            println!("  (no labels)");
        }
        let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let vwidth = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
        for ((k, v, o), e) in rows.into_iter().zip(&effects) {
            println!("  {k:<width$} = {v:<vwidth$}  # {o}");
            if a.effect {
                match e {
                    Ok(does) => println!("      does: {does}"),
                    Err(why) => println!("      does nothing: {why}"),
                }
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&json).expect("json"));
    }
    if let Some(name) = a.cluster.filter(|_| !found) {
        let names = checked.model.clusters.iter().map(|c| c.name.as_str());
        return Err(crate::cli::error::unknown_cluster(
            &name,
            names,
            "in the configuration",
        ));
    }
    Ok(exit::OK)
}
