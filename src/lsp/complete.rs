//! Completion from the same tables the checker uses: block kinds and
//! attributes from the schemas, label keys from the catalogue, members from
//! the COE and driver tables, names from the configuration itself.

use super::analysis::{Analysis, key_text};
use crate::check::types::Ty;
use crate::syntax::kind::{SyntaxKind, SyntaxNode};
use std::collections::BTreeSet;
use std::path::Path;
use tower_lsp_server::ls_types as lsp;

/// Where the cursor is, for completion.
enum Slot {
    /// Where an attribute or a nested block may start, inside `kind` (none:
    /// at the top level).
    Entry { block: Option<String> },
    /// The value of `key` in a `block`.
    Value { block: String, key: String },
    /// Right after the digits of `key`'s value: its unit.
    Unit { block: String, key: String },
}

impl Analysis {
    pub fn complete(&self, path: &Path, offset: usize) -> Vec<lsp::CompletionItem> {
        let Some(file) = self.file(path) else {
            return Vec::new();
        };
        let Some(slot) = slot_at(&file.parse.syntax(), &file.text, offset) else {
            return Vec::new();
        };
        match slot {
            Slot::Entry { block: None } => self.top_level(),
            Slot::Entry { block: Some(b) } if b == "labels" => self.label_keys(),
            Slot::Entry { block: Some(b) } => self.entries(&b),
            Slot::Value { block, key } => self.values(&block, &key),
            Slot::Unit { block, key } => self.units(&block, &key),
        }
    }

    fn top_level(&self) -> Vec<lsp::CompletionItem> {
        let mut out: Vec<lsp::CompletionItem> =
            ["cloud", "template", "cluster", "labels", "settings"]
                .into_iter()
                .filter_map(|k| {
                    let schema = self.checked.catalogue.schemas.get(k)?;
                    Some(item(
                        k,
                        lsp::CompletionItemKind::MODULE,
                        "block",
                        &schema.description,
                    ))
                })
                .collect();
        out.push(item(
            "let",
            lsp::CompletionItemKind::KEYWORD,
            "constant",
            "`let name = value`: a constant the other files may use",
        ));
        out
    }

    fn entries(&self, block: &str) -> Vec<lsp::CompletionItem> {
        let Some(schema) = self.checked.catalogue.schemas.get(block) else {
            return Vec::new();
        };
        let mut out: Vec<lsp::CompletionItem> = schema
            .attributes
            .values()
            .map(|a| {
                let mut i = item(
                    &a.name,
                    lsp::CompletionItemKind::PROPERTY,
                    &a.ty.describe(),
                    &a.description,
                );
                i.insert_text = Some(format!("{} = ", a.name));
                i
            })
            .collect();
        out.extend(schema.blocks.iter().map(|b| {
            let doc = self
                .checked
                .catalogue
                .schemas
                .get(b)
                .map_or("", |s| s.description.as_str());
            item(b, lsp::CompletionItemKind::MODULE, "block", doc)
        }));
        out
    }

    fn label_keys(&self) -> Vec<lsp::CompletionItem> {
        self.checked
            .catalogue
            .labels
            .values()
            .map(|l| {
                let mut i = item(
                    &l.name,
                    lsp::CompletionItemKind::PROPERTY,
                    "label",
                    &l.description,
                );
                i.insert_text = Some(format!("{} = ", l.name));
                if l.deprecated.is_some() {
                    i.tags = Some(vec![lsp::CompletionItemTag::DEPRECATED]);
                }
                i
            })
            .collect()
    }

    fn values(&self, block: &str, key: &str) -> Vec<lsp::CompletionItem> {
        let catalogue = &self.checked.catalogue;
        let mut words: BTreeSet<String> = BTreeSet::new();
        let mut refs: Vec<String> = Vec::new();
        if block == "labels" {
            if let Some(l) = catalogue.labels.get(key) {
                words.extend(l.values.iter().cloned());
                if matches!(l.ty, crate::check::catalogue::LabelType::Bool) {
                    words.extend(["true".to_string(), "false".to_string()]);
                }
            }
        } else if let Some(attr) = catalogue
            .schemas
            .get(block)
            .and_then(|s| s.attributes.get(key))
        {
            let ty = match &attr.ty {
                Ty::List(inner) => inner.as_ref(),
                t => t,
            };
            match ty {
                Ty::Bool => words.extend(["true".to_string(), "false".to_string()]),
                Ty::Member(Some(members)) | Ty::Store(members) => {
                    words.extend(members.iter().cloned())
                }
                Ty::Member(None) => words.extend(self.table_members(key)),
                Ty::Ref(kind) => refs.extend(
                    self.declared(kind)
                        .into_iter()
                        .map(|n| format!("{kind}.{}", quote_if_needed(&n))),
                ),
                Ty::String => {
                    // names the cloud block declares
                    let kind = match key {
                        "image" => Some("image"),
                        "flavor" | "master_flavor" => Some("flavor"),
                        "external_network" | "fixed_network" => Some("network"),
                        "fixed_subnet" => Some("subnet"),
                        "keypair" => Some("keypair"),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        refs.extend(
                            self.declared_nested(kind)
                                .into_iter()
                                .map(|n| format!("\"{n}\"")),
                        );
                    }
                }
                _ => {}
            }
        }
        let mut out: Vec<lsp::CompletionItem> = words
            .into_iter()
            .map(|w| item(&w, lsp::CompletionItemKind::ENUM_MEMBER, "", ""))
            .collect();
        out.extend(
            refs.into_iter()
                .map(|r| item(&r, lsp::CompletionItemKind::REFERENCE, "", "")),
        );
        out.extend(
            self.let_names()
                .into_iter()
                .map(|n| item(&n, lsp::CompletionItemKind::CONSTANT, "let", "")),
        );
        out
    }

