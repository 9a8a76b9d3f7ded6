//! The protocol side: open buffers, which configuration a file belongs to,
//! and each request answered from a fresh [`Analysis`] of it.

use super::analysis::{Analysis, uri_of};
use super::text::LineIndex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

pub struct Backend {
    client: Client,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Open buffers by path: their text wins over the file on disk.
    open: HashMap<PathBuf, String>,
    /// The last analysis of each configuration (by directory).
    analyses: HashMap<PathBuf, Arc<Analysis>>,
    /// Files of each configuration that were last sent diagnostics.
    published: HashMap<PathBuf, Vec<PathBuf>>,
    /// Changes seen per configuration: an analysis that finishes after a
    /// newer change started is dropped (the newer one publishes).
    generation: HashMap<PathBuf, u64>,
}

impl Backend {
    pub fn new(client: Client) -> Self {
        Backend {
            client,
            state: Mutex::new(State::default()),
        }
    }

    /// A message from the client that was not one (see `input.rs`).
    pub async fn invalid_message(&self, (why,): (String,)) {
        self.client
            .log_message(
                MessageType::ERROR,
                format!("coe lsp ignored a malformed message: {why}"),
            )
            .await;
    }

    /// The configuration's files, open buffers in place of their files on disk.
    fn gather(state: &State, file: &Path) -> Vec<(PathBuf, String)> {
        let dir = configuration_dir(file);
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "coe") && p.is_file())
                .collect();
            paths.sort();
            for p in paths {
                let text = match state.open.get(&p) {
                    Some(t) => t.clone(),
                    // a file that is not UTF-8 is left out; opened, it is read
                    None => match std::fs::read_to_string(&p) {
                        Ok(t) => t,
                        Err(_) => continue,
                    },
                };
                files.push((p, text));
            }
        }
        if !files.iter().any(|(p, _)| p == file)
            && let Some(t) = state.open.get(file)
        {
            files.push((file.to_path_buf(), t.clone()));
        }
        files
    }

    /// The configuration's analysis, made now.
    fn analyse(&self, file: &Path) -> Arc<Analysis> {
        let mut state = self.state.lock().expect("state lock");
        let analysis = Arc::new(Analysis::new(Self::gather(&state, file)));
        state
            .analyses
            .insert(configuration_dir(file), analysis.clone());
        analysis
    }

    /// The last analysis of the file's configuration, if it saw the buffer
    /// as it is now; else a new one (an edit may still be being checked).
    fn analysis(&self, file: &Path) -> Arc<Analysis> {
        let dir = configuration_dir(file);
        let fresh = {
            let state = self.state.lock().expect("state lock");
            state
                .analyses
                .get(&dir)
                .cloned()
                .filter(|a| match a.file(file) {
                    Some(f) => state.open.get(file).is_none_or(|open| *open == f.text),
                    None => false,
                })
        };
        fresh.unwrap_or_else(|| self.analyse(file))
    }

    /// Checks the file's configuration off the protocol's thread (requests
    /// keep being answered meanwhile) and publishes every file's
    /// diagnostics, unless a newer change came in while it ran.
    async fn publish(&self, file: &Path) {
        let dir = configuration_dir(file);
        let (mine, files) = {
            let mut state = self.state.lock().expect("state lock");
            let g = state.generation.entry(dir.clone()).or_default();
            *g += 1;
            let mine = *g;
            (mine, Self::gather(&state, file))
        };
        let work = tokio::task::spawn_blocking(move || {
            let analysis = Arc::new(Analysis::new(files));
            let diagnostics = analysis.diagnostics();
            (analysis, diagnostics)
        });
        let Ok((analysis, diagnostics)) = work.await else {
            return;
        };
        let now: Vec<PathBuf> = diagnostics.iter().map(|(p, _)| p.clone()).collect();
        let gone: Vec<PathBuf> = {
            let mut state = self.state.lock().expect("state lock");
            if state.generation.get(&dir) != Some(&mine) {
                return; // stale: a newer change is being checked
            }
            state.analyses.insert(dir.clone(), analysis);
            let before = state.published.insert(dir, now.clone()).unwrap_or_default();
            before.into_iter().filter(|p| !now.contains(p)).collect()
        };
        for (path, diags) in diagnostics {
            if let Some(uri) = uri_of(&path) {
                self.client.publish_diagnostics(uri, diags, None).await;
            }
        }
        for path in gone {
            if let Some(uri) = uri_of(&path) {
                self.client.publish_diagnostics(uri, Vec::new(), None).await;
            }
        }
    }
}

