//! Label merge (Magnum's inheritance rules) and label value checks against the
//! catalogue.

use super::catalogue::{Catalogue, LabelInfo, LabelType};
use super::config_fields::ConfigField;
use super::model::{Cluster, LabelEntry, Origin, Template};
use super::types::{cidr_mask, is_word, parse_cidr};
use super::value::{Value, quote};
use crate::diag::{Code, Diagnostic, Severity, did_you_mean};
use indexmap::IndexMap;
use std::net::Ipv4Addr;

/// The cluster's effective labels. As in Magnum 11+: no cluster labels means
/// the template's; `merge_labels = true` lays cluster labels over the
/// template's; otherwise cluster labels replace them, and the dropped ones are
/// reported, because that is the surprise users hit.
pub fn merge(
    cluster: &Cluster,
    template: &Template,
    diags: &mut Vec<Diagnostic>,
) -> Vec<LabelEntry> {
    if cluster.labels.is_empty() {
        return template.labels.clone();
    }
    let merge = cluster.fields.bool("merge_labels").is_some_and(|(b, _)| b);
    if merge {
        let mut out: Vec<LabelEntry> = template
            .labels
            .iter()
            .filter(|t| !cluster.labels.iter().any(|c| c.key == t.key))
            .cloned()
            .collect();
        out.extend(cluster.labels.iter().cloned());
        return out;
    }
    let dropped: Vec<&LabelEntry> = template
        .labels
        .iter()
        .filter(|t| !cluster.labels.iter().any(|c| c.key == t.key))
        .collect();
    if !dropped.is_empty() {
        let names: Vec<String> = dropped.iter().map(|l| format!("`{}`", l.key)).collect();
        let span = cluster.labels_span.unwrap_or(cluster.span);
        let mut d = Diagnostic::new(
            Code(406),
            span,
            format!(
                "cluster `{}` sets its own labels, which drops the template's {}",
                cluster.name,
                names.join(", ")
            ),
        )
        .with_label("these labels replace the template's")
        .with_secondary(template.labels_span.unwrap_or(template.span), "dropped from here")
        .with_help("add `merge_labels = true` to the cluster to keep the template's labels, or repeat them in the cluster");
        d = d.with_fix(
            "merge instead of replacing",
            cluster.labels_span.unwrap_or(cluster.span).start_point(),
            "merge_labels = true\n  ",
        );
        diags.push(d);
    }
    cluster.labels.clone()
}

/// How strict the label checks are: `settings` and flags raise these.
#[derive(Debug, Clone, Copy)]
pub struct Strictness {
    pub unknown: Severity,
    pub unimplemented: Severity,
}

/// Checks written labels against the catalogue for a cluster of `coe` built by `driver`.
pub fn check_entries(
    catalogue: &Catalogue,
    entries: &[LabelEntry],
    coe: &str,
    driver: Option<&str>,
    strict: Strictness,
    diags: &mut Vec<Diagnostic>,
) {
    for e in entries {
        let Some(info) = catalogue.labels.get(&e.key) else {
            diags.push(unknown_label(catalogue, e, strict.unknown));
            continue;
        };
        if info.replaced_by.is_some() {
            continue; // reported by the boot rule with its typed form
        }
        if let Some(d) = check_value(info, e).or_else(|| check_supported(info, e)) {
            diags.push(d);
            continue;
        }
        if let Some(why) = &info.deprecated {
            diags.push(
                Diagnostic::new(
                    Code(403),
                    e.key_span,
                    format!("label `{}` is deprecated", e.key),
                )
                .with_label("deprecated")
                .with_help(why.clone()),
            );
        } else if !coe.is_empty() && !info.read_by(coe, driver) {
            let who = match driver {
                Some(d) if info.coes.iter().any(|c| c == coe) => format!("the `{d}` driver"),
                _ => format!("`{coe}` clusters"),
            };
            diags.push(
                Diagnostic::new(
                    Code(404),
                    e.key_span,
                    format!("label `{}` is not read by {who}", e.key),
                )
                .with_label("has no effect here")
                .with_help(format!(
                    "it is read by {}; remove it if it was meant for another cluster type",
                    readers(info)
                )),
            );
        }
        // Read by this driver (deprecated or not), but not acted on.
        if !coe.is_empty()
            && info.read_by(coe, driver)
            && let Err(why) = info.effect_on(coe, driver)
        {
            let who = driver.map_or_else(|| format!("`{coe}`"), |d| format!("`{d}`"));
            // A secret nothing reads is refused outright: coe would only be
            // handing a password to the cloud for no purpose.
            let d = if e.secret {
                Diagnostic::new(
                    Code(409),
                    e.key_span,
                    format!(
                        "secret label `{}` is refused: coe does not act on it for {who}",
                        e.key
                    ),
                )
                .with_label("a secret nothing in the built cluster reads")
                .with_severity(Severity::Error)
                .with_help(format!(
                    "{why}; remove the label: coe sends no secret that nothing uses"
                ))
            } else {
                Diagnostic::new(
                    Code(409),
                    e.key_span,
                    format!("label `{}` is accepted but coe does not act on it for {who}", e.key),
                )
                .with_label("no effect in the built cluster")
                .with_severity(strict.unimplemented)
                .with_help(format!("{why}; remove the label, or keep it on purpose and know it does nothing"))
                .with_note("`coe labels --effect` lists what every label does; `settings { unimplemented_labels = error }` or `--deny-unimplemented-labels` makes this an error")
            };
            diags.push(d);
        }
    }
}

