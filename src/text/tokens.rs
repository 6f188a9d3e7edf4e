//! Word tokens with byte offsets.
//!
//! Tokens exist for one reason: ConText scopes are bounded in tokens ("`max_scope` 8"), as in NegEx and
//! pyConTextNLP. A token is a run of word characters that may contain inner `-`, `/`, `.`, `'` joiners
//! (so "L4-5", "h/o", "2x/week", "5/5" and "don't" are single tokens), or a single punctuation character.

use crate::text::Span;
use regex::Regex;
use std::sync::OnceLock;

/// One token of a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// Where the token sits in the note text.
    pub span: Span,
    /// True for a word (letters or digits), false for punctuation.
    pub is_word: bool,
}

fn token_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[\w]+(?:[-/.'’+]{1,2}[\w]+)*[+-]?|[^\w\s]").expect("token regex")
    })
}

/// Splits `text` into tokens, in order, with byte offsets into `text`.
pub fn tokenize(text: &str) -> Vec<Token> {
    token_regex()
        .find_iter(text)
        .map(|m| Token {
            span: Span::new(m.start(), m.end()),
            is_word: m
                .as_str()
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_'),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        tokenize(text).iter().map(|t| &text[t.span]).collect()
    }

    #[test]
    fn clinical_joiners_stay_whole() {
        assert_eq!(
            words("h/o L4-5 HNP, PT 2x/week, 4+/5."),
            vec!["h/o", "L4-5", "HNP", ",", "PT", "2x/week", ",", "4+/5", "."]
        );
    }

    #[test]
    fn unicode_offsets_are_byte_offsets() {
        let text = "café — pain";
        for t in tokenize(text) {
            assert!(text.is_char_boundary(t.span.start) && text.is_char_boundary(t.span.end));
        }
        assert_eq!(words(text), vec!["café", "—", "pain"]);
    }
}
