//! The pest grammar (`grammar/coe.pest`) as the reference of the language:
//! it parses a whole file or rejects it, and a valid file is lowered to the
//! same AST the recursive-descent parser builds. Tests hold the two to
//! agreement on every example and fixture; the benchmark times pest alone.
//! The parser coe runs is `parser.rs`: pest stops at the first error, and an
//! editor needs a tree around every error.

use super::ast::*;
use super::grammar::{CoeParser, Rule};
use super::literal;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::Parser;
use pest::iterators::Pair;

/// The AST of a file pest accepts (comments left out), or `None`.
pub fn parse_reference(file: FileId, text: &str) -> Option<File> {
    let mut pairs = CoeParser::parse(Rule::file, text).ok()?;
    let mut diagnostics = Vec::new();
    let mut lower = Lower {
        file,
        offset: 0,
        diagnostics: &mut diagnostics,
    };
    let mut out = File::default();
    for pair in pairs.next().expect("file rule").into_inner() {
        match pair.as_rule() {
            Rule::let_decl => out.items.push(Item::Let(lower.let_decl(pair))),
            Rule::block => out.items.push(Item::Block(lower.block(pair))),
            _ => {}
        }
    }
    Some(out)
}

/// Whether pest accepts `text`, building nothing: the benchmark's baseline.
pub fn pest_only(text: &str) -> bool {
    CoeParser::parse(Rule::file, text).is_ok()
}

struct Lower<'d> {
    file: FileId,
    offset: usize,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Lower<'_> {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            span: self.span(&pair),
            name: pair.as_str().to_string(),
        }
    }

    fn let_decl(&mut self, pair: Pair<Rule>) -> Let {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let _kw = inner.next();
        let name = self.ident(inner.next().expect("let name"));
        let value = self.expr(inner.next().expect("let value"));
        Let { name, value, span }
    }

    fn block(&mut self, pair: Pair<Rule>) -> Block {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().peekable();
        let kind = self.ident(inner.next().expect("block kind"));
        let mut name = None;
        if inner.peek().map(|p| p.as_rule()) == Some(Rule::block_name) {
            let string = inner
                .next()
                .unwrap()
                .into_inner()
                .next()
                .expect("name string");
            name = Some(self.plain_string(string));
        }
        let body = inner
            .map(|p| match p.as_rule() {
                Rule::attribute => BodyItem::Attribute(self.attribute(p)),
                _ => BodyItem::Block(Box::new(self.block(p))),
            })
            .collect();
        Block {
            kind,
            name,
            body,
            span,
            recovered: false,
        }
    }

    fn attribute(&mut self, pair: Pair<Rule>) -> Attribute {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let key = self.key(inner.next().expect("key"));
        let value = self.expr(inner.next().expect("value"));
        Attribute { key, value, span }
    }

    fn key(&mut self, pair: Pair<Rule>) -> Key {
        match pair.as_rule() {
            Rule::string => {
                let s = self.plain_string(pair);
                Key {
                    name: s.value,
                    span: s.span,
                    quoted: true,
                }
            }
            _ => {
                let id = self.ident(pair);
                Key {
                    name: id.name,
                    span: id.span,
                    quoted: false,
                }
            }
        }
    }

    /// A string that may not interpolate (block names, keys).
    fn plain_string(&mut self, pair: Pair<Rule>) -> StrLit {
        let span = self.span(&pair);
        let parts = self.string_parts(pair);
        let mut value = String::new();
        for part in parts {
            match part {
                StrPart::Text(t) => value.push_str(&t),
                StrPart::Interp(e) => {
                    self.diagnostics.push(
                        Diagnostic::new(Code(1), e.span, "interpolation is not allowed in names")
                            .with_label("not allowed here")
                            .with_help("write the name literally; escape a literal `${` as `\\${`"),
                    );
                }
            }
        }
        StrLit { value, span }
    }

    fn string_parts(&mut self, pair: Pair<Rule>) -> Vec<StrPart> {
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = literal::push_text;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::string_text => push_text(&mut parts, p.as_str()),
                Rule::escape => {
                    let span = self.span(&p);
                    match literal::unescape(p.as_str()) {
                        Ok(c) => push_text(&mut parts, c.encode_utf8(&mut [0; 4])),
                        Err(why) => {
                            self.diagnostics
                                .push(literal::unknown_escape(p.as_str(), span, why))
                        }
                    }
                }
                Rule::interpolation => {
                    let expr = p.into_inner().next().expect("interpolated expr");
                    parts.push(StrPart::Interp(Box::new(self.expr(expr))));
                }
                _ => {}
            }
        }
        parts
    }

    fn expr(&mut self, pair: Pair<Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string => ExprKind::Str(self.string_parts(pair)),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::number => literal::number(pair.as_str(), span, self.diagnostics),
            Rule::quantity => literal::quantity(pair.as_str(), span, self.diagnostics),
            Rule::ident => ExprKind::Ident(pair.as_str().to_string()),
            Rule::reference => {
                let parts = pair
                    .into_inner()
                    .map(|p| match p.as_rule() {
                        Rule::string => {
                            let s = self.plain_string(p);
                            Ident {
                                name: s.value,
                                span: s.span,
                            }
                        }
                        _ => self.ident(p),
                    })
                    .collect();
                ExprKind::Ref(parts)
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let name = self.ident(inner.next().expect("call name"));
                let args = inner.map(|p| self.expr(p)).collect();
                ExprKind::Call {
                    name: Box::new(name),
                    args,
                }
            }
            Rule::list => ExprKind::List(pair.into_inner().map(|p| self.expr(p)).collect()),
            Rule::map => ExprKind::Map(
                pair.into_inner()
                    .map(|entry| {
                        let span = self.span(&entry);
                        let mut inner = entry.into_inner();
                        let key = self.key(inner.next().expect("map key"));
                        let value = self.expr(inner.next().expect("map value"));
                        Attribute { key, value, span }
                    })
                    .collect(),
            ),
            other => unreachable!("expr rule {other:?}"),
        };
        Expr { kind, span }
    }
}
