//! Byte offsets ↔ LSP positions (lines and UTF-16 code units, as the
//! protocol counts them by default).

use tower_lsp_server::ls_types::{Position, Range};

pub struct LineIndex<'t> {
    text: &'t str,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let mut col = 0u32;
        for (i, c) in self.text[start..].char_indices() {
            if start + i >= offset {
                break;
            }
            col += c.len_utf16() as u32;
        }
        Position::new(line as u32, col)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    /// The byte offset of a position; past the end of a line or the text
    /// it is clamped (clients may send stale positions).
    pub fn offset(&self, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(p.line as usize + 1)
            .map_or(self.text.len(), |&next| next - 1);
        let mut col = 0u32;
        for (i, c) in self.text[start..end].char_indices() {
            if col >= p.character {
                return start + i;
            }
            col += c.len_utf16() as u32;
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "a = \"é😀x\"\nb";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(idx.position(x), Position::new(0, 8));
        assert_eq!(idx.offset(Position::new(0, 8)), x);
        assert_eq!(idx.position(text.len()), Position::new(1, 1));
        assert_eq!(idx.offset(Position::new(0, 99)), text.find('\n').unwrap());
        assert_eq!(idx.offset(Position::new(7, 0)), text.len());
    }
}
