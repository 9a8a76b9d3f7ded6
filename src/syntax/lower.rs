//! Lossless tree → spanned AST: what the checker and the formatter read.
//! Whatever the parser could not make whole (an attribute without a value,
//! a value that is not one) is left out of the AST, and the block around it
//! is marked `recovered` so that the checker does not report its absence.

use super::ast::*;
use super::kind::SyntaxKind::{self, *};
use super::kind::{SyntaxNode, SyntaxToken};
use super::literal;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};

pub fn lower(
    file: FileId,
    root: &SyntaxNode,
    errors: &[Diagnostic],
    diagnostics: &mut Vec<Diagnostic>,
) -> File {
    let mut l = Lower {
        file,
        errors: {
            let mut spans: Vec<(u32, u32)> = errors
                .iter()
                .map(|d| (d.primary.span.start, d.primary.span.end))
                .collect();
            spans.sort_unstable();
            spans
        },
        diagnostics,
    };
    let mut out = File::default();
    for node in root.children() {
        match node.kind() {
            LET => {
                if let Some(item) = l.let_decl(&node) {
                    out.items.push(Item::Let(item));
                }
            }
            BLOCK => {
                if let Some(b) = l.block(&node) {
                    out.items.push(Item::Block(b));
                }
            }
            _ => {}
        }
    }
    out
}

struct Lower<'d> {
    file: FileId,
    /// Where the parser reported errors, to mark the blocks around them.
    errors: Vec<(u32, u32)>,
    diagnostics: &'d mut Vec<Diagnostic>,
}

fn tokens(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    node.children_with_tokens().filter_map(|e| e.into_token())
}

fn first_token(node: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxToken> {
    tokens(node).find(|t| t.kind() == kind)
}

fn is_value(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        STRING | LITERAL | WORD | REFERENCE | CALL | LIST | MAP
    )
}

