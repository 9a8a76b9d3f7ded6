//! The top-level Heat parameters of a cluster (see `stdlib/heat/README.md`),
//! each with the span of the `.coe` value it came from.

use crate::check::catalogue::{Catalogue, DriverInfo};
use crate::check::config_fields::{self, ConfigField};
use crate::check::model::{Cluster, Effective, Model, Store, find_resource};
use crate::source::Span;
use indexmap::IndexMap;
use serde::{Serialize, Serializer};

/// A parameter value as Heat takes it.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Str(String),
    Num(i64),
    Bool(bool),
    /// A `comma_delimited_list`.
    List(Vec<String>),
    /// A `json` parameter.
    Json(serde_json::Value),
}

impl Serialize for ParamValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ParamValue::Str(v) => super::yaml::SafeStr(v).serialize(s),
            ParamValue::Num(n) => s.serialize_i64(*n),
            ParamValue::Bool(b) => s.serialize_bool(*b),
            ParamValue::List(items) => items
                .iter()
                .map(|i| super::yaml::SafeStr(i))
                .collect::<Vec<_>>()
                .serialize(s),
            ParamValue::Json(v) => super::yaml::SafeJson(v).serialize(s),
        }
    }
}

/// Parameters in a stable order, each with where it came from (if from source).
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub values: IndexMap<String, (ParamValue, Option<Span>)>,
    /// Names of parameters declared `hidden: true` (never printed).
    pub hidden: Vec<String>,
}

impl Params {
    fn set(&mut self, name: &str, value: ParamValue, span: Option<Span>) {
        self.values.insert(name.to_string(), (value, span));
    }

    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.get(name).map(|(v, _)| v)
    }
}

fn s(v: &str) -> ParamValue {
    ParamValue::Str(v.to_string())
}

fn label_num(eff: &Effective, key: &str) -> (i64, Option<Span>) {
    match eff.label(key) {
        Some(l) => (l.text.trim().parse().unwrap_or(0), Some(l.value.span)),
        None => (0, None),
    }
}

/// A volume type: the label, else the cloud's first type, else "" (Heat's default).
fn volume_type(model: &Model, eff: &Effective, label: &str) -> (String, Option<Span>) {
    if let Some(l) = eff.label(label) {
        return (l.text.clone(), Some(l.value.span));
    }
    let first = eff.cloud.and_then(|c| model.clouds[c].volume_types.first());
    match first {
        Some(t) => (t.value.clone(), Some(t.span)),
        None => (String::new(), None),
    }
}

fn store_meta(
    meta: &mut serde_json::Map<String, serde_json::Value>,
    prefix: &str,
    store: &Option<Store>,
) {
    if let Some(st) = store {
        meta.insert(
            format!("{prefix}_type"),
            serde_json::Value::String(st.kind.clone()),
        );
        if let Some(uuid) = &st.uuid {
            meta.insert(
                format!("{prefix}_uuid"),
                serde_json::Value::String(uuid.clone()),
            );
        }
    }
}

