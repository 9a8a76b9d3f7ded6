//! One configuration (a directory of `.coe` files, open buffers taking the
//! place of their files on disk) checked exactly as `coe check` checks it,
//! and the questions an editor asks about it. Nothing here speaks the
//! protocol but its types; the server turns requests into these calls.

use super::text::LineIndex;
use crate::check::{self, Checked, Options};
use crate::diag::{self, Severity};
use crate::source::FileId;
use crate::syntax::kind::{SyntaxKind, SyntaxNode, SyntaxToken};
use crate::syntax::{self, Parse};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tower_lsp_server::ls_types as lsp;

pub struct Analysis {
    pub checked: Checked,
    /// The configuration's files: path, id, text as given, parse.
    pub files: Vec<FileData>,
}

pub struct FileData {
    pub path: PathBuf,
    pub id: FileId,
    pub text: String,
    pub parse: Parse,
}

impl Analysis {
    /// Checks `files` (path and text) together with the stdlib, exactly as
    /// `check::check_files` does; the stdlib is parsed once per process.
    pub fn new(files: Vec<(PathBuf, String)>) -> Analysis {
        let stdlib = check::stdlib_trees();
        let files: Vec<FileData> = files
            .into_iter()
            .enumerate()
            .map(|(i, (path, text))| {
                let id = FileId((stdlib.len() + i) as u32);
                let parse = syntax::parse(id, &text);
                FileData {
                    path,
                    id,
                    text,
                    parse,
                }
            })
            .collect();
        let trees: Vec<&syntax::ast::File> = stdlib
            .iter()
            .chain(files.iter().map(|f| &f.parse.file))
            .collect();
        let mut checked = check::check_all(&trees, &Options::default());
        checked.diagnostics.extend(
            files
                .iter()
                .flat_map(|f| f.parse.diagnostics.iter().cloned()),
        );
        checked.diagnostics.sort();
        Analysis { checked, files }
    }

    pub fn file(&self, path: &Path) -> Option<&FileData> {
        self.files.iter().find(|f| f.path == path)
    }

    fn by_id(&self, id: FileId) -> Option<&FileData> {
        self.files.iter().find(|f| f.id == id)
    }

    /// Every file's diagnostics (an empty list for a clean file, so that the
    /// editor clears what it showed before).
    pub fn diagnostics(&self) -> Vec<(PathBuf, Vec<lsp::Diagnostic>)> {
        let mut out: HashMap<FileId, Vec<lsp::Diagnostic>> =
            self.files.iter().map(|f| (f.id, Vec::new())).collect();
        let indexes: HashMap<FileId, LineIndex> = self
            .files
            .iter()
            .map(|f| (f.id, LineIndex::new(&f.text)))
            .collect();
        for d in self.checked.diagnostics.iter() {
            let Some(file) = self.by_id(d.primary.span.file) else {
                continue; // the stdlib's own
            };
            let converted = self.convert(&indexes, d);
            out.entry(file.id).or_default().push(converted);
        }
        self.files
            .iter()
            .map(|f| (f.path.clone(), out.remove(&f.id).unwrap_or_default()))
            .collect()
    }

    /// One diagnostic in the protocol's terms; `indexes` holds each file's
    /// line index (built once per analysis: a diagnostic's related spans may
    /// point into any file).
    fn convert(
        &self,
        indexes: &HashMap<FileId, LineIndex>,
        d: &diag::Diagnostic,
    ) -> lsp::Diagnostic {
        let index = &indexes[&d.primary.span.file];
        let s = d.primary.span;
        let mut message = d.message.clone();
        if let Some(label) = &d.primary.message {
            message.push_str(&format!(" ({label})"));
        }
        for h in &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        for n in &d.notes {
            message.push_str(&format!("\nnote: {n}"));
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = d
            .secondary
            .iter()
            .filter_map(|l| {
                let f = self.by_id(l.span.file)?;
                let idx = indexes.get(&f.id)?;
                Some(lsp::DiagnosticRelatedInformation {
                    location: lsp::Location::new(
                        uri_of(&f.path)?,
                        idx.range(l.span.start as usize, l.span.end as usize),
                    ),
                    message: l.message.clone().unwrap_or_default(),
                })
            })
            .collect();
        lsp::Diagnostic {
            range: index.range(s.start as usize, s.end as usize),
            severity: Some(match d.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                Severity::Help => lsp::DiagnosticSeverity::HINT,
            }),
            code: Some(lsp::NumberOrString::String(d.code.to_string())),
            source: Some("coe".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Default::default()
        }
    }

    fn line_indexes(&self) -> HashMap<FileId, LineIndex<'_>> {
        self.files
            .iter()
            .map(|f| (f.id, LineIndex::new(&f.text)))
            .collect()
    }

