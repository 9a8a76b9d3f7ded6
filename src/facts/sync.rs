//! Facts → a configuration's text, in place. Only values the facts speak
//! about change; every comment and every attribute they do not know stays;
//! the result is formatted like `coe fmt`.

use super::{Facts, Kind, Resource, Value};
use crate::check::value::quote;
use crate::source::FileId;
use crate::syntax::ast::{Attribute, Block, Item};
use std::fmt;

/// One change to the text, for the summary a command prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new `cloud` block.
    NewCloud(String),
    /// A cloud attribute that was missing or said something else.
    Set(&'static str),
    Added(&'static str, String),
    /// A resource whose listed attributes changed (or were removed).
    Updated(&'static str, String, Vec<&'static str>),
    /// A resource the cloud no longer has.
    Removed(&'static str, String),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Change::NewCloud(name) => write!(f, "new block cloud {}", quote(name)),
            Change::Set(attr) => write!(f, "set {attr}"),
            Change::Added(kind, name) => write!(f, "added {kind} {}", quote(name)),
            Change::Updated(kind, name, attrs) => {
                write!(f, "updated {kind} {} ({})", quote(name), attrs.join(", "))
            }
            Change::Removed(kind, name) => {
                write!(f, "removed {kind} {} (gone from the cloud)", quote(name))
            }
        }
    }
}

#[derive(Debug)]
pub struct Synced {
    pub text: String,
    pub changes: Vec<Change>,
}

/// Writes `facts` into the `cloud` block named `name` (or the only one, when
/// `name` is `None`), adding the block at the end when there is none; a new
/// block is named `name` or else `default_name`.
pub fn sync(
    text: &str,
    name: Option<&str>,
    default_name: &str,
    facts: &Facts,
) -> Result<Synced, String> {
    let file = FileId(0);
    let parsed = crate::syntax::parse(file, text);
    if parsed.has_errors() {
        return Err(
            "the file does not parse; fix its syntax errors (`coe check` shows them) before writing cloud facts into it"
                .into(),
        );
    }
    let clouds: Vec<&Block> = parsed
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Block(b) if b.kind.name == "cloud" => Some(b),
            _ => None,
        })
        .collect();
    let target = match name {
        Some(n) => clouds.iter().find(|b| b.name_str() == n).copied(),
        None if clouds.len() > 1 => {
            let names: Vec<String> = clouds.iter().map(|b| quote(b.name_str())).collect();
            return Err(format!(
                "the file declares several cloud blocks ({}); name the one to update",
                names.join(", ")
            ));
        }
        None => clouds.first().copied(),
    };
    let mut edits = Edits::new(text);
    let mut changes = Vec::new();
    match target {
        Some(cloud) => update_cloud(&mut edits, cloud, facts, &mut changes),
        None => {
            let name = name.unwrap_or(default_name);
            let mut out = String::new();
            if !text.is_empty() && !text.ends_with('\n') {
                out.push('\n');
            }
            if !text.trim().is_empty() {
                out.push('\n');
            }
            out.push_str(&new_cloud(name, facts));
            edits.insert(text.len(), out);
            changes.push(Change::NewCloud(name.to_string()));
        }
    }
    let edited = edits.apply();
    let text = crate::fmt::format_source(file, &edited).map_err(|e| {
        format!("coe wrote cloud facts that do not read back ({e:?}); this is a bug in coe")
    })?;
    Ok(Synced { text, changes })
}

fn new_cloud(name: &str, facts: &Facts) -> String {
    let mut out = format!("cloud {} {{\n", quote(name));
    for (k, v) in &facts.attrs {
        out.push_str(&format!("  {k} = {}\n", v.to_source()));
    }
    let mut resources: Vec<&Resource> = facts
        .resources
        .iter()
        .filter(|r| r.kind.gets_new_blocks())
        .collect();
    resources.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    for r in resources {
        out.push_str(&format!("  {}\n", new_resource(r)));
    }
    out.push_str("}\n");
    out
}

