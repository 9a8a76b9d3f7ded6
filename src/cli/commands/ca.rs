//! `coe ca show CLUSTER` and `coe ca sign CLUSTER CSR`: the CA coe keeps for
//! a cluster in Barbican (README, "Cluster credentials").

use crate::cli::args::{CaArgs, CaCommand};
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
            print!("{}", creds.ca.cert_pem);
            Ok(exit::OK)
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
