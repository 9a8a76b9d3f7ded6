//! COE tables and driver selection: server type, network, volume and storage
//! drivers, devicemapper sizing, the (server_type, os_distro, coe) lookup, and
//! the label checks that depend on the chosen driver.

use crate::check::Options;
use crate::check::catalogue::{Catalogue, CoeInfo, DriverInfo};
use crate::check::labels;
use crate::check::model::{Model, Template};
use crate::check::schema::Fields;
use crate::check::types::member_diagnostic;
use crate::diag::{Code, Diagnostic, Severity, did_you_mean};
use crate::source::Span;
use std::collections::HashSet;

/// Checks every template; returns the driver chosen for each (by index).
pub fn check_templates(
    catalogue: &Catalogue,
    model: &Model,
    options: &Options,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Option<String>> {
    // Values refused before these rules ran, looked up once per attribute
    // rather than by scanning every diagnostic.
    let refused: HashSet<Span> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.primary.span)
        .collect();
    model
        .templates
        .iter()
        .map(|t| {
            let driver = check_template(catalogue, model, t, &refused, diags);
            let coe = t.fields.str("coe").map(|(c, _)| c).unwrap_or("");
            labels::check_entries(
                catalogue,
                &t.labels,
                coe,
                driver.map(|d| d.name.as_str()),
                strictness(options),
                diags,
            );
            crate::check::boot::check_legacy_labels(
                &own_labels(&t.labels),
                t.boot.as_ref(),
                t.labels_span,
                diags,
            );
            driver.map(|d| d.name.clone())
        })
        .collect()
}

fn strictness(options: &Options) -> labels::Strictness {
    let level = |deny: bool| {
        if deny {
            Severity::Error
        } else {
            Severity::Warning
        }
    };
    labels::Strictness {
        unknown: level(options.deny_unknown_labels),
        unimplemented: level(options.deny_unimplemented_labels),
    }
}

/// Attributes the template writes that the COE's table says coe does not
/// act on (`unimplemented` in stdlib/coes.coe). A value already refused
/// (before the rules, or by this template's rules from `since` on) gets its
/// error alone.
fn unimplemented_attributes(
    coe: &CoeInfo,
    f: &Fields,
    refused: &HashSet<Span>,
    since: usize,
    diags: &mut Vec<Diagnostic>,
) {
    for (attr, why) in &coe.unimplemented {
        let Some(v) = f.explicit(attr) else { continue };
        if refused.contains(&v.span)
            || diags[since..]
                .iter()
                .any(|d| d.is_error() && d.primary.span == v.span)
        {
            continue;
        }
        let value = v.value.to_label_text().unwrap_or_default();
        diags.push(
            Diagnostic::new(
                Code(315),
                v.span,
                format!(
                    "`{attr} = {value}` is accepted but coe does not act on it for `{}`",
                    coe.name
                ),
            )
            .with_label("no effect in the built cluster")
            .with_help(format!(
                "{why}; remove `{attr}`, or keep it on purpose and know it does nothing"
            )),
        );
    }
}

/// Labels written in this block itself (not brought in by a label set).
fn own_labels(labels: &[crate::check::model::LabelEntry]) -> Vec<crate::check::model::LabelEntry> {
    labels
        .iter()
        .filter(|l| !matches!(l.origin, crate::check::model::Origin::LabelSet(_)))
        .cloned()
        .collect()
}

fn names(list: &[String]) -> String {
    list.iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A member of a COE table: exact, wrong case, or unsupported (with the code given).
fn table_member(
    word: &str,
    span: Span,
    table: &[String],
    code: Code,
    what: &str,
    coe: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if table.iter().any(|x| x == word) {
        return true;
    }
    if table.iter().any(|x| x.eq_ignore_ascii_case(word)) {
        diags.push(member_diagnostic(word, table, span, what));
        return false;
    }
    let mut d = Diagnostic::new(
        code,
        span,
        format!("{what} `{word}` is not supported for `{coe}`"),
    )
    .with_label(format!("`{coe}` supports {}", names(table)));
    if let Some(best) = closest(word, table) {
        d = d.with_fix(format!("did you mean `{best}`?"), span, best);
    }
    diags.push(d);
    false
}

/// Other names people use for table members; spelling distance cannot find these.
const ALIASES: &[(&str, &str)] = &[
    ("k8s", "kubernetes"),
    ("kube", "kubernetes"),
    ("baremetal", "bm"),
    ("bare-metal", "bm"),
    ("ironic", "bm"),
    ("virtual", "vm"),
    ("nova", "vm"),
];

/// The member `word` most likely means: a known alias, or the closest spelling.
fn closest<'t>(word: &str, table: &'t [String]) -> Option<&'t str> {
    let alias = ALIASES
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(word))
        .and_then(|(_, m)| table.iter().find(|t| t == m));
    alias
        .map(String::as_str)
        .or_else(|| did_you_mean(word, table.iter().map(String::as_str)))
}

