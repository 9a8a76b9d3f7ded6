//! `coe list`: the stacks coe manages in the project.

use crate::cli::args::ListArgs;
use crate::cli::exit;
use crate::cli::remote::connect;
use crate::compile::MANAGED_TAG;
use crate::plan::CONFIG_TAG_PREFIX;

pub fn run(a: ListArgs) -> crate::cli::error::Outcome {
    let heat = connect(&a.cloud)?;
    let stacks = heat.list_stacks(&[MANAGED_TAG])?;
    // The API address is an output: one more request per stack.
    let mut api = Vec::new();
    for s in &stacks {
        let outputs = if s.in_progress() && s.stack_status.starts_with("CREATE") {
            Vec::new()
        } else {
            heat.outputs(&s.path())?
        };
        api.push(
            outputs
                .into_iter()
                .find(|o| o.output_key == "api_address")
                .and_then(|o| o.output_value.as_str().map(str::to_string)),
        );
    }
    let tag =
        |s: &crate::heat::StackSummary, prefix: &str| s.tag(prefix).unwrap_or("-").to_string();
    if a.json {
        let rows: Vec<_> = stacks
            .iter()
            .zip(&api)
            .map(|(s, api)| {
                serde_json::json!({
                    "api_address": api,
                    "stack_name": s.stack_name,
                    "id": s.id,
                    "cluster": tag(s, "coe-cluster="),
                    "config": tag(s, CONFIG_TAG_PREFIX),
                    "status": s.stack_status,
                    "status_reason": s.stack_status_reason,
                    "created": s.creation_time,
                    "updated": s.updated_time,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"format_version": 1, "stacks": rows}))
                .map_err(|e| e.to_string())?
        );
        return Ok(exit::OK);
    }
    if stacks.is_empty() {
        println!("No stacks managed by coe in this project.");
        return Ok(exit::OK);
    }
    let rows: Vec<[String; 6]> = stacks
        .iter()
        .zip(&api)
        .map(|(s, api)| {
            [
                s.stack_name.clone(),
                tag(s, "coe-cluster="),
                tag(s, CONFIG_TAG_PREFIX),
                s.stack_status.clone(),
                api.clone().unwrap_or_else(|| "-".into()),
                s.updated_time
                    .clone()
                    .or(s.creation_time.clone())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["STACK", "CLUSTER", "CONFIG", "STATUS", "API", "CHANGED"],
            &rows
        )
    );
    Ok(exit::OK)
}

/// Columns padded to their widest cell.
pub fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == N {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(head.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}
