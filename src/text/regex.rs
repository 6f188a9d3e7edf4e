//! Compiling the rule regexes for speed without changing what they match on clinical text.
//!
//! The `regex` crate's fast engine (a lazy DFA) cannot evaluate a *Unicode* word boundary `\b` once the
//! haystack holds a non-ASCII byte; the whole search then falls back to slower engines (PikeVM,
//! backtracker). One "°" or "’" in a note was enough to send every rule regex there: profiling the
//! MTSamples run showed those engines at about 12% of the time. [`compile`] rewrites `\b` and `\B` as
//! their ASCII forms `(?-u:\b)` / `(?-u:\B)`, which the lazy DFA handles on any text. The difference is
//! only at a boundary between an ASCII letter and a non-ASCII letter ("café"), which the phrase matcher's
//! own word-boundary check (bytes ≥ 0x80 count as word characters) still refuses at a hit's edges.

use regex::Regex;

/// `pattern` with every `\b` / `\B` outside a character class made ASCII.
pub fn ascii_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut class_depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(b @ ('b' | 'B')) if class_depth == 0 => {
                    out.push_str("(?-u:\\");
                    out.push(b);
                    out.push(')');
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' => {
                class_depth += 1;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal, not the end of the class.
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push(chars.next().unwrap_or(']'));
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Compiles a rule regex with ASCII word boundaries (see the module documentation).
pub fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&ascii_boundaries(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_boundaries_outside_classes_only() {
        assert_eq!(ascii_boundaries(r"\bP\.?T\b"), r"(?-u:\b)P\.?T(?-u:\b)");
        assert_eq!(ascii_boundaries(r"[\b]x\B"), r"[\b]x(?-u:\B)");
        assert_eq!(ascii_boundaries(r"[]\b]\\b"), r"[]\b]\\b");
        assert_eq!(ascii_boundaries(r"[^]a]\b"), r"[^]a](?-u:\b)");
    }

    #[test]
    fn same_hits_on_ascii_and_fast_on_unicode() {
        let re = compile(r"(?i)\bback pain\b").unwrap();
        assert!(re.is_match("Low back pain x 3 weeks"));
        assert!(!re.is_match("backpain"));
        // A non-ASCII character elsewhere in the text no longer matters to the boundary.
        assert!(re.is_match("Temp 37.2 °C. Back pain’s worse."));
    }
}