fn check_template<'c>(
    catalogue: &'c Catalogue,
    model: &Model,
    t: &Template,
    refused: &HashSet<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'c DriverInfo> {
    let since = diags.len();
    let f = &t.fields;
    let (coe_name, coe_span) = f.str("coe")?;
    let Some(coe) = catalogue.coes.get(coe_name) else {
        let known: Vec<String> = catalogue.coes.keys().cloned().collect();
        if known.iter().any(|k| k.eq_ignore_ascii_case(coe_name)) {
            diags.push(member_diagnostic(coe_name, &known, coe_span, "COE"));
        } else {
            let mut d = Diagnostic::new(
                Code(301),
                coe_span,
                format!("COE `{coe_name}` is not supported"),
            )
            .with_label(format!("supported: {}", names(&known)));
            if let Some(best) = closest(coe_name, &known) {
                d = d.with_fix(format!("did you mean `{best}`?"), coe_span, best);
            }
            if coe_name == "dcos" {
                d = d.with_note("Magnum accepted `dcos` in its API but never had a driver for it");
            }
            diags.push(d);
        }
        return None;
    };
    let (server_type, st_span) = f.str("server_type").unwrap_or(("vm", t.span));
    let server_ok = table_member(
        server_type,
        st_span,
        &coe.server_types,
        Code(302),
        "server type",
        coe_name,
        diags,
    );
    let network = check_network_driver(coe, f, t.span, diags);
    if let Some((vd, span)) = f.str("volume_driver") {
        table_member(
            vd,
            span,
            &coe.volume_drivers,
            Code(305),
            "volume driver",
            coe_name,
            diags,
        );
    }
    let storage = f.str("docker_storage_driver");
    if let Some((sd, span)) = storage {
        table_member(
            sd,
            span,
            &coe.storage_drivers,
            Code(312),
            "docker storage driver",
            coe_name,
            diags,
        );
        if sd == "devicemapper" {
            check_devicemapper(f, span, diags);
        }
    }
    unimplemented_attributes(coe, f, refused, since, diags);
    if !server_ok {
        return None;
    }
    let driver = select_driver(catalogue, model, t, coe_name, server_type, diags)?;
    if let Some((sd, span)) = storage
        && coe.storage_drivers.iter().any(|x| x == sd)
        && !driver.storage_drivers.iter().any(|x| x == sd)
    {
        diags.push(
            Diagnostic::new(
                Code(312),
                span,
                format!(
                    "the `{}` driver cannot use docker storage driver `{sd}`",
                    driver.name
                ),
            )
            .with_label(format!(
                "`{}` supports {}",
                driver.name,
                names(&driver.storage_drivers)
            ))
            .with_fix(
                format!(
                    "use `{}`",
                    driver
                        .default_storage_driver
                        .as_deref()
                        .unwrap_or("overlay2")
                ),
                span,
                driver
                    .default_storage_driver
                    .clone()
                    .unwrap_or_else(|| "overlay2".into()),
            ),
        );
    }
    if let Some((nd, span)) = network
        && !driver.network_drivers.iter().any(|x| x == nd)
    {
        diags.push(
            Diagnostic::new(Code(303), span, format!("the `{}` driver cannot deploy network driver `{nd}`", driver.name))
                .with_label(format!("`{}` deploys {}", driver.name, names(&driver.network_drivers)))
                .with_note("Magnum's Heat drivers never computed a pod network for other drivers, so the stack would fail"),
        );
    }
    Some(driver)
}

/// The network driver after Magnum's default-filling, if supported and allowed.
fn check_network_driver<'f>(
    coe: &CoeInfo,
    f: &'f Fields,
    header: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<(&'f str, Span)> {
    let Some((nd, span)) = f.str("network_driver") else {
        return None; // the default comes from the table and is checked with the table
    };
    if !table_member(
        nd,
        span,
        &coe.network_drivers,
        Code(303),
        "network driver",
        &coe.name,
        diags,
    ) {
        return None;
    }
    if !coe.allows_network_driver(nd) {
        let allowed: Vec<String> = coe.allowed_network_drivers.clone();
        diags.push(
            Diagnostic::new(Code(304), span, format!("network driver `{nd}` is supported for `{}` but not allowed", coe.name))
                .with_label(format!("allowed: {}", names(&allowed)))
                .with_secondary(coe.span, "the allowed list is set here")
                .with_help("use an allowed driver, or add it to `allowed_network_drivers` in a `coe` block if your operators allow it"),
        );
        return None;
    }
    let _ = header;
    Some((nd, span))
}

