//! Evaluates expressions: substitutes `let` constants, interpolates strings.
//! A bare word that names no constant is an enum member, checked later.

use super::value::{Val, Value};
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{Expr, ExprKind, Let, StrPart};
use std::collections::HashMap;

enum State {
    Pending,
    Visiting,
    /// The value, and its size (see [`size`]).
    Done(Val, usize),
    /// Its value had an error, already reported; uses of it report nothing more.
    Failed,
}

/// How many constants one may be defined through, in a row: evaluation
/// follows the chain recursively, and this keeps it within its stack.
pub const MAX_CHAIN: usize = 64;

/// The largest value one constant may have (string bytes plus one per
/// list, map or call element), and the most all uses of constants may copy
/// in one check. Without them `let a = "${b}${b}"`, 40 deep, asks for a
/// terabyte from a kilobyte of text.
pub const MAX_VALUE_SIZE: usize = 1 << 20;
pub const MAX_EXPANSION: usize = 256 << 20;

/// A value's size, as [`MAX_VALUE_SIZE`] counts it.
fn size(v: &Val) -> usize {
    match &v.value {
        Value::Str(s) | Value::Member(s) => s.len(),
        Value::Ref(parts) => parts.iter().map(String::len).sum(),
        Value::List(items) => items.iter().map(|i| 1 + size(i)).sum(),
        Value::Call(_, args) => args.iter().map(|a| 1 + size(a)).sum(),
        Value::Map(entries) => entries.iter().map(|(k, _, v)| 1 + k.len() + size(v)).sum(),
        _ => 8,
    }
}

/// All `let` constants of a configuration (they are global across its files).
pub struct Constants<'a> {
    decls: HashMap<&'a str, &'a Let>,
    state: HashMap<&'a str, State>,
    /// Constants being evaluated, outermost first, to name a cycle's members.
    stack: Vec<&'a str>,
    /// In rule tables a bare word is a name, never a constant, so a user's
    /// constant cannot rewrite the stdlib.
    words_are_names: bool,
    /// Bytes of constant values handed out so far ([`MAX_EXPANSION`]).
    expanded: usize,
    over_budget: bool,
}

/// COE0116: a constant's value, or all of them together, too large.
fn too_large(span: Span, message: String, label: &str) -> Diagnostic {
    Diagnostic::new(Code(116), span, message)
        .with_label(label)
        .with_help(
            "a constant that uses another one twice is twice its size: use each constant once in a value, or write the value out",
        )
}

