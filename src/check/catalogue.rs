//! The rule tables the checker is generic over: COEs, drivers and labels, read
//! from `coe`, `driver` and `label` blocks (the stdlib's and any vendor's).

use super::config_fields::{ConfigField, FieldKind};
use super::eval::Constants;
use super::schema::Schemas;
use super::value::{Val, Value};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::Span;
use crate::syntax::ast::Block;
use indexmap::IndexMap;

#[derive(Debug, Clone, Default)]
pub struct CoeInfo {
    pub name: String,
    pub span: Span,
    pub network_drivers: Vec<String>,
    pub allowed_network_drivers: Vec<String>,
    pub default_network_driver: Option<String>,
    pub volume_drivers: Vec<String>,
    pub server_types: Vec<String>,
    pub storage_drivers: Vec<String>,
    pub status: String,
    /// Template attributes coe accepts for this COE but does not act on,
    /// with the reason.
    pub unimplemented: IndexMap<String, String>,
}

impl CoeInfo {
    pub fn allows_network_driver(&self, d: &str) -> bool {
        self.allowed_network_drivers
            .iter()
            .any(|a| a == "all" || a == d)
    }
}

#[derive(Debug, Clone, Default)]
pub struct DriverInfo {
    pub name: String,
    pub span: Span,
    pub server_type: String,
    pub os_distro: String,
    pub coe: String,
    pub magnum: String,
    pub storage_drivers: Vec<String>,
    pub default_storage_driver: Option<String>,
    pub network_drivers: Vec<String>,
    pub master_lb: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LabelType {
    String,
    Int,
    Float,
    Bool,
    Cidr,
    /// Comma-separated IPv4 CIDRs.
    CidrList,
    Ipv4,
    Member,
    List,
    Json,
}

#[derive(Debug, Clone)]
pub struct LabelInfo {
    pub name: String,
    pub span: Span,
    pub ty: LabelType,
    pub values: Vec<String>,
    pub default: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub ends_with: Option<String>,
    pub coes: Vec<String>,
    pub drivers: Vec<String>,
    pub deprecated: Option<String>,
    pub secret: bool,
    pub replaced_by: Option<String>,
    pub heat: Option<String>,
    pub description: String,
    /// What consumes the label in coe's templates and node scripts.
    pub effect: Option<String>,
    /// The COEs or drivers the effect holds for (empty: every reader).
    pub effect_for: Vec<String>,
    /// Why coe accepts the label but does not act on it.
    pub unimplemented: Option<String>,
    /// A non-default value the catalogue test sets, where a generic one
    /// would break another rule.
    pub example: Option<String>,
    /// Of the values Magnum accepted, those coe's nodes support (empty: all).
    pub supported: Vec<String>,
    /// The oldest version coe's nodes install (a version label).
    pub min_version: Option<String>,
    /// The value is command-line flags; these are the ones kubeadm sets
    /// itself, which the label may not override. `None`: not flags.
    pub owned_flags: Option<Vec<String>>,
    /// For a component configured by a file rather than flags: the flags
    /// the label accepts, each with the field it sets (`None`: any flag).
    pub config_fields: Option<IndexMap<String, ConfigField>>,
}

impl LabelInfo {
    /// Whether a cluster of this COE built by this driver reads the label.
    pub fn read_by(&self, coe: &str, driver: Option<&str>) -> bool {
        if !self.coes.iter().any(|c| c == coe) {
            return false;
        }
        match driver {
            Some(d) if !self.drivers.is_empty() => self.drivers.iter().any(|x| x == d),
            _ => true,
        }
    }

