//! From command-line options and the process environment to a logged-in
//! connection (clouds.yaml, `OS_*`, Keystone, or `--heat-url`).

use crate::cli::args::CloudOpts;
use crate::heat::auth::{ConnectError, Connection, connect as keystone_login};
use crate::heat::clouds::{CloudArgs, Env, resolve};
use std::collections::HashMap;
use std::path::PathBuf;

/// Logs in and keeps the whole connection: token, catalog, project.
pub fn login(c: &CloudOpts) -> Result<Connection, String> {
    let args = CloudArgs {
        os_cloud: c.os_cloud.clone(),
        heat_url: c.heat_url.clone(),
        insecure: c.insecure,
        cacert: c.cacert.clone(),
        interface: c.interface.clone(),
        region: c.region.clone(),
    };
    let profile = resolve(&args, &process_env()).map_err(explain)?;
    keystone_login(&profile).map_err(explain)
}

fn explain(e: ConnectError) -> String {
    if e.help.is_empty() {
        e.message
    } else {
        format!("{}\n  help: {}", e.message, e.help)
    }
}

/// The settings OpenStack tools read from the environment (only these:
/// the rest of the environment is none of coe's business).
fn process_env() -> Env {
    let vars: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k.starts_with("OS_") || k == "XDG_CONFIG_HOME")
        .collect();
    // Snaps point $HOME into the snap; the real home is in $SNAP_REAL_HOME.
    let home = std::env::var_os("SNAP_REAL_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(std::env::home_dir);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    Env { vars, home, cwd }
}
