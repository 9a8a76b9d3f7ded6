//! From command-line options to a Heat connection.

use crate::cli::args::CloudOpts;
use crate::heat::Heat;

pub fn connect(c: &CloudOpts) -> Result<Heat, String> {
    if let Some(url) = &c.heat_url {
        let http = Heat::plain_client(c.insecure)?;
        return Ok(Heat::new(url, None, http));
    }
    Err("no cloud to talk to: give --heat-url (or COE_HEAT_URL) for a Heat without Keystone".into())
}