    /// What the label does for a cluster of this COE built by this driver,
    /// or why it does nothing there (`Err`, from the catalogue).
    pub fn effect_on(&self, coe: &str, driver: Option<&str>) -> Result<&str, String> {
        let covered = self.effect_for.is_empty()
            || self
                .effect_for
                .iter()
                .any(|x| x == coe || Some(x.as_str()) == driver);
        match &self.effect {
            Some(e) if covered => Ok(e),
            _ => Err(self.unimplemented.clone().unwrap_or_else(|| {
                let only = self.effect_for.join(", ");
                format!("coe implements it only for {only}")
            })),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub schemas: Schemas,
    pub coes: IndexMap<String, CoeInfo>,
    pub drivers: IndexMap<String, DriverInfo>,
    pub labels: IndexMap<String, LabelInfo>,
}

impl Catalogue {
    /// Drivers that claim this exact tuple.
    pub fn driver_for(&self, server_type: &str, os_distro: &str, coe: &str) -> Option<&DriverInfo> {
        self.drivers
            .values()
            .find(|d| d.server_type == server_type && d.os_distro == os_distro && d.coe == coe)
    }

    pub fn load_coe(&mut self, b: &Block, consts: &mut Constants, diags: &mut Vec<Diagnostic>) {
        let mut r = Reader::new(b, consts, diags);
        let info = CoeInfo {
            name: b.name_str().to_string(),
            span: b.header_span(),
            network_drivers: r.words("network_drivers"),
            allowed_network_drivers: r.words("allowed_network_drivers"),
            default_network_driver: r.word("default_network_driver"),
            volume_drivers: r.words("volume_drivers"),
            server_types: r.words("server_types"),
            storage_drivers: r.words("storage_drivers"),
            status: r.word("status").unwrap_or_else(|| "current".into()),
            unimplemented: r.string_map("unimplemented"),
        };
        r.finish();
        self.coes.insert(info.name.clone(), info);
    }

    pub fn load_driver(&mut self, b: &Block, consts: &mut Constants, diags: &mut Vec<Diagnostic>) {
        let mut r = Reader::new(b, consts, diags);
        let info = DriverInfo {
            name: b.name_str().to_string(),
            span: b.header_span(),
            server_type: r.word("server_type").unwrap_or_else(|| "vm".into()),
            os_distro: r.string("os_distro").unwrap_or_default(),
            coe: r.word("coe").unwrap_or_default(),
            magnum: r.string("magnum").unwrap_or_default(),
            storage_drivers: r.words("storage_drivers"),
            default_storage_driver: r.word("default_storage_driver"),
            network_drivers: r.words("network_drivers"),
            master_lb: r.bool("master_lb").unwrap_or(true),
        };
        r.finish();
        self.drivers.insert(info.name.clone(), info);
    }

    pub fn load_label(&mut self, b: &Block, consts: &mut Constants, diags: &mut Vec<Diagnostic>) {
        let mut r = Reader::new(b, consts, diags);
        let ty = match r.word("type").as_deref() {
            None | Some("string") => LabelType::String,
            Some("int") => LabelType::Int,
            Some("float") => LabelType::Float,
            Some("bool") => LabelType::Bool,
            Some("cidr") => LabelType::Cidr,
            Some("cidr_list") => LabelType::CidrList,
            Some("ipv4") => LabelType::Ipv4,
            Some("member") => LabelType::Member,
            Some("list") => LabelType::List,
            Some("json") => LabelType::Json,
            Some(other) => {
                let span = r.span("type");
                r.diags.push(
                    Diagnostic::new(Code(203), span, format!("`{other}` is not a label type"))
                        .with_label(
                            "expected string, int, float, bool, cidr, cidr_list, ipv4, member, list or json",
                        ),
                );
                LabelType::String
            }
        };
        let info = LabelInfo {
            name: b.name_str().to_string(),
            span: b.header_span(),
            ty,
            values: r.strings("values"),
            default: r.scalar_text("default"),
            min: r.int("min"),
            max: r.int("max"),
            ends_with: r.string("ends_with"),
            coes: r.words("coes"),
            drivers: r.words("drivers"),
            deprecated: r.string("deprecated"),
            secret: r.bool("secret").unwrap_or(false),
            replaced_by: r.string("replaced_by"),
            heat: r.string("heat"),
            description: r.string("description").unwrap_or_default(),
            effect: r.string("effect"),
            effect_for: r.words("effect_for"),
            unimplemented: r.string("unimplemented"),
            example: r.string("example"),
            supported: r.strings("supported"),
            min_version: r.string("min_version"),
            owned_flags: r.has("flags").then(|| r.words("flags")),
            config_fields: r
                .has("config_fields")
                .then(|| r.config_fields("config_fields")),
        };
        // Every label says what it does, or why coe does not act on it.
        if info.effect.is_none() == info.unimplemented.is_none() {
            let d = Diagnostic::new(
                Code(410),
                info.span,
                format!("label `{}` must declare either `effect` or `unimplemented`", info.name),
            )
            .with_label("what does it do?")
            .with_help("add `effect = \"what consumes it\"`, or `unimplemented = \"why coe does not act on it\"`");
            r.diags.push(d);
        }
        r.finish();
        self.labels.insert(info.name.clone(), info);
    }

    /// After loading: every COE and driver named in a table must exist.
    pub fn cross_check(&self, diags: &mut Vec<Diagnostic>) {
        let coes: Vec<&str> = self.coes.keys().map(String::as_str).collect();
        for d in self.drivers.values() {
            if !self.coes.contains_key(&d.coe) {
                diags.push(unknown_name(d.span, "COE", &d.coe, &coes));
            }
        }
        for c in self.coes.values() {
            if let Some(d) = &c.default_network_driver
                && (!c.network_drivers.contains(d) || !c.allows_network_driver(d))
            {
                diags.push(
                    Diagnostic::new(Code(304), c.span, format!("the default network driver `{d}` of `{}` is not a supported, allowed driver", c.name))
                        .with_label("bad default")
                        .with_help("list the default in both `network_drivers` and `allowed_network_drivers`"),
                );
            }
        }
        // What a COE leaves unimplemented must be a template attribute.
        if let Some(template) = self.schemas.get("template") {
            for c in self.coes.values() {
                for attr in c.unimplemented.keys() {
                    if !template.attributes.contains_key(attr) {
                        let known: Vec<&str> =
                            template.attributes.keys().map(String::as_str).collect();
                        diags.push(unknown_name(c.span, "template attribute", attr, &known));
                    }
                }
            }
        }
        let drivers: Vec<&str> = self.drivers.keys().map(String::as_str).collect();
        for l in self.labels.values() {
            for c in &l.coes {
                if !self.coes.contains_key(c) {
                    diags.push(unknown_name(l.span, "COE", c, &coes));
                }
            }
            for d in &l.drivers {
                if !self.drivers.contains_key(d) {
                    diags.push(unknown_name(l.span, "driver", d, &drivers));
                }
            }
        }
    }
}

fn unknown_name(span: Span, what: &str, name: &str, known: &[&str]) -> Diagnostic {
    let mut d = Diagnostic::new(Code(107), span, format!("no {what} named `{name}`"))
        .with_label(format!("names `{name}`"));
    if let Some(best) = did_you_mean(name, known.iter().copied()) {
        d = d.with_help(format!("did you mean `{best}`?"));
    }
    d
}

/// Reads the attributes of a table block, reporting wrong types and unknown keys.
struct Reader<'a, 'c, 'd> {
    block: &'a Block,
    values: IndexMap<String, Val>,
    used: Vec<String>,
    consts: std::marker::PhantomData<&'c ()>,
    diags: &'d mut Vec<Diagnostic>,
}

impl<'a, 'c, 'd> Reader<'a, 'c, 'd> {
    fn new(block: &'a Block, consts: &mut Constants, diags: &'d mut Vec<Diagnostic>) -> Self {
        let mut values = IndexMap::new();
        for a in block.attributes() {
            if let Some(v) = consts.eval(&a.value, diags) {
                values.insert(a.key.name.clone(), v);
            }
        }
        Reader {
            block,
            values,
            used: Vec::new(),
            consts: std::marker::PhantomData,
            diags,
        }
    }

