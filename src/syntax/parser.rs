//! Tokens → lossless syntax tree (rowan), by recursive descent.
//!
//! The parser never stops: each error is reported once, at the token that
//! made it, and the parser resynchronises at the smallest construct around
//! it (a value, then an attribute line, then a block), so that a half-typed
//! attribute costs only that attribute and an unclosed `{` is reported at
//! the block that opened it. Skipped tokens go into `ERROR` nodes; nothing
//! of the text is ever dropped.

use super::kind::SyntaxKind::{self, *};
use super::lexer::{Token, lex};
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use rowan::{GreenNode, GreenNodeBuilder};

/// The tree and the syntax errors found while building it.
pub struct Tree {
    pub green: GreenNode,
    pub diagnostics: Vec<Diagnostic>,
    /// Byte ranges of the comments, read off the tokens so that nobody
    /// walks the whole tree to find them again.
    pub comments: Vec<std::ops::Range<usize>>,
}

pub fn parse_tree(file: FileId, text: &str) -> Tree {
    let tokens = lex(text);
    // u32 like every span: a token costs 8 bytes here, not 12.
    let mut starts: Vec<u32> = Vec::with_capacity(tokens.len() + 1);
    let mut at = 0u32;
    for t in &tokens {
        starts.push(at);
        at += t.len;
    }
    starts.push(at);
    let comments = tokens
        .iter()
        .zip(&starts)
        .filter(|(t, _)| t.kind == COMMENT)
        .map(|(t, &start)| start as usize..(start + t.len) as usize)
        .collect();
    // Braces that pair up need no guessing; only when they do not does a
    // block-like line at column 0 end the blocks still open.
    let mut depth = 0i64;
    let mut balanced = true;
    for t in &tokens {
        match t.kind {
            L_BRACE => depth += 1,
            R_BRACE => depth -= 1,
            _ => {}
        }
        balanced &= depth >= 0;
    }
    balanced &= depth == 0;
    let mut p = Parser {
        balanced,
        text,
        file,
        tokens,
        starts,
        pos: 0,
        builder: GreenNodeBuilder::new(),
        diagnostics: Vec::new(),
        depth: 0,
    };
    p.file();
    Tree {
        green: p.builder.finish(),
        diagnostics: p.diagnostics,
        comments,
    }
}

struct Parser<'t> {
    /// Whether every `{` has its `}` (see `starts_item`).
    balanced: bool,
    text: &'t str,
    file: FileId,
    tokens: Vec<Token>,
    /// Byte offset of each token, and the end of the text last.
    starts: Vec<u32>,
    /// Index of the next token to add to the tree.
    pos: usize,
    builder: GreenNodeBuilder<'static>,
    diagnostics: Vec<Diagnostic>,
    /// Blocks, lists, maps, calls and interpolations open around the cursor.
    depth: usize,
}

