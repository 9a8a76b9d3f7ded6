//! Text → tokens, losslessly: every byte belongs to exactly one token, so
//! the tree built from them gives back the file as written (comments and
//! blank lines included).
//!
//! Hand-written rather than generated: strings hold `${ code }`, which holds
//! strings again, so the lexer keeps a stack of modes; a table-driven lexer
//! would need the same stack around it. One pass over the bytes, no
//! backtracking, no allocation but the token vector.

use super::kind::SyntaxKind::{self, *};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: SyntaxKind,
    pub len: u32,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Code,
    /// Inside `"…"`.
    Str,
    /// Inside `${ … }`: code, with the brace depth at which it ends.
    Interp(u32),
}

pub fn lex(text: &str) -> Vec<Token> {
    // An interpolation may span lines (with comments inside). One that is
    // never closed would make the rest of the file its code, braces and all:
    // then lex again with strings and interpolations ending at their line.
    let first = Lexer::new(text, false).run();
    match first {
        Ok(tokens) => tokens,
        Err(()) => Lexer::new(text, true)
            .run()
            .unwrap_or_else(|()| unreachable!("line-bound lexing closes every mode")),
    }
}

struct Lexer<'t> {
    bytes: &'t [u8],
    text: &'t str,
    pos: usize,
    modes: Vec<Mode>,
    /// `{` minus `}` seen in code, for ending interpolations.
    depth: u32,
    tokens: Vec<Token>,
    /// Whether a line break ends every open string and interpolation.
    line_bound: bool,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'t> Lexer<'t> {
    fn new(text: &'t str, line_bound: bool) -> Self {
        Lexer {
            bytes: text.as_bytes(),
            text,
            pos: 0,
            modes: vec![Mode::Code],
            depth: 0,
            tokens: Vec::with_capacity(text.len() / 4),
            line_bound,
        }
    }

    /// The tokens, or `Err` when an interpolation was left open at the end.
    fn run(mut self) -> Result<Vec<Token>, ()> {
        while self.pos < self.bytes.len() {
            let start = self.pos;
            let kind = match *self.modes.last().expect("a mode") {
                Mode::Str => self.string_part(),
                Mode::Code | Mode::Interp(_) => self.code(),
            };
            debug_assert!(self.pos > start, "the lexer must advance");
            self.tokens.push(Token {
                kind,
                len: (self.pos - start) as u32,
            });
        }
        let open_interpolation = self.modes.iter().any(|m| matches!(m, Mode::Interp(_)));
        if open_interpolation && !self.line_bound {
            return Err(());
        }
        Ok(self.tokens)
    }

    fn peek(&self, n: usize) -> Option<u8> {
        self.bytes.get(self.pos + n).copied()
    }

    fn eat_while(&mut self, f: impl Fn(u8) -> bool) {
        while self.pos < self.bytes.len() && f(self.bytes[self.pos]) {
            self.pos += 1;
        }
    }

    /// One character, whatever it is (UTF-8 aware).
    fn bump_char(&mut self) {
        let c = self.text[self.pos..].chars().next().expect("a char");
        self.pos += c.len_utf8();
    }

    fn code(&mut self) -> SyntaxKind {
        let b = self.bytes[self.pos];
        match b {
            b'\n' => {
                self.pos += 1;
                // On the second pass strings and their `${ }` end at the line:
                // an unclosed one must not swallow the braces after it.
                while self.line_bound && self.modes.len() > 1 {
                    if let Some(Mode::Interp(d)) = self.modes.pop() {
                        self.depth = d - 1;
                    }
                }
                NEWLINE
            }
            b' ' | b'\t' | b'\r' => {
                self.eat_while(|b| matches!(b, b' ' | b'\t' | b'\r'));
                WHITESPACE
            }
            b'#' => {
                self.eat_while(|b| b != b'\n');
                COMMENT
            }
            b'/' if self.peek(1) == Some(b'/') => {
                self.eat_while(|b| b != b'\n');
                COMMENT
            }
            b'/' if self.peek(1) == Some(b'*') => {
                match self.text[self.pos + 2..].find("*/") {
                    Some(end) => self.pos += 2 + end + 2,
                    None => self.pos = self.bytes.len(),
                }
                COMMENT
            }
            b'"' => {
                self.pos += 1;
                self.modes.push(Mode::Str);
                QUOTE
            }
            b'{' => {
                self.pos += 1;
                self.depth += 1;
                L_BRACE
            }
            b'}' => {
                self.pos += 1;
                if let Some(&Mode::Interp(d)) = self.modes.last()
                    && d == self.depth
                {
                    self.modes.pop();
                    self.depth -= 1;
                    return INTERP_END;
                }
                self.depth = self.depth.saturating_sub(1);
                R_BRACE
            }
            b'[' => self.single(L_BRACK),
            b']' => self.single(R_BRACK),
            b'(' => self.single(L_PAREN),
            b')' => self.single(R_PAREN),
            b'=' => self.single(EQ),
            b':' => self.single(COLON),
            b',' => self.single(COMMA),
            b'.' => self.single(DOT),
            b'-' if self.peek(1).is_some_and(|b| b.is_ascii_digit()) => {
                self.pos += 1;
                self.number()
            }
            b'0'..=b'9' => self.number(),
            _ if is_ident_start(b) => {
                self.eat_while(is_ident_char);
                IDENT
            }
            0xEF if self.text[self.pos..].starts_with('\u{feff}') => {
                self.pos += '\u{feff}'.len_utf8();
                WHITESPACE
            }
            _ => {
                self.bump_char();
                ERROR_TOKEN
            }
        }
    }

    fn single(&mut self, kind: SyntaxKind) -> SyntaxKind {
        self.pos += 1;
        kind
    }

    /// `3`, `-1.5`, `20GiB`, `1h30m`: digits, an optional fraction, and any
    /// name characters after them (a unit). What the unit means, and whether
    /// the whole is well formed, is the lowering's business.
    fn number(&mut self) -> SyntaxKind {
        self.eat_while(|b| b.is_ascii_digit());
        if self.peek(0) == Some(b'.') && self.peek(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            self.eat_while(|b| b.is_ascii_digit());
        }
        let unit_start = self.pos;
        self.eat_while(is_ident_char);
        let unit = &self.bytes[unit_start..self.pos];
        // What the grammar accepts as a number or a quantity; the rest (`1.`,
        // `1-2`, `3_x`, `2h-`) is a malformed number.
        let malformed = self.peek(0) == Some(b'.') || !well_formed_unit(unit);
        if malformed {
            self.eat_while(|b| is_ident_char(b) || b == b'.');
            MALFORMED_NUMBER
        } else if unit.is_empty() {
            NUMBER
        } else {
            QUANTITY
        }
    }

    fn string_part(&mut self) -> SyntaxKind {
        let b = self.bytes[self.pos];
        match b {
            b'"' => {
                self.pos += 1;
                self.modes.pop();
                QUOTE
            }
            b'\n' => {
                // Unterminated: the string ends here, the newline is code.
                self.modes.pop();
                self.code()
            }
            b'\\' => {
                self.pos += 1;
                if self.pos >= self.bytes.len() {
                    return ESCAPE;
                }
                if self.text[self.pos..].starts_with("u{") {
                    let hex = self.bytes[self.pos + 2..]
                        .iter()
                        .take_while(|b| b.is_ascii_hexdigit())
                        .count();
                    if self.peek(2 + hex) == Some(b'}') {
                        self.pos += 2 + hex + 1;
                        return ESCAPE;
                    }
                }
                // any character, a newline too (an unknown escape, reported
                // by the lowering, that keeps the string open as pest does)
                self.bump_char();
                ESCAPE
            }
            b'$' if self.peek(1) == Some(b'{') => {
                self.pos += 2;
                self.depth += 1;
                self.modes.push(Mode::Interp(self.depth));
                INTERP_START
            }
            _ => {
                while self.pos < self.bytes.len() {
                    match self.bytes[self.pos] {
                        b'"' | b'\\' | b'\n' => break,
                        b'$' if self.peek(1) == Some(b'{') => break,
                        _ => self.pos += 1,
                    }
                }
                STRING_TEXT
            }
        }
    }
}

