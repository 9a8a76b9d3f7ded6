//! Builds the model from validated blocks: names, references, label sets,
//! and each cluster's effective settings after inheritance.

use super::catalogue::Catalogue;
use super::eval::Constants;
use super::model::*;
use super::schema::Fields;
use super::value::{Val, Value};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::{Span, Spanned};
use crate::syntax::ast::{Block, BodyItem};
use indexmap::IndexMap;
use std::collections::HashMap;

/// Block kinds a configuration may declare at the top level.
pub const CONFIG_KINDS: &[&str] = &["cloud", "template", "cluster", "labels", "settings"];
/// Table kinds, read into the catalogue before anything else.
pub const TABLE_KINDS: &[&str] = &["schema", "coe", "driver", "label"];

pub struct Builder<'a, 'c> {
    pub catalogue: &'a Catalogue,
    pub consts: &'a mut Constants<'c>,
    pub diags: &'a mut Vec<Diagnostic>,
    pub model: Model,
    seen: IndexMap<(String, String), Span>,
}

impl<'a, 'c> Builder<'a, 'c> {
    pub fn new(
        catalogue: &'a Catalogue,
        consts: &'a mut Constants<'c>,
        diags: &'a mut Vec<Diagnostic>,
    ) -> Self {
        Builder {
            catalogue,
            consts,
            diags,
            model: Model::default(),
            seen: IndexMap::new(),
        }
    }

    /// Adds one top-level block of the configuration.
    pub fn add(&mut self, block: &Block) {
        let kind = block.kind.name.as_str();
        if TABLE_KINDS.contains(&kind) {
            return;
        }
        if !CONFIG_KINDS.contains(&kind) {
            let mut d = Diagnostic::new(
                Code(101),
                block.kind.span,
                format!("unknown block kind `{kind}`"),
            )
            .with_label("unknown block");
            let all = CONFIG_KINDS.iter().chain(TABLE_KINDS).copied();
            if let Some(best) = did_you_mean(kind, all) {
                d = d.with_fix(format!("did you mean `{best}`?"), block.kind.span, best);
            } else {
                d = d.with_help("top-level blocks are `cloud`, `template`, `cluster` and `labels`");
            }
            self.diags.push(d);
            return;
        }
        if let Some(name) = &block.name {
            let key = (kind.to_string(), name.value.clone());
            if let Some(first) = self.seen.get(&key) {
                self.diags.push(
                    Diagnostic::new(
                        Code(104),
                        name.span,
                        format!("{kind} `{}` is declared twice", name.value),
                    )
                    .with_label("declared again here")
                    .with_secondary(*first, "first declared here")
                    .with_help(format!(
                        "rename one of them or merge them into one `{kind}` block"
                    )),
                );
                return;
            }
            self.seen.insert(key, name.span);
        }
        match kind {
            "cloud" => self.cloud(block),
            "template" => self.template(block),
            "cluster" => self.cluster(block),
            "settings" => self.settings(block),
            _ => self.label_set(block),
        }
    }

