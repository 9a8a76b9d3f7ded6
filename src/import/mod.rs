//! Magnum JSON → `.coe` (see `coe import`).
//!
//! Reads `openstack coe cluster template show -f json`, `openstack coe
//! cluster show -f json` and `openstack image show -f json` output and writes
//! one configuration. The result is judged by `coe check` like any other file:
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
}

/// Imports every document of every input into one configuration. A document
/// given twice (same kind and UUID) is taken once.
pub fn import(inputs: &[Input]) -> Result<Imported, String> {
    let mut templates = Vec::new();
    let mut clusters = Vec::new();
    let mut images = Vec::new();
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
    Ok(Imported {
        text,
        templates: templates.len(),
        clusters: clusters.len(),
        images: images.len(),
    })
}