/// Rules between labels that a single label's type cannot express.
pub fn check_relations(labels: &[LabelEntry], diags: &mut Vec<Diagnostic>) {
    let get = |k: &str| labels.iter().find(|l| l.key == k);
    // Mesos runs docker images only with the docker/runtime isolator.
    if let Some(providers) = get("mesos_slave_image_providers")
        && providers
            .text
            .split(',')
            .any(|p| p.trim().eq_ignore_ascii_case("docker"))
    {
        let isolation = get("mesos_slave_isolation");
        if !isolation.is_some_and(|i| i.text.split(',').any(|x| x.trim() == "docker/runtime")) {
            let mut d = Diagnostic::new(
                Code(402),
                providers.value.span,
                "the `docker` image provider needs the `docker/runtime` isolator",
            )
            .with_label("docker images requested");
            d = match isolation {
                Some(i) => d
                    .with_secondary(i.value.span, "`docker/runtime` is missing here")
                    .with_fix(
                        "add `docker/runtime`",
                        i.value.span,
                        quote(&format!("{},docker/runtime", i.text)),
                    ),
                None => d.with_help("add the label `mesos_slave_isolation = \"docker/runtime\"`"),
            };
            diags.push(d);
        }
    }
}

fn readers(info: &LabelInfo) -> String {
    let list = if info.drivers.is_empty() {
        &info.coes
    } else {
        &info.drivers
    };
    list.iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_label(catalogue: &Catalogue, e: &LabelEntry, severity: Severity) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code(401),
        e.key_span,
        format!("no driver reads a label named `{}`", e.key),
    )
    .with_label("unknown label")
    .with_severity(severity);
    if let Some(best) = closest_label(catalogue, &e.key) {
        d = d.with_fix(format!("did you mean `{best}`?"), e.key_span, best);
    } else {
        d = d.with_help("if this is a vendor label, declare it with a `label \"<key>\" { ... }` block so coe can check it");
    }
    d.with_note("Magnum passes unknown labels through unchecked; `settings { unknown_labels = error }` or `--deny-unknown-labels` makes this an error")
}

/// Keys people write for a label that has another name.
const LABEL_ALIASES: &[(&str, &str)] = &[
    ("kube_version", "kube_tag"),
    ("kubernetes_version", "kube_tag"),
    ("k8s_version", "kube_tag"),
];

/// The label `key` most likely means: a known alias, the one label whose name
/// ends with it (`dashboard_enabled`), or the closest spelling.
fn closest_label<'c>(catalogue: &'c Catalogue, key: &str) -> Option<&'c str> {
    let known = |k: &str| catalogue.labels.get_key_value(k).map(|(k, _)| k.as_str());
    if let Some(alias) = LABEL_ALIASES.iter().find(|(a, _)| *a == key) {
        return known(alias.1);
    }
    if key.contains('_') {
        let suffix = format!("_{key}");
        let mut ends = catalogue.labels.keys().filter(|k| k.ends_with(&suffix));
        if let (Some(only), None) = (ends.next(), ends.next()) {
            return Some(only.as_str());
        }
    }
    did_you_mean(key, catalogue.labels.keys().map(String::as_str))
}

