//! Catalogue entries in words, for `coe explain LABEL` and editor hovers.

use super::catalogue::{Catalogue, LabelInfo, LabelType};

/// A label's entry in words: what it is, who reads it, and what it does
/// for each driver that reads it (or why it does nothing there).
pub fn label(catalogue: &Catalogue, info: &LabelInfo) -> String {
    let mut out = format!("label {}\n\n{}\n\n", info.name, info.description);
    let ty = match info.ty {
        LabelType::String => "string",
        LabelType::Int => "int",
        LabelType::Float => "float",
        LabelType::Bool => "bool",
        LabelType::Cidr => "cidr",
        LabelType::CidrList => "cidr_list (comma-separated)",
        LabelType::Ipv4 => "ipv4",
        LabelType::Member => "member",
        LabelType::List => "list (comma-separated)",
        LabelType::Json => "json",
    };
    let mut facts = vec![("type", ty.to_string())];
    if !info.values.is_empty() {
        facts.push(("values", info.values.join(", ")));
    }
    if !info.supported.is_empty() {
        facts.push(("supported", info.supported.join(", ")));
    }
    if let Some(d) = &info.default {
        facts.push((
            "default",
            if info.secret {
                "(sensitive)".into()
            } else {
                d.clone()
            },
        ));
    }
    if let Some(v) = &info.min_version {
        facts.push(("oldest", v.clone()));
    }
    if info.secret {
        facts.push(("secret", "never printed in full".into()));
    }
    if let Some(why) = &info.deprecated {
        facts.push(("deprecated", why.clone()));
    }
    if let Some(attr) = &info.replaced_by {
        facts.push(("replaced by", format!("the typed attribute `{attr}`")));
    }
    for (k, v) in facts {
        out.push_str(&format!("  {k:<12} {v}\n"));
    }
    out.push('\n');
    // Effects per driver that reads it, grouped when they agree.
    let mut groups: Vec<(Result<String, String>, Vec<&str>)> = Vec::new();
    for d in catalogue.drivers.values() {
        if !info.read_by(&d.coe, Some(&d.name)) {
            continue;
        }
        let effect = info.effect_on(&d.coe, Some(&d.name)).map(str::to_string);
        match groups.iter_mut().find(|(e, _)| *e == effect) {
            Some((_, names)) => names.push(&d.name),
            None => groups.push((effect, vec![&d.name])),
        }
    }
    if groups.is_empty() {
        out.push_str("No driver of the catalogue reads it.\n");
    }
    for (effect, drivers) in groups {
        let who = drivers.join(", ");
        match effect {
            Ok(e) => {
                out.push_str(&format!("With {who}: {e}.\n"));
                // what the effect's consumer says about a running cluster
                let later = if e.starts_with("node scripts:") {
                    "the nodes read it once, when they bootstrap: changing it later changes no running node (`coe plan` says so); nodes added after the change get it (a rebuild keeps a server's first user data)"
                } else {
                    "it reaches Heat as a parameter: `coe plan` shows what a change does to the running cluster (update in place or replace) before anything changes"
                };
                out.push_str(&format!("  On a running cluster, {later}.\n"));
            }
            Err(why) => out.push_str(&format!(
                "With {who}: coe does not act on it ({why}); `coe check` {} (COE0409).\n",
                if info.secret { "refuses it" } else { "warns" }
            )),
        }
    }
    if let Some(owned) = info.owned_flags.as_ref().filter(|o| !o.is_empty()) {
        let list: Vec<String> = owned.iter().map(|f| format!("--{f}")).collect();
        out.push_str(&format!(
            "\nFlags kubeadm sets itself, which the label may not: {}.\n",
            list.join(", ")
        ));
    }
    if let Some(fields) = &info.config_fields {
        out.push_str("\nThe flags it takes, and the configuration field each sets:\n");
        let width = fields.keys().map(|f| f.len() + 2).max().unwrap_or(0);
        for (flag, field) in fields {
            out.push_str(&format!(
                "  {:<width$}  {}: {}\n",
                format!("--{flag}"),
                field.path,
                field.kind.describe()
            ));
        }
    }
    out
}