pub fn parameters(
    model: &Model,
    catalogue: &Catalogue,
    cluster: &Cluster,
    eff: &Effective,
    driver: &DriverInfo,
) -> Params {
    let mut p = Params::default();
    let template = &model.templates[eff.template];
    p.set("cluster_name", s(&cluster.name), Some(cluster.span));
    p.set("image", s(&eff.image.value), Some(eff.image.span));
    // Without a master flavor, masters use the worker flavor (Heat's own
    // default, m1.small, may not exist on the cloud; the check validated this one).
    if let Some(f) = eff.master_flavor.as_ref().or(eff.flavor.as_ref()) {
        p.set("master_flavor", s(&f.value), Some(f.span));
    }
    if let Some(f) = &eff.flavor {
        p.set("worker_flavor", s(&f.value), Some(f.span));
    }
    if let Some(k) = &eff.keypair {
        p.set("key_name", s(&k.value), Some(k.span));
    }
    if let Some(n) = &eff.external_network {
        p.set("external_network", s(&n.value), Some(n.span));
    }
    if let Some(n) = &eff.fixed_network {
        p.set("fixed_network", s(&n.value), Some(n.span));
    }
    if let Some(n) = &eff.fixed_subnet {
        p.set("fixed_subnet", s(&n.value), Some(n.span));
    }
    if eff.fixed_network.is_some() {
        // An existing subnet: its real range, from the cloud block, or ""
        // when the block does not say (templates that open ports to the
        // subnet then fall back to the cluster's own nodes).
        let cidr = eff.fixed_subnet.as_ref().and_then(|sub| {
            let cloud = &model.clouds[eff.cloud?];
            find_resource(&cloud.subnets, &sub.value)?
                .fields
                .str("cidr")
        });
        match cidr {
            Some((c, span)) => p.set("fixed_subnet_cidr", s(c), Some(span)),
            None => p.set("fixed_subnet_cidr", s(""), None),
        }
    } else if let Some(l) = eff.label("fixed_subnet_cidr") {
        p.set("fixed_subnet_cidr", s(&l.text), Some(l.value.span));
    }
    if let Some(v) = template.fields.explicit("dns_nameserver") {
        let list = v
            .as_list()
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect();
        p.set("dns_nameservers", ParamValue::List(list), Some(v.span));
    }
    p.set(
        "number_of_masters",
        ParamValue::Num(eff.master_count.value),
        Some(eff.master_count.span),
    );
    p.set(
        "number_of_workers",
        ParamValue::Num(eff.node_count.value),
        Some(eff.node_count.span),
    );
    p.set(
        "affinity_policy",
        s(&eff.affinity_policy.value),
        Some(eff.affinity_policy.span),
    );
    if let Some(size) = &eff.docker_volume_size {
        p.set(
            "docker_volume_size",
            ParamValue::Num(size.value),
            Some(size.span),
        );
        let (t, span) = volume_type(model, eff, "docker_volume_type");
        p.set("docker_volume_type", ParamValue::Str(t), span);
    }
    let (etcd, span) = label_num(eff, "etcd_volume_size");
    if etcd > 0 {
        p.set("etcd_volume_size", ParamValue::Num(etcd), span);
        let (t, span) = volume_type(model, eff, "etcd_volume_type");
        p.set("etcd_volume_type", ParamValue::Str(t), span);
    }
    let (boot, span) = label_num(eff, "boot_volume_size");
    if boot > 0 {
        p.set("boot_volume_size", ParamValue::Num(boot), span);
        // A volume type in block_device_mapping_v2 needs Nova 2.67 (Stein);
        // older Novas refuse the server. Without one the boot volume gets
        // Cinder's default type, so only a type the user asked for is sent.
        let nova_2_67 = eff
            .cloud
            .and_then(|c| model.clouds[c].nova_microversion())
            .is_some_and(|(v, _)| v >= BOOT_VOLUME_TYPE_MICROVERSION);
        if let Some(l) = eff.label("boot_volume_type")
            && nova_2_67
        {
            p.set("boot_volume_type", s(&l.text), Some(l.value.span));
        }
    }
    match &eff.docker_storage_driver {
        Some(d) => p.set("docker_storage_driver", s(&d.value), Some(d.span)),
        None => {
            if let Some(d) = &driver.default_storage_driver {
                p.set("docker_storage_driver", s(d), None);
            }
        }
    }
    let network_driver = eff.network_driver.as_ref().map(|n| n.value.clone());
    if let Some(n) = &eff.network_driver {
        p.set("network_driver", s(&n.value), Some(n.span));
    }
    // The pod network: the driver's label, else the catalogue's default
    // for it (the value `coe labels` shows), never a second copy here.
    let pods = match network_driver.as_deref() {
        Some("calico") => Some("calico_ipv4pool"),
        Some("flannel") => Some("flannel_network_cidr"),
        _ => None,
    };
    if let Some(label) = pods {
        match eff.label(label) {
            Some(l) => p.set("pods_network_cidr", s(&l.text), Some(l.value.span)),
            None => {
                if let Some(default) = catalogue
                    .labels
                    .get(label)
                    .and_then(|i| i.default.as_deref())
                {
                    p.set("pods_network_cidr", s(default), None);
                }
            }
        }
    }
    if let Some(l) = eff.label("service_cluster_ip_range") {
        p.set("services_network_cidr", s(&l.text), Some(l.value.span));
    }
    p.set(
        "tls_disabled",
        ParamValue::Bool(eff.tls_disabled),
        template.fields.explicit("tls_disabled").map(|v| v.span),
    );
    p.set(
        "api_port",
        ParamValue::Num(api_port(&eff.coe.value, eff.tls_disabled)),
        None,
    );
    for key in ["http_proxy", "https_proxy", "no_proxy"] {
        if let Some((v, span)) = template.fields.str(key) {
            p.set(key, s(v), Some(span));
        }
    }
    // The API load balancer's settings (Kubernetes templates read them).
    for (label, param) in [
        ("octavia_provider", "api_lb_provider"),
        ("octavia_lb_algorithm", "api_lb_algorithm"),
    ] {
        if let Some(l) = eff.label(label) {
            p.set(param, s(&l.text), Some(l.value.span));
        }
    }
    if let Some(l) = eff.label("octavia_lb_healthcheck") {
        let on = eff.label_false("octavia_lb_healthcheck").is_none();
        p.set(
            "api_lb_healthcheck",
            ParamValue::Bool(on),
            Some(l.value.span),
        );
    }
    // Who may reach the API: the label's ranges and the cluster subnet (the
    // nodes, and the load balancer's own ports that forward to the masters).
    // The check refuses the label where the subnet's range is unknown.
    if let Some(l) = eff.label("master_lb_allowed_cidrs") {
        let mut cidrs: Vec<String> = l
            .text
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        let subnet = match p.get("fixed_subnet_cidr") {
            Some(ParamValue::Str(c)) => Some(c.clone()),
            _ => catalogue
                .labels
                .get("fixed_subnet_cidr")
                .and_then(|i| i.default.clone()),
        };
        if let Some(c) = subnet.filter(|c| !c.is_empty() && !cidrs.contains(c)) {
            cidrs.push(c);
        }
        p.set(
            "api_allowed_cidrs",
            ParamValue::List(cidrs),
            Some(l.value.span),
        );
    }
    // kube-proxy reads a KubeProxyConfiguration, not flags: its label's
    // flags become that document's fields, typed by the catalogue's table
    // (the check refused any flag or value outside it).
    if let Some(l) = eff.label("kubeproxy_options")
        && let Some(doc) = catalogue
            .labels
            .get("kubeproxy_options")
            .and_then(|i| i.config_fields.as_ref())
            .and_then(|fields| config_document(&l.text, fields))
    {
        p.set("kube_proxy_config", s(&doc), Some(l.value.span));
    }
    if let Some(l) = eff.label("availability_zone") {
        p.set("availability_zone", s(&l.text), Some(l.value.span));
    }
    // Boot options: server metadata by default, as the deployment that introduced
    // them did; scheduler hints when the cloud block asks for them.
    let mut meta = serde_json::Map::new();
    store_meta(&mut meta, "instance_store", &eff.boot.instance_store);
    store_meta(&mut meta, "image_store", &eff.boot.image_store);
    if !meta.is_empty() {
        let span = eff
            .boot
            .instance_store
            .as_ref()
            .or(eff.boot.image_store.as_ref())
            .map(|s| s.span);
        let as_hints = eff
            .cloud
            .and_then(|c| model.clouds[c].fields.str("boot_options"))
            .is_some_and(|(v, _)| v == "scheduler_hints");
        let param = if as_hints {
            "scheduler_hints"
        } else {
            "server_metadata"
        };
        p.set(
            param,
            ParamValue::Json(serde_json::Value::Object(meta)),
            span,
        );
    }
    let mut labels: Vec<(&str, &str)> = Vec::new();
    let mut secrets = serde_json::Map::new();
    for l in &eff.labels {
        let replaced = catalogue
            .labels
            .get(&l.key)
            .is_some_and(|i| i.replaced_by.is_some());
        if replaced {
            continue; // carried by the typed boot options
        }
        if l.secret {
            secrets.insert(l.key.clone(), serde_json::Value::String(l.text.clone()));
        } else {
            labels.push((&l.key, &l.text));
        }
    }
    p.set(
        "labels",
        ParamValue::Str(super::label_lines::encode(labels)),
        eff.labels.first().map(|l| l.key_span),
    );
    if !secrets.is_empty() {
        p.set(
            "secret_labels",
            ParamValue::Json(serde_json::Value::Object(secrets)),
            None,
        );
        p.hidden.push("secret_labels".into());
    }
    p.set(
        "wait_timeout",
        // Heat caps a wait condition at 12 hours.
        ParamValue::Num(eff.create_timeout.min(MAX_WAIT_SECS) as i64),
        cluster.fields.explicit("create_timeout").map(|v| v.span),
    );
    let r = &eff.rolling;
    for (name, value, span) in [
        (
            "master_update_pause",
            r.master_pause.value as i64,
            r.master_pause.span,
        ),
        (
            "worker_update_batch",
            r.worker_batch.value,
            r.worker_batch.span,
        ),
        (
            "worker_update_pause",
            r.worker_pause.value as i64,
            r.worker_pause.span,
        ),
    ] {
        p.set(name, ParamValue::Num(value), Some(span));
    }
    p
}

