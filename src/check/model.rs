//! The checked configuration: what later stages (compile, plan) consume.
//! Every value keeps the span it came from, so any stage can point back at
//! the `.coe` line responsible.

use super::schema::Fields;
use super::value::Val;
use crate::source::{Span, Spanned};
use indexmap::IndexMap;

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub clouds: Vec<Cloud>,
    pub templates: Vec<Template>,
    pub clusters: Vec<Cluster>,
    pub label_sets: IndexMap<String, LabelSet>,
    /// The `settings` block, if any, and where it is.
    pub settings: Option<(Fields, Span)>,
    /// Blocks left out because of syntax errors, as (kind, name).
    pub unparsed: Vec<(String, String)>,
}

impl Model {
    /// Where secret label values are written, in every block.
    pub fn secret_spans(&self) -> Vec<crate::source::Span> {
        let sets = self.label_sets.values().map(|s| &s.labels);
        let templates = self.templates.iter().map(|t| &t.labels);
        let clusters = self.clusters.iter().map(|c| &c.labels);
        sets.chain(templates)
            .chain(clusters)
            .flatten()
            .filter(|l| l.secret)
            .map(|l| l.value.span)
            .collect()
    }
}

impl Model {
    pub fn template(&self, name: &str) -> Option<(usize, &Template)> {
        self.templates
            .iter()
            .enumerate()
            .find(|(_, t)| t.name == name)
    }
}

/// A named resource the cloud offers (image, flavor, network, ...).
#[derive(Debug, Clone)]
pub struct Resource {
    pub name: String,
    pub span: Span,
    pub fields: Fields,
}

#[derive(Debug, Clone)]
pub struct Cloud {
    pub name: String,
    pub span: Span,
    pub fields: Fields,
    pub images: IndexMap<String, Resource>,
    pub flavors: IndexMap<String, Resource>,
    pub networks: IndexMap<String, Resource>,
    pub subnets: IndexMap<String, Resource>,
    pub keypairs: IndexMap<String, Resource>,
    /// From `volume_types = [...]` and `volume_type` blocks; the first is the default.
    pub volume_types: Vec<Spanned<String>>,
    pub quota: Option<Fields>,
}

impl Cloud {
    /// Nova's highest microversion, if the cloud block says.
    pub fn nova_microversion(&self) -> Option<((u32, u32), Span)> {
        let (s, span) = self.fields.str("nova_microversion")?;
        super::types::parse_microversion(s).map(|v| (v, span))
    }

    /// Whether some load balancer service exists; `None` when the block does not say.
    pub fn load_balancer(&self) -> Option<bool> {
        let octavia = self.fields.bool("octavia").map(|(b, _)| b);
        let lbaas = self.fields.bool("lbaas").map(|(b, _)| b);
        match (octavia, lbaas) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(false) || b.unwrap_or(false)),
        }
    }

    /// Whether the API load balancer is neutron-lbaas: the block declares
    /// lbaas and does not declare Octavia (saying nothing means Octavia).
    pub fn uses_lbaas(&self) -> bool {
        let octavia = self.fields.bool("octavia").map(|(b, _)| b);
        let lbaas = self.fields.bool("lbaas").map(|(b, _)| b);
        octavia != Some(true) && lbaas == Some(true)
    }

    /// An image by name, or by ID when it matches an image's `id`.
    pub fn image(&self, name_or_id: &str) -> Option<&Resource> {
        find_resource(&self.images, name_or_id)
    }

    pub fn has_volume_type(&self, name: &str) -> bool {
        self.volume_types.iter().any(|v| v.value == name)
    }

    pub fn heat_template_version(&self) -> Option<&str> {
        self.fields.str("heat_template_version").map(|(s, _)| s)
    }
}

/// A resource by name, or by ID when it matches a resource's `id` attribute
/// (OpenStack accepts either).
pub fn find_resource<'a>(
    map: &'a IndexMap<String, Resource>,
    name_or_id: &str,
) -> Option<&'a Resource> {
    map.get(name_or_id).or_else(|| {
        map.values()
            .find(|r| r.fields.str("id").is_some_and(|(id, _)| id == name_or_id))
    })
}

/// Where a label value came from, for messages and the effective-labels view.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Template,
    Cluster,
    LabelSet(String),
    Default,
}

/// A label as written in one block. Cheap to clone: a cluster's effective
/// labels share the entries of its template and of its own block instead
/// of copying them (they were half of a large configuration's model).
#[derive(Debug, Clone)]
pub struct LabelEntry(std::sync::Arc<Label>);