    fn validate<'b>(&mut self, block: &'b Block) -> (Fields, Vec<&'b Block>) {
        let labels = &self.catalogue.labels;
        let hint = |name: &str| -> Option<String> {
            labels
                .get(name)
                .map(|_| format!("`{name}` is a label: move it into the `labels {{ }}` block"))
        };
        self.catalogue
            .schemas
            .validate(block, self.consts, self.diags, &hint)
    }

    fn cloud(&mut self, block: &Block) {
        let (fields, nested) = self.validate(block);
        let mut cloud = Cloud {
            name: block.name_str().to_string(),
            span: block.header_span(),
            volume_types: fields
                .explicit("volume_types")
                .map(|v| {
                    v.as_list()
                        .iter()
                        .filter_map(|i| i.as_str().map(|s| Spanned::new(s.to_string(), i.span)))
                        .collect()
                })
                .unwrap_or_default(),
            fields,
            images: IndexMap::new(),
            flavors: IndexMap::new(),
            networks: IndexMap::new(),
            subnets: IndexMap::new(),
            keypairs: IndexMap::new(),
            quota: None,
        };
        for b in nested {
            let (fields, _) = self.validate(b);
            let name = b.name_str().to_string();
            let res = Resource {
                name: name.clone(),
                span: b.header_span(),
                fields,
            };
            let map = match b.kind.name.as_str() {
                "image" => &mut cloud.images,
                "flavor" => &mut cloud.flavors,
                "network" => &mut cloud.networks,
                "subnet" => &mut cloud.subnets,
                "keypair" => &mut cloud.keypairs,
                "volume_type" => {
                    cloud.volume_types.push(Spanned::new(name, res.span));
                    continue;
                }
                _ => {
                    if let Some(first) = &cloud.quota {
                        let first = first
                            .attr_spans
                            .values()
                            .next()
                            .copied()
                            .unwrap_or(cloud.span);
                        self.diags.push(duplicate_block(b, first));
                    }
                    cloud.quota = Some(res.fields);
                    continue;
                }
            };
            if let Some(first) = map.get(&name) {
                self.diags.push(duplicate_block(b, first.span));
                continue;
            }
            map.insert(name, res);
        }
        self.model.clouds.push(cloud);
    }

    fn settings(&mut self, block: &Block) {
        let (fields, _) = self.validate(block);
        if let Some((_, first)) = &self.model.settings {
            self.diags.push(duplicate_block(block, *first));
            return;
        }
        self.model.settings = Some((fields, block.header_span()));
    }

    fn template(&mut self, block: &Block) {
        let (fields, nested) = self.validate(block);
        let (labels, labels_span, boot) = self.labels_and_boot(&nested, Origin::Template);
        self.model.templates.push(Template {
            name: block.name_str().to_string(),
            span: block.header_span(),
            fields,
            labels,
            labels_span,
            boot,
            cloud: None,
        });
    }

    fn cluster(&mut self, block: &Block) {
        let (fields, nested) = self.validate(block);
        let (labels, labels_span, boot) = self.labels_and_boot(&nested, Origin::Cluster);
        self.model.clusters.push(Cluster {
            name: block.name_str().to_string(),
            span: block.header_span(),
            fields,
            template: None,
            labels,
            labels_span,
            boot,
            effective: None,
        });
    }

    fn label_set(&mut self, block: &Block) {
        let name = block.name_str().to_string();
        if block.name.is_none() {
            self.diags.push(
                Diagnostic::new(Code(106), block.kind.span, "a top-level `labels` block needs a name")
                    .with_label("needs a name")
                    .with_help("name it, `labels \"monitoring\" { ... }`, and use it with `label_sets = [labels.monitoring]`; labels of one template go inside the template"),
            );
            return;
        }
        let labels = self.label_entries(block, Origin::LabelSet(name.clone()));
        self.model.label_sets.insert(
            name.clone(),
            LabelSet {
                name,
                span: block.header_span(),
                labels,
            },
        );
    }

    fn labels_and_boot(
        &mut self,
        nested: &[&Block],
        origin: Origin,
    ) -> (Vec<LabelEntry>, Option<Span>, Option<Fields>) {
        let mut labels = Vec::new();
        let mut labels_span = None;
        let mut boot = None;
        let mut boot_span = None;
        for b in nested {
            if b.kind.name == "labels" {
                if let Some(n) = &b.name {
                    self.diags.push(
                        Diagnostic::new(Code(114), n.span, "a `labels` block inside a template or cluster takes no name")
                            .with_label("remove this name")
                            .with_help("to share labels, declare `labels \"name\" { }` at the top level and use `label_sets = [labels.name]`"),
                    );
                }
                if let Some(first) = labels_span {
                    self.diags.push(duplicate_block(b, first));
                    continue;
                }
                labels_span = Some(b.span);
                labels = self.label_entries(b, origin.clone());
            } else {
                let (fields, _) = self.validate(b);
                if let Some(first) = boot_span {
                    self.diags.push(duplicate_block(b, first));
                    continue;
                }
                boot_span = Some(b.header_span());
                boot = Some(fields);
            }
        }
        (labels, labels_span, boot)
    }

    /// Reads `key = value` label entries; nested blocks have no meaning here.
    fn label_entries(&mut self, block: &Block, origin: Origin) -> Vec<LabelEntry> {
        let mut out: Vec<LabelEntry> = Vec::new();
        // Where each key was first set: a block may hold many labels.
        let mut first_set: HashMap<&str, Span> = HashMap::new();
        for item in &block.body {
            let a = match item {
                BodyItem::Attribute(a) => a,
                BodyItem::Block(b) => {
                    self.diags.push(
                        Diagnostic::new(
                            Code(101),
                            b.kind.span,
                            "`labels` blocks hold only `key = value` pairs",
                        )
                        .with_label("unexpected block"),
                    );
                    continue;
                }
            };
            if let Some(&first) = first_set.get(a.key.name.as_str()) {
                self.diags.push(
                    Diagnostic::new(
                        Code(103),
                        a.key.span,
                        format!("label `{}` is set twice", a.key.name),
                    )
                    .with_label("set again here")
                    .with_secondary(first, "first set here")
                    .with_help("remove one of the two"),
                );
                continue;
            }
            first_set.insert(&a.key.name, a.key.span);
            let Some(value) = self.consts.eval(&a.value, self.diags) else {
                continue;
            };
            let Some(text) = scalar_label_text(&value) else {
                self.diags.push(
                    Diagnostic::new(
                        Code(201),
                        value.span,
                        format!(
                            "expected a label value (string, number or boolean), found {}",
                            value.value.describe()
                        ),
                    )
                    .with_label("labels are passed to Heat as strings")
                    .with_help("write a comma-separated list as one string, e.g. `\"a,b\"`"),
                );
                continue;
            };
            let secret = self
                .catalogue
                .labels
                .get(&a.key.name)
                .is_some_and(|l| l.secret);
            out.push(LabelEntry::new(Label {
                key: a.key.name.clone(),
                key_span: a.key.span,
                value,
                origin: origin.clone(),
                text,
                secret,
            }));
        }
        out
    }

    /// Resolves references and computes each cluster's effective settings.
    pub fn finish(mut self) -> Model {
        self.resolve_template_clouds();
        self.resolve_label_sets();
        let mut model = std::mem::take(&mut self.model);
        let names: Vec<String> = model.templates.iter().map(|t| t.name.clone()).collect();
        let index = first_index(&names);
        for cluster in &mut model.clusters {
            let Some(r) = cluster.fields.explicit("template") else {
                continue;
            };
            let Value::Ref(parts) = &r.value else {
                continue;
            };
            let name = &parts[1];
            match index.get(name.as_str()) {
                Some(&i) => cluster.template = Some(i),
                None if is_unparsed(&model.unparsed, "template", name) => {}
                None => self
                    .diags
                    .push(unresolved(r.span, "template", name, &names)),
            }
        }
        for i in 0..model.clusters.len() {
            if let Some(t) = model.clusters[i].template {
                let eff = effective(&model, &model.clusters[i], t, self.catalogue, self.diags);
                model.clusters[i].effective = Some(eff);
            }
        }
        model
    }

    fn resolve_template_clouds(&mut self) {
        let clouds: Vec<String> = self.model.clouds.iter().map(|c| c.name.clone()).collect();
        let index = first_index(&clouds);
        for t in &mut self.model.templates {
            match t.fields.explicit("cloud").map(|v| (&v.value, v.span)) {
                Some((Value::Ref(parts), span)) => match index.get(parts[1].as_str()) {
                    Some(&i) => t.cloud = Some(i),
                    None if is_unparsed(&self.model.unparsed, "cloud", &parts[1]) => {}
                    None => self
                        .diags
                        .push(unresolved(span, "cloud", &parts[1], &clouds)),
                },
                _ if clouds.len() == 1 => t.cloud = Some(0),
                _ if clouds.len() > 1 => {
                    // The clouds that have every resource the template names.
                    let fits: Vec<&str> = self
                        .model
                        .clouds
                        .iter()
                        .filter(|c| {
                            [
                                ("image", &c.images),
                                ("flavor", &c.flavors),
                                ("master_flavor", &c.flavors),
                                ("external_network", &c.networks),
                                ("keypair", &c.keypairs),
                            ]
                            .iter()
                            .all(|(attr, map)| {
                                t.fields.str(attr).is_none_or(|(n, _)| map.contains_key(n))
                            })
                        })
                        .map(|c| c.name.as_str())
                        .collect();
                    let help = match fits.as_slice() {
                        [only] => format!(
                            "add `cloud = cloud.{only}`: it is the only cloud with the image, flavors, network and keypair this template names"
                        ),
                        _ => format!(
                            "add `cloud = cloud.NAME` with one of {}",
                            super::schema::backticked(&clouds)
                        ),
                    };
                    self.diags.push(
                        Diagnostic::new(
                            Code(113),
                            t.span,
                            format!("template `{}` does not say which cloud it targets", t.name),
                        )
                        .with_label(format!("{} clouds are declared", clouds.len()))
                        .with_help(help),
                    );
                }
                _ => {}
            }
        }
    }

    /// Puts each template's and cluster's label sets before its own labels.
    fn resolve_label_sets(&mut self) {
        let sets = self.model.label_sets.clone();
        let unparsed = self.model.unparsed.clone();
        let names: Vec<String> = sets.keys().cloned().collect();
        let expand = |fields: &Fields, own: &mut Vec<LabelEntry>, diags: &mut Vec<Diagnostic>| {
            let Some(list) = fields.explicit("label_sets") else {
                return;
            };
            // A later set's label replaces an earlier one's, and the block's
            // own labels replace both: each key keeps its last occurrence,
            // in the order of those last occurrences.
            let mut all: Vec<LabelEntry> = Vec::new();
            for item in list.as_list() {
                let Value::Ref(parts) = &item.value else {
                    continue;
                };
                match sets.get(&parts[1]) {
                    Some(set) => all.extend(set.labels.iter().cloned()),
                    None if is_unparsed(&unparsed, "labels", &parts[1]) => {}
                    None => diags.push(unresolved(item.span, "labels", &parts[1], &names)),
                }
            }
            all.append(own);
            let last: HashMap<&str, usize> = all
                .iter()
                .enumerate()
                .map(|(i, l)| (l.key.as_str(), i))
                .collect();
            let keep: Vec<bool> = (0..all.len())
                .map(|i| last[all[i].key.as_str()] == i)
                .collect();
            let mut keep = keep.into_iter();
            all.retain(|_| keep.next().unwrap_or(false));
            *own = all;
        };
        for t in &mut self.model.templates {
            expand(&t.fields, &mut t.labels, self.diags);
        }
        for c in &mut self.model.clusters {
            expand(&c.fields, &mut c.labels, self.diags);
        }
    }
}