/// The replacement text for a label value, keeping how it was written.
fn rewrite(e: &LabelEntry, new: &str) -> String {
    match &e.value.value {
        Value::Member(_) if is_word(new) => new.to_string(),
        _ => quote(new),
    }
}

fn invalid(e: &LabelEntry, why: String) -> Diagnostic {
    let shown = e.display_value();
    Diagnostic::new(
        Code(402),
        e.value.span,
        format!(
            "invalid value {} for label `{}`",
            if e.secret {
                shown
            } else {
                format!("`{shown}`")
            },
            e.key
        ),
    )
    .with_label(why)
}

/// An IPv4 network in CIDR form, without host bits; the error says why,
/// with the network meant when only host bits are wrong.
fn network_cidr(text: &str) -> Result<(), (String, Option<String>)> {
    let Some((addr, len)) = parse_cidr(text) else {
        return Err(("expected a CIDR such as `10.100.0.0/16`".into(), None));
    };
    let network = u32::from(addr) & cidr_mask(len);
    if network != u32::from(addr) {
        let fixed = format!("{}/{len}", Ipv4Addr::from(network));
        return Err((
            format!("host bits are set; the network is `{fixed}`"),
            Some(fixed),
        ));
    }
    Ok(())
}

/// One label's value against its catalogue entry.
/// A value Magnum accepted that coe's nodes would not honour: a member
/// outside `supported`, or a version older than `min_version`. The node
/// scripts refuse these too; checking says so before anything is built.
fn check_supported(info: &LabelInfo, e: &LabelEntry) -> Option<Diagnostic> {
    let text = e.text.trim();
    let unsupported = |why: String, help: String| {
        Diagnostic::new(Code(411), e.value.span, format!("label `{}`: {why}", e.key))
            .with_label("not supported by coe's nodes")
            .with_help(help)
    };
    if !info.supported.is_empty() && !info.supported.iter().any(|s| s == text) {
        let list = info
            .supported
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Some(unsupported(
            format!("`{text}` is a value Magnum accepted, but coe's nodes support only {list}"),
            format!("use {list}"),
        ));
    }
    if let Some(owned) = &info.owned_flags
        && let Some(d) = check_flags(e, owned, info.config_fields.as_ref())
    {
        return Some(d);
    }
    if let Some(min) = &info.min_version
        && let (Some(have), Some(need)) = (version(text), version(min))
        && have < need
    {
        return Some(unsupported(
            format!("{text} is older than the oldest version these templates install ({min})"),
            format!("use {min} or newer"),
        ));
    }
    None
}

/// Flags for a component: `--name=value` tokens separated by spaces, with
/// no quotes or backslashes in the value (the nodes write them into
/// kubeadm's YAML), and none of the flags kubeadm sets itself. A component
/// configured by a file takes only the flags its `fields` map, once each,
/// with values of the field's type.
fn check_flags(
    e: &LabelEntry,
    owned: &[String],
    fields: Option<&IndexMap<String, ConfigField>>,
) -> Option<Diagnostic> {
    let bad = |why: String, help: &str| {
        Diagnostic::new(Code(412), e.value.span, format!("label `{}`: {why}", e.key))
            .with_label("invalid flags")
            .with_help(help.to_string())
    };
    let mut seen = std::collections::HashSet::new();
    for token in e.text.split_whitespace() {
        let Some((name, value)) = token.strip_prefix("--").and_then(|t| t.split_once('=')) else {
            return Some(bad(
                format!("`{token}` is not a `--name=value` flag"),
                "write each flag as `--name=value`, separated by spaces",
            ));
        };
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok || value.contains(['"', '\\', '\'']) {
            return Some(bad(
                format!("`{token}` has characters the nodes cannot pass on"),
                "flag names are lowercase letters, digits and `-`; values carry no quotes or backslashes",
            ));
        }
        if owned.iter().any(|o| o == name) {
            return Some(bad(
                format!("`--{name}` is set by kubeadm from the cluster's own settings"),
                "leave it out: coe's templates set it, and a second value would fight them",
            ));
        }
        let Some(fields) = fields else { continue };
        let Some(field) = fields.get(name) else {
            let known = fields.keys().map(|k| format!("--{k}")).collect::<Vec<_>>();
            let mut help = format!("the flags coe maps: {}", known.join(", "));
            if let Some(best) = did_you_mean(name, fields.keys().map(String::as_str)) {
                help = format!("did you mean `--{best}`? {help}");
            }
            return Some(bad(
                format!(
                    "`--{name}` is not a flag coe can write as a configuration field (the component reads a file, not flags)"
                ),
                &help,
            ));
        };
        if let Err(why) = field.kind.parse(value) {
            return Some(bad(
                format!("`--{name}={value}`: {why}"),
                &format!(
                    "`--{name}` sets the field `{}`; give it a value of that type",
                    field.path
                ),
            ));
        }
        if !seen.insert(name) {
            return Some(bad(
                format!("`--{name}` is given twice"),
                "give each flag once: it sets one field",
            ));
        }
    }
    None
}

