//! Cluster names: Magnum's pattern, and uniqueness of the Heat stack names
//! they turn into.

use crate::check::model::Model;
use crate::diag::{Code, Diagnostic};
use std::collections::HashMap;

pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    let mut stacks: HashMap<String, usize> = HashMap::new();
    for (i, c) in model.clusters.iter().enumerate() {
        if let Some(why) = name_problem(&c.name) {
            let mut d = Diagnostic::new(Code(111), c.span, format!("cluster name `{}` is not valid", c.name))
                .with_label(why)
                .with_help("start with a letter and use only letters, digits, `_`, `.` and `-` (at most 242 characters)");
            // Spaces and other characters become `-` when the name starts right.
            let fixed: String = c
                .name
                .chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-') {
                        ch
                    } else {
                        '-'
                    }
                })
                .collect();
            if fixed != c.name && name_problem(&fixed).is_none() {
                d = d.with_fix(
                    format!("rename it `{fixed}`"),
                    c.span,
                    format!("cluster {}", crate::check::value::quote(&fixed)),
                );
            }
            diags.push(d);
            continue;
        }
        let stack = crate::check::build::stack_name(&c.name);
        if let Some(&first) = stacks.get(&stack) {
            let other = &model.clusters[first];
            diags.push(
                Diagnostic::new(
                    Code(110),
                    c.span,
                    format!("clusters `{}` and `{}` both become Heat stack `{stack}`", other.name, c.name),
                )
                .with_label("this cluster's stack name")
                .with_secondary(other.span, "collides with this cluster")
                .with_help("stack names keep the first 30 characters, lower-cased, with `_` and `.` turned into `-`; rename one cluster so they differ there"),
            );
            continue;
        }
        stacks.insert(stack, i);
    }
}

fn name_problem(name: &str) -> Option<&'static str> {
    let first = name.chars().next()?;
    if !first.is_ascii_alphabetic() {
        return Some("must start with a letter");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Some("only letters, digits, `_`, `.` and `-` are allowed");
    }
    if name.len() > 242 {
        return Some("longer than 242 characters");
    }
    None
}
