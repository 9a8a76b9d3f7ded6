//! Walks the AST in source order and lays it out. Comments are consumed in
//! order through a cursor, so none can be lost or reordered: each is printed
//! before the first node that comes after it, or at the end of its body.

use super::WIDTH;
use super::flat::{self, width};
use super::gaps::{find_delim, has_blank_line, has_newline, is_line_comment};
use super::rows::{Align, Code, Row, render};
use crate::check::value::quote;
use crate::syntax::ast::{Attribute, Block, BodyItem, Comment, Expr, ExprKind, File, Item};

pub struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment],
    /// The next comment to print.
    next: usize,
}

/// Something that sits on its own line(s) in a body.
#[derive(Clone, Copy)]
enum Child<'a> {
    Item(&'a Item),
    Body(&'a BodyItem),
    Elem(&'a Expr),
    Entry(&'a Attribute),
}

impl Child<'_> {
    fn start(self) -> usize {
        match self {
            Child::Item(i) => i.span().start as usize,
            Child::Body(b) => b.span().start as usize,
            Child::Elem(e) => e.span.start as usize,
            Child::Entry(a) => a.span.start as usize,
        }
    }

    fn end(self) -> usize {
        match self {
            Child::Item(i) => i.span().end as usize,
            Child::Body(b) => b.span().end as usize,
            Child::Elem(e) => e.span.end as usize,
            Child::Entry(a) => a.span.end as usize,
        }
    }

    fn is_block(self) -> bool {
        matches!(
            self,
            Child::Item(Item::Block(_)) | Child::Body(BodyItem::Block(_))
        )
    }
}

/// The comments and lines of one body, ready to wrap in delimiters.
struct Body {
    /// Comments on the line of the opening delimiter.
    open_trailing: Vec<String>,
    rows: Vec<Row>,
}

impl<'a> Printer<'a> {
    pub fn new(src: &'a str, comments: &'a [Comment]) -> Self {
        Printer {
            src,
            comments,
            next: 0,
        }
    }

    pub fn file(mut self, file: &File) -> String {
        let children: Vec<Child> = file.items.iter().map(Child::Item).collect();
        let body = self.body(&children, None, self.src.len(), 0, "", true);
        let mut out = render(&body.rows, 0);
        // Nothing should be left; if something is, it still must not be lost.
        while let Some(c) = self.take_before(usize::MAX) {
            out.push('\n');
            out.push_str(&c.text);
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }

    fn pending_before(&self, limit: usize) -> bool {
        self.comments
            .get(self.next)
            .is_some_and(|c| (c.span.start as usize) < limit)
    }

    fn take_before(&mut self, limit: usize) -> Option<&'a Comment> {
        let c = self.comments.get(self.next)?;
        if (c.span.start as usize) < limit {
            self.next += 1;
            Some(c)
        } else {
            None
        }
    }

    /// A comment before `limit` that starts on the same line as `after`.
    fn take_same_line(&mut self, after: usize, limit: usize) -> Option<&'a Comment> {
        let c = self.comments.get(self.next)?;
        if !has_newline(self.src, after, c.span.start as usize) {
            return self.take_before(limit);
        }
        None
    }

    /// Where a child's layout starts: comments before this point go above it,
    /// which lifts comments out of `key /* here */ = value` and block headers.
    fn anchor(&self, child: Child) -> usize {
        match child {
            Child::Item(Item::Let(l)) => self.expr_anchor(&l.value),
            Child::Item(Item::Block(b)) => self.brace(b),
            Child::Body(BodyItem::Block(b)) => self.brace(b),
            Child::Body(BodyItem::Attribute(a)) | Child::Entry(a) => self.expr_anchor(&a.value),
            Child::Elem(e) => self.expr_anchor(e),
        }
    }

    fn expr_anchor(&self, e: &Expr) -> usize {
        match &e.kind {
            ExprKind::Call { name, .. } => self.delim(name.span.end as usize, b'('),
            _ => e.span.start as usize,
        }
    }

    fn brace(&self, b: &Block) -> usize {
        let header_end = b.name.as_ref().map_or(b.kind.span.end, |n| n.span.end);
        self.delim(header_end as usize, b'{')
    }

    fn delim(&self, from: usize, want: u8) -> usize {
        find_delim(self.src, self.comments, from, want)
    }

    /// Lays out the children between an opening delimiter (ending at `open`)
    /// and a closing one (at `close`), with the comments among them.
    fn body(
        &mut self,
        children: &[Child],
        open: Option<usize>,
        close: usize,
        indent: usize,
        suffix: &str,
        top: bool,
    ) -> Body {
        let anchors: Vec<usize> = children.iter().map(|c| self.anchor(*c)).collect();
        let mut rows = Vec::new();
        let mut open_trailing = Vec::new();
        let mut prev = open.unwrap_or(0);
        if open.is_some() {
            let limit = anchors.first().copied().unwrap_or(close);
            while let Some(c) = self.take_same_line(prev, limit) {
                open_trailing.push(c.text.clone());
                prev = c.span.end as usize;
            }
        }
        for (i, child) in children.iter().enumerate() {
            // Top-level blocks always stand apart from their neighbours.
            let mut force = top && i > 0 && (children[i - 1].is_block() || child.is_block());
            while let Some(c) = self.take_before(anchors[i]) {
                if (force || has_blank_line(self.src, prev, c.span.start as usize))
                    && !rows.is_empty()
                {
                    rows.push(Row::Blank);
                }
                force = false;
                rows.push(Row::Comment(c.text.clone()));
                prev = c.span.end as usize;
            }
            if (force || has_blank_line(self.src, prev, child.start())) && !rows.is_empty() {
                rows.push(Row::Blank);
            }
            let mut code = self.child(*child, indent, suffix);
            prev = prev.max(child.end());
            let limit = anchors.get(i + 1).copied().unwrap_or(close);
            while let Some(c) = self.take_same_line(prev, limit) {
                code.trailing.push(c.text.clone());
                prev = c.span.end as usize;
            }
            rows.push(Row::Code(code));
        }
        while let Some(c) = self.take_before(close) {
            if has_blank_line(self.src, prev, c.span.start as usize) && !rows.is_empty() {
                rows.push(Row::Blank);
            }
            rows.push(Row::Comment(c.text.clone()));
            prev = c.span.end as usize;
        }
        Body {
            open_trailing,
            rows,
        }
    }

    fn child(&mut self, child: Child, indent: usize, suffix: &str) -> Code {
        match child {
            Child::Item(Item::Let(l)) => {
                self.binding(format!("let {}", l.name.name), &l.value, indent, suffix)
            }
            Child::Item(Item::Block(b)) => self.block(b, indent, false),
            Child::Body(BodyItem::Block(b)) => self.block(b, indent, true),
            Child::Body(BodyItem::Attribute(a)) | Child::Entry(a) => {
                self.binding(flat::key(&a.key), &a.value, indent, suffix)
            }
            Child::Elem(e) => {
                let text = self.expr(e, indent, indent, width(suffix));
                Code::new(Align::None, "", format!("{text}{suffix}"))
            }
        }
    }

    /// `head = value`: an attribute, a map entry or a `let`.
    fn binding(&mut self, head: String, value: &Expr, indent: usize, suffix: &str) -> Code {
        let column = indent + width(&head) + 3;
        let value = self.expr(value, indent, column, width(suffix));
        Code::new(Align::Attr, head, format!("= {value}{suffix}"))
    }

    fn block(&mut self, b: &Block, indent: usize, nested: bool) -> Code {
        let mut head = b.kind.name.clone();
        if let Some(name) = &b.name {
            head.push(' ');
            head.push_str(&quote(&name.value));
        }
        let open = self.brace(b);
        let close = (b.span.end as usize).saturating_sub(1).max(open);
        let quiet = !self.pending_before(close);
        if b.body.is_empty() && quiet {
            let align = if nested {
                Align::EmptyBlock
            } else {
                Align::None
            };
            return Code::new(align, head, "{}");
        }
        if nested
            && quiet
            && !has_newline(self.src, open, close)
            && let Some(line) = self.one_line(b)
            && indent + width(&head) + 1 + width(&line) <= WIDTH
        {
            return Code::new(Align::Block, head, line);
        }
        let children: Vec<Child> = b.body.iter().map(Child::Body).collect();
        let body = self.body(&children, Some(open + 1), close, indent + 2, "", false);
        Code::new(Align::None, head, wrap("{", body, indent, "}"))
    }

    /// `{ a = 1  b = 2 }`, when the body holds attributes only.
    fn one_line(&self, b: &Block) -> Option<String> {
        let attrs = b
            .body
            .iter()
            .map(|item| match item {
                BodyItem::Attribute(a) => Some(format!(
                    "{} = {}",
                    flat::key(&a.key),
                    flat::expr(&a.value, self.src)
                )),
                BodyItem::Block(_) => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(format!("{{ {} }}", attrs.join("  ")))
    }

    /// A value starting at `column`, followed by `reserve` columns of punctuation.
    fn expr(&mut self, e: &Expr, indent: usize, column: usize, reserve: usize) -> String {
        let end = e.span.end as usize;
        if !self.pending_before(end) {
            let flat = flat::expr(e, self.src);
            if column + width(&flat) + reserve <= WIDTH || !breakable(e) {
                return flat;
            }
        }
        let inner = end.saturating_sub(1);
        match &e.kind {
            ExprKind::List(items) => {
                let children: Vec<Child> = items.iter().map(Child::Elem).collect();
                let open = e.span.start as usize + 1;
                let body = self.body(&children, Some(open), inner, indent + 2, ",", false);
                wrap("[", body, indent, "]")
            }
            ExprKind::Map(entries) => {
                let children: Vec<Child> = entries.iter().map(Child::Entry).collect();
                let open = e.span.start as usize + 1;
                let body = self.body(&children, Some(open), inner, indent + 2, ",", false);
                wrap("{", body, indent, "}")
            }
            ExprKind::Call { name, args } => {
                let paren = self.delim(name.span.end as usize, b'(');
                let between = self.inline_after(paren, indent);
                let children: Vec<Child> = args.iter().map(Child::Elem).collect();
                let body = self.body(&children, Some(paren + 1), inner, indent + 2, ",", false);
                format!("{}{between}{}", name.name, wrap("(", body, indent, ")"))
            }
            ExprKind::Str(parts) => flat::string(parts, |inner| self.interpolation(inner, indent)),
            // Atoms cannot hold comments.
            _ => flat::expr(e, self.src),
        }
    }

    /// `${expr}` holding comments: they stay inside the braces.
    fn interpolation(&mut self, e: &Expr, indent: usize) -> String {
        let before = self.inline_before(self.expr_anchor(e), indent);
        let text = self.expr(e, indent, indent, 0);
        let close = self.delim(e.span.end as usize, b'}');
        let after = self.inline_after(close, indent);
        format!("${{{before}{text}{after}}}")
    }

    /// Comments in the middle of a line, before the next token.
    fn inline_before(&mut self, limit: usize, indent: usize) -> String {
        let mut s = String::new();
        while let Some(c) = self.take_before(limit) {
            s.push_str(&c.text);
            s.push_str(&self.after_inline(&c.text, indent));
        }
        s
    }

    /// Comments in the middle of a line, after the previous token.
    fn inline_after(&mut self, limit: usize, indent: usize) -> String {
        let mut s = String::new();
        while let Some(c) = self.take_before(limit) {
            if !s.ends_with(' ') {
                s.push(' ');
            }
            s.push_str(&c.text);
            if is_line_comment(&c.text) {
                s.push_str(&self.after_inline(&c.text, indent));
            }
        }
        s
    }

    fn after_inline(&self, text: &str, indent: usize) -> String {
        if is_line_comment(text) {
            format!("\n{}", " ".repeat(indent + 2))
        } else {
            " ".into()
        }
    }
}

/// Whether a value has a multi-line form.
fn breakable(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::List(items) => !items.is_empty(),
        ExprKind::Map(entries) => !entries.is_empty(),
        ExprKind::Call { args, .. } => !args.is_empty(),
        _ => false,
    }
}

/// `open` + trailing comments, the rows one level deeper, then `close` at `indent`.
fn wrap(open: &str, body: Body, indent: usize, close: &str) -> String {
    let mut s = open.to_string();
    if !body.open_trailing.is_empty() {
        s.push_str("  ");
        s.push_str(&body.open_trailing.join(" "));
    }
    s.push('\n');
    let rows = render(&body.rows, indent + 2);
    if !rows.is_empty() {
        s.push_str(&rows);
        s.push('\n');
    }
    s.push_str(&" ".repeat(indent));
    s.push_str(close);
    s
}
