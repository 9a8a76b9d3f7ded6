//! Lays out blocks as text: two-space indents, `=` aligned within a block,
//! short blocks on one line, as the bundled examples are written.

use super::lit::key;
use crate::check::value::quote;

/// Longest line a block is folded onto.
const ONE_LINE: usize = 80;

#[derive(Debug, Clone)]
pub enum Item {
    Attr(String, String),
    Comment(String),
    Block(Block),
}

#[derive(Debug, Clone)]
pub struct Block {
    header: String,
    items: Vec<Item>,
    /// A comment after the closing brace of a one-line block, else above it.
    trailing: Option<String>,
}

impl Block {
    pub fn new(kind: &str, name: Option<&str>) -> Block {
        Block {
            header: match name {
                Some(n) => format!("{kind} {}", quote(n)),
                None => kind.to_string(),
            },
            items: Vec::new(),
            trailing: None,
        }
    }

    /// `key = value`; the key is quoted when it is not a bare word.
    pub fn attr(&mut self, name: &str, value: String) {
        self.items.push(Item::Attr(key(name), value));
    }

    pub fn comment(&mut self, text: impl Into<String>) {
        self.items.push(Item::Comment(text.into()));
    }

    pub fn block(&mut self, b: Block) {
        self.items.push(Item::Block(b));
    }

    pub fn trailing(&mut self, text: impl Into<String>) {
        self.trailing = Some(text.into());
    }

    pub fn render(&self, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent);
        let trailing = self
            .trailing
            .as_ref()
            .map(|t| format!("  # {t}"))
            .unwrap_or_default();
        let one_line = match self.items.as_slice() {
            [] => Some(format!("{pad}{} {{}}{trailing}", self.header)),
            [Item::Attr(k, v)] => Some(format!("{pad}{} {{ {k} = {v} }}{trailing}", self.header)),
            _ => None,
        };
        // A trailing comment may run a little past the usual width.
        if let Some(line) = one_line.filter(|l| l.chars().count() <= ONE_LINE + trailing.len()) {
            out.push_str(&line);
            out.push('\n');
            return;
        }
        if let Some(t) = &self.trailing {
            comment(&pad, t, out);
        }
        out.push_str(&format!("{pad}{} {{\n", self.header));
        let width = self
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Attr(k, _) => Some(k.chars().count()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let inner = format!("{pad}  ");
        for item in &self.items {
            match item {
                Item::Attr(k, v) => {
                    let gap = " ".repeat(width - k.chars().count());
                    out.push_str(&format!("{inner}{k}{gap} = {v}\n"));
                }
                Item::Comment(t) => comment(&inner, t, out),
                Item::Block(b) => b.render(indent + 1, out),
            }
        }
        out.push_str(&format!("{pad}}}\n"));
    }
}

/// `# text`, wrapped at word boundaries; every line of the text gets its own
/// marker, so no text can end a comment early.
pub fn comment(pad: &str, text: &str, out: &mut String) {
    let room = ONE_LINE.saturating_sub(pad.len() + 2).max(40);
    for line in text.lines() {
        let mut current = String::new();
        for word in line.split_whitespace() {
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > room {
                out.push_str(&format!("{pad}# {current}\n"));
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        if current.is_empty() {
            out.push_str(&format!("{pad}#\n"));
        } else {
            out.push_str(&format!("{pad}# {current}\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: &Block) -> String {
        let mut out = String::new();
        b.render(0, &mut out);
        out
    }

    #[test]
    fn long_comments_wrap_between_words() {
        let mut out = String::new();
        let long = "word ".repeat(30);
        comment("  ", &long, &mut out);
        assert!(
            out.lines()
                .all(|l| l.starts_with("  # ") && l.len() <= ONE_LINE)
        );
        assert_eq!(out.matches("word").count(), 30);
    }

    #[test]
    fn layouts() {
        let mut b = Block::new("flavor", Some("m1.small"));
        assert_eq!(text(&b), "flavor \"m1.small\" {}\n");
        b.attr("vcpus", "1".into());
        b.trailing("a note");
        assert_eq!(text(&b), "flavor \"m1.small\" { vcpus = 1 }  # a note\n");
        let mut t = Block::new("template", Some("t"));
        t.comment("first\nsecond");
        t.attr("coe", "kubernetes".into());
        t.attr("docker_volume_size", "3GiB".into());
        let mut labels = Block::new("labels", None);
        labels.attr("vendor.io/x", "\"1\"".into());
        t.block(labels);
        assert_eq!(
            text(&t),
            "template \"t\" {\n  # first\n  # second\n  coe                = kubernetes\n  docker_volume_size = 3GiB\n  labels { \"vendor.io/x\" = \"1\" }\n}\n"
        );
    }
}
