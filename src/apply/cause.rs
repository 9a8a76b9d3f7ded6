//! A failed stack's root cause: the deepest failed resource, named by its
//! path from the top (`workers/0/server`), so the CLI can point at the
//! `.coe` line behind the top-level resource.

use crate::heat::Heat;

#[derive(Debug, Clone, PartialEq)]
pub struct RootCause {
    /// Resource names from the top-level template down.
    pub path: Vec<String>,
    pub resource_type: Option<String>,
    /// Heat's own words for the failure, without the path prefix.
    pub message: String,
}

impl RootCause {
    pub fn top(&self) -> &str {
        self.path.first().map(String::as_str).unwrap_or("")
    }
}

/// Reads the failure path Heat writes into reasons
/// (`… resources.workers.resources.0.resources.server: message`), then
/// asks for the failed resource itself for its type.
pub fn root_cause(heat: &Heat, stack_path: &str, reason: Option<&str>) -> Option<RootCause> {
    let mut cause = parse_reason(reason?)?;
    if let Ok(resources) = heat.resources(stack_path, 5) {
        let leaf = cause.path.last().cloned().unwrap_or_default();
        if let Some(r) = resources
            .iter()
            .find(|r| r.resource_name == leaf && r.resource_status.ends_with("_FAILED"))
        {
            cause.resource_type = Some(r.resource_type.clone());
        }
    }
    Some(cause)
}

pub fn parse_reason(reason: &str) -> Option<RootCause> {
    let start = reason.find("resources.")?;
    let rest = &reason[start..];
    let colon = rest.find(": ")?;
    let (path, message) = (&rest[..colon], &rest[colon + 2..]);
    let names: Vec<String> = path
        .strip_prefix("resources.")?
        .split(".resources.")
        .map(str::to_string)
        .collect();
    Some(RootCause {
        path: names,
        resource_type: None,
        message: message.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_path_heat_writes() {
        let c = parse_reason(
            "Resource CREATE failed: ValueError: resources.workers.resources.0.resources.server: Test Resource failed boom",
        )
        .unwrap();
        assert_eq!(c.path, ["workers", "0", "server"]);
        assert_eq!(c.message, "Test Resource failed boom");
        assert_eq!(c.top(), "workers");
        assert!(parse_reason("Stack CREATE cancelled").is_none());
    }
}
