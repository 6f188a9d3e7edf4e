//! Word tokens with byte offsets.
//!
//! Tokens exist for one reason: ConText scopes are bounded in tokens ("`max_scope` 8"), as in NegEx and
//! pyConTextNLP. A token is a run of word characters that may contain inner `-`, `/`, `.`, `'` joiners
//! (so "L4-5", "h/o", "2x/week", "5/5" and "don't" are single tokens), or a single punctuation character.

use crate::text::Span;

/// One token of a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// Where the token sits in the note text.
    pub span: Span,
    /// True for a word (letters or digits), false for punctuation.
    pub is_word: bool,
}

/// The token grammar, as a regex: the definition [`tokenize`] implements by hand (and is tested against).
pub const TOKEN_PATTERN: &str = r"[\w]+(?:[-/.'’+]{1,2}[\w]+)*[+-]?|[^\w\s]";

/// Splits `text` into tokens, in order, with byte offsets into `text`.
///
/// This is [`TOKEN_PATTERN`]'s leftmost-first iteration written out as a byte loop: the regex cost about a
/// tenth of the rule pipeline's time on MTSamples, the loop a fraction of that. `\w` and `\s` keep their
/// Unicode meaning (the regex crate's own tables decide non-ASCII characters), so the tokens are the same.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(text.len() / 5 + 1);
    let mut at = 0;
    while let Some((c, len)) = char_at(text, at) {
        if is_word(c) {
            let start = at;
            at = skip_words(text, at);
            // `(?:[-/.'’+]{1,2}[\w]+)*`: greedy, so two joiners are tried before one.
            while let Some((_, l1)) = char_at(text, at).filter(|&(c, _)| is_joiner(c)) {
                let after_one = at + l1;
                let next = match char_at(text, after_one) {
                    Some((j2, l2)) if is_joiner(j2) => after_one + l2,
                    _ => after_one,
                };
                if next != after_one && char_at(text, next).is_some_and(|(c, _)| is_word(c)) {
                    at = skip_words(text, next);
                } else if char_at(text, after_one).is_some_and(|(c, _)| is_word(c)) {
                    at = skip_words(text, after_one);
                } else {
                    break;
                }
            }
            if let Some(('+' | '-', l)) = char_at(text, at) {
                at += l;
            }
            tokens.push(Token {
                span: Span::new(start, at),
                is_word: c.is_alphanumeric() || c == '_',
            });
        } else {
            if !c.is_whitespace() {
                tokens.push(Token {
                    span: Span::new(at, at + len),
                    is_word: c.is_alphanumeric() || c == '_',
                });
            }
            at += len;
        }
    }
    tokens
}

/// The character at byte `at` and its length in bytes.
#[inline]
fn char_at(text: &str, at: usize) -> Option<(char, usize)> {
    let b = *text.as_bytes().get(at)?;
    if b < 0x80 {
        return Some((b as char, 1));
    }
    let c = text[at..].chars().next()?;
    Some((c, c.len_utf8()))
}

/// Unicode `\w`, with an ASCII fast path.
#[inline]
fn is_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        regex_syntax::is_word_character(c)
    }
}

fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '/' | '.' | '\'' | '’' | '+')
}

/// The end of the run of word characters starting at `at`.
#[inline]
fn skip_words(text: &str, mut at: usize) -> usize {
    while let Some((c, len)) = char_at(text, at) {
        if !is_word(c) {
            break;
        }
        at += len;
    }
    at
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

    /// The tokens [`TOKEN_PATTERN`] finds: what the hand-written loop must reproduce.
    fn by_regex(text: &str) -> Vec<Token> {
        regex::Regex::new(TOKEN_PATTERN)
            .unwrap()
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

    #[test]
    fn same_tokens_as_the_grammar() {
        for text in [
            "h/o L4-5 HNP, PT 2x/week, 4+/5.",
            "a--b a-/-b a/-b- x'' don’t e.g. 5+ 3- -4 +5 a.-b a..b a...b",
            "café — pain ½ ² ٣ x\u{200d}y _under_ tab\there\u{a0}nbsp",
            "",
            " ",
            "-",
            "a-",
            "a+-",
            "a++b",
            "a+/b",
            "a’’b",
            "a’’’b",
        ] {
            assert_eq!(tokenize(text), by_regex(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn same_tokens_on_any_text(text in "[a-z0-9 _./'’+\\-,;:éß½²٣\u{300}\u{200d}\u{a0}\t\n]{0,40}") {
            proptest::prop_assert_eq!(tokenize(&text), by_regex(&text));
        }

        #[test]
        fn same_tokens_on_arbitrary_unicode(text in "\\PC{0,30}") {
            proptest::prop_assert_eq!(tokenize(&text), by_regex(&text));
        }
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
