//! Block schemas from `stdlib/schema.coe`, and the generic validation of a
//! block against its schema: names, attributes, nested blocks and value types.

use super::eval::Constants;
use super::types::{Ty, coerce};
use super::value::{Val, Value};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::Span;
use crate::syntax::ast::{Block, BodyItem, ExprKind};
use indexmap::IndexMap;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NameRule {
    Required,
    None,
}

#[derive(Debug, Clone)]
pub struct AttrSchema {
    pub name: String,
    pub ty: Ty,
    pub required: bool,
    pub default: Option<Value>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct BlockSchema {
    pub kind: String,
    pub name: NameRule,
    pub description: String,
    pub attributes: IndexMap<String, AttrSchema>,
    /// Nested block kinds this block accepts.
    pub blocks: Vec<String>,
}

/// A validated block: explicit attributes with typed values, and defaults.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub explicit: IndexMap<String, Val>,
    /// Spans of the attribute keys, for pointing at `key = value` as a whole.
    pub attr_spans: IndexMap<String, Span>,
    pub defaults: IndexMap<String, Val>,
}

impl Fields {
    pub fn get(&self, name: &str) -> Option<&Val> {
        self.explicit.get(name).or_else(|| self.defaults.get(name))
    }

    pub fn explicit(&self, name: &str) -> Option<&Val> {
        self.explicit.get(name)
    }

    pub fn str(&self, name: &str) -> Option<(&str, Span)> {
        self.get(name).and_then(|v| v.as_str().map(|s| (s, v.span)))
    }

    pub fn int(&self, name: &str) -> Option<(i64, Span)> {
        self.get(name).and_then(|v| v.as_int().map(|n| (n, v.span)))
    }

    pub fn bool(&self, name: &str) -> Option<(bool, Span)> {
        self.get(name)
            .and_then(|v| v.as_bool().map(|b| (b, v.span)))
    }

    /// The span of the whole `key = value` attribute, if written.
    pub fn attr_span(&self, name: &str) -> Option<Span> {
        self.attr_spans.get(name).copied()
    }
}

/// Every block kind's schema, by kind.
#[derive(Debug, Clone, Default)]
pub struct Schemas {
    pub blocks: IndexMap<String, BlockSchema>,
}

impl Schemas {
    pub fn get(&self, kind: &str) -> Option<&BlockSchema> {
        self.blocks.get(kind)
    }

    /// Reads one `schema "kind" { ... }` block.
    pub fn load(&mut self, block: &Block, consts: &mut Constants, diags: &mut Vec<Diagnostic>) {
        let kind = block.name_str().to_string();
        let mut schema = BlockSchema {
            kind: kind.clone(),
            name: NameRule::Required,
            description: String::new(),
            attributes: IndexMap::new(),
            blocks: Vec::new(),
        };
        for item in &block.body {
            match item {
                BodyItem::Attribute(a) => {
                    let Some(v) = consts.eval(&a.value, diags) else {
                        continue;
                    };
                    match (a.key.name.as_str(), &v.value) {
                        ("name", Value::Member(m)) if m == "required" => {
                            schema.name = NameRule::Required
                        }
                        ("name", Value::Member(m)) if m == "none" => schema.name = NameRule::None,
                        ("description", Value::Str(s)) => schema.description = s.clone(),
                        _ => diags.push(schema_error(
                            a.span,
                            "expected `name = required|none` or `description = \"...\"`",
                        )),
                    }
                }
                BodyItem::Block(b) if b.kind.name == "block" => {
                    schema.blocks.push(b.name_str().to_string())
                }
                BodyItem::Block(b) if b.kind.name == "attribute" => {
                    if let Some(attr) = load_attribute(b, consts, diags) {
                        schema.attributes.insert(attr.name.clone(), attr);
                    }
                }
                BodyItem::Block(b) => diags.push(schema_error(
                    b.kind.span,
                    "expected an `attribute` or `block` block",
                )),
            }
        }
        self.blocks.insert(kind, schema);
    }

