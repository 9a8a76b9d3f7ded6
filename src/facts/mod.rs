//! What a cloud offers, as facts that can be written into a `cloud` block.
//!
//! Two sources produce `Facts`: the openstack client's JSON (`coe import`,
//! `openstack_cli.rs`) and the cloud's own APIs (`coe cloud pull`,
//! `live.rs`). `sync.rs` writes them into a configuration's text in place:
//! it changes only the values the facts speak about, keeps every comment, and
//! formats the result like `coe fmt`.

pub mod live;
pub mod openstack_cli;
mod sync;

pub use sync::{Change, Synced, sync};

use crate::check::value::quote;
use crate::syntax::ast::{ExprKind, SizeUnit, StrPart};

/// The kinds of resource a cloud block declares by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Image,
    Flavor,
    Network,
    Subnet,
    Keypair,
    VolumeType,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Image,
        Kind::Flavor,
        Kind::Network,
        Kind::Subnet,
        Kind::Keypair,
        Kind::VolumeType,
    ];

    /// The block kind in `.coe`.
    pub fn block(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Flavor => "flavor",
            Kind::Network => "network",
            Kind::Subnet => "subnet",
            Kind::Keypair => "keypair",
            Kind::VolumeType => "volume_type",
        }
    }

    /// Whether a new resource of this kind gets a block of its own. Volume
    /// types are declared by the cloud's `volume_types` list (default first);
    /// their blocks, where a file has them, are only kept up to date.
    pub fn gets_new_blocks(self) -> bool {
        self != Kind::VolumeType
    }

    /// For messages: "images", "flavors", ...
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Image => "images",
            Kind::Flavor => "flavors",
            Kind::Network => "networks",
            Kind::Subnet => "subnets",
            Kind::Keypair => "keypairs",
            Kind::VolumeType => "volume types",
        }
    }
}

/// A value as a cloud block holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    Int(i64),
    /// Written in the largest of MiB, GiB and TiB that divides it.
    Size(u64),
    StrList(Vec<String>),
}

impl Value {
    pub fn mib(n: u64) -> Value {
        Value::Size(n.saturating_mul(1 << 20))
    }

    pub fn gib(n: u64) -> Value {
        Value::Size(n.saturating_mul(1 << 30))
    }