    /// The diagnostics' suggested edits in `file` that touch `range`, as
    /// quick fixes.
    pub fn code_actions(&self, path: &Path, range: lsp::Range) -> Vec<lsp::CodeAction> {
        let Some(file) = self.file(path) else {
            return Vec::new();
        };
        let Some(uri) = uri_of(path) else {
            return Vec::new();
        };
        let indexes = self.line_indexes();
        let index = &indexes[&file.id];
        let (start, end) = (index.offset(range.start), index.offset(range.end));
        let mut out = Vec::new();
        for d in self.checked.diagnostics.iter() {
            let s = d.primary.span;
            if s.file != file.id || (s.end as usize) < start || (s.start as usize) > end {
                continue;
            }
            for sugg in &d.suggestions {
                let edits: Vec<lsp::TextEdit> = sugg
                    .edits
                    .iter()
                    .filter(|e| e.span.file == file.id)
                    .map(|e| lsp::TextEdit {
                        range: index.range(e.span.start as usize, e.span.end as usize),
                        new_text: e.replacement.clone(),
                    })
                    .collect();
                if edits.is_empty() {
                    continue;
                }
                out.push(lsp::CodeAction {
                    title: sugg.message.clone(),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![self.convert(&indexes, d)]),
                    edit: Some(lsp::WorkspaceEdit {
                        changes: Some(HashMap::from([(uri.clone(), edits)])),
                        ..Default::default()
                    }),
                    is_preferred: Some(d.suggestions.len() == 1),
                    ..Default::default()
                });
            }
        }
        out
    }

    // ---- what is under the cursor -------------------------------------

    /// The token at `offset`, preferring a name over punctuation and space.
    pub fn token_at(&self, path: &Path, offset: usize) -> Option<SyntaxToken> {
        let file = self.file(path)?;
        let root = file.parse.syntax();
        let offset = rowan::TextSize::try_from(offset.min(file.text.len())).ok()?;
        let tokens: Vec<SyntaxToken> = root.token_at_offset(offset).collect();
        tokens
            .iter()
            .find(|t| matches!(t.kind(), SyntaxKind::IDENT | SyntaxKind::STRING_TEXT))
            .or_else(|| tokens.first())
            .cloned()
    }

    /// Markdown for the thing under the cursor, if coe knows it.
    pub fn hover(&self, path: &Path, offset: usize) -> Option<String> {
        let token = self.token_at(path, offset)?;
        let ctx = Context::of(&token);
        let catalogue = &self.checked.catalogue;
        if let Some(reference) = ctx.reference {
            let (kind, name) = reference;
            let (file, span) = self.find_block(&kind, &name)?;
            let text = &file.text[span.0..span.1];
            let shown: Vec<&str> = text.lines().take(12).collect();
            let more = if text.lines().count() > 12 {
                "\n  …"
            } else {
                ""
            };
            return Some(format!(
                "```coe\n{}{more}\n```\n\n{}",
                shown.join("\n"),
                file.path.display()
            ));
        }
        if let Some(key) = &ctx.key {
            let block = ctx.blocks.first()?;
            if block == "labels" {
                let info = catalogue.labels.get(key)?;
                return Some(check::explain::label(catalogue, info));
            }
            let attr = catalogue.schemas.get(block)?.attributes.get(key)?;
            let mut out = format!("**{key}**: {}", attr.ty.describe());
            if attr.required {
                out.push_str(" (required)");
            }
            if let Some(d) = &attr.default {
                out.push_str(&format!(", default `{}`", d.to_source()));
            }
            if let (Some(min), max) = (attr.min, attr.max) {
                out.push_str(&format!(", from {min}"));
                if let Some(max) = max {
                    out.push_str(&format!(" to {max}"));
                }
            }
            out.push_str(&format!("\n\n{}", attr.description));
            // what a change would do, from plan's own analysis
            let value = token
                .parent_ancestors()
                .find(|n| n.kind() == SyntaxKind::ATTRIBUTE)
                .and_then(|a| a.children().find(|c| is_value(c.kind())));
            if let (Some(value), Some(file)) = (value, self.file(path)) {
                let r = value.text_range();
                let span = crate::source::Span::new(file.id, r.start().into(), r.end().into());
                if let Some(effect) = self.change_effect(file, span) {
                    out.push_str(&format!("\n\n{effect}"));
                }
            }
            return Some(out);
        }
        if ctx.on_block_kind {
            let kind = ctx.blocks.first()?;
            let schema = catalogue.schemas.get(kind)?;
            return Some(format!("**{kind}** block\n\n{}", schema.description));
        }
        None
    }

    /// The block `kind "name"` in the configuration: its file and byte range.
    pub fn find_block(&self, kind: &str, name: &str) -> Option<(&FileData, (usize, usize))> {
        for f in &self.files {
            for item in &f.parse.file.items {
                if let syntax::ast::Item::Block(b) = item
                    && b.kind.name == kind
                    && b.name_str() == name
                {
                    return Some((f, (b.span.start as usize, b.span.end as usize)));
                }
            }
        }
        None
    }
}

