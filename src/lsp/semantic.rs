//! Semantic tokens (what each token is, from the syntax tree) and inlay
//! hints (each cluster's effective settings, from the checked model).

use super::analysis::Analysis;
use super::text::LineIndex;
use crate::syntax::kind::{SyntaxKind, SyntaxToken};
use std::path::Path;
use tower_lsp_server::ls_types as lsp;

/// The legend, in the order `kind_of` numbers them.
pub const TOKEN_TYPES: &[lsp::SemanticTokenType] = &[
    lsp::SemanticTokenType::COMMENT,
    lsp::SemanticTokenType::STRING,
    lsp::SemanticTokenType::NUMBER,
    lsp::SemanticTokenType::KEYWORD,
    lsp::SemanticTokenType::TYPE,
    lsp::SemanticTokenType::PROPERTY,
    lsp::SemanticTokenType::ENUM_MEMBER,
    lsp::SemanticTokenType::VARIABLE,
    lsp::SemanticTokenType::FUNCTION,
    lsp::SemanticTokenType::OPERATOR,
];

fn kind_of(t: &SyntaxToken) -> Option<u32> {
    let parent = t.parent()?.kind();
    Some(match (t.kind(), parent) {
        (SyntaxKind::COMMENT, _) => 0,
        (SyntaxKind::QUOTE | SyntaxKind::STRING_TEXT | SyntaxKind::ESCAPE, _) => {
            // a quoted key is a property, a quoted block or reference name a type's name
            let grand = t.parent()?.parent().map(|g| g.kind());
            match grand {
                Some(SyntaxKind::KEY) => 5,
                _ => 1,
            }
        }
        (SyntaxKind::NUMBER | SyntaxKind::QUANTITY, _) => 2,
        (SyntaxKind::IDENT, SyntaxKind::LITERAL) => 3,
        // `let` itself, then the name it declares
        (SyntaxKind::IDENT, SyntaxKind::LET) if t.parent()?.first_token().as_ref() == Some(t) => 3,
        (SyntaxKind::IDENT, SyntaxKind::LET) => 7,
        (SyntaxKind::IDENT, SyntaxKind::BLOCK) => 4,
        (SyntaxKind::IDENT, SyntaxKind::KEY) => 5,
        (SyntaxKind::IDENT, SyntaxKind::WORD) => 6,
        (SyntaxKind::IDENT, SyntaxKind::REFERENCE) => {
            if t.prev_token().is_some_and(|p| p.kind() == SyntaxKind::DOT) {
                7
            } else {
                4
            }
        }
        (SyntaxKind::IDENT, SyntaxKind::CALL) => 8,
        (
            SyntaxKind::INTERP_START | SyntaxKind::INTERP_END | SyntaxKind::EQ | SyntaxKind::COLON,
            _,
        ) => 9,
        _ => return None,
    })
}

impl Analysis {
    pub fn semantic_tokens(&self, path: &Path) -> Vec<lsp::SemanticToken> {
        let Some(file) = self.file(path) else {
            return Vec::new();
        };
        let idx = LineIndex::new(&file.text);
        let mut out = Vec::new();
        let (mut last_line, mut last_col) = (0u32, 0u32);
        for t in file
            .parse
            .syntax()
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
        {
            let Some(kind) = kind_of(&t) else { continue };
            let start: usize = t.text_range().start().into();
            // tokens may not span lines: one per line of a block comment
            let mut at = start;
            for piece in t.text().split_inclusive('\n') {
                let text = piece.trim_end_matches('\n');
                if !text.is_empty() {
                    let p = idx.position(at);
                    let length = text.encode_utf16().count() as u32;
                    let delta_line = p.line - last_line;
                    let delta_start = if delta_line == 0 {
                        p.character - last_col
                    } else {
                        p.character
                    };
                    out.push(lsp::SemanticToken {
                        delta_line,
                        delta_start,
                        length,
                        token_type: kind,
                        token_modifiers_bitset: 0,
                    });
                    (last_line, last_col) = (p.line, p.character);
                }
                at += piece.len();
            }
        }
        out
    }

    /// After each cluster's `{`: what it builds, as checked (its driver,
    /// node counts, flavor and label count), defaults and template included.
    pub fn inlay_hints(&self, path: &Path) -> Vec<lsp::InlayHint> {
        let Some(file) = self.file(path) else {
            return Vec::new();
        };
        let idx = LineIndex::new(&file.text);
        let mut out = Vec::new();
        for cluster in &self.checked.model.clusters {
            if cluster.span.file != file.id {
                continue;
            }
            let Some(eff) = &cluster.effective else {
                continue;
            };
            let start = cluster.span.start as usize;
            let Some(brace) = file.text[start..].find('{').map(|i| start + i + 1) else {
                continue;
            };
            let mut parts = Vec::new();
            if let Some(d) = &eff.driver {
                parts.push(d.clone());
            }
            parts.push(format!(
                "{} master{}",
                eff.master_count.value,
                if eff.master_count.value == 1 { "" } else { "s" }
            ));
            parts.push(format!(
                "{} worker{}",
                eff.node_count.value,
                if eff.node_count.value == 1 { "" } else { "s" }
            ));
            if let Some(f) = &eff.flavor {
                parts.push(f.value.clone());
            }
            parts.push(format!("{} labels", eff.labels.len()));
            out.push(lsp::InlayHint {
                position: idx.position(brace),
                label: lsp::InlayHintLabel::String(format!(" {}", parts.join(", "))),
                kind: None,
                text_edits: None,
                tooltip: Some(lsp::InlayHintTooltip::String(format!(
                    "the cluster as checked, with its template and defaults; Heat stack `{}`",
                    eff.stack_name
                ))),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            });
        }
        out
    }
}