/// Each name's first position: what `names.iter().position` finds, in one
/// lookup instead of a scan (a configuration may have thousands).
fn first_index(names: &[String]) -> HashMap<&str, usize> {
    let mut index = HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        index.entry(n.as_str()).or_insert(i);
    }
    index
}

fn duplicate_block(b: &Block, first: Span) -> Diagnostic {
    let what = match &b.name {
        Some(n) => format!("{} `{}`", b.kind.name, n.value),
        None => format!("`{}` block", b.kind.name),
    };
    Diagnostic::new(
        Code(104),
        b.header_span(),
        format!("{what} is declared twice"),
    )
    .with_label("declared again here")
    .with_secondary(first, "first declared here")
    .with_help("merge the two blocks into one")
}

/// A block of this kind and name had a syntax error, which is reported already.
fn is_unparsed(unparsed: &[(String, String)], kind: &str, name: &str) -> bool {
    unparsed.iter().any(|(k, n)| k == kind && n == name)
}

fn unresolved(span: Span, kind: &str, name: &str, known: &[String]) -> Diagnostic {
    let mut d = Diagnostic::new(Code(107), span, format!("no {kind} named `{name}`"))
        .with_label("not declared in this configuration");
    if let Some(best) = did_you_mean(name, known.iter().map(String::as_str)) {
        let fix = if super::types::is_word(best) {
            format!("{kind}.{best}")
        } else {
            format!("{kind}.{}", super::value::quote(best))
        };
        d = d.with_fix(format!("did you mean `{best}`?"), span, fix);
    } else if known.is_empty() {
        d = d.with_help(format!("declare it with `{kind} \"{name}\" {{ ... }}`"));
    } else {
        d = d.with_help(format!("declared: {}", super::schema::backticked(known)));
    }
    d
}

