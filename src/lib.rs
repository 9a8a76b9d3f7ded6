//! coe: `.coe` cluster descriptions → checked model → Heat templates → plan/apply.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! [`syntax::parse`] → [`check::check`] → compile → heat → plan/apply.
//! The CLI, the formatter and the importer sit on top and share the front end.

pub mod apply;
pub mod ca;
pub mod check;
pub mod cli;
pub mod compile;
pub mod credentials;
pub mod diag;
pub mod facts;
pub mod fmt;
pub mod heat;
pub mod import;
pub mod lsp;
pub mod plan;
pub mod source;
pub mod stdlib;
pub mod syntax;
