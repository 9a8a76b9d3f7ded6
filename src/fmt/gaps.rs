//! Questions about the source text between two AST nodes: the AST keeps no
//! whitespace or punctuation, so line breaks and delimiters are read back here.

use crate::syntax::ast::Comment;

/// Whether `src[from..to]` holds a line break (false for an empty or reversed range).
pub fn has_newline(src: &str, from: usize, to: usize) -> bool {
    src.get(from..to).is_some_and(|s| s.contains('\n'))
}

/// Whether `src[from..to]` holds an empty line: a line break, blanks, a line break.
pub fn has_blank_line(src: &str, from: usize, to: usize) -> bool {
    let Some(gap) = src.get(from..to) else {
        return false;
    };
    let mut lines = gap.split('\n');
    lines.next();
    // Every piece between two line breaks is a whole line; the last one is not.
    let whole: Vec<&str> = lines.collect();
    whole
        .iter()
        .take(whole.len().saturating_sub(1))
        .any(|l| l.trim().is_empty())
}

/// Position of the first `want` byte at or after `from` that is not inside a
/// comment. Only whitespace and comments come before it, so no string can hide one.
pub fn find_delim(src: &str, comments: &[Comment], from: usize, want: u8) -> usize {
    let bytes = src.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        // The last comment starting at or before `i` is the only one that can cover it.
        let k = comments.partition_point(|c| c.span.start as usize <= i);
        if let Some(c) = k.checked_sub(1).map(|k| &comments[k])
            && i < c.span.end as usize
        {
            i = c.span.end as usize;
            continue;
        }
        if bytes[i] == want {
            return i;
        }
        i += 1;
    }
    from
}

/// `#` and `//` comments run to the end of the line, so something must break it.
pub fn is_line_comment(text: &str) -> bool {
    text.starts_with('#') || text.starts_with("//")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_need_an_empty_line() {
        assert!(has_blank_line("a\n\nb", 1, 3));
        assert!(has_blank_line("a\n  \t\nb", 1, 6));
        assert!(!has_blank_line("a\nb", 1, 2));
        assert!(!has_blank_line("a\nx\nb", 1, 4));
        assert!(!has_blank_line("a\n\n", 3, 1));
    }

    #[test]
    fn delimiters_inside_comments_are_skipped() {
        let src = "x /* { */ {";
        let comments = vec![Comment {
            span: crate::source::Span::new(crate::source::FileId(0), 2, 9),
            text: "/* { */".into(),
        }];
        assert_eq!(find_delim(src, &comments, 1, b'{'), 10);
    }
}
