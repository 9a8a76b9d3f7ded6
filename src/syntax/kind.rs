//! The kinds of tokens and nodes in the lossless syntax tree, and the rowan
//! language that ties them together.

/// Tokens first, then nodes. `#[repr(u16)]` so that rowan can store them.
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum SyntaxKind {
    // trivia
    WHITESPACE,
    NEWLINE,
    COMMENT,
    // tokens
    IDENT,
    NUMBER,
    QUANTITY,
    /// Digits followed by what no number or unit allows (`1.`, `1-2`).
    MALFORMED_NUMBER,
    QUOTE,
    STRING_TEXT,
    ESCAPE,
    INTERP_START,
    INTERP_END,
    L_BRACE,
    R_BRACE,
    L_BRACK,
    R_BRACK,
    L_PAREN,
    R_PAREN,
    EQ,
    COLON,
    COMMA,
    DOT,
    /// A character the language has no use for (`'`, `+`, `;`).
    ERROR_TOKEN,
    // nodes
    ROOT,
    LET,
    BLOCK,
    ATTRIBUTE,
    KEY,
    STRING,
    INTERPOLATION,
    /// A number, size, duration or boolean.
    LITERAL,
    /// A bare word: an enum member or a `let` name.
    WORD,
    REFERENCE,
    CALL,
    ARG_LIST,
    LIST,
    MAP,
    /// What the parser skipped to recover.
    ERROR,
}

impl SyntaxKind {
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            SyntaxKind::WHITESPACE | SyntaxKind::NEWLINE | SyntaxKind::COMMENT
        )
    }
}

impl From<SyntaxKind> for rowan::SyntaxKind {
    fn from(kind: SyntaxKind) -> Self {
        rowan::SyntaxKind(kind as u16)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CoeLanguage {}

impl rowan::Language for CoeLanguage {
    type Kind = SyntaxKind;

    fn kind_from_raw(raw: rowan::SyntaxKind) -> SyntaxKind {
        assert!(
            raw.0 <= SyntaxKind::ERROR as u16,
            "not a coe syntax kind: {}",
            raw.0
        );
        // SAFETY: the enum is repr(u16), its values are 0..=ERROR, and raw is in that range.
        unsafe { std::mem::transmute::<u16, SyntaxKind>(raw.0) }
    }

    fn kind_to_raw(kind: SyntaxKind) -> rowan::SyntaxKind {
        kind.into()
    }
}

pub type SyntaxNode = rowan::SyntaxNode<CoeLanguage>;
pub type SyntaxToken = rowan::SyntaxToken<CoeLanguage>;
pub type SyntaxElement = rowan::SyntaxElement<CoeLanguage>;
