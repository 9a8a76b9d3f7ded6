//! The formatter behind `coe fmt`: prints a parsed file in the canonical
//! layout and puts every comment back.
//!
//! The layout: two-space indentation; `=` signs aligned in a run of
//! consecutive one-line attributes (a blank line, a comment line or a
//! multi-line item ends the run); an empty body prints `kind "name" {}`; a
//! nested block of attributes only stays on one line (`{ a = 1  b = 2 }`) if it
//! was written on one line and fits in [`WIDTH`] columns, and the `{` of such
//! blocks line up in a run; lists, maps and calls go on one line if they fit
//! and hold no comment, else one item per line with a trailing comma. Blank
//! lines are kept (at most one); top-level blocks are always one blank line
//! apart. Trailing comments stay on their line, two spaces after the code and
//! aligned with those on the lines around them. Values take their canonical
//! spelling: escapes as the checker prints them, durations in the shortest
//! form (`90m` → `1h30m`), sizes in the unit they were written in.

mod flat;
mod gaps;
mod printer;
mod rows;
mod verify;

pub use verify::{Shape, same_tree, shape};

use crate::diag::Diagnostic;
use crate::source::FileId;
use crate::syntax::{ast::File, parse};

/// Lines are kept within this many columns where the layout has a choice.
pub const WIDTH: usize = 100;

#[derive(Debug)]
pub enum Error {
    /// The text does not parse; it is left alone.
    Syntax(Vec<Diagnostic>),
    /// The output would not read back as the input: a formatter bug, caught
    /// before anything is written.
    Unstable(&'static str),
}

/// Formats a parsed file whose parse had no errors; `text` is its source.
pub fn format_file(file: &File, text: &str) -> String {
    printer::Printer::new(text, &file.comments).file(file)
}

/// Parses and formats `text`, and checks that the output means the same.
pub fn format_source(file_id: FileId, text: &str) -> Result<String, Error> {
    let parsed = parse(file_id, text);
    if parsed.has_errors() {
        return Err(Error::Syntax(parsed.diagnostics));
    }
    let out = format_file(&parsed.file, text);
    let again = parse(file_id, &out);
    if again.has_errors() {
        return Err(Error::Unstable("the formatted text does not parse"));
    }
    if !same_tree(&parsed.file, &again.file) {
        return Err(Error::Unstable("the formatted text means something else"));
    }
    Ok(out)
}