impl Lower<'_> {
    fn span(&self, node: &SyntaxNode) -> Span {
        let r = node.text_range();
        Span::new(self.file, r.start().into(), r.end().into())
    }

    fn token_span(&self, t: &SyntaxToken) -> Span {
        let r = t.text_range();
        Span::new(self.file, r.start().into(), r.end().into())
    }

    fn ident(&self, t: &SyntaxToken) -> Ident {
        Ident {
            name: t.text().to_string(),
            span: self.token_span(t),
        }
    }

    fn has_error_in(&self, span: Span) -> bool {
        // `errors` is sorted by start: look only at those starting inside.
        let from = self.errors.partition_point(|&(s, _)| s < span.start);
        self.errors[from..]
            .iter()
            .take_while(|&&(s, _)| s <= span.end)
            .any(|&(_, e)| e <= span.end)
    }

    fn let_decl(&mut self, node: &SyntaxNode) -> Option<Let> {
        let mut idents = tokens(node).filter(|t| t.kind() == IDENT);
        let _kw = idents.next()?;
        let name = self.ident(&idents.next()?);
        let value = self.value_of(node)?;
        Some(Let {
            name,
            value,
            span: self.span(node),
        })
    }

    /// The value child of an attribute, `let` or interpolation.
    fn value_of(&mut self, node: &SyntaxNode) -> Option<Expr> {
        let child = node.children().find(|c| is_value(c.kind()))?;
        self.expr(&child)
    }

    fn block(&mut self, node: &SyntaxNode) -> Option<Block> {
        let kind = self.ident(&first_token(node, IDENT)?);
        let name = node
            .children()
            .find(|c| c.kind() == STRING)
            .map(|s| self.plain_string(&s));
        let span = self.span(node);
        let mut recovered = self.has_error_in(span);
        let mut body = Vec::new();
        for child in node.children() {
            match child.kind() {
                ATTRIBUTE => match self.attribute(&child) {
                    Some(a) => body.push(BodyItem::Attribute(a)),
                    None => recovered = true,
                },
                BLOCK => match self.block(&child) {
                    Some(b) => body.push(BodyItem::Block(Box::new(b))),
                    None => recovered = true,
                },
                ERROR => recovered = true,
                _ => {}
            }
        }
        Some(Block {
            kind,
            name,
            body,
            span,
            recovered,
        })
    }

    fn attribute(&mut self, node: &SyntaxNode) -> Option<Attribute> {
        let key_node = node.children().find(|c| c.kind() == KEY)?;
        let key = match key_node.children().find(|c| c.kind() == STRING) {
            Some(s) => {
                let s = self.plain_string(&s);
                Key {
                    name: s.value,
                    span: s.span,
                    quoted: true,
                }
            }
            None => {
                let id = self.ident(&first_token(&key_node, IDENT)?);
                Key {
                    name: id.name,
                    span: id.span,
                    quoted: false,
                }
            }
        };
        let value = self.value_of(node)?;
        Some(Attribute {
            key,
            value,
            span: self.span(node),
        })
    }

    /// A string that may not interpolate (block names, keys).
    fn plain_string(&mut self, node: &SyntaxNode) -> StrLit {
        let span = self.span(node);
        let mut value = String::new();
        for part in self.string_parts(node) {
            match part {
                StrPart::Text(t) => value.push_str(&t),
                StrPart::Interp(e) => self.diagnostics.push(
                    Diagnostic::new(Code(1), e.span, "interpolation is not allowed in names")
                        .with_label("not allowed here")
                        .with_help("write the name literally; escape a literal `${` as `\\${`"),
                ),
            }
        }
        StrLit { value, span }
    }

    fn string_parts(&mut self, node: &SyntaxNode) -> Vec<StrPart> {
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = literal::push_text;
        for element in node.children_with_tokens() {
            match element {
                rowan::NodeOrToken::Token(t) if t.kind() == STRING_TEXT => {
                    push_text(&mut parts, t.text())
                }
                rowan::NodeOrToken::Token(t) if t.kind() == ESCAPE => {
                    match literal::unescape(t.text()) {
                        Ok(c) => push_text(&mut parts, c.encode_utf8(&mut [0; 4])),
                        Err(why) => self.diagnostics.push(literal::unknown_escape(
                            t.text(),
                            self.token_span(&t),
                            why,
                        )),
                    }
                }
                rowan::NodeOrToken::Node(n) if n.kind() == INTERPOLATION => {
                    if let Some(e) = self.value_of(&n) {
                        parts.push(StrPart::Interp(Box::new(e)));
                    }
                }
                _ => {}
            }
        }
        parts
    }

    fn expr(&mut self, node: &SyntaxNode) -> Option<Expr> {
        let span = self.span(node);
        let kind = match node.kind() {
            STRING => ExprKind::Str(self.string_parts(node)),
            LITERAL => {
                let t = tokens(node).find(|t| !t.kind().is_trivia())?;
                match t.kind() {
                    NUMBER => literal::number(t.text(), span, self.diagnostics),
                    QUANTITY => literal::quantity(t.text(), span, self.diagnostics),
                    _ => ExprKind::Bool(t.text() == "true"),
                }
            }
            WORD => ExprKind::Ident(first_token(node, IDENT)?.text().to_string()),
            REFERENCE => {
                let mut parts = Vec::new();
                for element in node.children_with_tokens() {
                    match element {
                        rowan::NodeOrToken::Token(t) if t.kind() == IDENT => {
                            parts.push(self.ident(&t))
                        }
                        rowan::NodeOrToken::Node(n) if n.kind() == STRING => {
                            let s = self.plain_string(&n);
                            parts.push(Ident {
                                name: s.value,
                                span: s.span,
                            });
                        }
                        _ => {}
                    }
                }
                if parts.len() < 2 {
                    return None;
                }
                ExprKind::Ref(parts)
            }
            CALL => {
                let name = self.ident(&first_token(node, IDENT)?);
                let list = node.children().find(|c| c.kind() == ARG_LIST)?;
                let args = self.values(&list)?;
                ExprKind::Call {
                    name: Box::new(name),
                    args,
                }
            }
            LIST => ExprKind::List(self.values(node)?),
            MAP => {
                let mut entries = Vec::new();
                for child in node.children() {
                    match child.kind() {
                        ATTRIBUTE => entries.push(self.attribute(&child)?),
                        ERROR => return None,
                        _ => {}
                    }
                }
                ExprKind::Map(entries)
            }
            _ => return None,
        };
        Some(Expr { kind, span })
    }

    /// The values of a list or argument list; `None` if one is broken.
    fn values(&mut self, node: &SyntaxNode) -> Option<Vec<Expr>> {
        let mut out = Vec::new();
        for child in node.children() {
            if child.kind() == ERROR {
                return None;
            }
            if is_value(child.kind()) {
                out.push(self.expr(&child)?);
            }
        }
        Some(out)
    }
}
