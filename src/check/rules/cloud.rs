//! Checks against the `cloud` block: resources exist, the external network is
//! external, Nova supports the affinity policy, volume types and load
//! balancers exist, root disks, quotas.

use crate::check::catalogue::Catalogue;
use crate::check::model::{Cloud, Effective, Model, Resource, Template, find_resource};
use crate::check::schema::Fields;
use crate::check::value::Value;
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::Span;
use indexmap::IndexMap;

/// (attribute, what, code, resources) for the references a block can make.
fn resources(cloud: &Cloud) -> [(&'static str, &'static str, u16, &IndexMap<String, Resource>); 6] {
    [
        ("image", "image", 501, &cloud.images),
        ("flavor", "flavor", 502, &cloud.flavors),
        ("master_flavor", "flavor", 502, &cloud.flavors),
        ("keypair", "keypair", 504, &cloud.keypairs),
        ("fixed_network", "network", 503, &cloud.networks),
        ("fixed_subnet", "subnet", 511, &cloud.subnets),
    ]
}

use crate::check::model::find_resource as find;

fn unknown(
    cloud: &Cloud,
    what: &str,
    code: u16,
    name: &str,
    span: Span,
    map: &IndexMap<String, Resource>,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code(code),
        span,
        format!("cloud `{}` has no {what} `{name}`", cloud.name),
    )
    .with_label(format!("unknown {what}"))
    .with_secondary(cloud.span, "the cloud is described here");
    if let Some(best) = did_you_mean(name, map.keys().map(String::as_str)) {
        d = d.with_fix(
            format!("did you mean `{best}`?"),
            span,
            crate::check::value::quote(best),
        );
    } else if map.is_empty() {
        d = d.with_help(format!(
            "declare it in the cloud block: `{what} \"{name}\" {{}}`"
        ));
    } else {
        let known: Vec<String> = map.keys().cloned().collect();
        d = d.with_help(format!(
            "the cloud has: {}",
            crate::check::schema::backticked(&known)
        ));
    }
    d
}

fn check_refs(cloud: &Cloud, fields: &Fields, diags: &mut Vec<Diagnostic>) {
    for (attr, what, code, map) in resources(cloud) {
        if let Some(v) = fields.explicit(attr)
            && let Some(name) = v.as_str()
            && find(map, name).is_none()
        {
            diags.push(unknown(cloud, what, code, name, v.span, map));
        }
    }
}

pub fn check_template_refs(model: &Model, t: &Template, diags: &mut Vec<Diagnostic>) {
    let Some(c) = t.cloud else { return };
    let cloud = &model.clouds[c];
    check_refs(cloud, &t.fields, diags);
    if let Some(v) = t.fields.explicit("external_network")
        && let Some(name) = v.as_str()
    {
        match find(&cloud.networks, name) {
            None => diags.push(unknown(
                cloud,
                "network",
                503,
                name,
                v.span,
                &cloud.networks,
            )),
            Some(net) if !net.fields.bool("external").is_some_and(|(b, _)| b) => {
                let external: Vec<String> = cloud
                    .networks
                    .values()
                    .filter(|n| n.fields.bool("external").is_some_and(|(b, _)| b))
                    .map(|n| n.name.clone())
                    .collect();
                let mut d = Diagnostic::new(
                    Code(505),
                    v.span,
                    format!("network `{name}` is not an external network"),
                )
                .with_label("floating IPs and routers need a network with router:external")
                .with_secondary(net.span, "declared without `external = true`");
                d = match external.first() {
                    Some(first) => d.with_fix(format!("use the external network `{first}`"), v.span, crate::check::value::quote(first)),
                    None => d.with_help("pick a network with router:external set, and mark it `external = true` in the cloud block"),
                };
                diags.push(d);
            }
            Some(_) => {}
        }
    }
}

/// An existing network needs its subnet: ports and the load balancer's VIP go on a subnet.
fn check_fixed_subnet(eff: &Effective, diags: &mut Vec<Diagnostic>) {
    if let (Some(net), None) = (&eff.fixed_network, &eff.fixed_subnet) {
        diags.push(
            Diagnostic::new(
                Code(512),
                net.span,
                format!("fixed network `{}` is named without a fixed subnet", net.value),
            )
            .with_label("existing network, but no subnet")
            .with_help("add `fixed_subnet = \"<subnet>\"` next to it, naming the subnet of that network the nodes should use")
            .with_note("node ports and the API load balancer are placed on a subnet, not on a network"),
        );
    }
}

