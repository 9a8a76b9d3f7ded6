//! Source text → spanned AST. Knows nothing of clusters, drivers or Heat.

pub mod ast;
mod errors;
mod grammar;
mod parser;
mod scan;

pub use errors::rule_name;
pub use parser::{Parse, parse, parse_duration};

/// Runs only the pest grammar over `text`, building no tree: the baseline the
/// benchmark compares the whole front end against.
pub fn pest_only(text: &str) -> bool {
    use pest::Parser;
    grammar::CoeParser::parse(grammar::Rule::file, text).is_ok()
}
