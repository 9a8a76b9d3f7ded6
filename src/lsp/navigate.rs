//! Names across the configuration: where a block or `let` is declared,
//! where it is used, renaming both, and the outline and folds of a file.

use super::analysis::{Analysis, FileData, reference_parts, uri_of};
use super::text::LineIndex;
use crate::syntax::kind::{SyntaxKind, SyntaxNode, SyntaxToken};
use std::collections::HashMap;
use std::path::Path;
use tower_lsp_server::ls_types as lsp;

/// What a name under the cursor stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Block { kind: String, name: String },
    Let(String),
}

/// One place a target's name is written: the byte range of the name alone.
struct Occurrence<'a> {
    file: &'a FileData,
    range: (usize, usize),
}

impl Analysis {
    /// The target under the cursor: a reference, a block's name, a `let`'s
    /// name or a bare word naming a `let`.
    pub fn target_at(&self, path: &Path, offset: usize) -> Option<Target> {
        let token = self.token_at(path, offset)?;
        for node in token.parent_ancestors() {
            match node.kind() {
                SyntaxKind::REFERENCE => {
                    let (kind, name) = reference_parts(&node)?;
                    return Some(Target::Block { kind, name });
                }
                SyntaxKind::WORD => return Some(Target::Let(token.text().to_string())),
                SyntaxKind::LET => {
                    let name = idents(&node).nth(1)?;
                    return (name == token).then(|| Target::Let(name.text().to_string()));
                }
                SyntaxKind::STRING => {
                    // a block's name
                    let block = node.parent().filter(|p| p.kind() == SyntaxKind::BLOCK)?;
                    let kind = idents(&block).next()?.text().to_string();
                    return Some(Target::Block {
                        kind,
                        name: string_text(&node),
                    });
                }
                SyntaxKind::ATTRIBUTE | SyntaxKind::BLOCK => return None,
                _ => {}
            }
        }
        None
    }