/// Nova takes a volume type for a boot volume from microversion 2.67 (Stein)
/// on; below it `coe build` leaves the type out, so Cinder's default applies.
fn check_boot_volume_type(cloud: &Cloud, eff: &Effective, diags: &mut Vec<Diagnostic>) {
    let Some(l) = eff.label("boot_volume_type") else {
        return;
    };
    let boot = eff
        .label_text("boot_volume_size")
        .and_then(|t| t.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let Some((version, version_span)) = cloud.nova_microversion() else {
        return;
    };
    if boot <= 0 || l.text.is_empty() || version >= (2, 67) {
        return;
    }
    diags.push(
        Diagnostic::new(
            Code(513),
            l.value.span,
            format!(
                "boot volume type `{}` needs Nova microversion 2.67, but the cloud supports {}.{}",
                l.text, version.0, version.1
            ),
        )
        .with_label("left out of the build")
        .with_secondary(version_span, "the cloud's Nova microversion")
        .with_note("an older Nova refuses a server whose boot volume names a type, so coe does not pass it: the boot volume gets Cinder's default type")
        .with_help("remove `boot_volume_type`, or raise `nova_microversion` if the cloud's Nova is newer than declared"),
    );
}

/// `master_lb_allowed_cidrs` closes the API to all but its ranges and the
/// cluster subnet. Where coe cannot do both, it refuses rather than leave
/// the API open behind a label that says otherwise.
fn check_allowed_cidrs(model: &Model, eff: &Effective, diags: &mut Vec<Diagnostic>) {
    let Some(l) = eff.label("master_lb_allowed_cidrs") else {
        return;
    };
    let cloud = eff.cloud.map(|c| &model.clouds[c]);
    if eff.master_lb_enabled.value
        && let Some(cloud) = cloud.filter(|c| c.uses_lbaas())
    {
        diags.push(
            Diagnostic::new(
                Code(514),
                l.value.span,
                "`master_lb_allowed_cidrs` cannot be enforced on a neutron-lbaas load balancer",
            )
            .with_label("the API would stay open through the load balancer")
            .with_secondary(
                cloud.fields.attr_span("lbaas").unwrap_or(cloud.span),
                "the API load balancer is neutron-lbaas here",
            )
            .with_help("remove the label, or target a cloud with Octavia (`octavia = true`), whose listeners take allowed CIDRs")
            .with_note("a neutron-lbaas listener admits every address, and its VIP forwards from the cluster subnet, which the masters must admit"),
        );
    }
    let Some(subnet) = eff.fixed_network.as_ref().and(eff.fixed_subnet.as_ref()) else {
        return; // coe creates the subnet and knows its range
    };
    let range = cloud
        .and_then(|c| find_resource(&c.subnets, &subnet.value))
        .and_then(|s| s.fields.str("cidr"));
    if range.is_none() {
        diags.push(
            Diagnostic::new(
                Code(514),
                l.value.span,
                format!(
                    "`master_lb_allowed_cidrs` needs the range of subnet `{}`, which the cloud block does not give",
                    subnet.value
                ),
            )
            .with_label("the cluster subnet is added to these ranges")
            .with_secondary(subnet.span, "an existing subnet")
            .with_help(format!(
                "give the subnet its real range in the cloud block: `cidr = \"<range>\"` in `subnet \"{}\"`",
                subnet.value
            ))
            .with_note("the nodes and the load balancer reach the masters from that subnet; without its range the API would be closed to the cluster itself"),
        );
    }
}

pub fn check_cluster(_catalogue: &Catalogue, model: &Model, i: usize, diags: &mut Vec<Diagnostic>) {
    let cluster = &model.clusters[i];
    let Some(eff) = &cluster.effective else {
        return;
    };
    check_fixed_subnet(eff, diags);
    check_allowed_cidrs(model, eff, diags);
    let Some(c) = eff.cloud else { return };
    let cloud = &model.clouds[c];
    check_refs(cloud, &cluster.fields, diags);
    check_affinity(model, cloud, eff, diags);
    check_boot_volume_type(cloud, eff, diags);
    check_volume_types(model, cloud, eff, diags);
    check_load_balancer(cloud, eff, diags);
    check_root_disks(cloud, eff, diags);
}

fn check_affinity(model: &Model, cloud: &Cloud, eff: &Effective, diags: &mut Vec<Diagnostic>) {
    let policy = &eff.affinity_policy;
    if !policy.value.starts_with("soft-") {
        return;
    }
    let Some((version, version_span)) = cloud.nova_microversion() else {
        return;
    };
    if version >= (2, 15) {
        return;
    }
    let hard = policy.value.trim_start_matches("soft-").to_string();
    let template = &model.templates[eff.template];
    let explicit = template.fields.explicit("nodes_affinity_policy").is_some()
        || model.clusters.iter().any(|c| {
            c.fields.explicit("nodes_affinity_policy").map(|v| v.span) == Some(policy.span)
        });
    let mut d = Diagnostic::new(
        Code(506),
        policy.span,
        format!("server group policy `{}` needs Nova microversion 2.15, but the cloud supports {}.{}", policy.value, version.0, version.1),
    )
    .with_label(if explicit { "soft policy chosen here".to_string() } else { format!("`nodes_affinity_policy` defaults to `{}`", policy.value) })
    .with_secondary(version_span, "the cloud's Nova microversion")
    .with_note("Nova answers \"Required microversion for soft policies not supported\" and the stack fails");
    d = if explicit {
        d.with_fix(format!("use `{hard}`"), policy.span, hard.clone())
    } else {
        let at = template
            .fields
            .attr_spans
            .values()
            .max_by_key(|s| s.end)
            .map(|s| s.end_point())
            .unwrap_or(template.span.end_point());
        d.with_fix(
            format!("choose `{hard}` explicitly"),
            at,
            format!("\n  nodes_affinity_policy = {hard}"),
        )
    };
    diags.push(
        d.with_help("or raise `nova_microversion` if the cloud's Nova is newer than declared"),
    );
}

/// Which volume types the cloud block declares; `None` when it does not say.
fn declared_types(cloud: &Cloud) -> Option<Vec<String>> {
    let said = cloud.fields.explicit("volume_types").is_some() || !cloud.volume_types.is_empty();
    said.then(|| cloud.volume_types.iter().map(|v| v.value.clone()).collect())
}

fn check_volume_types(model: &Model, cloud: &Cloud, eff: &Effective, diags: &mut Vec<Diagnostic>) {
    let Some(types) = declared_types(cloud) else {
        return;
    };
    let label_int = |k: &str| {
        eff.label_text(k)
            .and_then(|t| t.trim().parse::<i64>().ok())
            .unwrap_or(0)
    };
    let mut wanted: Vec<(&str, &str, Span)> = Vec::new();
    if let Some(size) = &eff.docker_volume_size {
        wanted.push(("docker", "docker_volume_type", size.span));
    }
    if label_int("etcd_volume_size") > 0 {
        wanted.push((
            "etcd",
            "etcd_volume_type",
            eff.label("etcd_volume_size").unwrap().value.span,
        ));
    }
    if label_int("boot_volume_size") > 0 {
        wanted.push((
            "boot",
            "boot_volume_type",
            eff.label("boot_volume_size").unwrap().value.span,
        ));
    }
    let volumes_span = cloud.fields.attr_span("volume_types").unwrap_or(cloud.span);
    for (what, type_label, why_span) in wanted {
        match eff.label(type_label) {
            Some(l) if !types.contains(&l.text) => {
                let mut d = Diagnostic::new(
                    Code(507),
                    l.value.span,
                    format!(
                        "the cloud has no volume type `{}` for the {what} volume",
                        l.text
                    ),
                )
                .with_label("unknown volume type")
                .with_secondary(volumes_span, "the cloud's volume types");
                d = match did_you_mean(&l.text, types.iter().map(String::as_str)) {
                    Some(best) => d.with_fix(
                        format!("did you mean `{best}`?"),
                        l.value.span,
                        crate::check::value::quote(best),
                    ),
                    None if types.is_empty() => d.with_help("the cloud declares no volume types"),
                    None => d.with_help(format!(
                        "the cloud has: {}",
                        crate::check::schema::backticked(&types)
                    )),
                };
                diags.push(d);
            }
            Some(_) => {}
            None if types.is_empty() => {
                let template = &model.templates[eff.template];
                let mut d = Diagnostic::new(
                    Code(507),
                    why_span,
                    format!("a {what} volume is requested but the cloud has no volume types"),
                )
                .with_label(format!("needs a Cinder volume type for the {what} volume"))
                .with_secondary(volumes_span, "no volume types here")
                .with_note(
                    "Cinder answers \"The VolumeType () could not be found\" and the stack fails",
                );
                if what == "docker" {
                    d = d.with_help(
                        "remove `docker_volume_size` to keep container storage on the root disk, or declare the cloud's volume types (`volume_types = [\"...\"]`) and choose one with the `docker_volume_type` label",
                    );
                    // When the size comes from the template, deleting it there is the fix.
                    if let (Some(attr), Some(size)) = (
                        template.fields.attr_span("docker_volume_size"),
                        &eff.docker_volume_size,
                    ) && attr.start <= size.span.start
                        && size.span.end <= attr.end
                    {
                        d = d.with_fix("keep container storage on the root disk", attr, "");
                    }
                } else {
                    d = d.with_help(format!(
                        "declare the cloud's volume types and choose one with the `{type_label}` label"
                    ));
                }
                diags.push(d);
            }
            None => {}
        }
    }
}

fn check_load_balancer(cloud: &Cloud, eff: &Effective, diags: &mut Vec<Diagnostic>) {
    if eff.master_lb_enabled.value && cloud.load_balancer() == Some(false) {
        diags.push(
            Diagnostic::new(Code(508), eff.master_lb_enabled.span, "a master load balancer needs Octavia or neutron-lbaas")
                .with_label("master load balancer enabled")
                .with_secondary(cloud.span, "the cloud offers neither `octavia` nor `lbaas`")
                .with_help("use a single master without a load balancer, or target a cloud with a load-balancer service"),
        );
    }
    let octavia = cloud.fields.bool("octavia").map(|(b, _)| b);
    if let Some(l) = eff.label("ingress_controller")
        && l.text.eq_ignore_ascii_case("octavia")
        && octavia == Some(false)
    {
        diags.push(
            Diagnostic::new(
                Code(508),
                l.value.span,
                "the octavia ingress controller needs Octavia",
            )
            .with_label("octavia ingress")
            .with_secondary(
                cloud.fields.attr_span("octavia").unwrap_or(cloud.span),
                "the cloud has no Octavia",
            )
            .with_help("use `ingress_controller = \"traefik\"` or `\"nginx\"`"),
        );
    }
}

fn check_root_disks(cloud: &Cloud, eff: &Effective, diags: &mut Vec<Diagnostic>) {
    let boot_size = eff
        .label_text("boot_volume_size")
        .and_then(|t| t.trim().parse::<i64>().ok())
        .unwrap_or(0);
    if boot_size > 0 {
        return;
    }
    let mut seen = Vec::new();
    for flavor in [&eff.flavor, &eff.master_flavor].into_iter().flatten() {
        let Some(f) = find(&cloud.flavors, &flavor.value) else {
            continue;
        };
        if seen.contains(&f.name) {
            continue;
        }
        seen.push(f.name.clone());
        if let Some(v) = f.fields.explicit("disk")
            && matches!(v.value, Value::Size { bytes: 0, .. })
        {
            diags.push(
                Diagnostic::new(Code(509), flavor.span, format!("flavor `{}` has no root disk and the cluster boots from none", f.name))
                    .with_label("root disk is 0")
                    .with_secondary(v.span, "disk = 0 here")
                    .with_help("set the `boot_volume_size` label (in GB) so servers boot from a Cinder volume, or use a flavor with a disk"),
            );
        }
    }
}

/// Clusters and nodes per cloud against its quota block.
pub fn check_quotas(model: &Model, diags: &mut Vec<Diagnostic>) {
    for (ci, cloud) in model.clouds.iter().enumerate() {
        let Some(quota) = &cloud.quota else { continue };
        let mut clusters = 0i64;
        let mut nodes = 0i64;
        let mut reported = (false, false);
        for c in &model.clusters {
            let Some(eff) = &c.effective else { continue };
            if eff.cloud != Some(ci) {
                continue;
            }
            clusters += 1;
            nodes += eff.master_count.value + eff.node_count.value;
            if let Some((max, span)) = quota.int("clusters")
                && clusters > max
                && !reported.0
            {
                reported.0 = true;
                diags.push(
                    Diagnostic::new(Code(510), c.span, format!("cluster `{}` exceeds the quota of {max} cluster{}", c.name, if max == 1 { "" } else { "s" }))
                        .with_label(format!("cluster number {clusters}"))
                        .with_secondary(span, "the quota")
                        .with_help("remove clusters, or ask for a higher quota (`openstack coe quotas update`)"),
                );
            }
            if let Some((max, span)) = quota.int("nodes")
                && nodes > max
                && !reported.1
            {
                reported.1 = true;
                diags.push(
                    Diagnostic::new(Code(510), eff.node_count.span, format!("cluster `{}` brings the node total to {nodes}, above the quota of {max}", c.name))
                        .with_label("nodes counted here")
                        .with_secondary(span, "the quota")
                        .with_help("lower node or master counts, or ask for a higher quota"),
                );
            }
        }
    }
}