/// `v1.27.4-rancher1` → (1, 27, 4); `1.7` → (1, 7, 0). Not a version: `None`.
fn version(text: &str) -> Option<(u64, u64, u64)> {
    let core = text.trim_start_matches('v').split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
        parts.next().flatten().unwrap_or(0),
    ))
}

pub fn check_value(info: &LabelInfo, e: &LabelEntry) -> Option<Diagnostic> {
    let text = e.text.as_str();
    match info.ty {
        LabelType::String => {}
        LabelType::Int => match text.trim().parse::<i64>() {
            Ok(n) => {
                if info.min.is_some_and(|m| n < m) || info.max.is_some_and(|m| n > m) {
                    let bounds = match (info.min, info.max) {
                        (Some(a), Some(b)) => format!("between {a} and {b}"),
                        (Some(a), None) => format!("at least {a}"),
                        (_, Some(b)) => format!("at most {b}"),
                        _ => unreachable!(),
                    };
                    return Some(invalid(e, format!("must be {bounds}")));
                }
            }
            Err(_) => return Some(invalid(e, "expected an integer".into())),
        },
        LabelType::Float => {
            if text.trim().parse::<f64>().is_err() {
                return Some(invalid(e, "expected a number".into()));
            }
        }
        LabelType::Bool => {
            let ok = [
                "true", "false", "1", "0", "t", "f", "yes", "no", "y", "n", "on", "off",
            ];
            if !ok.contains(&text.to_ascii_lowercase().as_str()) {
                return Some(invalid(e, "expected `true` or `false`".into()));
            }
        }
        LabelType::Cidr => {
            if let Err((why, fixed)) = network_cidr(text) {
                return Some(match fixed {
                    Some(f) => {
                        invalid(e, why).with_fix(format!("use `{f}`"), e.value.span, quote(&f))
                    }
                    None => invalid(e, why),
                });
            }
        }
        LabelType::CidrList => {
            let items: Vec<&str> = text.split(',').map(str::trim).collect();
            if items.iter().all(|i| i.is_empty()) {
                return Some(
                    invalid(e, "expected at least one CIDR".into())
                        .with_help("list at least one range, or remove the label"),
                );
            }
            for item in &items {
                if let Err((why, _)) = network_cidr(item) {
                    return Some(
                        invalid(e, format!("`{item}`: {why}"))
                            .with_help("the value is a comma-separated list of IPv4 CIDRs"),
                    );
                }
            }
        }
        LabelType::Ipv4 => {
            if text.parse::<Ipv4Addr>().is_err() {
                return Some(invalid(e, "expected an IPv4 address".into()));
            }
        }
        LabelType::Member => {
            if !info.values.iter().any(|v| v == text) {
                return Some(member_error(info, e, text));
            }
        }
        LabelType::List => {
            if !info.values.is_empty() {
                for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if !info.values.iter().any(|v| v == item) {
                        return Some(
                            invalid(e, format!("`{item}` is not one of {}", list(&info.values)))
                                .with_help("the value is a comma-separated list"),
                        );
                    }
                }
            }
        }
        LabelType::Json => {
            if serde_json::from_str::<serde_json::Value>(text).is_err() {
                return Some(invalid(e, "expected JSON".into()));
            }
        }
    }
    if let Some(suffix) = &info.ends_with
        && !text.is_empty()
        && !text.ends_with(suffix.as_str())
    {
        let fixed = format!("{text}{suffix}");
        return Some(
            invalid(e, format!("must be empty or end with `{suffix}`"))
                .with_fix(
                    format!("add the trailing `{suffix}`"),
                    e.value.span,
                    rewrite(e, &fixed),
                )
                .with_note(
                    "Heat's template rejects the value otherwise, after the stack is created",
                ),
        );
    }
    None
}