fn new_resource(r: &Resource) -> String {
    let attrs: Vec<String> = r
        .attrs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} = {}", v.to_source())))
        .collect();
    let body = if attrs.is_empty() {
        "{}".to_string()
    } else {
        format!("{{ {} }}", attrs.join("  "))
    };
    let mut line = format!("{} {} {body}", r.kind.block(), quote(&r.name));
    if let Some(note) = &r.note {
        line.push_str(&format!("  # {note}"));
    }
    line
}

fn update_cloud(edits: &mut Edits, cloud: &Block, facts: &Facts, changes: &mut Vec<Change>) {
    for (key, value) in &facts.attrs {
        if set_attr(edits, cloud, key, Some(value)) {
            changes.push(Change::Set(key));
        }
    }
    let blocks: Vec<&Block> = cloud.blocks().collect();
    for r in &facts.resources {
        let existing = blocks
            .iter()
            .find(|b| b.kind.name == r.kind.block() && b.name_str() == r.name);
        match existing {
            Some(b) => {
                let changed: Vec<&'static str> = r
                    .attrs
                    .iter()
                    .filter(|(k, v)| set_attr(edits, b, k, v.as_ref()))
                    .map(|(k, _)| *k)
                    .collect();
                if !changed.is_empty() {
                    changes.push(Change::Updated(r.kind.block(), r.name.clone(), changed));
                }
            }
            None if !r.kind.gets_new_blocks() => {}
            None => {
                let anchor = anchor_for(edits.text, cloud, r.kind);
                edits.insert_item(cloud, anchor, new_resource(r));
                changes.push(Change::Added(r.kind.block(), r.name.clone()));
            }
        }
    }
    for b in &blocks {
        let Some(kind) = Kind::ALL.iter().find(|k| k.block() == b.kind.name) else {
            continue;
        };
        let named = facts
            .resources
            .iter()
            .any(|r| r.kind == *kind && r.name == b.name_str());
        if facts.complete.contains(kind) && !named {
            edits.remove(b.span.range());
            changes.push(Change::Removed(kind.block(), b.name_str().to_string()));
        }
    }
}

/// Sets (or with `None` removes) one attribute of `block`; true if the text changes.
fn set_attr(edits: &mut Edits, block: &Block, key: &str, value: Option<&Value>) -> bool {
    let existing: Option<&Attribute> = block.attribute(key);
    match (existing, value) {
        (Some(a), Some(v)) if v.matches(&a.value.kind) => false,
        (Some(a), Some(v)) => {
            edits.replace(a.value.span.range(), v.to_source());
            true
        }
        (Some(a), None) => {
            edits.remove(a.span.range());
            true
        }
        (None, Some(v)) => {
            let anchor = block
                .attributes()
                .last()
                .map(|a| a.span.end as usize)
                .unwrap_or_else(|| open_brace(edits.text, block));
            edits.insert_item(block, anchor, format!("{key} = {}", v.to_source()));
            true
        }
        (None, None) => false,
    }
}

/// Where a new block of `kind` goes: after the last of its kind, else after
/// the last of a kind listed before it, else after the attributes.
fn anchor_for(text: &str, cloud: &Block, kind: Kind) -> usize {
    let last_of = |k: Kind| {
        cloud
            .blocks()
            .filter(|b| b.kind.name == k.block())
            .last()
            .map(|b| b.span.end as usize)
    };
    let before = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    last_of(kind)
        .or_else(|| Kind::ALL[..before].iter().rev().find_map(|k| last_of(*k)))
        .or_else(|| cloud.attributes().last().map(|a| a.span.end as usize))
        .unwrap_or_else(|| open_brace(text, cloud))
}

/// The offset just after a block's `{`.
fn open_brace(text: &str, block: &Block) -> usize {
    let header_end = block.header_span().end as usize;
    header_end + text[header_end..].find('{').map_or(0, |i| i + 1)
}

/// Text edits, applied together; insertions at one offset keep their order.
struct Edits<'t> {
    text: &'t str,
    list: Vec<(usize, usize, String)>,
}