/// How deep blocks and values may nest. Real configurations stay under ten
/// levels; the limit keeps every recursive pass over the tree (lowering,
/// checking, formatting) within its stack on any input.
pub const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    // ---- looking ahead -------------------------------------------------

    /// Byte offset of the i-th token (the text's end for `tokens.len()`).
    fn offset(&self, i: usize) -> usize {
        self.starts[i] as usize
    }

    /// Index of the n-th significant token from `pos` (`tokens.len()` past the end).
    fn index(&self, n: usize) -> usize {
        let mut i = self.pos;
        let mut left = n;
        loop {
            while i < self.tokens.len() && self.tokens[i].kind.is_trivia() {
                i += 1;
            }
            if left == 0 || i >= self.tokens.len() {
                return i;
            }
            left -= 1;
            i += 1;
        }
    }

    fn nth(&self, n: usize) -> Option<SyntaxKind> {
        self.tokens.get(self.index(n)).map(|t| t.kind)
    }

    fn at(&self, kind: SyntaxKind) -> bool {
        self.nth(0) == Some(kind)
    }

    fn text_at(&self, i: usize) -> &str {
        match self.tokens.get(i) {
            Some(t) => &self.text[self.offset(i)..self.offset(i) + t.len as usize],
            None => "",
        }
    }

    fn nth_text(&self, n: usize) -> &str {
        self.text_at(self.index(n))
    }

    fn span_of(&self, i: usize) -> Span {
        let start = self.offset(i.min(self.tokens.len()));
        let len = self.tokens.get(i).map_or(0, |t| t.len as usize);
        Span::new(self.file, start, start + len)
    }

    /// Whether a line break separates the n-th significant token from the
    /// one before it.
    fn newline_before(&self, n: usize) -> bool {
        let end = self.index(n);
        let start = if n == 0 {
            self.pos
        } else {
            self.index(n - 1) + 1
        };
        (start..end.min(self.tokens.len())).any(|i| {
            self.tokens[i].kind == NEWLINE
                || (self.tokens[i].kind == COMMENT && self.text_at(i).contains('\n'))
        }) || (end >= self.tokens.len() && n == 0)
    }

    /// Whether the n-th significant token starts its line, unindented.
    fn at_column_zero(&self, n: usize) -> bool {
        let i = self.index(n);
        i == 0 || (i < self.tokens.len() && self.tokens[i - 1].kind == NEWLINE)
    }

    /// Whether no trivia separates the n-th significant token from the one before.
    fn adjacent(&self, n: usize) -> bool {
        let i = self.index(n);
        i > 0 && i < self.tokens.len() && !self.tokens[i - 1].kind.is_trivia()
    }

    /// What a person calls the n-th token, for "found …".
    fn found(&self, n: usize) -> String {
        match self.nth(n) {
            None => "end of file".into(),
            Some(QUOTE) => "a string".into(),
            Some(NUMBER | QUANTITY) => format!("`{}`", self.nth_text(n)),
            Some(_) => {
                let t = self.nth_text(n);
                let t: String = t.chars().take(24).collect();
                format!("`{t}`")
            }
        }
    }

    // ---- building ------------------------------------------------------

    fn trivia(&mut self) {
        while self.pos < self.tokens.len() && self.tokens[self.pos].kind.is_trivia() {
            self.raw_bump();
        }
    }

    fn raw_bump(&mut self) {
        let t = self.tokens[self.pos];
        let text = &self.text[self.offset(self.pos)..self.offset(self.pos) + t.len as usize];
        if t.kind == COMMENT && text.starts_with("/*") && (text.len() < 4 || !text.ends_with("*/"))
        {
            let open = Span::new(self.file, self.offset(self.pos), self.offset(self.pos) + 2);
            self.diagnostics.push(
                syntax(
                    open,
                    "unterminated comment: `/*` has no `*/`",
                    "this comment runs to the end of the file",
                )
                .with_help("close the comment with `*/`"),
            );
        }
        self.builder.token(t.kind.into(), text);
        self.pos += 1;
    }

    /// The next significant token, with the trivia before it.
    fn bump(&mut self) {
        self.trivia();
        if self.pos < self.tokens.len() {
            self.raw_bump();
        }
    }

    fn start(&mut self, kind: SyntaxKind) {
        self.trivia();
        self.builder.start_node(kind.into());
    }

    fn finish(&mut self) {
        self.builder.finish_node();
    }

    /// Reports `d`, unless an error was already reported at the same place
    /// (a value that is missing is also a top-level line gone wrong).
    fn push(&mut self, d: Diagnostic) {
        if self
            .diagnostics
            .last()
            .is_some_and(|last| last.primary.span.start == d.primary.span.start)
        {
            return;
        }
        self.diagnostics.push(d);
    }

    /// Skips tokens into an ERROR node while `keep` holds for the next one
    /// (at least one token, so that the parser always advances).
    fn skip_while(&mut self, keep: impl Fn(&Self) -> bool) {
        self.start(ERROR);
        self.bump();
        while self.nth(0).is_some() && keep(self) {
            self.bump();
        }
        self.finish();
    }

    /// Past [`MAX_DEPTH`]: the construct at the cursor goes into one ERROR
    /// node without recursion, its brackets counted to find its end.
    fn skip_nested(&mut self) {
        let span = self.span_of(self.index(0));
        self.push(
            syntax(
                span,
                format!("blocks and values nest more than {MAX_DEPTH} levels deep here"),
                "too deeply nested",
            )
            .with_help("flatten the structure: a `let` constant can name an inner value"),
        );
        self.start(ERROR);
        let mut open = 0usize;
        let mut opened = false;
        let mut first = true;
        while let Some(kind) = self.nth(0) {
            match kind {
                L_BRACK | L_BRACE | L_PAREN | INTERP_START => {
                    open += 1;
                    opened = true;
                }
                R_BRACK | R_BRACE | R_PAREN | INTERP_END => {
                    if open == 0 {
                        break;
                    }
                    open -= 1;
                }
                _ if !first && !opened && self.newline_before(0) => break,
                _ => {}
            }
            self.bump();
            first = false;
            if opened && open == 0 {
                break;
            }
        }
        self.finish();
    }

    /// The rest of the line, stopping before a `}` that may close a block.
    fn skip_line(&mut self) {
        self.skip_while(|p| !p.newline_before(0) && !p.at(R_BRACE));
    }

    // ---- grammar -------------------------------------------------------

    fn file(&mut self) {
        self.builder.start_node(ROOT.into());
        loop {
            self.trivia();
            match self.nth(0) {
                None => break,
                Some(IDENT) => self.item(),
                Some(R_BRACE) => {
                    let span = self.span_of(self.index(0));
                    self.push(
                        syntax(
                            span,
                            "unexpected `}`: no block is open here",
                            "nothing to close",
                        )
                        .with_help("remove it, or check the block above for a `}` too many"),
                    );
                    self.skip_while(|_| false);
                }
                Some(_) => {
                    let span = self.span_of(self.index(0));
                    let found = self.found(0);
                    self.push(syntax(span, format!("expected a block or `let`, found {found}"), "not a block or `let`").with_help("a file holds `let name = value` and blocks such as `cluster \"name\" { ... }`"));
                    // up to the next line that starts a block or `let`
                    self.skip_while(|p| !(p.at(IDENT) && p.at_column_zero(0)));
                }
            }
        }
        self.finish();
    }

    fn item(&mut self) {
        if self.nth_text(0) == "let" && self.nth(1) == Some(IDENT) {
            self.let_decl();
        } else {
            self.block();
        }
    }

    fn let_decl(&mut self) {
        self.start(LET);
        self.bump(); // let
        self.bump(); // name
        self.assign(false);
        self.finish();
    }

    /// `= value` after a name (`: value` too, in maps).
    fn assign(&mut self, colon_ok: bool) {
        let name_index = self.pos.saturating_sub(1);
        let name = self.text_at(name_index).to_string();
        match self.nth(0) {
            Some(EQ) => self.bump(),
            Some(COLON) if colon_ok => self.bump(),
            Some(COLON) => {
                let span = self.span_of(self.index(0));
                self.push(
                    syntax(span, "expected `=`, found `:`", "expected `=` here")
                        .with_fix("use `=`", span, "="),
                );
                self.bump();
            }
            _ if !self.newline_before(0) && self.can_start_value(0) => {
                let span = self.span_of(self.index(0));
                let found = self.found(0);
                self.push(
                    syntax(
                        span,
                        format!("expected `=` after `{name}`, found {found}"),
                        "expected `=` before this",
                    )
                    .with_fix(
                        "add `=`",
                        Span::new(self.file, span.start as usize, span.start as usize),
                        "= ",
                    ),
                );
            }
            _ => {
                let span = self.span_of(name_index);
                self.push(
                    syntax(
                        span,
                        format!("`{name}` has no value"),
                        "expected `= value` after this",
                    )
                    .with_help("write `name = value`"),
                );
                return;
            }
        }
        // A value may follow on the next line, unless that line is the next
        // attribute (a half-typed `name =` costs only itself).
        if self.can_start_value(0) && !(self.newline_before(0) && self.starts_entry(0)) {
            self.value();
        } else {
            let span = self.span_of(self.index(0));
            let found = self.found(0);
            self.push(syntax(
                span,
                format!("expected a value after `{name} =`, found {found}"),
                "expected a value",
            ).with_help("a value is a string, number, size, duration, `true`/`false`, word, reference, list or map"));
        }
    }

    /// Parses one nesting construct with `inner`, one level deeper; past
    /// [`MAX_DEPTH`] the construct is skipped flat instead.
    fn nested(&mut self, inner: fn(&mut Self)) {
        if self.depth >= MAX_DEPTH {
            self.skip_nested();
            return;
        }
        self.depth += 1;
        inner(self);
        self.depth -= 1;
    }

    fn block(&mut self) {
        self.nested(Self::block_within_limit);
    }

    fn block_within_limit(&mut self) {
        self.start(BLOCK);
        let header = self.index(0);
        self.bump(); // kind
        if self.at(QUOTE) {
            self.string();
        }
        let header = self
            .span_of(header)
            .to(self.span_of(self.pos.saturating_sub(1)));
        if !self.at(L_BRACE) {
            let span = self.span_of(self.index(0));
            let found = self.found(0);
            let what = &self.text[header.range()];
            let what = what.to_string();
            self.push(
                syntax(
                    span,
                    format!("expected `{{` after `{what}`, found {found}"),
                    "expected `{` here",
                )
                .with_help("a block is `kind \"name\" { ... }`"),
            );
            if self.newline_before(0) || self.nth(0).is_none() {
                self.finish();
                return;
            }
            // the rest of the header line, up to its `{` if it has one
            self.skip_while(|p| !p.newline_before(0) && !p.at(L_BRACE));
            if !self.at(L_BRACE) || self.newline_before(0) {
                self.finish();
                return;
            }
        }
        self.bump(); // {
        loop {
            self.trivia();
            match self.nth(0) {
                Some(R_BRACE) => {
                    self.bump();
                    break;
                }
                None => {
                    self.unclosed(header, "the end of the file");
                    break;
                }
                Some(IDENT) if self.starts_item() => {
                    self.unclosed(header, "the next block");
                    break;
                }
                _ => self.body_item(),
            }
        }
        self.finish();
    }

    /// Whether the n-th token begins the next attribute or nested block.
    /// Only what no valid value can be followed by counts: `name =`, `name:`
    /// and `name {` (a word before a string may be a value and a map key).
    fn starts_entry(&self, n: usize) -> bool {
        matches!(
            (self.nth(n), self.nth(n + 1)),
            (Some(IDENT), Some(EQ | COLON | L_BRACE))
        )
    }

    /// Whether the next tokens begin a top-level item (`kind "name"`, `kind {`
    /// or `let x` at column 0) in a file whose braces do not pair up.
    fn starts_item(&self) -> bool {
        !self.balanced
            && self.at_column_zero(0)
            && (matches!(self.nth(1), Some(QUOTE | L_BRACE)) && !self.newline_before(1))
            || (self.nth_text(0) == "let" && self.nth(1) == Some(IDENT))
    }

    fn unclosed(&mut self, header: Span, before: &str) {
        let at = self.span_of(self.index(0)).start_point();
        let what = self.text[header.range()].to_string();
        self.push(
            syntax(
                header,
                format!("`{what}` is never closed"),
                "this block has no `}`",
            )
            .with_secondary(at, format!("expected `}}` before {before}"))
            .with_help("add `}` after the block's last line"),
        );
    }

    fn body_item(&mut self) {
        match (self.nth(0), self.nth(1)) {
            (Some(IDENT), Some(QUOTE | L_BRACE)) => self.block(),
            (Some(IDENT | QUOTE), _) => self.attribute(false),
            _ => {
                let span = self.span_of(self.index(0));
                let found = self.found(0);
                self.push(
                    syntax(
                        span,
                        format!("expected an attribute or a block, found {found}"),
                        "unexpected here",
                    )
                    .with_help("write `name = value` or a nested block, one per line"),
                );
                self.skip_line();
            }
        }
    }

    /// `key = value` (blocks and maps alike; maps also take `key: value`).
    fn attribute(&mut self, in_map: bool) {
        self.start(ATTRIBUTE);
        self.start(KEY);
        if self.at(QUOTE) {
            self.string();
        } else {
            self.bump();
        }
        self.finish();
        self.assign(in_map);
        self.finish();
    }

    fn can_start_value(&self, n: usize) -> bool {
        matches!(
            self.nth(n),
            Some(QUOTE | NUMBER | QUANTITY | MALFORMED_NUMBER | IDENT | L_BRACK | L_BRACE)
        )
    }

    fn value(&mut self) {
        match self.nth(0) {
            Some(QUOTE) => self.string(),
            Some(NUMBER | QUANTITY) => {
                self.start(LITERAL);
                self.bump();
                self.finish();
            }
            Some(MALFORMED_NUMBER) => {
                let span = self.span_of(self.index(0));
                let text = self.nth_text(0).to_string();
                self.push(syntax(span, format!("`{text}` is not a number"), "not a number, size or duration").with_help("write digits with an optional fraction and unit: `3`, `1.5`, `20GiB`, `1h30m`"));
                self.skip_while(|_| false);
            }
            Some(IDENT) => match self.nth_text(0) {
                "true" | "false" => {
                    self.start(LITERAL);
                    self.bump();
                    self.finish();
                }
                _ if self.nth(1) == Some(DOT) && self.adjacent(1) => self.reference(),
                _ if self.nth(1) == Some(L_PAREN) => self.nested(Self::call),
                _ => {
                    self.start(WORD);
                    self.bump();
                    self.finish();
                }
            },
            Some(L_BRACK) => self.nested(Self::list),
            Some(L_BRACE) => self.nested(Self::map),
            _ => unreachable!("value() is called only where a value can start"),
        }
    }

    fn reference(&mut self) {
        self.start(REFERENCE);
        self.bump();
        while self.at(DOT) && self.adjacent(0) {
            self.bump();
            match self.nth(0) {
                Some(IDENT) if self.adjacent(0) => self.bump(),
                Some(QUOTE) if self.adjacent(0) => self.string(),
                _ => {
                    let span = self.span_of(self.index(0));
                    self.push(
                        syntax(
                            span,
                            "expected a name after `.`",
                            "a reference is `kind.name`",
                        )
                        .with_help("write it without spaces, e.g. `template.k8s`"),
                    );
                    break;
                }
            }
        }
        self.finish();
    }

    fn call(&mut self) {
        self.start(CALL);
        self.bump(); // name
        self.start(ARG_LIST);
        self.bump(); // (
        self.items(R_PAREN, "`)`", "the call's arguments");
        self.finish();
        self.finish();
    }

    fn list(&mut self) {
        self.start(LIST);
        self.bump();
        self.items(R_BRACK, "`]`", "the list");
        self.finish();
    }

    fn unclosed_items(&mut self, open: Span, close_text: &str, what: &str) {
        self.push(
            syntax(
                open,
                format!("{what} is never closed"),
                format!("expected {close_text} to close this"),
            )
            .with_help(format!("add {close_text} after the last item")),
        );
    }

    /// Comma-separated values up to `close`.
    fn items(&mut self, close: SyntaxKind, close_text: &str, what: &str) {
        let open = self.span_of(self.pos.saturating_sub(1));
        loop {
            match self.nth(0) {
                Some(k) if k == close => {
                    self.bump();
                    return;
                }
                // the end, a block's `}`, or the next attribute on its own
                // line: the list ended before it
                None | Some(R_BRACE | INTERP_END) => {
                    self.unclosed_items(open, close_text, what);
                    return;
                }
                Some(IDENT | QUOTE)
                    if self.starts_item() || (self.newline_before(0) && self.starts_entry(0)) =>
                {
                    self.unclosed_items(open, close_text, what);
                    return;
                }
                _ if self.can_start_value(0) => {
                    self.value();
                    match self.nth(0) {
                        Some(COMMA) => self.bump(),
                        Some(k) if k == close => {}
                        // the next attribute: reported as the list left open
                        _ if self.newline_before(0) && self.starts_entry(0) => {}
                        _ if self.can_start_value(0) => {
                            let span = self.span_of(self.index(0)).start_point();
                            self.push(
                                syntax(
                                    span,
                                    format!(
                                        "expected `,` or {close_text}, found {}",
                                        self.found(0)
                                    ),
                                    "expected `,` before this",
                                )
                                .with_fix("add `,`", span, ", "),
                            );
                        }
                        _ => {}
                    }
                }
                _ => {
                    let span = self.span_of(self.index(0));
                    let found = self.found(0);
                    self.push(
                        syntax(
                            span,
                            format!("expected a value or {close_text}, found {found}"),
                            "not a value",
                        )
                        .with_help("separate items with a single `,`"),
                    );
                    self.skip_while(|_| false);
                }
            }
        }
    }

    fn map(&mut self) {
        self.start(MAP);
        let open = self.span_of(self.index(0));
        self.bump();
        loop {
            match self.nth(0) {
                Some(R_BRACE) => {
                    self.bump();
                    break;
                }
                None | Some(INTERP_END) => {
                    self.push(
                        syntax(
                            open,
                            "the map is never closed",
                            "expected `}` to close this",
                        )
                        .with_help("add `}` after the last entry"),
                    );
                    break;
                }
                Some(IDENT | QUOTE) => {
                    self.attribute(true);
                    if self.at(COMMA) {
                        self.bump();
                    }
                }
                _ => {
                    let span = self.span_of(self.index(0));
                    let found = self.found(0);
                    self.push(
                        syntax(
                            span,
                            format!("expected a map entry or `}}`, found {found}"),
                            "not `key = value`",
                        )
                        .with_help("a map is `{ key = value, ... }`"),
                    );
                    self.skip_while(|_| false);
                }
            }
        }
        self.finish();
    }

    /// `"…"`, with its escapes and `${ … }`. Trivia never appears inside.
    fn string(&mut self) {
        self.start(STRING);
        let open = self.index(0);
        self.bump(); // "
        loop {
            match self.tokens.get(self.pos).map(|t| t.kind) {
                Some(STRING_TEXT | ESCAPE) => self.raw_bump(),
                Some(INTERP_START) => self.interpolation(),
                Some(QUOTE) => {
                    self.raw_bump();
                    break;
                }
                _ => {
                    let span = self.span_of(open);
                    self.push(syntax(span, "unterminated string: expected `\"` before the end of the line", "this string is never closed").with_help("close it with `\"`; a string cannot span lines (write `\\n` for a line break)"));
                    break;
                }
            }
        }
        self.finish();
    }

    fn interpolation(&mut self) {
        self.nested(Self::interpolation_within_limit);
    }

    fn interpolation_within_limit(&mut self) {
        self.start(INTERPOLATION);
        let open = self.pos;
        self.raw_bump(); // ${
        if self.can_start_value(0) {
            self.value();
        } else {
            let span = self.span_of(self.index(0));
            self.push(
                syntax(span, "expected a value inside `${ }`", "expected a value")
                    .with_help("write `${name}` with a `let` name"),
            );
        }
        if self.at(INTERP_END) {
            self.bump();
        } else {
            let span = self.span_of(open);
            self.push(
                syntax(span, "`${` is never closed", "expected `}` to close this")
                    .with_help("close the interpolation with `}`; write a literal `${` as `\\${`"),
            );
            // skip to the interpolation's end, the string's end or the line's
            if !matches!(self.nth(0), None | Some(QUOTE)) && !self.newline_before(0) {
                self.skip_while(|p| {
                    !p.newline_before(0) && !matches!(p.nth(0), Some(INTERP_END | QUOTE))
                });
            }
            if self.at(INTERP_END) {
                self.bump();
            }
        }
        self.finish();
    }
}

/// A syntax error (COE0001) with its label.
fn syntax(span: Span, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code(1), span, message).with_label(label)
}
