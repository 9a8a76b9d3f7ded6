//! The environment's resource_registry: each feature switch is one line, so
//! an operator flips a feature with an environment file, not a new template.

use crate::check::model::{Effective, Model};
use indexmap::IndexMap;

const NONE: &str = "OS::Heat::None";

pub fn resource_registry(model: &Model, eff: &Effective) -> IndexMap<String, String> {
    let cloud = eff.cloud.map(|c| &model.clouds[c]);
    let mut r = IndexMap::new();
    let mut set = |k: &str, v: &str| {
        r.insert(k.to_string(), v.to_string());
    };
    set(
        "Coe::Network",
        if eff.fixed_network.is_some() {
            "network_existing.yaml"
        } else {
            "network_private.yaml"
        },
    );
    // Octavia unless the cloud says neutron-lbaas (`Cloud::uses_lbaas`).
    let (lb, member) = if !eff.master_lb_enabled.value {
        ("lb_none.yaml", NONE)
    } else if cloud.is_some_and(|c| c.uses_lbaas()) {
        ("lb_lbaas.yaml", "pool_member_lbaas.yaml")
    } else {
        ("lb_octavia.yaml", "pool_member_octavia.yaml")
    };
    set("Coe::ApiLoadBalancer", lb);
    set("Coe::PoolMember", member);
    let fip = if eff.floating_ip_enabled.value {
        "fip_on.yaml"
    } else {
        "fip_off.yaml"
    };
    set("Coe::FloatingIP", fip);
    // The API's floating IP follows the nodes' setting, or the label that turns it on alone.
    let lb_fip = eff.floating_ip_enabled.value
        || eff
            .label_text("master_lb_floating_ip_enabled")
            .is_some_and(|t| t.eq_ignore_ascii_case("true"));
    set(
        "Coe::ApiFloatingIP",
        if eff.master_lb_enabled.value && lb_fip {
            "fip_on.yaml"
        } else {
            "fip_off.yaml"
        },
    );
    let etcd = eff
        .label_text("etcd_volume_size")
        .and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|n| n > 0);
    set(
        "Coe::DockerVolume",
        if eff.docker_volume_size.is_some() {
            "volume.yaml"
        } else {
            NONE
        },
    );
    set("Coe::EtcdVolume", if etcd { "volume.yaml" } else { NONE });
    r
}