impl LabelEntry {
    pub fn new(label: Label) -> Self {
        LabelEntry(std::sync::Arc::new(label))
    }
}

impl std::ops::Deref for LabelEntry {
    type Target = Label;

    fn deref(&self) -> &Label {
        &self.0
    }
}

#[derive(Debug)]
pub struct Label {
    pub key: String,
    pub key_span: Span,
    pub value: Val,
    pub origin: Origin,
    /// The label value as Magnum passes it to Heat (labels are strings there).
    pub text: String,
    pub secret: bool,
}

impl Label {
    /// The value for output: secrets are never printed in full.
    pub fn display_value(&self) -> String {
        if self.secret {
            redact(&self.text)
        } else {
            self.text.clone()
        }
    }
}

/// Keeps at most the first character of a secret, so users can tell values apart.
pub fn redact(text: &str) -> String {
    if text.is_empty() {
        return "(sensitive, empty)".into();
    }
    "(sensitive)".into()
}

#[derive(Debug, Clone)]
pub struct LabelSet {
    pub name: String,
    pub span: Span,
    pub labels: Vec<LabelEntry>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub name: String,
    pub span: Span,
    pub fields: Fields,
    /// Labels written on the template (label sets first, then its own block).
    pub labels: Vec<LabelEntry>,
    pub labels_span: Option<Span>,
    pub boot: Option<Fields>,
    pub cloud: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    pub span: Span,
    pub fields: Fields,
    pub template: Option<usize>,
    pub labels: Vec<LabelEntry>,
    pub labels_span: Option<Span>,
    pub boot: Option<Fields>,
    /// Filled in when the template resolved.
    pub effective: Option<Effective>,
}

/// A boot store: `volume`/`glance`, or `local` with a device UUID.
#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    pub kind: String,
    pub uuid: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct Boot {
    pub instance_store: Option<Store>,
    pub image_store: Option<Store>,
}

/// How an update that rebuilds or replaces nodes rolls through them: the
/// groups' `rolling_update` policies. Each value keeps the span it came
/// from (the cluster's, the template's, or the template header's).
#[derive(Debug, Clone)]
pub struct Rolling {
    /// Seconds after each master.
    pub master_pause: Spanned<u64>,
    pub worker_batch: Spanned<i64>,
    /// Seconds after each batch of workers.
    pub worker_pause: Spanned<u64>,
}

/// A cluster's settings after inheritance from its template and defaults.
#[derive(Debug, Clone)]
pub struct Effective {
    pub template: usize,
    pub cloud: Option<usize>,
    pub coe: Spanned<String>,
    pub server_type: Spanned<String>,
    pub image: Spanned<String>,
    /// From `cluster_distro` or the cloud's image; `None` when unknown.
    pub os_distro: Option<Spanned<String>>,
    /// Filled in by the driver rule.
    pub driver: Option<String>,
    pub network_driver: Option<Spanned<String>>,
    pub volume_driver: Option<Spanned<String>>,
    pub docker_volume_size: Option<Spanned<i64>>,
    pub docker_storage_driver: Option<Spanned<String>>,
    pub master_count: Spanned<i64>,
    pub node_count: Spanned<i64>,
    pub master_lb_enabled: Spanned<bool>,
    pub floating_ip_enabled: Spanned<bool>,
    pub tls_disabled: bool,
    pub keypair: Option<Spanned<String>>,
    pub flavor: Option<Spanned<String>>,
    pub master_flavor: Option<Spanned<String>>,
    pub external_network: Option<Spanned<String>>,
    pub fixed_network: Option<Spanned<String>>,
    pub fixed_subnet: Option<Spanned<String>>,
    pub affinity_policy: Spanned<String>,
    /// Seconds.
    pub create_timeout: u64,
    pub labels: Vec<LabelEntry>,
    pub boot: Boot,
    pub rolling: Rolling,
    /// The deterministic Heat stack name.
    pub stack_name: String,
}

impl Effective {
    pub fn label(&self, key: &str) -> Option<&LabelEntry> {
        self.labels.iter().find(|l| l.key == key)
    }

    pub fn label_text(&self, key: &str) -> Option<&str> {
        self.label(key).map(|l| l.text.as_str())
    }

    /// The label, when it is set to one of the ways Magnum spells false.
    pub fn label_false(&self, key: &str) -> Option<&LabelEntry> {
        self.label(key).filter(|l| {
            matches!(
                l.text.to_ascii_lowercase().as_str(),
                "false" | "0" | "no" | "off" | "f" | "n"
            )
        })
    }
}