/// The Nova microversion that accepts `volume_type` in a block device mapping.
pub const BOOT_VOLUME_TYPE_MICROVERSION: (u32, u32) = (2, 67);

/// The longest timeout `OS::Heat::WaitCondition` accepts.
pub const MAX_WAIT_SECS: u64 = 43_200;

/// The API port: fixed per COE, as Magnum's drivers had it.
pub fn api_port(coe: &str, tls_disabled: bool) -> i64 {
    match (coe, tls_disabled) {
        ("kubernetes", false) => 6443,
        ("kubernetes", true) => 8080,
        ("swarm-mode" | "swarm", false) => 2376,
        ("swarm-mode" | "swarm", true) => 2375,
        ("mesos", _) => 5050,
        _ => 443,
    }
}

/// A flags label as a one-line JSON KubeProxyConfiguration (JSON is YAML, so
/// kubeadm reads it as one document of its config file); `None` when the
/// label sets no field.
fn config_document(flags: &str, fields: &IndexMap<String, ConfigField>) -> Option<String> {
    let mut doc = serde_json::Map::new();
    doc.insert(
        "apiVersion".into(),
        "kubeproxy.config.k8s.io/v1alpha1".into(),
    );
    doc.insert("kind".into(), "KubeProxyConfiguration".into());
    let mut any = false;
    for token in flags.split_whitespace() {
        let Some((name, value)) = token.strip_prefix("--").and_then(|t| t.split_once('=')) else {
            continue;
        };
        if let Some(field) = fields.get(name)
            && let Ok(v) = field.kind.parse(value)
        {
            config_fields::insert_at(&mut doc, &field.path, v);
            any = true;
        }
    }
    any.then(|| serde_json::Value::Object(doc).to_string())
}
