//! `coe ca show CLUSTER`, `coe ca sign CLUSTER CSR` and `coe ca rotate
//! CLUSTER`: the CA coe keeps for a cluster in Barbican (README, "Cluster
//! credentials").

use crate::cli::args::{ApplyArgs, CaArgs, CaCommand, ChangeOpts, TargetOpts};
use crate::cli::cluster_credentials::of_cluster;
use crate::cli::exit;
use crate::cli::remote::connect_full;
use std::io::Read;
use std::time::SystemTime;

pub fn run(a: CaArgs) -> crate::cli::error::Outcome {
    match a.command {
        CaCommand::Show { cluster, cloud } => {
            let (heat, conn) = connect_full(&cloud)?;
            let (_, creds) = of_cluster(&heat, &conn, &cluster)?;
            print!("{}", creds.trust);
            if creds.rotation.next.is_some() {
                eprintln!(
                    "cluster `{cluster}`'s CA is being rotated (step {} of {} applied): its nodes trust the certificates above",
                    creds.rotation.step,
                    crate::credentials::rotation::STEPS
                );
            }
            Ok(exit::OK)
        }
        CaCommand::Rotate {
            cluster,
            paths,
            env_files,
            config_name,
            yes,
            full,
            cloud,
        } => {
            let a = ApplyArgs {
                paths,
                target: TargetOpts {
                    env_files,
                    clusters: vec![cluster.clone()],
                    config_name,
                    deny_warnings: false,
                },
                cloud,
                yes,
                // Rotation refuses clusters whose rollout would take the
                // API down (fewer than three masters): nothing to allow.
                change: ChangeOpts {
                    prune: false,
                    adopt: false,
                    allow_downtime: false,
                },
                parallel: 1,
                full,
            };
            super::apply::apply(a, Some(&cluster))
        }
        CaCommand::Sign {
            cluster,
            csr,
            days,
            cloud,
        } => {
            let text = if csr.as_os_str() == "-" {
                let mut bytes = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut bytes)
                    .and_then(|_| crate::source::utf8_text(bytes))
                    .map_err(|e| format!("cannot read standard input: {e}"))?
            } else {
                crate::source::read_text(&csr)
                    .map_err(|e| format!("cannot read `{}`: {e}", csr.display()))?
            };
            let (heat, conn) = connect_full(&cloud)?;
            let (_, creds) = of_cluster(&heat, &conn, &cluster)?;
            let issued = creds
                .ca
                .sign_csr(&text, SystemTime::now(), days)
                .map_err(|e| format!("`{}`: {e}", csr.display()))?;
            print!("{}", issued.cert_pem);
            eprintln!(
                "signed a client certificate of cluster `{cluster}` for the request's subject, valid {days} days"
            );
            Ok(exit::OK)
        }
    }
}