/// A configuration is a directory of `.coe` files (README, "Configurations").
fn configuration_dir(file: &Path) -> PathBuf {
    file.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn path_of(uri: &Uri) -> Result<PathBuf> {
    Ok(super::analysis::path_of(uri))
}

/// The byte offset of a position in the analysed text of `path`.
fn offset(analysis: &Analysis, path: &Path, pos: Position) -> Option<usize> {
    let file = analysis.file(path)?;
    Some(LineIndex::new(&file.text).offset(pos))
}

impl LanguageServer for Backend {
    async fn initialize(&self, _: InitializeParams) -> Result<InitializeResult> {
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "coe".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::FULL,
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![".".into(), "=".into(), " ".into()]),
                    ..Default::default()
                }),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Left(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                document_formatting_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: SemanticTokensLegend {
                                token_types: super::semantic::TOKEN_TYPES.to_vec(),
                                token_modifiers: Vec::new(),
                            },
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            ..Default::default()
                        },
                    ),
                ),
                inlay_hint_provider: Some(OneOf::Left(true)),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, p: DidOpenTextDocumentParams) {
        let Ok(path) = path_of(&p.text_document.uri) else {
            return;
        };
        self.state
            .lock()
            .expect("state lock")
            .open
            .insert(path.clone(), p.text_document.text);
        self.publish(&path).await;
    }

    async fn did_change(&self, p: DidChangeTextDocumentParams) {
        let Ok(path) = path_of(&p.text_document.uri) else {
            return;
        };
        // full sync: the last change is the whole text
        let Some(change) = p.content_changes.into_iter().last() else {
            return;
        };
        self.state
            .lock()
            .expect("state lock")
            .open
            .insert(path.clone(), change.text);
        self.publish(&path).await;
    }

    async fn did_save(&self, p: DidSaveTextDocumentParams) {
        let Ok(path) = path_of(&p.text_document.uri) else {
            return;
        };
        self.publish(&path).await;
    }

    async fn did_close(&self, p: DidCloseTextDocumentParams) {
        let Ok(path) = path_of(&p.text_document.uri) else {
            return;
        };
        self.state.lock().expect("state lock").open.remove(&path);
        self.publish(&path).await;
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        let path = path_of(&p.text_document_position_params.text_document.uri)?;
        let a = self.analysis(&path);
        let Some(at) = offset(&a, &path, p.text_document_position_params.position) else {
            return Ok(None);
        };
        // a hover may compile the clusters (what a change does): off the
        // protocol's thread, and dropped if the client cancels the request
        let value = tokio::task::spawn_blocking(move || a.hover(&path, at))
            .await
            .map_err(|_| Error::internal_error())?;
        Ok(value.map(|value| Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            }),
            range: None,
        }))
    }

    async fn completion(&self, p: CompletionParams) -> Result<Option<CompletionResponse>> {
        let path = path_of(&p.text_document_position.text_document.uri)?;
        let a = self.analysis(&path);
        let Some(at) = offset(&a, &path, p.text_document_position.position) else {
            return Ok(None);
        };
        Ok(Some(CompletionResponse::Array(a.complete(&path, at))))
    }

    async fn goto_definition(
        &self,
        p: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let path = path_of(&p.text_document_position_params.text_document.uri)?;
        let a = self.analysis(&path);
        let Some(at) = offset(&a, &path, p.text_document_position_params.position) else {
            return Ok(None);
        };
        Ok(a.definition(&path, at).map(GotoDefinitionResponse::Scalar))
    }

    async fn references(&self, p: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let path = path_of(&p.text_document_position.text_document.uri)?;
        let a = self.analysis(&path);
        let Some(at) = offset(&a, &path, p.text_document_position.position) else {
            return Ok(None);
        };
        Ok(Some(a.references(&path, at, p.context.include_declaration)))
    }

    async fn rename(&self, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let path = path_of(&p.text_document_position.text_document.uri)?;
        let a = self.analysis(&path);
        let Some(at) = offset(&a, &path, p.text_document_position.position) else {
            return Ok(None);
        };
        a.rename(&path, at, &p.new_name)
            .map(Some)
            .map_err(Error::invalid_params)
    }

    async fn document_symbol(
        &self,
        p: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let path = path_of(&p.text_document.uri)?;
        Ok(Some(DocumentSymbolResponse::Nested(
            self.analysis(&path).symbols(&path),
        )))
    }

    async fn folding_range(&self, p: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let path = path_of(&p.text_document.uri)?;
        Ok(Some(self.analysis(&path).folding(&path)))
    }

    async fn formatting(&self, p: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let path = path_of(&p.text_document.uri)?;
        let a = self.analysis(&path);
        let Some(file) = a.file(&path) else {
            return Ok(None);
        };
        // exactly `coe fmt`; a file with syntax errors is left as it is
        let Ok(formatted) = crate::fmt::format_source(file.id, &file.text) else {
            return Ok(None);
        };
        if formatted == file.text {
            return Ok(Some(Vec::new()));
        }
        let idx = LineIndex::new(&file.text);
        Ok(Some(vec![TextEdit {
            range: idx.range(0, file.text.len()),
            new_text: formatted,
        }]))
    }

    async fn semantic_tokens_full(
        &self,
        p: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let path = path_of(&p.text_document.uri)?;
        let data = self.analysis(&path).semantic_tokens(&path);
        Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
            result_id: None,
            data,
        })))
    }

    async fn inlay_hint(&self, p: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let path = path_of(&p.text_document.uri)?;
        Ok(Some(self.analysis(&path).inlay_hints(&path)))
    }

    async fn code_action(&self, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let path = path_of(&p.text_document.uri)?;
        let actions = self.analysis(&path).code_actions(&path, p.range);
        Ok(Some(
            actions
                .into_iter()
                .map(CodeActionOrCommand::CodeAction)
                .collect(),
        ))
    }
}
