//! `coe lsp`: the language server, on stdio. It answers from the same
//! parser, checker, catalogue and formatter as the command line; nothing
//! here holds a rule of its own.

mod analysis;
mod complete;
mod effect;
mod input;
mod navigate;
mod semantic;
mod server;
mod text;

pub use analysis::Analysis;

/// Serves the protocol on stdin/stdout until the client exits.
pub fn serve() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (service, socket) = tower_lsp_server::LspService::build(server::Backend::new)
            .custom_method(input::INVALID, server::Backend::invalid_message)
            .finish();
        let stdin = input::sanitized(tokio::io::stdin());
        tower_lsp_server::Server::new(stdin, tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
    // After `exit` a read of stdin may still be pending on a blocking
    // thread; do not wait for the client to close it.
    runtime.shutdown_background();
    Ok(())
}