    /// `.coe` source text.
    pub fn to_source(&self) -> String {
        match self {
            Value::Str(s) => quote(s),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Size(bytes) => {
                let unit = [SizeUnit::TiB, SizeUnit::GiB, SizeUnit::MiB]
                    .into_iter()
                    .find(|u| *bytes != 0 && bytes % u.bytes() == 0)
                    .unwrap_or(SizeUnit::GiB);
                if *bytes % unit.bytes() == 0 {
                    format!("{}{}", bytes / unit.bytes(), unit.as_str())
                } else {
                    format!("{bytes}B")
                }
            }
            Value::StrList(items) => {
                let items: Vec<String> = items.iter().map(|s| quote(s)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }

    /// Whether a value written in a file already says this (`2048MiB` is `2GiB`).
    pub fn matches(&self, written: &ExprKind) -> bool {
        match (self, written) {
            (Value::Str(s), ExprKind::Str(parts)) => match parts.as_slice() {
                [] => s.is_empty(),
                [StrPart::Text(t)] => t == s,
                _ => false,
            },
            (Value::Bool(a), ExprKind::Bool(b)) => a == b,
            (Value::Int(a), ExprKind::Int(b)) => a == b,
            (Value::Size(a), ExprKind::Size { bytes, .. }) => a == bytes,
            (Value::StrList(a), ExprKind::List(items)) => {
                a.len() == items.len()
                    && a.iter()
                        .zip(items)
                        .all(|(s, e)| Value::Str(s.clone()).matches(&e.kind))
            }
            _ => false,
        }
    }
}

/// One named resource. `attrs` lists what the source knows: `Some` sets a
/// value, `None` says the resource has none (the attribute is removed).
/// Attributes not listed are not known and are left as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub kind: Kind,
    pub name: String,
    pub attrs: Vec<(&'static str, Option<Value>)>,
    /// A short remark written after the block's header, e.g. why a fact is missing.
    pub note: Option<String>,
}

impl Resource {
    pub fn new(kind: Kind, name: impl Into<String>) -> Resource {
        Resource {
            kind,
            name: name.into(),
            attrs: Vec::new(),
            note: None,
        }
    }

    pub fn set(mut self, key: &'static str, value: Option<Value>) -> Resource {
        self.attrs.retain(|(k, _)| *k != key);
        self.attrs.push((key, value));
        self
    }

    /// Lays `other`'s knowledge over this one's.
    fn absorb(&mut self, other: Resource) {
        for (k, v) in other.attrs {
            self.attrs.retain(|(key, _)| *key != k);
            self.attrs.push((k, v));
        }
        if other.note.is_some() {
            self.note = other.note;
        }
    }
}

/// Facts about one cloud, and how much of it they cover.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Facts {
    /// The cloud block's own attributes (`nova_microversion`, `octavia`, ...).
    pub attrs: Vec<(&'static str, Value)>,
    pub resources: Vec<Resource>,
    /// Kinds read in full (a list, not a `show`): blocks of these kinds that
    /// the facts do not name are gone from the cloud and are removed.
    pub complete: Vec<Kind>,
    /// What the user should know about the facts (unknown fields, skipped entries).
    pub warnings: Vec<String>,
}

impl Facts {
    pub fn set(&mut self, key: &'static str, value: Value) {
        self.attrs.retain(|(k, _)| *k != key);
        self.attrs.push((key, value));
    }

    /// Adds a resource, merging with one of the same kind and name.
    pub fn add(&mut self, r: Resource) {
        match self
            .resources
            .iter_mut()
            .find(|o| o.kind == r.kind && o.name == r.name)
        {
            Some(existing) => existing.absorb(r),
            None => self.resources.push(r),
        }
    }

    pub fn mark_complete(&mut self, kind: Kind) {
        if !self.complete.contains(&kind) {
            self.complete.push(kind);
        }
    }

    /// Lays `other` over `self`.
    pub fn merge(&mut self, other: Facts) {
        for (k, v) in other.attrs {
            self.set(k, v);
        }
        for r in other.resources {
            self.add(r);
        }
        for k in other.complete {
            self.mark_complete(k);
        }
        self.warnings.extend(other.warnings);
    }

    /// Subnets name their network by ID in listings; the cloud block names it
    /// by name when the network is known.
    pub fn name_subnet_networks(&mut self) {
        let names: Vec<(String, String)> = self
            .resources
            .iter()
            .filter(|r| r.kind == Kind::Network)
            .filter_map(|r| match r.attrs.iter().find(|(k, _)| *k == "id") {
                Some((_, Some(Value::Str(id)))) => Some((id.clone(), r.name.clone())),
                _ => None,
            })
            .collect();
        for r in self.resources.iter_mut().filter(|r| r.kind == Kind::Subnet) {
            for (k, v) in r.attrs.iter_mut() {
                if *k == "network"
                    && let Some(Value::Str(id)) = v
                    && let Some((_, name)) = names.iter().find(|(i, _)| i == id)
                {
                    *v = Some(Value::Str(name.clone()));
                }
            }
        }
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.resources.iter().filter(|r| r.kind == kind).count()
    }

    pub fn is_empty(&self) -> bool {
        self.attrs.is_empty() && self.resources.is_empty() && self.complete.is_empty()
    }

    /// "3 images, 2 flavors, nova_microversion" — for summaries.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Kind::ALL
            .iter()
            .filter(|k| self.count(**k) > 0 || self.complete.contains(k))
            .map(|k| format!("{} {}", self.count(*k), k.plural()))
            .collect();
        parts.extend(self.attrs.iter().map(|(k, _)| k.to_string()));
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_the_largest_exact_unit() {
        assert_eq!(Value::mib(2048).to_source(), "2GiB");
        assert_eq!(Value::mib(512).to_source(), "512MiB");
        assert_eq!(Value::gib(1024).to_source(), "1TiB");
        assert_eq!(Value::gib(0).to_source(), "0GiB");
        assert_eq!(Value::Size(1000).to_source(), "1000B");
        assert_eq!(
            Value::StrList(vec!["a".into(), "b\"".into()]).to_source(),
            r#"["a", "b\""]"#
        );
    }
}
