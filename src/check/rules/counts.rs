//! Master and node counts: load balancer for several masters, odd master
//! counts for etcd quorum, devicemapper volume size with cluster overrides.

use crate::check::catalogue::Catalogue;
use crate::check::model::Model;
use crate::diag::{Code, Diagnostic};

pub fn check(catalogue: &Catalogue, model: &Model, i: usize, diags: &mut Vec<Diagnostic>) {
    let cluster = &model.clusters[i];
    let Some(eff) = &cluster.effective else {
        return;
    };
    let masters = eff.master_count.value;
    if masters > 1 && !eff.master_lb_enabled.value {
        let template = &model.templates[eff.template];
        let unset = cluster.fields.explicit("master_lb_enabled").is_none()
            && template.fields.explicit("master_lb_enabled").is_none();
        let mut d = Diagnostic::new(
            Code(309),
            eff.master_count.span,
            format!("{masters} masters need a load balancer in front of them"),
        )
        .with_label("more than one master")
        .with_secondary(
            eff.master_lb_enabled.span,
            if unset {
                "`master_lb_enabled` is not set here, so it is false"
            } else {
                "master_lb_enabled is false here"
            },
        )
        .with_help(
            "set `master_lb_enabled = true` on the template or the cluster, or use one master",
        );
        if unset {
            d = d.with_fix(
                "enable the master load balancer for this cluster",
                cluster
                    .fields
                    .attr_span("master_count")
                    .unwrap_or(cluster.span)
                    .end_point(),
                "\n  master_lb_enabled = true",
            );
        }
        diags.push(d);
    }
    if masters > 1 && masters % 2 == 0 {
        diags.push(
            Diagnostic::new(
                Code(310),
                eff.master_count.span,
                format!("{masters} masters is an even number"),
            )
            .with_label(
                "etcd needs a majority: an even count tolerates no more failures than one fewer",
            )
            .with_fix(
                format!("use {} masters", masters + 1),
                eff.master_count.span,
                (masters + 1).to_string(),
            )
            .with_note("Magnum refuses even master counts since 20.0.0"),
        );
    }
    // A cluster that overrides the docker volume size is checked against devicemapper again.
    if let (Some(size), Some(storage)) = (
        cluster.fields.explicit("docker_volume_size"),
        &eff.docker_storage_driver,
    ) && storage.value == "devicemapper"
        && size.as_int().is_some_and(|n| n < 3)
    {
        let _ = catalogue;
        diags.push(
            Diagnostic::new(
                Code(306),
                size.span,
                format!(
                    "devicemapper needs a docker volume of at least 3 GB, found {} GB",
                    size.as_int().unwrap_or(0)
                ),
            )
            .with_label("too small for devicemapper")
            .with_secondary(storage.span, "the template uses devicemapper")
            .with_fix("use 3GiB", size.span, "3GiB"),
        );
    }
}