fn list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn member_error(info: &LabelInfo, e: &LabelEntry, text: &str) -> Diagnostic {
    if let Some(exact) = info.values.iter().find(|v| v.eq_ignore_ascii_case(text)) {
        return Diagnostic::new(
            Code(202),
            e.value.span,
            format!("label `{}` value `{text}` has the wrong case", e.key),
        )
        .with_label(format!("should be `{exact}`"))
        .with_fix(format!("write `{exact}`"), e.value.span, rewrite(e, exact))
        .with_note("drivers compare label values case-sensitively");
    }
    let mut d = invalid(e, format!("expected one of {}", list(&info.values)));
    if let Some(best) = did_you_mean(text, info.values.iter().map(String::as_str)) {
        d = d.with_fix(
            format!("did you mean `{best}`?"),
            e.value.span,
            rewrite(e, best),
        );
    }
    d
}

/// Reports overlapping ranges among the fixed subnet, pods and services.
pub fn check_overlaps(
    labels: &[LabelEntry],
    network_driver: Option<&str>,
    fixed_subnet_cidr: Option<(String, crate::source::Span)>,
    cluster_span: crate::source::Span,
    diags: &mut Vec<Diagnostic>,
) {
    let find = |k: &str| {
        labels
            .iter()
            .find(|l| l.key == k && l.origin != Origin::Default)
    };
    let mut ranges: Vec<(&str, String, Option<crate::source::Span>)> = Vec::new();
    match fixed_subnet_cidr {
        Some((cidr, span)) => ranges.push(("fixed subnet", cidr, Some(span))),
        None => {
            let l = find("fixed_subnet_cidr");
            ranges.push((
                "fixed subnet",
                l.map(|l| l.text.clone())
                    .unwrap_or_else(|| "10.0.0.0/24".into()),
                l.map(|l| l.value.span),
            ));
        }
    }
    let pod_label = match network_driver {
        Some("calico") => Some(("calico_ipv4pool", "10.100.0.0/16")),
        Some("flannel") => Some(("flannel_network_cidr", "10.100.0.0/16")),
        _ => None,
    };
    if let Some((key, default)) = pod_label {
        let l = find(key);
        ranges.push((
            "pod network",
            l.map(|l| l.text.clone()).unwrap_or_else(|| default.into()),
            l.map(|l| l.value.span),
        ));
    }
    let l = find("service_cluster_ip_range");
    ranges.push((
        "service network",
        l.map(|l| l.text.clone())
            .unwrap_or_else(|| "10.254.0.0/16".into()),
        l.map(|l| l.value.span),
    ));
    for i in 0..ranges.len() {
        for j in i + 1..ranges.len() {
            let (a, b) = (&ranges[i], &ranges[j]);
            let (Some(ca), Some(cb)) = (parse_cidr(&a.1), parse_cidr(&b.1)) else {
                continue;
            };
            let len = ca.1.min(cb.1);
            if u32::from(ca.0) & cidr_mask(len) != u32::from(cb.0) & cidr_mask(len) {
                continue;
            }
            // Point at a range the user wrote; a default cannot be edited where it is.
            let (primary, other) = match (b.2, a.2) {
                (Some(_), _) => (b, a),
                (None, Some(_)) => (a, b),
                (None, None) => continue,
            };
            let mut d = Diagnostic::new(
                Code(407),
                primary.2.unwrap_or(cluster_span),
                format!("the {} `{}` overlaps the {} `{}`", primary.0, primary.1, other.0, other.1),
            )
            .with_label(format!("overlaps the {}", other.0))
            .with_help("pick ranges that do not overlap; pods, services and node addresses must be routable apart");
            d = match other.2 {
                Some(span) => d.with_secondary(span, format!("the {} is set here", other.0)),
                None => d.with_note(format!("the {} `{}` is the default", other.0, other.1)),
            };
            diags.push(d);
        }
    }
}