impl<'t> Edits<'t> {
    fn new(text: &'t str) -> Self {
        Edits {
            text,
            list: Vec::new(),
        }
    }

    fn insert(&mut self, at: usize, text: String) {
        self.list.push((at, at, text));
    }

    fn replace(&mut self, range: std::ops::Range<usize>, text: String) {
        self.list.push((range.start, range.end, text));
    }

    /// Inserts `item` into `block`'s body after the item ending at `anchor`:
    /// on a line of its own after the anchor's line (so a comment that ends
    /// that line stays where it is), or, in a block written on one line,
    /// before its `}`.
    fn insert_item(&mut self, block: &Block, anchor: usize, item: String) {
        let close = block.span.end as usize - 1;
        match self.text[anchor..close].find('\n') {
            // The block closes on the anchor's line.
            None => self.insert(close, format!(" {item} ")),
            Some(i) => {
                let rest = self.text[anchor..anchor + i].trim();
                if rest.is_empty() || rest.starts_with('#') || rest.starts_with("//") {
                    self.insert(anchor + i + 1, format!("{item}\n"));
                } else {
                    // Something else follows on the line (a nested block's
                    // header, a `/* */` comment running on): a line of its own here.
                    self.insert(anchor, format!("\n{item}\n"));
                }
            }
        }
    }

    /// Removes an item, with its line when nothing else is on it (a comment
    /// that ends the line goes with it).
    fn remove(&mut self, range: std::ops::Range<usize>) {
        let text = self.text;
        let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
        let alone_before = text[line_start..range.start].trim().is_empty();
        let line_end = text[range.end..]
            .find('\n')
            .map_or(text.len(), |i| range.end + i + 1);
        let rest = text[range.end..line_end].trim();
        let alone_after = rest.is_empty() || rest.starts_with('#') || rest.starts_with("//");
        if alone_before && alone_after {
            self.list.push((line_start, line_end, String::new()));
        } else {
            self.list.push((range.start, range.end, String::new()));
        }
    }

