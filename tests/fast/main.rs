//! The fast tests: one binary, so a change relinks it once. They need
//! nothing but this repository: no Python, no Heat, no network. The few
//! that need a tool from PyPI are `#[ignore]`d with the reason and run by
//! `scripts/test` (`cargo test -- --include-ignored`).

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod build;
mod ca;
mod catalogue;
mod codes;
mod editors;
mod examples;
mod fmt;
mod fuzz_regressions;
mod golden;
mod heat_schema;
mod hostile;
mod hot;
mod import;
mod lsp;
mod node_scripts;
mod pipes;
mod render;
mod rules;
mod scope;
mod syntax;
mod syntax_recovery;
