//! Span-free comparison of two parses: what the formatter must not change.

use crate::source::Span;
use crate::syntax::ast::{Attribute, Block, BodyItem, Expr, ExprKind, File, Item, StrPart};

/// A file as the formatter must keep it: its items without spans, and its
/// comments' texts in order.
#[derive(Debug, PartialEq)]
pub struct Shape {
    pub items: Vec<Item>,
    pub comments: Vec<String>,
}

pub fn shape(file: &File) -> Shape {
    let mut items = file.items.clone();
    for item in &mut items {
        match item {
            Item::Let(l) => {
                l.span = Span::default();
                l.name.span = Span::default();
                expr(&mut l.value);
            }
            Item::Block(b) => block(b),
        }
    }
    Shape {
        items,
        comments: file.comments.iter().map(|c| c.text.clone()).collect(),
    }
}

/// Whether two parses mean the same and carry the same comments.
pub fn same_tree(a: &File, b: &File) -> bool {
    shape(a) == shape(b)
}

fn block(b: &mut Block) {
    b.span = Span::default();
    b.kind.span = Span::default();
    if let Some(n) = &mut b.name {
        n.span = Span::default();
    }
    for item in &mut b.body {
        match item {
            BodyItem::Attribute(a) => attribute(a),
            BodyItem::Block(b) => block(b),
        }
    }
}

fn attribute(a: &mut Attribute) {
    a.span = Span::default();
    a.key.span = Span::default();
    expr(&mut a.value);
}

fn expr(e: &mut Expr) {
    e.span = Span::default();
    match &mut e.kind {
        ExprKind::Str(parts) => {
            for p in parts {
                if let StrPart::Interp(e) = p {
                    expr(e);
                }
            }
        }
        ExprKind::Ref(parts) => parts.iter_mut().for_each(|p| p.span = Span::default()),
        ExprKind::Call { name, args } => {
            name.span = Span::default();
            args.iter_mut().for_each(expr);
        }
        ExprKind::List(items) => items.iter_mut().for_each(expr),
        ExprKind::Map(entries) => entries.iter_mut().for_each(attribute),
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Size { .. }
        | ExprKind::Duration(_)
        | ExprKind::Ident(_) => {}
    }
}