    fn apply(mut self) -> String {
        // Stable: insertions at the same offset stay in the order they were made.
        self.list.sort_by_key(|(start, _, _)| *start);
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        for (start, end, text) in &self.list {
            if *start < at {
                continue; // inside something already removed
            }
            out.push_str(&self.text[at..*start]);
            out.push_str(text);
            at = *end;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        let mut f = Facts::default();
        f.set("nova_microversion", Value::Str("2.96".into()));
        f.set("octavia", Value::Bool(true));
        f.add(
            Resource::new(Kind::Flavor, "m1.small")
                .set("id", Some(Value::Str("2".into())))
                .set("vcpus", Some(Value::Int(1)))
                .set("ram", Some(Value::mib(2048)))
                .set("disk", Some(Value::gib(20))),
        );
        f.add(
            Resource::new(Kind::Image, "fcos")
                .set("os_distro", Some(Value::Str("fedora-coreos".into()))),
        );
        f.add(Resource::new(Kind::Image, "bare").set("os_distro", None));
        f.mark_complete(Kind::Image);
        f
    }

    #[test]
    fn a_file_without_a_cloud_block_gets_one() {
        let s = sync("# mine\ntemplate \"t\" {}\n", None, "live", &facts()).unwrap();
        assert_eq!(
            s.text,
            "# mine\ntemplate \"t\" {}\n\ncloud \"live\" {\n  nova_microversion = \"2.96\"\n  octavia           = true\n  image \"bare\" {}\n  image \"fcos\"      { os_distro = \"fedora-coreos\" }\n  flavor \"m1.small\" { id = \"2\"  vcpus = 1  ram = 2GiB  disk = 20GiB }\n}\n"
        );
        assert_eq!(s.changes, [Change::NewCloud("live".into())]);
    }

    #[test]
    fn an_existing_block_is_updated_in_place_keeping_comments() {
        let text = "\
cloud \"c\" {
  # how we got here
  nova_microversion = \"2.1\" # old
  image \"fcos\" {}  # the one we use
  image \"old\" { os_distro = \"x\" } # gone
  image \"bare\" { os_distro = \"ubuntu\" }
  flavor \"m1.small\" {
    ram = 2048MiB  # same as 2GiB
  }
}
";
        let s = sync(text, Some("c"), "x", &facts()).unwrap();
        assert_eq!(
            s.text,
            "\
cloud \"c\" {
  # how we got here
  nova_microversion = \"2.96\"  # old
  octavia           = true
  image \"fcos\" { os_distro = \"fedora-coreos\" }  # the one we use
  image \"bare\" {}
  flavor \"m1.small\" {
    ram   = 2048MiB  # same as 2GiB
    id    = \"2\"
    vcpus = 1
    disk  = 20GiB
  }
}
"
        );
        let changes: Vec<String> = s.changes.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            changes,
            [
                "set nova_microversion",
                "set octavia",
                "updated flavor \"m1.small\" (id, vcpus, disk)",
                "updated image \"fcos\" (os_distro)",
                "updated image \"bare\" (os_distro)",
                "removed image \"old\" (gone from the cloud)",
            ]
        );
    }

    #[test]
    fn syncing_twice_changes_nothing_the_second_time() {
        let once = sync("", None, "c", &facts()).unwrap();
        let twice = sync(&once.text, None, "c", &facts()).unwrap();
        assert_eq!(twice.text, once.text);
        assert!(twice.changes.is_empty(), "{:?}", twice.changes);
    }

    #[test]
    fn kinds_read_only_in_part_keep_what_the_facts_do_not_name() {
        let mut f = Facts::default();
        f.add(Resource::new(Kind::Keypair, "new"));
        let s = sync("cloud \"c\" {\n  keypair \"old\" {}\n}\n", None, "x", &f).unwrap();
        assert_eq!(
            s.text,
            "cloud \"c\" {\n  keypair \"old\" {}\n  keypair \"new\" {}\n}\n"
        );
    }

    #[test]
    fn insertions_never_land_in_a_comment_or_a_nested_block() {
        let mut f = Facts::default();
        f.set("octavia", Value::Bool(true));
        let s = sync(
            "cloud \"c\" {\n  lbaas = false /* a\n  b */\n}\n",
            None,
            "x",
            &f,
        )
        .unwrap();
        assert_eq!(
            s.text,
            "cloud \"c\" {\n  lbaas   = false\n  octavia = true\n  /* a\n  b */\n}\n"
        );
        let s = sync(
            "cloud \"c\" { image \"i\" {\n  id = \"1\"\n}\n}\n",
            None,
            "x",
            &f,
        )
        .unwrap();
        assert!(
            s.text
                .starts_with("cloud \"c\" {\n  octavia = true\n  image \"i\""),
            "{}",
            s.text
        );
        let again = sync(&s.text, None, "x", &f).unwrap();
        assert!(again.changes.is_empty());
    }

    #[test]
    fn volume_type_blocks_of_listed_types_stay() {
        let mut f = Facts::default();
        f.set("volume_types", Value::StrList(vec!["ssd".into()]));
        f.add(Resource::new(Kind::VolumeType, "ssd").set("id", Some(Value::Str("v1".into()))));
        f.mark_complete(Kind::VolumeType);
        let text = "cloud \"c\" {\n  volume_type \"ssd\" { id = \"v1\" }  # fast\n  volume_type \"old\" {}\n}\n";
        let s = sync(text, None, "x", &f).unwrap();
        assert!(
            s.text
                .contains("volume_type \"ssd\" { id = \"v1\" }  # fast"),
            "{}",
            s.text
        );
        assert!(!s.text.contains("old"), "{}", s.text);
    }

    #[test]
    fn unparsable_files_and_ambiguous_blocks_are_refused() {
        let e = sync("cloud \"c\" {", None, "x", &facts()).unwrap_err();
        assert!(e.contains("does not parse"), "{e}");
        let e = sync("cloud \"a\" {}\ncloud \"b\" {}\n", None, "x", &facts()).unwrap_err();
        assert!(e.contains("several cloud blocks (\"a\", \"b\")"), "{e}");
    }
}
