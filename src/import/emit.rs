//! Documents → `.coe` blocks: templates, then clusters, then (when images
//! were given) the cloud block, each in input order.

use super::lit::Lit;
use super::magnum::{Cluster, Image, Template, template_default};
use super::write::{Block, comment};
use crate::check::value::quote;
use indexmap::{IndexMap, IndexSet};

/// The name of the cloud block the import declares.
pub const CLOUD: &str = "imported";

/// Cloud resources the templates and clusters refer to, in first-use order.
#[derive(Default)]
struct Resources {
    flavors: IndexSet<String>,
    /// Name → whether Magnum used it as an external network.
    networks: IndexMap<String, bool>,
    subnets: IndexSet<String>,
    keypairs: IndexSet<String>,
}

impl Resources {
    fn note(&mut self, attr: &str, lit: &Lit) {
        let Some(name) = lit.as_str().map(str::to_string) else {
            return;
        };
        match attr {
            "flavor" | "master_flavor" => {
                self.flavors.insert(name);
            }
            "external_network" => {
                self.networks.insert(name, true);
            }
            "fixed_network" => {
                self.networks.entry(name).or_insert(false);
            }
            "fixed_subnet" => {
                self.subnets.insert(name);
            }
            "keypair" => {
                self.keypairs.insert(name);
            }
            _ => {}
        }
    }
}

pub struct Emitter<'a> {
    pub templates: &'a [Template],
    pub clusters: &'a [Cluster],
    pub images: &'a [Image],
}

