//! A failed stack's root cause: the deepest failed resource, named by its
//! path from the top (`workers/0/server`), so the CLI can point at the
//! `.coe` line behind the top-level resource.

use crate::heat::{Heat, Resource};

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

/// Walks the stack's resources (nested ones too) to the deepest failed
/// one and names it by its path from the top; falls back to the path Heat
/// writes into the stack's reason.
pub fn root_cause(heat: &Heat, stack_path: &str, reason: Option<&str>) -> Option<RootCause> {
    heat.resources(stack_path, 10)
        .ok()
        .and_then(|all| deepest_failure(&all))
        .or_else(|| parse_reason(reason?))
}

fn last_segment(href: &str) -> &str {
    href.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

fn link<'a>(r: &'a Resource, rel: &str) -> Option<&'a str> {
    r.links
        .iter()
        .find(|l| l.rel == rel)
        .map(|l| last_segment(&l.href))
}

fn deepest_failure(all: &[Resource]) -> Option<RootCause> {
    let failed: Vec<&Resource> = all
        .iter()
        .filter(|r| r.resource_status.ends_with("_FAILED"))
        .collect();
    // The resource whose nested stack is `stack_id`: a resource's parent.
    let parent_of = |r: &Resource| {
        let stack = link(r, "stack")?;
        all.iter().find(|p| link(p, "nested") == Some(stack))
    };
    let path_of = |r: &Resource| {
        let mut path = vec![r.resource_name.clone()];
        let mut cur = r;
        while let Some(p) = parent_of(cur) {
            path.insert(0, p.resource_name.clone());
            cur = p;
            if path.len() > 20 {
                break;
            }
        }
        path
    };
    let leaves = failed.iter().filter(|r| {
        let nested = link(r, "nested");
        nested.is_none() || !failed.iter().any(|c| link(c, "stack") == nested)
    });
    let leaf = leaves.max_by_key(|r| path_of(r).len())?;
    let reason = leaf.resource_status_reason.clone().unwrap_or_default();
    Some(RootCause {
        path: path_of(leaf),
        resource_type: Some(leaf.resource_type.clone()),
        message: strip_paths(&reason),
    })
}

/// `ValueError: resources.boom: Test Resource failed` → the words after the
/// last resource path.
fn strip_paths(reason: &str) -> String {
    let mut rest = reason;
    while let Some(i) = rest.find("resources.") {
        match rest[i..].find(": ") {
            Some(j) => rest = &rest[i + j + 2..],
            None => break,
        }
    }
    rest.trim().to_string()
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
        message: strip_paths(message),
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
        assert_eq!(
            strip_paths(
                "Resource UPDATE failed: resources.server: resources.workers.resources[0].Resource CREATE failed: ValueError: resources.boom: Test Resource failed boom"
            ),
            "Test Resource failed boom"
        );
    }
}
