//! The spanned syntax tree. It records what was written, not what it means:
//! names are not resolved and values are not typed here.

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct File {
    pub items: Vec<Item>,
    /// Every comment in the file, in order; the formatter puts them back.
    pub comments: Vec<Comment>,
    /// Blocks left out because of a syntax error, as (kind, name) read from
    /// their first line, so that references to them are not reported again.
    pub unparsed: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub span: Span,
    /// The full text, marker included (`# x`, `// x`, `/* x */`).
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Let(Let),
    Block(Block),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Let(l) => l.span,
            Item::Block(b) => b.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: Ident,
    pub name: Option<StrLit>,
    pub body: Vec<BodyItem>,
    pub span: Span,
    /// A syntax error inside it left something out: what the block lacks
    /// may be missing from the text or only from this tree.
    pub recovered: bool,
}

impl Block {
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.body.iter().filter_map(|b| match b {
            BodyItem::Attribute(a) => Some(a),
            BodyItem::Block(_) => None,
        })
    }

    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.body.iter().filter_map(|b| match b {
            BodyItem::Block(b) => Some(&**b),
            BodyItem::Attribute(_) => None,
        })
    }

    pub fn attribute(&self, key: &str) -> Option<&Attribute> {
        self.attributes().find(|a| a.key.name == key)
    }

    /// The name as written, or "" for unnamed blocks.
    pub fn name_str(&self) -> &str {
        self.name.as_ref().map(|n| n.value.as_str()).unwrap_or("")
    }

    /// Span of the header (`kind "name"`), the natural place to point at a block.
    pub fn header_span(&self) -> Span {
        match &self.name {
            Some(n) => self.kind.span.to(n.span),
            None => self.kind.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum BodyItem {
    Attribute(Attribute),
    /// Boxed: a body is mostly attributes, which are smaller.
    Block(Box<Block>),
}

impl BodyItem {
    pub fn span(&self) -> Span {
        match self {
            BodyItem::Attribute(a) => a.span,
            BodyItem::Block(b) => b.span,
        }
    }
}

/// `key = value`. A key written as a string (`"vendor/x" = 1`) keeps `quoted`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub key: Key,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
    pub quoted: bool,
}

/// A string literal without interpolation (block names).
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Str(Vec<StrPart>),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A size in bytes, with the unit as written (for messages and the formatter).
    Size {
        bytes: u64,
        unit: SizeUnit,
    },
    /// A duration in seconds.
    Duration(u64),
    /// A bare word: an enum member or a `let` constant.
    Ident(String),
    /// `kind.name`, e.g. `template.k8s-coreos`.
    Ref(Vec<Ident>),
    /// The name is boxed: calls are rare, and every other value is
    /// smaller by the difference.
    Call {
        name: Box<Ident>,
        args: Vec<Expr>,
    },
    List(Vec<Expr>),
    Map(Vec<Attribute>),
}

impl ExprKind {
    /// A word for messages: "a string", "a list", ...
    pub fn describe(&self) -> &'static str {
        match self {
            ExprKind::Str(_) => "a string",
            ExprKind::Int(_) => "an integer",
            ExprKind::Float(_) => "a number",
            ExprKind::Bool(_) => "a boolean",
            ExprKind::Size { .. } => "a size",
            ExprKind::Duration(_) => "a duration",
            ExprKind::Ident(_) => "a bare word",
            ExprKind::Ref(_) => "a reference",
            ExprKind::Call { .. } => "a call",
            ExprKind::List(_) => "a list",
            ExprKind::Map(_) => "a map",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    Text(String),
    /// Boxed, so that a plain string's one part is a `String`'s size.
    Interp(Box<Expr>),
}

impl Expr {
    /// The literal text of a string without interpolation.
    pub fn as_plain_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Str(parts) if parts.is_empty() => Some(""),
            ExprKind::Str(parts) => match parts.as_slice() {
                [StrPart::Text(t)] => Some(t),
                _ => None,
            },
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeUnit {
    B,
    KB,
    MB,
    GB,
    TB,
    KiB,
    MiB,
    GiB,
    TiB,
}

impl SizeUnit {
    pub const ALL: [(SizeUnit, &'static str, u64); 9] = [
        (SizeUnit::B, "B", 1),
        (SizeUnit::KB, "KB", 1_000),
        (SizeUnit::MB, "MB", 1_000_000),
        (SizeUnit::GB, "GB", 1_000_000_000),
        (SizeUnit::TB, "TB", 1_000_000_000_000),
        (SizeUnit::KiB, "KiB", 1 << 10),
        (SizeUnit::MiB, "MiB", 1 << 20),
        (SizeUnit::GiB, "GiB", 1 << 30),
        (SizeUnit::TiB, "TiB", 1 << 40),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(u, _, _)| *u == self).unwrap().1
    }

    pub fn bytes(self) -> u64 {
        Self::ALL.iter().find(|(u, _, _)| *u == self).unwrap().2
    }

    pub fn parse(text: &str) -> Option<SizeUnit> {
        Self::ALL
            .iter()
            .find(|(_, s, _)| *s == text)
            .map(|(u, _, _)| *u)
    }
}

/// Seconds as the shortest `.coe` duration: 3600 → `1h`, 5400 → `1h30m`.
pub fn format_duration(mut secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, scale) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= scale {
            out.push_str(&format!("{}{unit}", secs / scale));
            secs %= scale;
        }
    }
    out
}
