//! `coe lsp`: the language server for editors (see `src/lsp`).

use crate::cli::args::LspArgs;
use crate::cli::exit;

pub fn run(_: LspArgs) -> crate::cli::error::Outcome {
    crate::lsp::serve().map_err(|e| format!("the language server stopped: {e}"))?;
    Ok(exit::OK)
}
