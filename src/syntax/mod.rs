//! Source text → spanned AST. Knows nothing of clusters, drivers or Heat.

pub mod ast;
mod errors;
mod grammar;
mod parser;
mod scan;

pub use errors::rule_name;
pub use parser::{Parse, parse, parse_duration};