/// A unit the grammar allows after digits: letters, optionally followed by
/// more digit-letter groups (`h30m`); nothing else of the name characters.
fn well_formed_unit(unit: &[u8]) -> bool {
    let mut i = 0;
    let mut first = true;
    while i < unit.len() {
        if !first {
            let digits = unit[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return false;
            }
            i += digits;
        }
        let letters = unit[i..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        if letters == 0 {
            return false;
        }
        i += letters;
        first = false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(SyntaxKind, &str)> {
        let mut pos = 0;
        lex(text)
            .into_iter()
            .map(|t| {
                let s = &text[pos..pos + t.len as usize];
                pos += t.len as usize;
                (t.kind, s)
            })
            .collect()
    }

    #[test]
    fn every_byte_is_in_one_token() {
        for text in [
            "cluster \"a\" { x = 1 }",
            "\"${a} \\u{41} ${ \"b${c}\" }\"",
            "\"open\nnext",
            "/* never closed",
            "é 'x' \u{feff}",
            "\"\\",
        ] {
            let total: u32 = lex(text).iter().map(|t| t.len).sum();
            assert_eq!(total as usize, text.len(), "{text:?}");
        }
    }

    #[test]
    fn numbers_and_units() {
        assert_eq!(kinds("3")[0].0, NUMBER);
        assert_eq!(kinds("-1.5")[0].0, NUMBER);
        assert_eq!(kinds("20GiB")[0], (QUANTITY, "20GiB"));
        assert_eq!(kinds("1h30m")[0], (QUANTITY, "1h30m"));
        assert_eq!(kinds("3gigs")[0].0, QUANTITY);
        for bad in ["1.", "1-2", "3_x", "2h-", "1.2.3", "1x2"] {
            assert_eq!(kinds(bad), [(MALFORMED_NUMBER, bad)], "{bad}");
        }
    }

    #[test]
    fn an_unclosed_interpolation_ends_at_the_line() {
        let k: Vec<SyntaxKind> = kinds("\"${a\n{\n}").iter().map(|t| t.0).collect();
        assert_eq!(
            k,
            [
                QUOTE,
                INTERP_START,
                IDENT,
                NEWLINE,
                L_BRACE,
                NEWLINE,
                R_BRACE
            ]
        );
    }

    #[test]
    fn strings_nest_through_interpolation() {
        let k: Vec<SyntaxKind> = kinds("\"a${ \"b\" }c\"").iter().map(|t| t.0).collect();
        assert_eq!(
            k,
            [
                QUOTE,
                STRING_TEXT,
                INTERP_START,
                WHITESPACE,
                QUOTE,
                STRING_TEXT,
                QUOTE,
                WHITESPACE,
                INTERP_END,
                STRING_TEXT,
                QUOTE
            ]
        );
        // a map inside an interpolation keeps its braces
        let k: Vec<SyntaxKind> = kinds("\"${ {a = 1} }\"").iter().map(|t| t.0).collect();
        assert!(k.contains(&L_BRACE) && k.contains(&R_BRACE) && k.contains(&INTERP_END));
    }
}