    /// Where the target is declared: its name's range.
    fn declaration(&self, target: &Target) -> Option<Occurrence<'_>> {
        for file in &self.files {
            for node in file.parse.syntax().children() {
                match (target, node.kind()) {
                    (Target::Let(name), SyntaxKind::LET) => {
                        let t = idents(&node).nth(1)?;
                        if t.text() == name {
                            return Some(Occurrence {
                                file,
                                range: token_range(&t),
                            });
                        }
                    }
                    (Target::Block { kind, name }, SyntaxKind::BLOCK) => {
                        if idents(&node).next().is_some_and(|k| k.text() == kind)
                            && let Some(s) =
                                node.children().find(|c| c.kind() == SyntaxKind::STRING)
                            && string_text(&s) == *name
                        {
                            return Some(Occurrence {
                                file,
                                range: inner_range(&s),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// Every use of the target (not its declaration).
    fn uses(&self, target: &Target) -> Vec<Occurrence<'_>> {
        let mut out = Vec::new();
        for file in &self.files {
            for node in file.parse.syntax().descendants() {
                match (target, node.kind()) {
                    (Target::Block { kind, name }, SyntaxKind::REFERENCE)
                        if reference_parts(&node)
                            .is_some_and(|(k, n)| &k == kind && &n == name) =>
                    {
                        // the name part: the last IDENT or STRING child
                        let last = node
                            .children_with_tokens()
                            .filter(|e| matches!(e.kind(), SyntaxKind::IDENT | SyntaxKind::STRING))
                            .last();
                        if let Some(e) = last {
                            let range = match e {
                                rowan::NodeOrToken::Token(t) => token_range(&t),
                                rowan::NodeOrToken::Node(n) => inner_range(&n),
                            };
                            out.push(Occurrence { file, range });
                        }
                    }
                    (Target::Let(name), SyntaxKind::WORD) => {
                        if let Some(t) = idents(&node).next()
                            && t.text() == name
                        {
                            out.push(Occurrence {
                                file,
                                range: token_range(&t),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }

    pub fn definition(&self, path: &Path, offset: usize) -> Option<lsp::Location> {
        let target = self.target_at(path, offset)?;
        location(&self.declaration(&target)?)
    }

    pub fn references(
        &self,
        path: &Path,
        offset: usize,
        with_declaration: bool,
    ) -> Vec<lsp::Location> {
        let Some(target) = self.target_at(path, offset) else {
            return Vec::new();
        };
        let mut all = self.uses(&target);
        if with_declaration && let Some(d) = self.declaration(&target) {
            all.insert(0, d);
        }
        all.iter().filter_map(location).collect()
    }

    /// The edits that rename the target everywhere, or why not.
    pub fn rename(
        &self,
        path: &Path,
        offset: usize,
        new_name: &str,
    ) -> Result<lsp::WorkspaceEdit, String> {
        let target = self.target_at(path, offset).ok_or(
            "nothing to rename here: put the cursor on a block's name, a reference or a `let`",
        )?;
        let valid = match target {
            Target::Let(_) => {
                new_name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && new_name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            }
            Target::Block { .. } => {
                !new_name.is_empty() && !new_name.contains(['"', '\\', '\n', '$'])
            }
        };
        if !valid {
            return Err(format!("`{new_name}` is not a valid name here"));
        }
        let decl = self
            .declaration(&target)
            .ok_or("the declaration is not in this configuration")?;
        let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for occ in std::iter::once(decl).chain(self.uses(&target)) {
            let Some(uri) = uri_of(&occ.file.path) else {
                continue;
            };
            // a reference written as a bare name must stay one
            let quoted_needed = matches!(target, Target::Block { .. })
                && !is_ident(new_name)
                && occ.file.text[..occ.range.0].ends_with('.');
            let text = if quoted_needed {
                format!("\"{new_name}\"")
            } else {
                new_name.to_string()
            };
            let idx = LineIndex::new(&occ.file.text);
            changes.entry(uri).or_default().push(lsp::TextEdit {
                range: idx.range(occ.range.0, occ.range.1),
                new_text: text,
            });
        }
        Ok(lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        })
    }

    /// The file's outline: `let`s and blocks, nested blocks inside.
    pub fn symbols(&self, path: &Path) -> Vec<lsp::DocumentSymbol> {
        let Some(file) = self.file(path) else {
            return Vec::new();
        };
        let idx = LineIndex::new(&file.text);
        file.parse
            .syntax()
            .children()
            .filter_map(|n| symbol(&idx, &n))
            .collect()
    }

    /// Folds: multi-line blocks, lists, maps and comments.
    pub fn folding(&self, path: &Path) -> Vec<lsp::FoldingRange> {
        let Some(file) = self.file(path) else {
            return Vec::new();
        };
        let idx = LineIndex::new(&file.text);
        let mut out = Vec::new();
        let mut fold = |start: usize, end: usize, kind: Option<lsp::FoldingRangeKind>| {
            let (a, b) = (idx.position(start), idx.position(end));
            if b.line > a.line {
                out.push(lsp::FoldingRange {
                    start_line: a.line,
                    end_line: b.line,
                    kind,
                    ..Default::default()
                });
            }
        };
        for e in file.parse.syntax().descendants_with_tokens() {
            let r = e.text_range();
            match e.kind() {
                SyntaxKind::BLOCK | SyntaxKind::LIST | SyntaxKind::MAP => {
                    fold(r.start().into(), r.end().into(), None)
                }
                SyntaxKind::COMMENT => fold(
                    r.start().into(),
                    r.end().into(),
                    Some(lsp::FoldingRangeKind::Comment),
                ),
                _ => {}
            }
        }
        out
    }
}

fn symbol(idx: &LineIndex, node: &SyntaxNode) -> Option<lsp::DocumentSymbol> {
    let range = node.text_range();
    let range = idx.range(range.start().into(), range.end().into());
    match node.kind() {
        SyntaxKind::LET => {
            let name = idents(node).nth(1)?;
            let r = token_range(&name);
            #[allow(deprecated)]
            Some(lsp::DocumentSymbol {
                name: name.text().to_string(),
                detail: Some("let".into()),
                kind: lsp::SymbolKind::CONSTANT,
                tags: None,
                deprecated: None,
                range,
                selection_range: idx.range(r.0, r.1),
                children: None,
            })
        }
        SyntaxKind::BLOCK => {
            let kind = idents(node).next()?;
            let name = node.children().find(|c| c.kind() == SyntaxKind::STRING);
            let (label, sel) = match &name {
                Some(s) => (string_text(s), inner_range(s)),
                None => (kind.text().to_string(), token_range(&kind)),
            };
            let children: Vec<lsp::DocumentSymbol> = node
                .children()
                .filter(|c| c.kind() == SyntaxKind::BLOCK)
                .filter_map(|c| symbol(idx, &c))
                .collect();
            #[allow(deprecated)]
            Some(lsp::DocumentSymbol {
                name: if label.is_empty() {
                    kind.text().to_string()
                } else {
                    label
                },
                detail: Some(kind.text().to_string()),
                kind: match kind.text() {
                    "cluster" => lsp::SymbolKind::OBJECT,
                    "template" => lsp::SymbolKind::CLASS,
                    "cloud" => lsp::SymbolKind::NAMESPACE,
                    "labels" => lsp::SymbolKind::STRUCT,
                    _ => lsp::SymbolKind::FIELD,
                },
                tags: None,
                deprecated: None,
                range,
                selection_range: idx.range(sel.0, sel.1),
                children: (!children.is_empty()).then_some(children),
            })
        }
        _ => None,
    }
}

fn location(o: &Occurrence) -> Option<lsp::Location> {
    let idx = LineIndex::new(&o.file.text);
    Some(lsp::Location::new(
        uri_of(&o.file.path)?,
        idx.range(o.range.0, o.range.1),
    ))
}

fn idents(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::IDENT)
}

fn token_range(t: &SyntaxToken) -> (usize, usize) {
    let r = t.text_range();
    (r.start().into(), r.end().into())
}

/// A string's text between its quotes.
fn inner_range(string: &SyntaxNode) -> (usize, usize) {
    let r = string.text_range();
    let (start, end): (usize, usize) = (r.start().into(), r.end().into());
    let closed = string.text().len() >= 2.into()
        && string
            .last_token()
            .is_some_and(|t| t.kind() == SyntaxKind::QUOTE);
    (start + 1, if closed { end - 1 } else { end })
}

fn string_text(string: &SyntaxNode) -> String {
    string
        .children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::STRING_TEXT)
        .map(|t| t.text().to_string())
        .collect()
}

fn is_ident(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