impl Emitter<'_> {
    /// The whole file; `sources` name the inputs for the opening comment.
    pub fn emit(&self, sources: &[String]) -> String {
        let mut out = String::new();
        comment(
            "",
            &format!("Imported by `coe import` from {}.", sources.join(", ")),
            &mut out,
        );
        let mut resources = Resources::default();
        for t in self.templates {
            out.push('\n');
            self.template(t, &mut resources).render(0, &mut out);
        }
        for c in self.clusters {
            out.push('\n');
            self.cluster(c, &mut resources).render(0, &mut out);
        }
        if !self.images.is_empty() {
            out.push('\n');
            self.cloud(&resources).render(0, &mut out);
        }
        out
    }

    fn image_of(&self, t: &Template) -> Option<&Image> {
        let id = t.image_id()?;
        self.images
            .iter()
            .find(|i| i.id.as_deref() == Some(id))
            .or_else(|| self.images.iter().find(|i| i.name == id))
    }

    fn template(&self, t: &Template, resources: &mut Resources) -> Block {
        let mut b = Block::new("template", Some(&t.name));
        if let Some(uuid) = &t.uuid {
            b.trailing(format!("Magnum cluster template {uuid}"));
        }
        let image = self.image_of(t);
        if let (Some(id), None) = (t.image_id(), image) {
            b.comment(format!(
                "image {} is not among the imported files; import its `openstack image show -f json` output too, so that its os_distro is known",
                quote(id)
            ));
        }
        if let Some(distro) = &t.cluster_distro
            && image.and_then(|i| i.os_distro.as_ref()) != Some(distro)
        {
            b.comment(format!(
                "Magnum recorded cluster_distro {} (the image's os_distro when the template was created)",
                quote(distro)
            ));
        }
        for (attr, lit) in &t.attrs {
            if template_default(attr).as_ref() == Some(lit) {
                continue;
            }
            let lit = match (*attr, image) {
                ("image", Some(img)) => Lit::Str(img.name.clone()),
                _ => lit.clone(),
            };
            resources.note(attr, &lit);
            b.attr(attr, lit.to_source());
        }
        if let Some(labels) = t.labels.as_ref().filter(|l| !l.is_empty()) {
            b.block(labels_block(labels));
        }
        b
    }

    fn template_of(&self, c: &Cluster) -> Option<&Template> {
        let id = c.template_id.as_deref()?;
        self.templates
            .iter()
            .find(|t| t.uuid.as_deref() == Some(id))
            .or_else(|| self.templates.iter().find(|t| t.name == id))
    }

    fn cluster(&self, c: &Cluster, resources: &mut Resources) -> Block {
        let mut b = Block::new("cluster", Some(&c.name));
        if let Some(uuid) = &c.uuid {
            b.trailing(format!("Magnum cluster {uuid}"));
        }
        if let Some(status) = c.status.as_deref().filter(|s| s.ends_with("_FAILED")) {
            let reason = c
                .status_reason
                .as_deref()
                .map(|r| format!(": {}", one_line(r)))
                .unwrap_or_default();
            b.comment(format!("status in Magnum: {status}{reason}"));
        }
        let own_discovery = match c.discovery_url.as_deref() {
            Some(url) if url.starts_with("https://discovery.etcd.io/") => {
                b.comment(format!(
                    "discovery_url left out: the public etcd discovery service issued {} for the Magnum cluster only",
                    quote(url)
                ));
                None
            }
            other => other,
        };
        let template = self.template_of(c);
        match (template, c.template_id.as_deref()) {
            (Some(t), _) => b.attr("template", Lit::Ref("template", t.name.clone()).to_source()),
            (None, Some(id)) => {
                b.comment(format!(
                    "imported from cluster_template_id {id}: that template was not among the imported files"
                ));
                b.attr("template", Lit::Ref("template", id.to_string()).to_source());
            }
            (None, None) => b.comment("Magnum gave no cluster_template_id"),
        }
        for (attr, lit) in &c.attrs {
            // Magnum stores what a cluster inherited; only differences are the cluster's own.
            if let Some(t) = template
                && t.effective(attr).as_ref() == Some(lit)
            {
                continue;
            }
            // 0 and 60 both mean Magnum's default timeout.
            if *attr == "create_timeout" && matches!(lit, Lit::Minutes(0 | 60)) {
                continue;
            }
            resources.note(attr, lit);
            b.attr(attr, lit.to_source());
        }
        if let Some(url) = own_discovery {
            b.attr("discovery_url", quote(url));
        }
        self.cluster_labels(c, template, &mut b);
        b
    }

    fn cluster_labels(&self, c: &Cluster, template: Option<&Template>, b: &mut Block) {
        let Some(labels) = &c.labels else { return };
        let template_labels = template.and_then(|t| t.labels.clone()).unwrap_or_default();
        if template.is_some() && same_labels(labels, &template_labels) {
            return; // inherited
        }
        if labels.is_empty() {
            if !template_labels.is_empty() {
                b.comment("Magnum stored no labels for this cluster; without a labels block it takes its template's");
            }
            return;
        }
        // When every template label is still there, Magnum merged (or the user
        // repeated them): write only the cluster's additions and changes.
        let merged = match template {
            Some(_) => template_labels
                .iter()
                .all(|(k, _)| labels.iter().any(|(ck, _)| ck == k)),
            None => c.merge_labels,
        };
        if merged {
            let own: Vec<(String, String)> = labels
                .iter()
                .filter(|pair| !template_labels.contains(pair))
                .cloned()
                .collect();
            b.attr("merge_labels", "true".into());
            b.block(labels_block(&own));
        } else {
            b.block(labels_block(labels));
        }
    }

    fn cloud(&self, r: &Resources) -> Block {
        let mut cloud = Block::new("cloud", Some(CLOUD));
        for img in self.images {
            let mut b = Block::new("image", Some(&img.name));
            if let Some(d) = &img.os_distro {
                b.attr("os_distro", Lit::Str(d.clone()).to_source());
            } else {
                b.trailing("no os_distro in Glance");
            }
            if let Some(id) = &img.id {
                b.attr("id", Lit::Str(id.clone()).to_source());
            }
            if let Some(d) = &img.magnum_driver {
                b.attr("magnum_driver", Lit::Str(d.clone()).to_source());
            }
            if let Some(size) = &img.min_disk {
                b.attr("min_disk", size.to_source());
            }
            cloud.block(b);
        }
        if r.flavors.len() + r.networks.len() + r.subnets.len() + r.keypairs.len() > 0 {
            cloud.comment(
                "Declared by the name or ID used above; the import cannot see their details. Fill in what you know (flavor vcpus, ram and disk; subnet cidr) so that coe check can use it.",
            );
        }
        for name in &r.flavors {
            cloud.block(Block::new("flavor", Some(name)));
        }
        for (name, external) in &r.networks {
            let mut b = Block::new("network", Some(name));
            if *external {
                b.attr("external", "true".into());
                b.trailing("Magnum checked router:external");
            }
            cloud.block(b);
        }
        for name in &r.subnets {
            cloud.block(Block::new("subnet", Some(name)));
        }
        for name in &r.keypairs {
            cloud.block(Block::new("keypair", Some(name)));
        }
        cloud
    }
}

fn labels_block(labels: &[(String, String)]) -> Block {
    let mut b = Block::new("labels", None);
    for (k, v) in labels {
        b.attr(k, Lit::Str(v.clone()).to_source());
    }
    b
}

fn same_labels(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.len() == b.len() && a.iter().all(|pair| b.contains(pair))
}

fn one_line(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &flat[..i]),
        None => flat,
    }
}