fn check_devicemapper(f: &Fields, storage_span: Span, diags: &mut Vec<Diagnostic>) {
    match f.int("docker_volume_size") {
        Some((n, _)) if n >= 3 => {}
        Some((n, span)) => diags.push(
            Diagnostic::new(
                Code(306),
                span,
                format!("devicemapper needs a docker volume of at least 3 GB, found {n} GB"),
            )
            .with_label("too small for devicemapper")
            .with_secondary(storage_span, "devicemapper chosen here")
            .with_fix("use 3GiB", span, "3GiB"),
        ),
        None => diags.push(
            Diagnostic::new(
                Code(306),
                storage_span,
                "devicemapper needs a docker volume of at least 3 GB, but none is set",
            )
            .with_label("devicemapper without `docker_volume_size`")
            .with_fix(
                "add a 3 GB docker volume",
                storage_span.end_point(),
                "\n  docker_volume_size = 3GiB",
            )
            .with_help("or use `overlay2`, which needs no dedicated volume"),
        ),
    }
}

/// Finds the driver for the template's (server_type, os_distro, coe).
fn select_driver<'c>(
    catalogue: &'c Catalogue,
    model: &Model,
    t: &Template,
    coe: &str,
    server_type: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'c DriverInfo> {
    let f = &t.fields;
    let (image, image_span) = f.str("image")?;
    if let Some((name, span)) = f.str("driver") {
        let Some(d) = catalogue.drivers.get(name) else {
            let known: Vec<String> = catalogue.drivers.keys().cloned().collect();
            let mut diag = Diagnostic::new(Code(307), span, format!("no driver named `{name}`"))
                .with_label(format!("known drivers: {}", names(&known)));
            if let Some(best) = did_you_mean(name, known.iter().map(String::as_str)) {
                diag = diag.with_fix(
                    format!("did you mean `{best}`?"),
                    span,
                    super::super::value::quote(best),
                );
            }
            diags.push(diag);
            return None;
        };
        if d.coe != coe || d.server_type != server_type {
            diags.push(
                Diagnostic::new(Code(307), span, format!("driver `{name}` builds ({}, {}, {}) clusters, not `{coe}` on `{server_type}`", d.server_type, d.os_distro, d.coe))
                    .with_label("driver does not match the template"),
            );
            return None;
        }
        return Some(d);
    }
    let (os_distro, distro_span) = match f.str("cluster_distro") {
        Some((d, span)) => (d.to_string(), span),
        None => {
            let cloud = t.cloud.map(|c| &model.clouds[c]);
            let Some(cloud) = cloud else {
                if !model.clouds.is_empty() || model.unparsed.iter().any(|(k, _)| k == "cloud") {
                    return None; // an ambiguous, unresolved or unparsed cloud is reported already
                }
                diags.push(
                    Diagnostic::new(Code(308), image_span, format!("cannot tell the `os_distro` of image `{image}`"))
                        .with_label("no cloud block describes this image")
                        .with_help(format!(
                            "declare the image in a cloud block, `image \"{image}\" {{ os_distro = \"fedora-coreos\" }}`, or set `cluster_distro` on the template"
                        ))
                        .with_note("the driver is chosen by (server_type, os_distro, coe); without os_distro none can be chosen"),
                );
                return None;
            };
            // An image missing from the cloud is reported by the cloud rules.
            let img = cloud.image(image)?;
            match img.fields.str("os_distro").filter(|(d, _)| !d.is_empty()) {
                Some((d, span)) => (d.to_string(), span),
                None => {
                    let candidates: Vec<String> = catalogue
                        .drivers
                        .values()
                        .filter(|d| d.coe == coe && d.server_type == server_type)
                        .map(|d| d.os_distro.clone())
                        .collect();
                    // A guess for the example: a distro named in the image name.
                    let example = candidates
                        .iter()
                        .filter(|c| image.contains(c.as_str()))
                        .max_by_key(|c| c.len())
                        .or(candidates.first())
                        .cloned()
                        .unwrap_or_else(|| "fedora-coreos".into());
                    diags.push(
                        Diagnostic::new(Code(308), image_span, format!("image `{image}` has no `os_distro` property, so no driver can be chosen"))
                            .with_label("this image has no os_distro")
                            .with_secondary(img.span, "declared here without `os_distro`")
                            .with_help(format!(
                                "set the property on the image, `openstack image set --property os_distro={example} {image}`, and declare it: `image \"{image}\" {{ os_distro = \"{example}\" }}`"
                            ))
                            .with_help(format!("`{coe}` on `{server_type}` servers is built for os_distro {}", names(&candidates)))
                            .with_note(format!(
                                "Magnum reports this as \"Cluster type ({server_type}, None, {coe}) not supported\""
                            )),
                    );
                    return None;
                }
            }
        }
    };
    if let Some(d) = catalogue.driver_for(server_type, &os_distro, coe) {
        return Some(d);
    }
    let tuples: Vec<String> = catalogue
        .drivers
        .values()
        .filter(|d| d.coe == coe)
        .map(|d| format!("({}, {}, {})", d.server_type, d.os_distro, d.coe))
        .collect();
    let distros: Vec<&str> = catalogue
        .drivers
        .values()
        .filter(|d| d.coe == coe && d.server_type == server_type)
        .map(|d| d.os_distro.as_str())
        .collect();
    let mut d = Diagnostic::new(
        Code(307),
        distro_span,
        format!("no driver builds `{coe}` clusters on `{server_type}` servers with os_distro `{os_distro}`"),
    )
    .with_label(format!("os_distro `{os_distro}`"))
    .with_secondary(image_span, "the image")
    .with_help(format!("drivers exist for: {}", tuples.join(", ")));
    if let Some(best) = did_you_mean(&os_distro, distros) {
        d = d.with_help(format!(
            "did you mean os_distro `{best}`? (os_distro is compared case-sensitively)"
        ));
    }
    diags.push(d);
    None
}

