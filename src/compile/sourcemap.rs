//! For each emitted parameter and resource, the `.coe` span it came from, so
//! apply can point a Heat failure at the line responsible.

use crate::diag::render::locate;
use crate::source::{SourceMap, Span};
use indexmap::IndexMap;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceMapEntry {
    pub file: String,
    pub start: u32,
    pub end: u32,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct SourceMapFile {
    pub version: u32,
    pub cluster: String,
    pub parameters: IndexMap<String, SourceMapEntry>,
    pub resources: IndexMap<String, SourceMapEntry>,
}

pub fn entry(sources: &SourceMap, span: Span) -> SourceMapEntry {
    let loc = locate(sources, span);
    SourceMapEntry {
        file: sources.get(span.file).name.clone(),
        start: span.start,
        end: span.end,
        line: loc.start_line,
        column: loc.start_column,
        end_line: loc.end_line,
        end_column: loc.end_column,
    }
}