    /// Validates a block against the schema of its kind. Unknown attributes and
    /// nested blocks are reported; nested blocks are returned for the caller.
    pub fn validate<'b>(
        &self,
        block: &'b Block,
        consts: &mut Constants,
        diags: &mut Vec<Diagnostic>,
        hint_for_unknown: &dyn Fn(&str) -> Option<String>,
    ) -> (Fields, Vec<&'b Block>) {
        let kind = block.kind.name.as_str();
        let schema = self.get(kind).expect("caller checked the kind");
        let mut fields = Fields::default();
        match (schema.name, &block.name) {
            // a syntax error may have taken the name: that error says enough
            (NameRule::Required, None) if !block.recovered => diags.push(
                Diagnostic::new(
                    Code(106),
                    block.kind.span,
                    format!("`{kind}` block has no name"),
                )
                .with_label("needs a name")
                .with_fix(
                    "name the block",
                    block.kind.span.end_point(),
                    format!(" \"my-{kind}\""),
                ),
            ),
            (NameRule::None, Some(n)) => diags.push(
                Diagnostic::new(Code(114), n.span, format!("`{kind}` blocks take no name"))
                    .with_label("remove this name")
                    .with_fix(
                        "remove the name",
                        Span {
                            start: block.kind.span.end,
                            ..n.span
                        },
                        "",
                    ),
            ),
            _ => {}
        }
        let mut nested = Vec::new();
        for item in &block.body {
            match item {
                BodyItem::Attribute(a) => {
                    let name = a.key.name.as_str();
                    let Some(attr) = schema.attributes.get(name) else {
                        diags.push(unknown_attribute(
                            schema,
                            a.key.span,
                            name,
                            hint_for_unknown,
                        ));
                        continue;
                    };
                    if let Some(first) = fields.attr_spans.get(name) {
                        diags.push(
                            Diagnostic::new(
                                Code(103),
                                a.key.span,
                                format!("`{name}` is set twice"),
                            )
                            .with_label("set again here")
                            .with_secondary(*first, "first set here")
                            .with_help("remove one of the two"),
                        );
                        continue;
                    }
                    fields.attr_spans.insert(name.to_string(), a.span);
                    let Some(v) = consts.eval(&a.value, diags) else {
                        continue;
                    };
                    let reported = diags.len();
                    if let Some(v) = coerce(&attr.ty, v, attr, diags) {
                        fields.explicit.insert(name.to_string(), v);
                    } else if let ExprKind::Ident(word) = &a.value.kind
                        && consts.contains(word)
                    {
                        // A bare word that names a constant surprises: say so.
                        for d in diags[reported..]
                            .iter_mut()
                            .filter(|d| d.primary.span == a.value.span)
                        {
                            d.notes.push(format!(
                                "`{word}` here is the `let` constant of that name, not a bare word"
                            ));
                        }
                    }
                }
                BodyItem::Block(b) => {
                    if schema.blocks.contains(&b.kind.name) {
                        nested.push(&**b);
                    } else {
                        let mut d = Diagnostic::new(
                            Code(101),
                            b.kind.span,
                            format!("`{kind}` blocks have no `{}` block", b.kind.name),
                        )
                        .with_label("unknown block");
                        if let Some(best) =
                            did_you_mean(&b.kind.name, schema.blocks.iter().map(String::as_str))
                        {
                            d = d.with_fix(format!("did you mean `{best}`?"), b.kind.span, best);
                        } else if !schema.blocks.is_empty() {
                            d = d.with_help(format!(
                                "`{kind}` takes: {}",
                                backticked(&schema.blocks)
                            ));
                        }
                        diags.push(d);
                    }
                }
            }
        }
        for attr in schema.attributes.values() {
            if fields.attr_spans.contains_key(&attr.name) {
                continue;
            }
            // a syntax error may have taken it: that error says enough
            if attr.required && !block.recovered {
                diags.push(
                    Diagnostic::new(
                        Code(105),
                        block.header_span(),
                        format!("{kind} `{}` has no `{}`", block.name_str(), attr.name),
                    )
                    .with_label(format!("`{}` is required", attr.name))
                    .with_help(format!(
                        "add `{} = ...`: {}",
                        attr.name,
                        lowercase_first(attr.description.trim_end_matches('.'))
                    )),
                );
            } else if let Some(default) = &attr.default {
                fields.defaults.insert(
                    attr.name.clone(),
                    Val::new(default.clone(), block.header_span()),
                );
            }
        }
        (fields, nested)
    }
}

fn unknown_attribute(
    schema: &BlockSchema,
    span: Span,
    name: &str,
    hint_for_unknown: &dyn Fn(&str) -> Option<String>,
) -> Diagnostic {
    let kind = &schema.kind;
    let mut d = Diagnostic::new(
        Code(102),
        span,
        format!("`{kind}` blocks have no attribute `{name}`"),
    )
    .with_label("unknown attribute");
    if let Some(hint) = hint_for_unknown(name) {
        return d.with_help(hint);
    }
    if let Some(best) = did_you_mean(name, schema.attributes.keys().map(String::as_str)) {
        d = d.with_fix(format!("did you mean `{best}`?"), span, best);
    } else {
        let names: Vec<String> = schema.attributes.keys().cloned().collect();
        d = d.with_help(format!("`{kind}` takes: {}", backticked(&names)));
    }
    d
}

/// "Neutron network with IPs" → "neutron network with IPs": keeps acronyms.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub fn backticked(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn schema_error(span: Span, msg: &str) -> Diagnostic {
    Diagnostic::new(Code(201), span, format!("malformed schema: {msg}")).with_label("here")
}

fn load_attribute(
    b: &Block,
    consts: &mut Constants,
    diags: &mut Vec<Diagnostic>,
) -> Option<AttrSchema> {
    let mut attr = AttrSchema {
        name: b.name_str().to_string(),
        ty: Ty::String,
        required: false,
        default: None,
        min: None,
        max: None,
        description: String::new(),
    };
    for a in b.attributes() {
        let v = consts.eval(&a.value, diags)?;
        match (a.key.name.as_str(), v.value) {
            ("type", value) => match Ty::from_value(&value) {
                Some(ty) => attr.ty = ty,
                None => {
                    diags.push(schema_error(a.value.span, "unknown type"));
                    return None;
                }
            },
            ("required", Value::Bool(r)) => attr.required = r,
            ("default", value) => attr.default = Some(value),
            ("min", Value::Int(n)) => attr.min = Some(n),
            ("max", Value::Int(n)) => attr.max = Some(n),
            ("description", Value::Str(s)) => attr.description = s,
            _ => diags.push(schema_error(a.span, "unknown attribute setting")),
        }
    }
    Some(attr)
}
