//! Source text → lossless syntax tree → spanned AST. Knows nothing of
//! clusters, drivers or Heat.
//!
//! `lexer` cuts the text into tokens, `parser` builds the rowan tree around
//! them (recovering from every error), `lower` reads the AST out of it, and
//! `literal` gives numbers, units and escapes their values. `reference` is
//! the pest grammar, kept as the language's reference and held to agreement
//! with the parser by tests.

pub mod ast;
mod grammar;
pub mod kind;
mod lexer;
mod literal;
mod lower;
mod parser;
pub mod reference;

pub use literal::parse_duration;
pub use parser::MAX_DEPTH;
pub use reference::pest_only;

use crate::diag::Diagnostic;
use crate::source::FileId;
use kind::SyntaxNode;

/// The result of parsing one file: always a tree, plus what went wrong.
#[derive(Debug)]
pub struct Parse {
    pub file: ast::File,
    pub diagnostics: Vec<Diagnostic>,
    /// The lossless tree (every byte of the text, errors included).
    pub green: rowan::GreenNode,
    /// How many of the diagnostics are the grammar's (the text is not the
    /// language); the rest judge literals (escapes, units, ranges).
    pub grammar_errors: usize,
}

impl Parse {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn syntax(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }
}

/// Parses a whole file. Never fails: each error becomes a diagnostic and
/// costs only the smallest construct around it.
pub fn parse(file: FileId, text: &str) -> Parse {
    let tree = parser::parse_tree(file, text);
    let root = SyntaxNode::new_root(tree.green.clone());
    let mut diagnostics = tree.diagnostics.clone();
    let mut ast = lower::lower(file, &root, &tree.diagnostics, &mut diagnostics);
    ast.comments = tree
        .comments
        .iter()
        .map(|r| ast::Comment {
            span: crate::source::Span::new(file, r.start, r.end),
            text: text[r.clone()].to_string(),
        })
        .collect();
    diagnostics.sort_by_key(|d| d.primary.span.start);
    Parse {
        file: ast,
        diagnostics,
        green: tree.green,
        grammar_errors: tree.diagnostics.len(),
    }
}