    fn take(&mut self, key: &str) -> Option<Val> {
        self.used.push(key.to_string());
        self.values.get(key).cloned()
    }

    fn span(&self, key: &str) -> Span {
        self.values
            .get(key)
            .map(|v| v.span)
            .unwrap_or(self.block.header_span())
    }

    fn wrong(&mut self, v: &Val, expected: &str) {
        self.diags.push(
            Diagnostic::new(
                Code(201),
                v.span,
                format!("expected {expected}, found {}", v.value.describe()),
            )
            .with_label(format!("this is {}", v.value.describe())),
        );
    }

    fn word(&mut self, key: &str) -> Option<String> {
        let v = self.take(key)?;
        match &v.value {
            Value::Member(m) => Some(m.clone()),
            _ => {
                self.wrong(&v, "a bare word");
                None
            }
        }
    }

    fn string(&mut self, key: &str) -> Option<String> {
        let v = self.take(key)?;
        match &v.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.wrong(&v, "a string");
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> Option<bool> {
        let v = self.take(key)?;
        match v.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong(&v, "`true` or `false`");
                None
            }
        }
    }

    fn int(&mut self, key: &str) -> Option<i64> {
        let v = self.take(key)?;
        match v.value {
            Value::Int(n) => Some(n),
            _ => {
                self.wrong(&v, "an integer");
                None
            }
        }
    }