/// Cluster-level checks that depend on the driver and the effective labels.
pub fn check_cluster(
    catalogue: &Catalogue,
    model: &Model,
    i: usize,
    options: &Options,
    diags: &mut Vec<Diagnostic>,
) {
    let cluster = &model.clusters[i];
    let Some(eff) = &cluster.effective else {
        return;
    };
    labels::check_entries(
        catalogue,
        &cluster.labels,
        &eff.coe.value,
        eff.driver.as_deref(),
        strictness(options),
        diags,
    );
    crate::check::boot::check_legacy_labels(
        &own_labels(&cluster.labels),
        cluster.boot.as_ref(),
        cluster.labels_span,
        diags,
    );
    let coe = catalogue.coes.get(&eff.coe.value);
    let network_driver = eff
        .network_driver
        .as_ref()
        .map(|n| n.value.clone())
        .or_else(|| coe.and_then(|c| c.default_network_driver.clone()));
    let fixed_subnet = eff.fixed_subnet.as_ref().and_then(|s| {
        let cloud = &model.clouds[eff.cloud?];
        let subnet = cloud.subnets.get(&s.value)?;
        subnet
            .fields
            .str("cidr")
            .map(|(c, span)| (c.to_string(), span))
    });
    labels::check_relations(&eff.labels, diags);
    labels::check_overlaps(
        &eff.labels,
        network_driver.as_deref(),
        fixed_subnet,
        cluster.span,
        diags,
    );
    if let Some(vd) = &eff.volume_driver
        && vd.value == "cinder"
        && let Some(l) = eff.label_false("cloud_provider_enabled")
    {
        diags.push(
            Diagnostic::new(
                Code(314),
                l.value.span,
                "the cinder volume driver needs the OpenStack cloud provider",
            )
            .with_label("cloud provider switched off")
            .with_secondary(vd.span, "cinder chosen here")
            .with_help("remove `cloud_provider_enabled = false`, or drop `volume_driver = cinder`"),
        );
    }
    // The label can only add the API's floating IP: with node floating IPs
    // on, the API load balancer gets one anyway, and `false` does nothing.
    if let Some(l) = eff.label_false("master_lb_floating_ip_enabled")
        && eff.floating_ip_enabled.value
    {
        diags.push(
            Diagnostic::new(
                Code(409),
                l.value.span,
                "label `master_lb_floating_ip_enabled = false` is accepted but does nothing here",
            )
            .with_label("no effect in the built cluster")
            .with_secondary(eff.floating_ip_enabled.span, "node floating IPs are on")
            .with_severity(strictness(options).unimplemented)
            .with_help("the API load balancer gets a floating IP whenever the nodes have them; set `floating_ip_enabled = false` to keep the API private, or remove the label"),
        );
    }
}
