//! Source files and byte spans: the ground every other stage points into.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// An empty span at this span's start.
    pub fn start_point(self) -> Span {
        Span {
            file: self.file,
            start: self.start,
            end: self.start,
        }
    }

    /// An empty span at this span's end: where an insertion goes.
    pub fn end_point(self) -> Span {
        Span {
            file: self.file,
            start: self.end,
            end: self.end,
        }
    }
}

/// One loaded file: its name as shown to users, its text and its line starts.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub path: Option<PathBuf>,
    pub text: String,
    line_starts: Vec<u32>,
    /// Characters before each line start; empty when the text is ASCII
    /// (characters and bytes are then the same).
    line_char_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, path: Option<PathBuf>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        let line_char_starts = if text.is_ascii() {
            Vec::new()
        } else {
            let mut chars = 0u32;
            let mut starts = Vec::with_capacity(line_starts.len());
            let mut previous = 0usize;
            for &start in &line_starts {
                chars += text[previous..start as usize].chars().count() as u32;
                starts.push(chars);
                previous = start as usize;
            }
            starts
        };
        SourceFile {
            name: name.into(),
            path,
            text,
            line_starts,
            line_char_starts,
        }
    }

    /// 0-based line of a byte offset (offsets past the end are on the last line).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        (line + 1, self.chars_between(start, offset) + 1)
    }

    /// Characters between two offsets of one line: the byte count when the
    /// text is ASCII, so that many diagnostics on one long line cost no more
    /// than one each.
    fn chars_between(&self, start: usize, end: usize) -> usize {
        if self.line_char_starts.is_empty() {
            return end - start;
        }
        self.text
            .get(start..end)
            .map_or(end - start, |t| t.chars().count())
    }

    /// Characters (code points) before a byte offset, found through the
    /// line table so that it costs one line, not the whole file.
    pub fn char_offset(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if self.line_char_starts.is_empty() {
            return offset;
        }
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        self.line_char_starts[line] as usize + self.chars_between(start, offset)
    }

    /// Byte offset where a 0-based line ends (before its line break).
    pub fn line_end(&self, line: usize) -> usize {
        match self.line_starts.get(line + 1) {
            Some(next) => *next as usize - 1,
            None => self.text.len(),
        }
    }

    /// Characters from the start of `offset`'s line to it (0-based column).
    pub fn column_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let start = self.line_starts[self.line_of(offset)] as usize;
        self.chars_between(start, offset)
    }

    /// Byte offset where a 0-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .map(|s| *s as usize)
            .unwrap_or(self.text.len())
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// Bytes as text; where they are not UTF-8, an error naming the first bad
/// byte by line, column and offset (`InvalidData`, for any reader's message).
pub fn utf8_text(bytes: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let before = &bytes[..at];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        // Everything before `at` is valid UTF-8.
        let column =
            std::str::from_utf8(&before[line_start..]).map_or(0, |t| t.chars().count()) + 1;
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text: line {line}, column {column}, byte {at} (0x{:02X})",
                bytes[at]
            ),
        )
    })
}

/// Reads a text file, refusing one that is not UTF-8 with [`utf8_text`]'s
/// line, column and byte.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    utf8_text(read_bytes(path)?)
}

