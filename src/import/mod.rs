//! Magnum JSON and the openstack client's cloud listings → `.coe` (see `coe import`).
//!
//! Reads `openstack coe cluster template show -f json`, `openstack coe
//! cluster show -f json` and `openstack image show -f json` output, and the
//! cloud commands of `facts::openstack_cli` (flavors, networks, volume types,
//! keypairs, images, versions), and writes one configuration; the cloud facts
//! go into its `cloud` block through `facts::sync`. The result is judged by `coe check` like any other file:
//! what Magnum accepted should check clean, what it refused should not.

mod emit;
mod field;
mod lit;
mod magnum;
mod pyliteral;
mod read;
mod write;

pub use emit::CLOUD;

use read::Doc;

/// One input: its name as shown to users and its text.
pub struct Input {
    pub name: String,
    pub text: String,
}

/// The `.coe` text and what went into it.
#[derive(Debug)]
pub struct Imported {
    pub text: String,
    pub templates: usize,
    pub clusters: usize,
    pub images: usize,
    /// What the cloud listings said ("3 flavors, ..."), if any were given.
    pub facts: Option<String>,
    /// What the listings could not tell.
    pub warnings: Vec<String>,
}

/// Imports every document of every input into one configuration. A document
/// given twice (same kind and UUID) is taken once.
pub fn import(inputs: &[Input]) -> Result<Imported, String> {
    let mut templates = Vec::new();
    let mut clusters = Vec::new();
    let mut images = Vec::new();
    let mut facts = crate::facts::Facts::default();
    for input in inputs {
        for doc in read::read(input)? {
            match doc {
                Doc::Template(t) => {
                    if t.uuid.is_none()
                        || !templates
                            .iter()
                            .any(|o: &magnum::Template| o.uuid == t.uuid)
                    {
                        templates.push(t);
                    }
                }
                Doc::Cluster(c) => {
                    if c.uuid.is_none()
                        || !clusters.iter().any(|o: &magnum::Cluster| o.uuid == c.uuid)
                    {
                        clusters.push(c);
                    }
                }
                Doc::Image(i) => {
                    if i.id.is_none() || !images.iter().any(|o: &magnum::Image| o.id == i.id) {
                        images.push(i);
                    }
                }
                Doc::Facts(f) => facts.merge(f),
            }
        }
    }
    let sources: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
    let text = emit::Emitter {
        templates: &templates,
        clusters: &clusters,
        images: &images,
    }
    .emit(&sources);
    facts.name_subnet_networks();
    let (text, summary) = if facts.is_empty() {
        (text, None)
    } else {
        let synced = crate::facts::sync(&text, Some(CLOUD), CLOUD, &facts)?;
        (synced.text, Some(facts.summary()))
    };
    Ok(Imported {
        text,
        templates: templates.len(),
        clusters: clusters.len(),
        images: images.len(),
        facts: summary,
        warnings: facts.warnings,
    })
}