impl<'a> Constants<'a> {
    /// Collects constants; a name defined twice is reported once per extra definition.
    pub fn new(lets: impl IntoIterator<Item = &'a Let>, diags: &mut Vec<Diagnostic>) -> Self {
        let mut decls: HashMap<&str, &Let> = HashMap::new();
        for l in lets {
            if let Some(first) = decls.get(l.name.name.as_str()) {
                diags.push(
                    Diagnostic::new(
                        Code(104),
                        l.name.span,
                        format!("constant `{}` is defined twice", l.name.name),
                    )
                    .with_label("defined again here")
                    .with_secondary(first.name.span, "first defined here")
                    .with_help("rename one of the constants or remove the duplicate"),
                );
                continue;
            }
            decls.insert(&l.name.name, l);
        }
        let state = decls.keys().map(|k| (*k, State::Pending)).collect();
        Constants {
            decls,
            state,
            stack: Vec::new(),
            words_are_names: false,
            expanded: 0,
            over_budget: false,
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &&'a Let> {
        self.decls.values()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.decls.contains_key(name)
    }

    /// Switches table mode on (bare words stay names) or off.
    pub fn set_words_are_names(&mut self, on: bool) {
        self.words_are_names = on;
    }

    /// Evaluates every constant, so cycles and errors in unused ones are reported too.
    pub fn eval_all(&mut self, diags: &mut Vec<Diagnostic>) {
        let mut names: Vec<&'a str> = self.decls.keys().copied().collect();
        names.sort_unstable();
        for n in names {
            self.constant(n, None, diags);
        }
    }

    fn constant(
        &mut self,
        name: &str,
        used_at: Option<Span>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Val> {
        let (key, decl) = self.decls.get_key_value(name).map(|(k, d)| (*k, *d))?;
        match self.state.get(key) {
            Some(State::Done(v, weight)) => {
                self.expanded += weight;
                if self.expanded > MAX_EXPANSION {
                    if !self.over_budget {
                        self.over_budget = true;
                        diags.push(too_large(
                            used_at.unwrap_or(decl.name.span),
                            format!(
                                "the uses of constants copy more than {} MiB of values in all",
                                MAX_EXPANSION >> 20
                            ),
                            "the budget runs out here",
                        ));
                    }
                    return None;
                }
                return Some(v.clone());
            }
            Some(State::Failed) => return None,
            Some(State::Visiting) => {
                let through: Vec<String> = self
                    .stack
                    .iter()
                    .skip_while(|n| **n != key)
                    .skip(1)
                    .map(|n| format!("`{n}`"))
                    .collect();
                let message = if through.is_empty() {
                    format!("constant `{name}` refers to itself")
                } else {
                    format!(
                        "constant `{name}` refers to itself through {}",
                        through.join(", ")
                    )
                };
                let mut d = Diagnostic::new(Code(109), used_at.unwrap_or(decl.name.span), message)
                    .with_label("used here while it is being defined")
                    .with_secondary(decl.name.span, "defined here")
                    .with_help("break the cycle by writing one of the values literally");
                d.secondary.dedup();
                diags.push(d);
                return None;
            }
            _ => {}
        }
        if self.stack.len() >= MAX_CHAIN {
            let outer = self.stack.first().copied().unwrap_or(key);
            diags.push(
                Diagnostic::new(
                    Code(115),
                    used_at.unwrap_or(decl.name.span),
                    format!(
                        "constant `{outer}` is defined through more than {MAX_CHAIN} other constants in a row"
                    ),
                )
                .with_label(format!("`{name}` is {MAX_CHAIN} constants down"))
                .with_help("write one of the values in the chain literally"),
            );
            // The constants above it on the chain fail with it, unreported.
            self.state.insert(key, State::Failed);
            return None;
        }
        self.state.insert(key, State::Visiting);
        self.stack.push(key);
        let v = self.eval(&decl.value, diags);
        self.stack.pop();
        let weight = v.as_ref().map_or(0, size);
        if weight > MAX_VALUE_SIZE {
            diags.push(too_large(
                decl.name.span,
                format!(
                    "constant `{name}` would be {weight} bytes long, more than {} MiB",
                    MAX_VALUE_SIZE >> 20
                ),
                "defined here",
            ));
            self.state.insert(key, State::Failed);
            return None;
        }
        let state = match &v {
            Some(v) => State::Done(v.clone(), weight),
            None => State::Failed,
        };
        self.state.insert(key, state);
        v
    }

    /// Evaluates an expression. Errors are reported and give `None`.
    pub fn eval(&mut self, expr: &Expr, diags: &mut Vec<Diagnostic>) -> Option<Val> {
        let span = expr.span;
        let value = match &expr.kind {
            ExprKind::Str(parts) => Value::Str(self.interpolate(parts, diags)?),
            ExprKind::Int(n) => Value::Int(*n),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Size { bytes, unit } => Value::Size {
                bytes: *bytes,
                unit: *unit,
            },
            ExprKind::Duration(s) => Value::Duration(*s),
            ExprKind::Ident(name) => {
                if self.contains(name) && !self.words_are_names {
                    let v = self.constant(name, Some(span), diags)?;
                    // The value keeps the span where it is used.
                    return Some(Val::new(v.value, span));
                }
                Value::Member(name.clone())
            }
            ExprKind::Ref(parts) => Value::Ref(parts.iter().map(|p| p.name.clone()).collect()),
            ExprKind::Call { name, args } => {
                let mut out = Vec::with_capacity(args.len());
                for a in args {
                    out.push(self.eval(a, diags)?);
                }
                Value::Call(name.name.clone(), out)
            }
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for i in items {
                    match self.eval(i, diags) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Value::List(out)
            }
            ExprKind::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for e in entries {
                    let v = self.eval(&e.value, diags)?;
                    out.push((e.key.name.clone(), e.key.span, v));
                }
                Value::Map(out)
            }
        };
        Some(Val::new(value, span))
    }

    fn interpolate(&mut self, parts: &[StrPart], diags: &mut Vec<Diagnostic>) -> Option<String> {
        let mut out = String::new();
        let mut ok = true;
        for part in parts {
            match part {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(e) => match self.interpolated(e, diags) {
                    Some(s) => out.push_str(&s),
                    None => ok = false,
                },
            }
        }
        ok.then_some(out)
    }

    fn interpolated(&mut self, e: &Expr, diags: &mut Vec<Diagnostic>) -> Option<String> {
        if let ExprKind::Ident(name) = &e.kind
            && !self.contains(name)
        {
            let mut d = Diagnostic::new(Code(108), e.span, format!("no constant named `{name}`"))
                .with_label("not defined");
            let names: Vec<&str> = self.decls.keys().copied().collect();
            if let Some(best) = crate::diag::did_you_mean(name, names) {
                d = d.with_fix(format!("did you mean `{best}`?"), e.span, best);
            } else {
                d = d.with_help(format!("define it with `let {name} = \"...\"`"));
            }
            diags.push(d);
            return None;
        }
        let v = match &e.kind {
            // Inside `${...}` a word is always a constant, in tables too.
            ExprKind::Ident(name) => self.constant(name, Some(e.span), diags)?,
            _ => self.eval(e, diags)?,
        };
        match &v.value {
            Value::Str(s) | Value::Member(s) => Some(s.clone()),
            Value::Int(n) => Some(n.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                diags.push(
                    Diagnostic::new(
                        Code(209),
                        e.span,
                        format!("cannot interpolate {} into a string", other.describe()),
                    )
                    .with_label(format!("this is {}", other.describe()))
                    .with_help("only strings, numbers and booleans can appear inside `${...}`; write a list as the text it should become, e.g. `\"a,b\"`"),
                );
                None
            }
        }
    }
}