    fn scalar_text(&mut self, key: &str) -> Option<String> {
        let v = self.take(key)?;
        v.value.to_label_text()
    }

    fn list(&mut self, key: &str, want_word: bool) -> Vec<String> {
        let Some(v) = self.take(key) else {
            return Vec::new();
        };
        let Value::List(items) = &v.value else {
            self.wrong(&v, "a list");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match (&item.value, want_word) {
                (Value::Member(m), true) | (Value::Str(m), false) => out.push(m.clone()),
                _ => self.wrong(item, if want_word { "a bare word" } else { "a string" }),
            }
        }
        out
    }

    /// `{ "flag" = ["field.path", type] }`, where the type is a word
    /// ([`FieldKind::named`]) or a list of the values allowed; `int` may be
    /// followed by its bounds: `["oomScoreAdj", int, -1000, 1000]`.
    fn config_fields(&mut self, key: &str) -> IndexMap<String, ConfigField> {
        let mut out = IndexMap::new();
        let Some(v) = self.take(key) else {
            return out;
        };
        let Value::Map(entries) = &v.value else {
            self.wrong(&v, "a map of flag = [\"field.path\", type]");
            return out;
        };
        for (flag, _, entry) in entries {
            let field = match &entry.value {
                Value::List(pair) if pair.len() == 4 => match (
                    &pair[0].value,
                    &pair[1].value,
                    &pair[2].value,
                    &pair[3].value,
                ) {
                    (Value::Str(path), Value::Member(int), Value::Int(min), Value::Int(max))
                        if int == "int" && min <= max =>
                    {
                        Some(ConfigField {
                            path: path.clone(),
                            kind: FieldKind::Int(*min, *max),
                        })
                    }
                    _ => None,
                },
                Value::List(pair) if pair.len() == 2 => match (&pair[0].value, &pair[1].value) {
                    (Value::Str(path), Value::Member(word)) => {
                        FieldKind::named(word).map(|kind| ConfigField {
                            path: path.clone(),
                            kind,
                        })
                    }
                    (Value::Str(path), Value::List(words)) => words
                        .iter()
                        .map(|w| match &w.value {
                            Value::Member(m) | Value::Str(m) => Some(m.clone()),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()
                        .map(|ws| ConfigField {
                            path: path.clone(),
                            kind: FieldKind::OneOf(ws),
                        }),
                    _ => None,
                },
                _ => None,
            };
            match field {
                Some(f) => {
                    out.insert(flag.clone(), f);
                }
                None => self.wrong(
                    entry,
                    "[\"field.path\", type] (string, int, float, bool, duration, list, cidrs, gates, a list of values, or int with bounds)",
                ),
            }
        }
        out
    }

    /// `{ key = "text" }`.
    fn string_map(&mut self, key: &str) -> IndexMap<String, String> {
        let mut out = IndexMap::new();
        let Some(v) = self.take(key) else {
            return out;
        };
        let Value::Map(entries) = &v.value else {
            self.wrong(&v, "a map of strings");
            return out;
        };
        for (k, _, entry) in entries {
            match &entry.value {
                Value::Str(text) => {
                    out.insert(k.clone(), text.clone());
                }
                _ => self.wrong(entry, "a string"),
            }
        }
        out
    }

    /// Whether the block writes `key` at all.
    fn has(&self, key: &str) -> bool {
        self.block.attributes().any(|a| a.key.name == key)
    }

    fn words(&mut self, key: &str) -> Vec<String> {
        self.list(key, true)
    }

    fn strings(&mut self, key: &str) -> Vec<String> {
        self.list(key, false)
    }

    fn finish(self) {
        let kind = &self.block.kind.name;
        for a in self.block.attributes() {
            if !self.used.contains(&a.key.name) {
                let mut d = Diagnostic::new(
                    Code(102),
                    a.key.span,
                    format!("`{kind}` blocks have no attribute `{}`", a.key.name),
                )
                .with_label("unknown attribute");
                if let Some(best) = did_you_mean(&a.key.name, self.used.iter().map(String::as_str))
                {
                    d = d.with_fix(format!("did you mean `{best}`?"), a.key.span, best);
                }
                self.diags.push(d);
            }
        }
    }
}
