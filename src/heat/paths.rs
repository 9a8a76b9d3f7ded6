//! Naming what Heat reports by its path from the top of a stack
//! (`masters/1/server`), and deciding which of it a person needs to see. Heat names a nested stack `<parent stack>-<resource>-<12 chars>`,
//! so the path is read back from the stack's name.

/// The path of `resource` in the stack named `stack` under the root stack
/// `root`, or `None` when it is an internal of a provider template that
/// the progress folds into its parent: inside a group member, the member's
/// own resources are shown (`masters/1/server`) but not what they are made
/// of; any other template (a network, a load balancer) shows as itself.
pub fn shown_path(root: &str, stack: &str, resource: &str) -> Option<String> {
    let mut path = if stack == root {
        Vec::new()
    } else {
        nested_path(stack.strip_prefix(root)?.strip_prefix('-')?)?
    };
    path.push(resource.to_string());
    let member = path.get(1).is_some_and(|s| is_index(s));
    match path.len() {
        1 => Some(path.join("/")),
        2 | 3 if member => Some(path.join("/")),
        _ => None,
    }
}

/// `masters-4ylvedzt4iw4-2-baowqyo3so7k` → `["masters", "2"]`.
fn nested_path(rest: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut name: Vec<&str> = Vec::new();
    for token in rest.split('-') {
        if is_short_id(token) && !name.is_empty() {
            out.push(name.join("-"));
            name.clear();
        } else {
            name.push(token);
        }
    }
    name.is_empty().then_some(out)
}

/// Heat's short ids: 12 characters of lowercase base32.
fn is_short_id(s: &str) -> bool {
    s.len() == 12
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

fn is_index(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "prod-eu1";

    #[test]
    fn group_members_and_their_resources_are_named_by_path() {
        assert_eq!(
            shown_path(ROOT, ROOT, "masters").as_deref(),
            Some("masters")
        );
        let group = "prod-eu1-masters-4ylvedzt4iw4";
        assert_eq!(shown_path(ROOT, group, "1").as_deref(), Some("masters/1"));
        let member = "prod-eu1-masters-4ylvedzt4iw4-1-baowqyo3so7k";
        assert_eq!(
            shown_path(ROOT, member, "server").as_deref(),
            Some("masters/1/server")
        );
    }

    #[test]
    fn provider_template_internals_fold_into_their_parent() {
        // the stub behind a member's server, and a network template's router
        let stub = "prod-eu1-masters-4ylvedzt4iw4-1-baowqyo3so7k-server-q3btw3rxm52p";
        assert_eq!(shown_path(ROOT, stub, "stub"), None);
        let network = "prod-eu1-network-yckt447sai7u";
        assert_eq!(shown_path(ROOT, network, "router"), None);
    }

    #[test]
    fn names_with_dashes_and_other_stacks() {
        let member = "prod-eu1-api_lb-insecure-7qxianbscuvj";
        assert_eq!(shown_path(ROOT, member, "pool"), None);
        assert_eq!(shown_path(ROOT, "someone-else", "x"), None);
        assert_eq!(
            nested_path("a-b-7qxianbscuvj-0-baowqyo3so7k"),
            Some(vec!["a-b".into(), "0".into()])
        );
    }
}
