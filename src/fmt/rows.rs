//! The lines of one body (a file, a block, a list, a map, call arguments) and
//! their alignment: `=` signs in a run of attributes, `{` in a run of one-line
//! blocks, trailing comments on consecutive lines.

use super::WIDTH;
use super::flat::width;

pub enum Row {
    Blank,
    /// A comment on its own line, printed verbatim.
    Comment(String),
    Code(Code),
}

/// What a line lines up with its neighbours by.
#[derive(Clone, Copy, PartialEq)]
pub enum Align {
    /// `key = value` on one line: the `=` signs line up.
    Attr,
    /// `kind "name" { ... }` on one line: the `{` signs line up.
    Block,
    /// `kind "name" {}`: part of a block run, but never padded.
    EmptyBlock,
    None,
}

/// One child: `head` is the part that gets padded, `tail` the rest (it may
/// span lines, with its inner lines already indented).
pub struct Code {
    pub align: Align,
    pub head: String,
    pub tail: String,
    pub trailing: Vec<String>,
}

impl Code {
    pub fn new(align: Align, head: impl Into<String>, tail: impl Into<String>) -> Self {
        let tail = tail.into();
        let align = if tail.contains('\n') {
            Align::None
        } else {
            align
        };
        Code {
            align,
            head: head.into(),
            tail,
            trailing: Vec::new(),
        }
    }

    fn multiline(&self) -> bool {
        self.tail.contains('\n')
    }

    fn text(&self, pad: usize) -> String {
        if self.head.is_empty() {
            return self.tail.clone();
        }
        let fill = pad.saturating_sub(width(&self.head));
        format!("{}{} {}", self.head, " ".repeat(fill), self.tail)
    }
}

/// Prints rows at `indent` columns, without a final line break.
pub fn render(rows: &[Row], indent: usize) -> String {
    let pads = pads(rows, indent);
    let texts: Vec<Option<String>> = rows
        .iter()
        .zip(&pads)
        .map(|(r, pad)| match r {
            Row::Code(c) => Some(c.text(*pad)),
            _ => None,
        })
        .collect();
    let columns = comment_columns(rows, &texts, indent);
    let margin = " ".repeat(indent);
    let mut lines = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        match row {
            Row::Blank => lines.push(String::new()),
            Row::Comment(text) => lines.push(format!("{margin}{text}")),
            Row::Code(c) => {
                let mut line = format!("{margin}{}", texts[i].as_deref().unwrap_or_default());
                if !c.trailing.is_empty() {
                    let fill = columns[i].saturating_sub(last_line_width(&line)).max(2);
                    line.push_str(&" ".repeat(fill));
                    line.push_str(&c.trailing.join(" "));
                }
                lines.push(line);
            }
        }
    }
    lines.join("\n")
}

/// The width each row's head is padded to.
fn pads(rows: &[Row], indent: usize) -> Vec<usize> {
    let mut pads = vec![0; rows.len()];
    let mut i = 0;
    while i < rows.len() {
        let kind = match &rows[i] {
            Row::Code(c) if c.align == Align::Attr => Align::Attr,
            Row::Code(c) if matches!(c.align, Align::Block | Align::EmptyBlock) => Align::Block,
            _ => {
                i += 1;
                continue;
            }
        };
        let run: Vec<&Code> = rows[i..]
            .iter()
            .map_while(|r| match r {
                Row::Code(c) if group(c.align) == kind => Some(c),
                _ => None,
            })
            .collect();
        let widest = run.iter().map(|c| width(&c.head)).max().unwrap_or(0);
        // A block run is only aligned if every padded line still fits.
        let fits = kind == Align::Attr
            || run
                .iter()
                .all(|c| indent + widest + 1 + width(&c.tail) <= WIDTH);
        for (k, c) in run.iter().enumerate() {
            if fits && c.align != Align::EmptyBlock {
                pads[i + k] = widest;
            }
        }
        i += run.len();
    }
    pads
}

fn group(a: Align) -> Align {
    match a {
        Align::EmptyBlock => Align::Block,
        a => a,
    }
}

/// Column of each row's trailing comment: consecutive one-line rows that all
/// carry one share the column two spaces after the longest of them.
fn comment_columns(rows: &[Row], texts: &[Option<String>], indent: usize) -> Vec<usize> {
    let mut columns = vec![0; rows.len()];
    let single = |i: usize| match &rows[i] {
        Row::Code(c) if !c.trailing.is_empty() && !c.multiline() => texts[i].as_deref(),
        _ => None,
    };
    let mut i = 0;
    while i < rows.len() {
        let mut j = i;
        let mut widest = 0;
        while j < rows.len()
            && let Some(t) = single(j)
        {
            widest = widest.max(indent + width(t));
            j += 1;
        }
        for c in &mut columns[i..j] {
            *c = widest + 2;
        }
        i = j.max(i + 1);
    }
    columns
}

fn last_line_width(s: &str) -> usize {
    width(s.rsplit('\n').next().unwrap_or(s))
}