fn scalar_label_text(v: &Val) -> Option<String> {
    match &v.value {
        Value::Str(_)
        | Value::Member(_)
        | Value::Int(_)
        | Value::Float(_)
        | Value::Bool(_)
        | Value::Size { .. } => v.value.to_label_text(),
        _ => None,
    }
}

fn spanned_str(v: Option<(&str, Span)>) -> Option<Spanned<String>> {
    v.map(|(s, span)| Spanned::new(s.to_string(), span))
}

/// Cluster value if set, else template value (Magnum's inheritance).
fn inherit_str(cluster: &Fields, template: &Fields, key: &str) -> Option<Spanned<String>> {
    spanned_str(cluster.str(key).or_else(|| template.str(key)))
}

/// The stack name: Magnum's sanitising without its random suffix.
pub fn stack_name(cluster: &str) -> String {
    cluster
        .chars()
        .take(30)
        .map(|c| if c == '_' || c == '.' { '-' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect::<String>()
        .to_ascii_lowercase()
}

fn effective(
    model: &Model,
    cluster: &Cluster,
    t: usize,
    catalogue: &Catalogue,
    diags: &mut Vec<Diagnostic>,
) -> Effective {
    let template = &model.templates[t];
    let tf = &template.fields;
    let cf = &cluster.fields;
    let header = template.span;
    let s = |key: &str, default: &str| -> Spanned<String> {
        spanned_str(tf.str(key)).unwrap_or_else(|| Spanned::new(default.to_string(), header))
    };
    let b = |fields: &Fields, key: &str| {
        fields
            .explicit(key)
            .and_then(|v| v.as_bool().map(|x| Spanned::new(x, v.span)))
    };
    let flag = |key: &str, default: bool| -> Spanned<bool> {
        b(cf, key).or_else(|| b(tf, key)).unwrap_or_else(|| {
            Spanned::new(tf.bool(key).map(|(x, _)| x).unwrap_or(default), header)
        })
    };
    let count = |key: &str, default: i64| -> Spanned<i64> {
        cf.int(key)
            .map(|(n, span)| Spanned::new(n, span))
            .unwrap_or_else(|| Spanned::new(default, cluster.span))
    };
    let cloud = template.cloud;
    let image = s("image", "");
    let os_distro = match tf.str("cluster_distro") {
        Some((d, span)) => Some(Spanned::new(d.to_string(), span)),
        None => cloud
            .and_then(|c| model.clouds[c].image(&image.value))
            .and_then(|img| spanned_str(img.fields.str("os_distro")))
            .filter(|d| !d.value.is_empty()),
    };
    let docker_volume_size = cf
        .int("docker_volume_size")
        .or_else(|| tf.int("docker_volume_size"))
        .map(|(n, span)| Spanned::new(n, span));
    // A cluster's value, else its template's (explicit or the default).
    let inherited = |key: &str| cf.explicit(key).or_else(|| tf.get(key));
    let secs = |key: &str| -> Spanned<u64> {
        match inherited(key) {
            Some(v) => match v.value {
                Value::Duration(s) => Spanned::new(s, v.span),
                // schema defaults are bare numbers, which durations read as minutes
                Value::Int(m) => Spanned::new((m.max(0) as u64).saturating_mul(60), v.span),
                _ => Spanned::new(0, v.span),
            },
            None => Spanned::new(0, header),
        }
    };
    let rolling = Rolling {
        master_pause: secs("rolling_master_pause"),
        worker_batch: inherited("rolling_worker_batch")
            .and_then(|v| v.as_int().map(|n| Spanned::new(n, v.span)))
            .unwrap_or_else(|| Spanned::new(1, header)),
        worker_pause: secs("rolling_worker_pause"),
    };
    let create_timeout = match cf.get("create_timeout").map(|v| &v.value) {
        Some(Value::Duration(secs)) => *secs,
        _ => 3600,
    };
    Effective {
        template: t,
        cloud,
        coe: s("coe", ""),
        server_type: s("server_type", "vm"),
        image,
        os_distro,
        driver: None,
        // Magnum fills in the COE's default before validating; so does coe.
        network_driver: spanned_str(tf.str("network_driver")).or_else(|| {
            let coe = catalogue.coes.get(tf.str("coe")?.0)?;
            Some(Spanned::new(coe.default_network_driver.clone()?, header))
        }),
        volume_driver: spanned_str(tf.str("volume_driver")),
        docker_volume_size,
        docker_storage_driver: spanned_str(tf.str("docker_storage_driver")),
        master_count: count("master_count", 1),
        node_count: count("node_count", 1),
        master_lb_enabled: flag("master_lb_enabled", false),
        floating_ip_enabled: flag("floating_ip_enabled", true),
        tls_disabled: tf.bool("tls_disabled").is_some_and(|(b, _)| b),
        keypair: inherit_str(cf, tf, "keypair"),
        flavor: inherit_str(cf, tf, "flavor"),
        master_flavor: inherit_str(cf, tf, "master_flavor"),
        external_network: spanned_str(tf.str("external_network")),
        fixed_network: inherit_str(cf, tf, "fixed_network"),
        fixed_subnet: inherit_str(cf, tf, "fixed_subnet"),
        affinity_policy: spanned_str(cf.str("nodes_affinity_policy"))
            .unwrap_or_else(|| s("nodes_affinity_policy", "soft-anti-affinity")),
        create_timeout,
        labels: super::labels::merge(cluster, template, diags),
        boot: super::boot::effective_boot(cluster, template),
        rolling,
        stack_name: stack_name(&cluster.name),
    }
}
