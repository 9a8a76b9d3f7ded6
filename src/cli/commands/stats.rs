//! `coe stats`: clusters and nodes, as declared and as live in Heat.

use crate::cli::args::StatsArgs;
use crate::cli::exit;
use crate::cli::remote::{connect, prepare};
use serde_json::Value;

pub fn run(a: StatsArgs) -> crate::cli::error::Outcome {
    let p = match prepare(&a.paths, &a.target)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let heat = connect(&a.cloud)?;
    let mut rows = Vec::new();
    let mut totals = [0u64; 4];
    for t in &p.targets {
        let live = heat.find_stack(&t.stack_name)?;
        let (status, masters, workers) = match &live {
            None => ("absent".to_string(), None, None),
            Some(s) => {
                let stack = heat.show(&s.path())?;
                let param = |n: &str| {
                    stack
                        .pointer(&format!("/parameters/{n}"))
                        .and_then(|v| match v {
                            Value::String(s) => s.parse().ok(),
                            v => v.as_u64(),
                        })
                };
                (
                    s.stack_status.clone(),
                    param("number_of_masters"),
                    param("number_of_workers"),
                )
            }
        };
        totals[0] += t.master_count;
        totals[1] += t.node_count;
        totals[2] += masters.unwrap_or(0);
        totals[3] += workers.unwrap_or(0);
        rows.push((
            t.cluster.clone(),
            t.master_count,
            t.node_count,
            masters,
            workers,
            status,
        ));
    }
    if a.json {
        let clusters: Vec<_> = rows
            .iter()
            .map(|(c, dm, dw, lm, lw, st)| {
                serde_json::json!({
                    "cluster": c,
                    "declared": {"masters": dm, "workers": dw},
                    "live": {"masters": lm, "workers": lw, "status": st},
                })
            })
            .collect();
        let doc = serde_json::json!({
            "format_version": 1,
            "clusters": clusters,
            "totals": {
                "clusters_declared": rows.len(),
                "clusters_live": rows.iter().filter(|r| r.5 != "absent").count(),
                "declared": {"masters": totals[0], "workers": totals[1]},
                "live": {"masters": totals[2], "workers": totals[3]},
            }
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
        );
        return Ok(exit::OK);
    }
    let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
    let table_rows: Vec<[String; 6]> = rows
        .iter()
        .map(|(c, dm, dw, lm, lw, st)| {
            [
                c.clone(),
                dm.to_string(),
                dw.to_string(),
                opt(*lm),
                opt(*lw),
                st.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        super::list::table(
            &[
                "CLUSTER",
                "MASTERS",
                "WORKERS",
                "LIVE MASTERS",
                "LIVE WORKERS",
                "STATUS"
            ],
            &table_rows
        )
    );
    println!(
        "{} clusters declared, {} live; nodes declared {} ({} masters, {} workers), live {} ({} masters, {} workers)",
        rows.len(),
        rows.iter().filter(|r| r.5 != "absent").count(),
        totals[0] + totals[1],
        totals[0],
        totals[1],
        totals[2] + totals[3],
        totals[2],
        totals[3]
    );
    Ok(exit::OK)
}