    /// Units for a size or duration attribute (sizes also for labels such
    /// as `docker_volume_size`, which take whole gigabytes and no unit).
    fn units(&self, block: &str, key: &str) -> Vec<lsp::CompletionItem> {
        let ty = self
            .checked
            .catalogue
            .schemas
            .get(block)
            .and_then(|s| s.attributes.get(key))
            .map(|a| &a.ty);
        let units: &[(&str, &str)] = match ty {
            Some(Ty::Size | Ty::Gigabytes) => &[
                ("GiB", "gibibytes (2^30 bytes)"),
                ("MiB", "mebibytes (2^20 bytes)"),
                ("TiB", "tebibytes (2^40 bytes)"),
                ("GB", "gigabytes (10^9 bytes)"),
                ("MB", "megabytes (10^6 bytes)"),
                ("TB", "terabytes (10^12 bytes)"),
            ],
            Some(Ty::Duration) => &[
                ("m", "minutes"),
                ("h", "hours"),
                ("s", "seconds"),
                ("d", "days"),
            ],
            _ => &[],
        };
        units
            .iter()
            .map(|(u, doc)| item(u, lsp::CompletionItemKind::UNIT, "unit", doc))
            .collect()
    }

    /// Members the COE and driver tables allow for an attribute.
    fn table_members(&self, key: &str) -> Vec<String> {
        let c = &self.checked.catalogue;
        let coes = c.coes.values();
        match key {
            "coe" => c.coes.keys().cloned().collect(),
            "network_driver" => coes.flat_map(|x| x.network_drivers.clone()).collect(),
            "volume_driver" => coes.flat_map(|x| x.volume_drivers.clone()).collect(),
            "server_type" => coes.flat_map(|x| x.server_types.clone()).collect(),
            "docker_storage_driver" => coes.flat_map(|x| x.storage_drivers.clone()).collect(),
            _ => Vec::new(),
        }
    }

    fn declared(&self, kind: &str) -> Vec<String> {
        self.files
            .iter()
            .flat_map(|f| &f.parse.file.items)
            .filter_map(|i| match i {
                crate::syntax::ast::Item::Block(b) if b.kind.name == kind => {
                    Some(b.name_str().to_string())
                }
                _ => None,
            })
            .collect()
    }

    /// Names of blocks of `kind` nested in cloud blocks.
    fn declared_nested(&self, kind: &str) -> BTreeSet<String> {
        self.files
            .iter()
            .flat_map(|f| &f.parse.file.items)
            .filter_map(|i| match i {
                crate::syntax::ast::Item::Block(b) if b.kind.name == "cloud" => Some(b),
                _ => None,
            })
            .flat_map(|cloud| cloud.blocks())
            .filter(|b| b.kind.name == kind)
            .map(|b| b.name_str().to_string())
            .collect()
    }

    fn let_names(&self) -> Vec<String> {
        self.files
            .iter()
            .flat_map(|f| &f.parse.file.items)
            .filter_map(|i| match i {
                crate::syntax::ast::Item::Let(l) => Some(l.name.name.clone()),
                _ => None,
            })
            .collect()
    }
}

fn item(
    label: &str,
    kind: lsp::CompletionItemKind,
    detail: &str,
    doc: &str,
) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then(|| detail.to_string()),
        documentation: (!doc.is_empty()).then(|| {
            lsp::Documentation::MarkupContent(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: doc.to_string(),
            })
        }),
        ..Default::default()
    }
}

fn quote_if_needed(name: &str) -> String {
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident {
        name.to_string()
    } else {
        format!("\"{name}\"")
    }
}

/// What the cursor at `offset` may be typing. The text of the cursor's line
/// before it decides between a key and a value; the tree gives the blocks.
fn slot_at(root: &SyntaxNode, text: &str, offset: usize) -> Option<Slot> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    // the innermost block whose braces hold the cursor
    let at = rowan::TextSize::try_from(offset).ok()?;
    let mut block: Option<SyntaxNode> = None;
    for node in root.descendants() {
        if node.kind() != SyntaxKind::BLOCK {
            continue;
        }
        let open = node
            .children_with_tokens()
            .find(|e| e.kind() == SyntaxKind::L_BRACE)
            .map(|e| e.text_range().end());
        let close = node
            .children_with_tokens()
            .find(|e| e.kind() == SyntaxKind::R_BRACE)
            .map(|e| e.text_range().start());
        if let Some(open) = open
            && open <= at
            && close.is_none_or(|c| at <= c)
        {
            block = Some(node);
        }
    }
    let kind_of = |b: &SyntaxNode| {
        b.children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == SyntaxKind::IDENT)
            .map(|t| t.text().to_string())
    };
    if let Some(eq) = before.rfind('=') {
        // `key = |`: the key is the attribute the line holds
        let key = before[..eq].trim().trim_matches('"').to_string();
        let block = block.as_ref().and_then(kind_of)?;
        let key = if key.is_empty() {
            // fall back to the tree: the attribute around the cursor
            root.token_at_offset(at)
                .next()?
                .parent_ancestors()
                .find(|n| n.kind() == SyntaxKind::ATTRIBUTE)
                .and_then(|a| key_text(&a))?
        } else {
            key
        };
        // `= 20|`: digits just typed take a unit
        let value = before[eq + 1..].trim_start();
        if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Some(Slot::Unit { block, key });
        }
        return Some(Slot::Value { block, key });
    }
    // a key being typed: only name characters before the cursor on its line
    if before
        .trim_start()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '"')
    {
        return Some(Slot::Entry {
            block: block.as_ref().and_then(kind_of),
        });
    }
    None
}
