//! The three input shapes, read from their JSON objects. Read-only and
//! generated fields (timestamps, links, stack ids, addresses, ...) are left out.

use super::field::{Kind, Obj};
use super::lit::Lit;

/// (JSON field, `.coe` attribute, kind), in the order the attributes are written.
const TEMPLATE_FIELDS: &[(&str, &str, Kind)] = &[
    ("coe", "coe", Kind::Word),
    ("image_id", "image", Kind::Str),
    ("keypair_id", "keypair", Kind::Str),
    ("external_network_id", "external_network", Kind::Str),
    ("flavor_id", "flavor", Kind::Str),
    ("master_flavor_id", "master_flavor", Kind::Str),
    ("fixed_network", "fixed_network", Kind::Str),
    ("fixed_subnet", "fixed_subnet", Kind::Str),
    ("dns_nameserver", "dns_nameserver", Kind::IpList),
    ("server_type", "server_type", Kind::Word),
    ("network_driver", "network_driver", Kind::Word),
    ("volume_driver", "volume_driver", Kind::Word),
    ("docker_storage_driver", "docker_storage_driver", Kind::Word),
    ("docker_volume_size", "docker_volume_size", Kind::Gib),
    ("http_proxy", "http_proxy", Kind::Str),
    ("https_proxy", "https_proxy", Kind::Str),
    ("no_proxy", "no_proxy", Kind::Str),
    ("apiserver_port", "apiserver_port", Kind::Int),
    ("tls_disabled", "tls_disabled", Kind::Bool),
    ("registry_enabled", "registry_enabled", Kind::Bool),
    ("insecure_registry", "insecure_registry", Kind::Str),
    ("public", "public", Kind::Bool),
    ("hidden", "hidden", Kind::Bool),
    ("master_lb_enabled", "master_lb_enabled", Kind::Bool),
    ("floating_ip_enabled", "floating_ip_enabled", Kind::Bool),
    ("tags", "tags", Kind::Tags),
    ("driver", "driver", Kind::Str),
];

const CLUSTER_FIELDS: &[(&str, &str, Kind)] = &[
    ("keypair", "keypair", Kind::Str),
    ("master_count", "master_count", Kind::Int),
    ("node_count", "node_count", Kind::Int),
    ("docker_volume_size", "docker_volume_size", Kind::Gib),
    ("master_flavor_id", "master_flavor", Kind::Str),
    ("flavor_id", "flavor", Kind::Str),
    ("fixed_network", "fixed_network", Kind::Str),
    ("fixed_subnet", "fixed_subnet", Kind::Str),
    ("floating_ip_enabled", "floating_ip_enabled", Kind::Bool),
    ("master_lb_enabled", "master_lb_enabled", Kind::Bool),
    ("create_timeout", "create_timeout", Kind::Minutes),
];

/// Magnum's default for a template attribute; the import leaves such values out.
pub fn template_default(attr: &str) -> Option<Lit> {
    Some(match attr {
        "tls_disabled" | "registry_enabled" | "public" | "hidden" | "master_lb_enabled" => {
            Lit::Bool(false)
        }
        "floating_ip_enabled" => Lit::Bool(true),
        "server_type" => Lit::Word("vm".into()),
        _ => return None,
    })
}

fn read_fields(
    obj: &Obj,
    fields: &[(&str, &'static str, Kind)],
) -> Result<Vec<(&'static str, Lit)>, String> {
    let mut out = Vec::new();
    for (json, attr, kind) in fields {
        if let Some(lit) = obj.read(json, *kind)? {
            out.push((*attr, lit));
        }
    }
    Ok(out)
}

fn get<'a>(attrs: &'a [(&'static str, Lit)], attr: &str) -> Option<&'a Lit> {
    attrs.iter().find(|(a, _)| *a == attr).map(|(_, l)| l)
}

/// Name, else UUID, else a placeholder (Magnum always names, but be safe).
fn name(obj: &Obj, uuid: &Option<String>, placeholder: &str) -> Result<String, String> {
    Ok(obj
        .text("name")?
        .or_else(|| uuid.clone())
        .unwrap_or_else(|| placeholder.to_string()))
}

#[derive(Debug, Clone)]
pub struct Template {
    pub uuid: Option<String>,
    pub name: String,
    /// Attributes in output order; unset ones are absent, defaults included.
    pub attrs: Vec<(&'static str, Lit)>,
    pub labels: Option<Vec<(String, String)>>,
    /// Magnum overwrites it with the image's os_distro, so it is only a hint.
    pub cluster_distro: Option<String>,
}

impl Template {
    pub fn from_json(obj: &Obj) -> Result<Template, String> {
        let uuid = obj.text("uuid")?;
        Ok(Template {
            name: name(obj, &uuid, "unnamed-template")?,
            uuid,
            attrs: read_fields(obj, TEMPLATE_FIELDS)?,
            labels: obj.pairs("labels")?,
            cluster_distro: obj.text("cluster_distro")?,
        })
    }

    pub fn get(&self, attr: &str) -> Option<&Lit> {
        get(&self.attrs, attr)
    }

    /// What a cluster inherits: the template's value, else Magnum's default.
    pub fn effective(&self, attr: &str) -> Option<Lit> {
        self.get(attr).cloned().or_else(|| template_default(attr))
    }

    pub fn image_id(&self) -> Option<&str> {
        self.get("image").and_then(Lit::as_str)
    }
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub uuid: Option<String>,
    pub name: String,
    /// `cluster_template_id`: a UUID or a name.
    pub template_id: Option<String>,
    pub attrs: Vec<(&'static str, Lit)>,
    pub labels: Option<Vec<(String, String)>>,
    pub merge_labels: bool,
    pub discovery_url: Option<String>,
    pub status: Option<String>,
    pub status_reason: Option<String>,
}

impl Cluster {
    pub fn from_json(obj: &Obj) -> Result<Cluster, String> {
        let uuid = obj.text("uuid")?;
        Ok(Cluster {
            name: name(obj, &uuid, "unnamed-cluster")?,
            uuid,
            template_id: obj.text("cluster_template_id")?,
            attrs: read_fields(obj, CLUSTER_FIELDS)?,
            labels: obj.pairs("labels")?,
            merge_labels: obj.read("merge_labels", Kind::Bool)? == Some(Lit::Bool(true)),
            discovery_url: obj.text("discovery_url")?,
            status: obj.text("status")?,
            status_reason: obj.text("status_reason")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Image {
    pub id: Option<String>,
    pub name: String,
    pub os_distro: Option<String>,
    pub magnum_driver: Option<String>,
    pub min_disk: Option<Lit>,
}

impl Image {
    pub fn from_json(obj: &Obj) -> Result<Image, String> {
        let id = obj.text("id")?;
        let props = obj.pairs("properties")?.unwrap_or_default();
        let prop = |key: &str| -> Result<Option<String>, String> {
            match props.iter().find(|(k, _)| k == key) {
                Some((_, v)) if !v.is_empty() => Ok(Some(v.clone())),
                Some(_) => Ok(None),
                // Some clients list properties at the top level.
                None => obj.text(key),
            }
        };
        Ok(Image {
            name: name(obj, &id, "unnamed-image")?,
            os_distro: prop("os_distro")?,
            magnum_driver: prop("magnum_driver")?,
            min_disk: obj
                .read("min_disk", Kind::Gib)?
                .filter(|l| *l != Lit::Gib(0)),
            id,
        })
    }
}