/// Where a token sits: the blocks around it (innermost first), the
/// attribute key it is or belongs to, and the reference it is part of.
#[derive(Debug, Default)]
pub struct Context {
    pub blocks: Vec<String>,
    pub key: Option<String>,
    /// The token is the key itself (not its value).
    pub on_key: bool,
    pub on_block_kind: bool,
    pub reference: Option<(String, String)>,
}

impl Context {
    pub fn of(token: &SyntaxToken) -> Context {
        let mut ctx = Context::default();
        for node in token.parent_ancestors() {
            match node.kind() {
                SyntaxKind::KEY => ctx.on_key = true,
                SyntaxKind::ATTRIBUTE if ctx.key.is_none() && ctx.blocks.is_empty() => {
                    ctx.key = key_text(&node);
                }
                SyntaxKind::REFERENCE if ctx.reference.is_none() => {
                    ctx.reference = reference_parts(&node);
                }
                SyntaxKind::BLOCK => {
                    let kind = node
                        .children_with_tokens()
                        .filter_map(|e| e.into_token())
                        .find(|t| t.kind() == SyntaxKind::IDENT);
                    if ctx.blocks.is_empty() && ctx.key.is_none() && kind.as_ref() == Some(token) {
                        ctx.on_block_kind = true;
                    }
                    if let Some(k) = kind {
                        ctx.blocks.push(k.text().to_string());
                    }
                }
                _ => {}
            }
        }
        ctx
    }
}

fn is_value(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        SyntaxKind::STRING
            | SyntaxKind::LITERAL
            | SyntaxKind::WORD
            | SyntaxKind::REFERENCE
            | SyntaxKind::CALL
            | SyntaxKind::LIST
            | SyntaxKind::MAP
    )
}

/// An attribute's key as written (quotes taken off).
pub fn key_text(attribute: &SyntaxNode) -> Option<String> {
    let key = attribute.children().find(|c| c.kind() == SyntaxKind::KEY)?;
    let text: String = key
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| matches!(t.kind(), SyntaxKind::IDENT | SyntaxKind::STRING_TEXT))
        .map(|t| t.text().to_string())
        .collect();
    Some(text)
}

/// `template.k8s` → ("template", "k8s").
pub fn reference_parts(reference: &SyntaxNode) -> Option<(String, String)> {
    let mut parts = reference.children_with_tokens().filter_map(|e| match e {
        rowan::NodeOrToken::Token(t) if t.kind() == SyntaxKind::IDENT => Some(t.text().to_string()),
        rowan::NodeOrToken::Node(n) if n.kind() == SyntaxKind::STRING => Some(
            n.descendants_with_tokens()
                .filter_map(|e| e.into_token())
                .filter(|t| t.kind() == SyntaxKind::STRING_TEXT)
                .map(|t| t.text().to_string())
                .collect(),
        ),
        _ => None,
    });
    Some((parts.next()?, parts.next()?))
}

/// Buffers that are not files (`untitled:`) get a path no file can have
/// (it holds a NUL), under which they are checked alone.
const UNTITLED: &str = "/coe-untitled\0";

fn untitled() -> &'static std::sync::Mutex<Vec<lsp::Uri>> {
    static URIS: std::sync::OnceLock<std::sync::Mutex<Vec<lsp::Uri>>> = std::sync::OnceLock::new();
    URIS.get_or_init(Default::default)
}

/// The path a document is known by: its file, or an untitled buffer's stand-in.
pub fn path_of(uri: &lsp::Uri) -> PathBuf {
    // to_file_path does not look at the scheme
    if uri.as_str().starts_with("file:")
        && let Some(p) = uri.to_file_path()
    {
        return p.into_owned();
    }
    let mut uris = untitled().lock().expect("untitled lock");
    let i = uris.iter().position(|u| u == uri).unwrap_or_else(|| {
        uris.push(uri.clone());
        uris.len() - 1
    });
    PathBuf::from(format!("{UNTITLED}/{i}/buffer.coe"))
}

pub fn uri_of(path: &Path) -> Option<lsp::Uri> {
    if let Some(rest) = path.to_str().and_then(|p| p.strip_prefix(UNTITLED)) {
        let i: usize = rest
            .trim_start_matches('/')
            .split('/')
            .next()?
            .parse()
            .ok()?;
        return untitled().lock().expect("untitled lock").get(i).cloned();
    }
    lsp::Uri::from_file_path(path)
}