/// A file's bytes, refused beyond 4 GiB: spans count bytes in 32 bits.
fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    let too_large = |len: u64| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{len} bytes, more than the 4 GiB coe reads"),
        )
    };
    // Refused before reading when the size is known; checked after, too,
    // for files whose size is not (pipes).
    let known = std::fs::metadata(path)?.len();
    if known > u64::from(u32::MAX) {
        return Err(too_large(known));
    }
    let bytes = std::fs::read(path)?;
    if u32::try_from(bytes.len()).is_err() {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Every file of one configuration, user files and embedded stdlib alike.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

/// The first bytes of a file that are not UTF-8, from [`SourceMap::add_path_lossy`].
#[derive(Debug)]
pub struct NotUtf8 {
    /// Where the lossy text shows them (as U+FFFD).
    pub span: Span,
    /// Their offset in the file.
    pub offset: usize,
    /// The bytes that start no valid character.
    pub bytes: Vec<u8>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    pub fn add_text(&mut self, name: &str, text: &str) -> FileId {
        self.add(SourceFile::new(name, None, text))
    }

    /// Reads a file that may not be UTF-8 text: then its text is what a
    /// lossy decoding shows (each bad sequence becomes U+FFFD), and the
    /// first bad sequence is returned as a span of that text with its bytes.
    pub fn add_path_lossy(&mut self, path: &Path) -> std::io::Result<(FileId, Option<NotUtf8>)> {
        let bytes = read_bytes(path)?;
        let name = path.display().to_string();
        let (text, bad) = match String::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let len = e
                    .utf8_error()
                    .error_len()
                    .unwrap_or(e.as_bytes().len() - at);
                let bytes = e.as_bytes()[at..at + len].to_vec();
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                (text, Some((at, bytes)))
            }
        };
        let id = self.add(SourceFile::new(name, Some(path.to_path_buf()), text));
        let bad = bad.map(|(at, bytes)| NotUtf8 {
            span: Span::new(id, at, at + char::REPLACEMENT_CHARACTER.len_utf8()),
            offset: at,
            bytes,
        });
        Ok((id, bad))
    }

    pub fn add_path(&mut self, path: &Path) -> std::io::Result<FileId> {
        let text = read_text(path)?;
        Ok(self.add(SourceFile::new(
            path.display().to_string(),
            Some(path.to_path_buf()),
            text,
        )))
    }

    /// The file with this display name (as a source map records it).
    pub fn find_by_name(&self, name: &str) -> Option<FileId> {
        self.files().find(|(_, f)| f.name == name).map(|(id, _)| id)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn slice(&self, span: Span) -> &str {
        self.get(span.file).slice(span)
    }

    /// Stars out the text of `span` (a secret), keeping every byte offset
    /// and line: each character becomes as many `*` as it has bytes, and
    /// the quotes and line breaks stay.
    pub fn redact(&mut self, span: Span) {
        let file = &mut self.files[span.file.0 as usize];
        let Some(text) = file.text.get(span.range()) else {
            return;
        };
        let starred: String = text
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let keep = c == '\n' || (c == '"' && (i == 0 || i + 1 == text.chars().count()));
                if keep {
                    c.to_string()
                } else {
                    "*".repeat(c.len_utf8())
                }
            })
            .collect();
        file.text.replace_range(span.range(), &starred);
        // Stars are one byte each: the character counts changed.
        if !file.line_char_starts.is_empty() {
            let text = std::mem::take(&mut file.text);
            *file = SourceFile::new(file.name.clone(), file.path.clone(), text);
        }
    }
}

/// A value with the span it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_chars() {
        let f = SourceFile::new("t", None, "ab\nçd\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(f.line_col(7), (3, 1));
    }

    #[test]
    fn text_that_is_not_utf8_is_located() {
        let e = utf8_text(b"ab\ncd\xC3\xA9x\xFCz".to_vec()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "not UTF-8 text: line 2, column 5, byte 8 (0xFC)"
        );
        assert_eq!(utf8_text(b"fine".to_vec()).unwrap(), "fine");
    }

    #[test]
    fn char_offsets_count_characters_across_lines() {
        let f = SourceFile::new("t", None, "ab\nçd\néé\n");
        for offset in 0..=f.text.len() {
            if f.text.is_char_boundary(offset) {
                assert_eq!(f.char_offset(offset), f.text[..offset].chars().count());
            }
        }
        let ascii = SourceFile::new("t", None, "ab\ncd");
        assert_eq!(ascii.char_offset(4), 4);
        assert_eq!(ascii.char_offset(99), 5);
    }
}
