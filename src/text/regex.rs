//! Compiling the rule regexes for speed without changing what they match on clinical text.
//!
//! The `regex` crate's fast engine (a lazy DFA) cannot evaluate a *Unicode* word boundary `\b` once the
//! haystack holds a non-ASCII byte; the whole search then falls back to slower engines (PikeVM,
//! backtracker). One "°" or "’" in a note was enough to send every rule regex there: profiling the
//! MTSamples run showed those engines at about 12% of the time. [`compile`] rewrites `\b` and `\B` as
//! their ASCII forms `(?-u:\b)` / `(?-u:\B)`, which the lazy DFA handles on any text. The difference is
//! only at a boundary between an ASCII letter and a non-ASCII letter ("café"), which the phrase matcher's
//! own word-boundary check (bytes ≥ 0x80 count as word characters) still refuses at a hit's edges.
//!
//! [`RuleRegex`] goes one step further for case-insensitive rules. A `(?i)` pattern expands every letter
//! into a two-case class (`radiat` → `[Rr][Aa][Dd]…`), which leaves the regex crate too many literal
//! variants to build a prefilter from, so it scans the whole note with its DFA, rule after rule. Searched
//! instead on the note's ASCII-lowercased copy (same bytes, same offsets) with the upper-case letters
//! removed from every class, the same rule has plain lower-case literals, and the crate skips straight to
//! them (SIMD). This is exact, not approximate: it is done only for a pattern whose every class and literal
//! treats each ASCII letter and its other case alike (checked on the parsed pattern), and such a pattern
//! cannot tell a text from its lowercased copy. On MTSamples the rule regexes took 0.56 s instead of 0.96 s.
//!
//! Each rule also has an **ASCII twin**: the same pattern with every class cut to its ASCII members, used
//! on notes that are all ASCII (97% of MTSamples). On such a note a class can only ever match an ASCII
//! character, so the twin matches exactly where the rule does, with automata a fraction of the size: a
//! Unicode `\w` is hundreds of byte ranges, and the lazy DFA of a windowed rule built on it outgrew its
//! cache and was rebuilt note after note. The reverse searches of those rules were a quarter of all the
//! instructions of a rules-only run (callgrind, 1,000 MTSamples notes).

use aho_corasick::AhoCorasick;
use regex::Regex;
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange};
use regex_syntax::hir::{Hir, HirKind};
use std::borrow::Cow;

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

/// `text` with ASCII letters lowercased: the haystack of folded rules. Borrowed when there is nothing to
/// lower. Byte offsets are the same as in `text`.
pub fn lowercase(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// A stretch of a note to search: a match must start in `from..until` and may run on up to `limit`, where
/// the regex's view of the text ends. [`Window::new`] puts `limit` where no ASCII word continues, so a
/// word boundary (`\b`, ASCII here) reads there as it does in the whole text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Search from here.
    pub from: usize,
    /// Matches must start before this.
    pub until: usize,
    /// The text seen ends here.
    pub limit: usize,
}

impl Window {
    /// A window over `text`; `limit` is moved forward past any word it would cut.
    pub fn new(text: &str, from: usize, until: usize, limit: usize) -> Window {
        let b = text.as_bytes();
        let mut limit = limit.max(until).min(b.len());
        while limit < b.len()
            && (!text.is_char_boundary(limit)
                || b[limit].is_ascii_alphanumeric()
                || b[limit] == b'_')
        {
            limit += 1;
        }
        Window { from, until, limit }
    }

    /// All of `text`.
    pub fn whole(text: &str) -> Window {
        Window {
            from: 0,
            until: text.len(),
            limit: text.len(),
        }
    }
}

/// A note as the rule regexes read it: the text, its lowercased copy (from [`lowercase`]; same offsets)
/// and whether it is all ASCII (which picks the [`RuleRegex`] twin that runs).
#[derive(Clone, Copy, Debug)]
pub struct Hay<'h> {
    text: &'h str,
    lower: &'h str,
    ascii: bool,
}

impl<'h> Hay<'h> {
    /// `lower` must be `lowercase(text)`.
    pub fn new(text: &'h str, lower: &'h str) -> Hay<'h> {
        Hay::new_unchecked(text, lower, text.is_ascii())
    }

    /// As [`Hay::new`], with the ASCII check already done.
    pub fn with_ascii(text: &'h str, lower: &'h str, ascii: bool) -> Hay<'h> {
        debug_assert_eq!(ascii, text.is_ascii());
        Hay::new_unchecked(text, lower, ascii)
    }

    fn new_unchecked(text: &'h str, lower: &'h str, ascii: bool) -> Hay<'h> {
        debug_assert_eq!(text.len(), lower.len());
        Hay { text, lower, ascii }
    }

    /// The note text.
    pub fn text(&self) -> &'h str {
        self.text
    }
}

/// A rule regex that searches the lowercased text when that gives the same matches, and a note that is
/// all ASCII with an ASCII twin of itself (module documentation). Matches are byte spans valid in both
/// texts; read group text from the original.
#[derive(Clone, Debug)]
pub struct RuleRegex {
    regex: Regex,
    /// The same rule with every class cut to its ASCII members: on an all-ASCII text it matches exactly
    /// where `regex` does.
    ascii: Regex,
    /// Literals one of which ends every match (of the ASCII twin), for a rule whose matches begin with no
    /// selective literal: the regex crate then scans every byte, and a text without any of these words
    /// cannot hold a match ([`RuleRegex::may_match`]).
    gate: Option<AhoCorasick>,
    folded: bool,
}

impl RuleRegex {
    /// Compiles `pattern` (with ASCII word boundaries), folded when it is case-blind, and its ASCII twin.
    pub fn new(pattern: &str) -> Result<RuleRegex, regex::Error> {
        let pattern = ascii_boundaries(pattern);
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(&pattern)
            .map_err(|e| regex::Error::Syntax(e.to_string()))?;
        let folded = case_blind(&hir);
        let hir = if folded { without_upper(&hir) } else { hir };
        let regex = if folded {
            build(&hir.to_string())?
        } else {
            build(&pattern)?
        };
        let ascii_hir = ascii_only(&hir);
        let ascii = build(&ascii_hir.to_string())?;
        Ok(RuleRegex {
            regex,
            ascii,
            gate: gate(&ascii_hir),
            folded,
        })
    }

    /// Whether this rule searches the lowercased text.
    pub fn is_folded(&self) -> bool {
        self.folded
    }

    /// The regex for `hay` and the text it searches: `lower` when folded, `text` otherwise.
    fn pick<'r, 'h>(&'r self, hay: &Hay<'h>) -> (&'r Regex, &'h str) {
        let regex = if hay.ascii { &self.ascii } else { &self.regex };
        (regex, if self.folded { hay.lower } else { hay.text })
    }

    /// False when no match can lie in `from..limit`: the text is all ASCII and holds none of the literals
    /// that end every match. True otherwise (including when the rule has no such literals).
    pub fn may_match(&self, hay: &Hay, from: usize, limit: usize) -> bool {
        match &self.gate {
            Some(ac) if hay.ascii => {
                let (_, text) = self.pick(hay);
                ac.is_match(&text[from..limit])
            }
            _ => true,
        }
    }

    /// Successive non-overlapping matches, as [`Regex::find_iter`] on the original pattern and text.
    pub fn find_iter<'r, 'h>(&'r self, hay: &Hay<'h>) -> regex::Matches<'r, 'h> {
        let (regex, text) = self.pick(hay);
        regex.find_iter(text)
    }

    /// The first match starting at or after `at` in `text[..limit]` (the text before `at` still counts for
    /// look-behind, as with [`Regex::captures_at`]), with its groups.
    pub fn captures_at<'h>(
        &self,
        hay: &Hay<'h>,
        at: usize,
        limit: usize,
    ) -> Option<regex::Captures<'h>> {
        let (regex, text) = self.pick(hay);
        regex.captures_at(&text[..limit], at)
    }
}

/// The gate of a rule (see [`RuleRegex::may_match`]): when the literals that begin its matches are not
/// all selective (at least 3 bytes; a number, "a" or "x" begins many rules) but the literals that end
/// them are, an automaton of the latter. `regex_syntax`'s extractor guarantees that every match ends
/// with one of a finite set; so a text with none of them holds no match, and the gate is exact.
fn gate(hir: &Hir) -> Option<AhoCorasick> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
    let selective = |seq: &Seq| {
        seq.literals().is_some_and(|lits| {
            !lits.is_empty() && lits.len() <= 256 && lits.iter().all(|l| l.as_bytes().len() >= 3)
        })
    };
    let prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(hir);
    if selective(&prefixes) {
        return None; // the regex crate's own prefilter already skips to them
    }
    let suffixes = Extractor::new().kind(ExtractKind::Suffix).extract(hir);
    if !selective(&suffixes) {
        return None;
    }
    let lits: Vec<&[u8]> = suffixes.literals()?.iter().map(|l| l.as_bytes()).collect();
    AhoCorasick::new(lits).ok()
}

/// Compiles with a lazy-DFA cache of up to 16 MB per thread instead of the crate's 2 MB: the windowed
/// rules ("radiat\w* … {0,40} … down … {0,25} … leg") need more states than 2 MB hold on Unicode text, and
/// a cache that fills is cleared and rebuilt, note after note. A cache grows only as far as its rule needs.
fn build(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .dfa_size_limit(16 << 20)
        .build()
}

/// `hir` with every class cut to its ASCII members. On an all-ASCII haystack nothing else can match, so
/// the result matches exactly where `hir` does; but its automata are a fraction of the size. A Unicode
/// `\w` is hundreds of byte ranges: in "radiat\w* … down … leg" the lazy DFA's states grew past its cache,
/// which it then cleared and rebuilt on every note (40 ms per 1,000 MTSamples notes for that rule alone;
/// under 1 ms for the ASCII twin).
fn ascii_only(hir: &Hir) -> Hir {
    map_classes(hir, &|c| match c {
        Class::Unicode(mut c) => {
            c.intersect(&ClassUnicode::new([ClassUnicodeRange::new('\0', '\x7F')]));
            Class::Unicode(c)
        }
        Class::Bytes(mut c) => {
            c.intersect(&ClassBytes::new([ClassBytesRange::new(0, 0x7F)]));
            Class::Bytes(c)
        }
    })
}

/// `hir` with `f` applied to every class, everything else as it was.
fn map_classes(hir: &Hir, f: &impl Fn(Class) -> Class) -> Hir {
    match hir.kind() {
        HirKind::Class(c) => Hir::class(f(c.clone())),
        HirKind::Repetition(r) => {
            let mut r = r.clone();
            r.sub = Box::new(map_classes(&r.sub, f));
            Hir::repetition(r)
        }
        HirKind::Capture(c) => {
            let mut c = c.clone();
            c.sub = Box::new(map_classes(&c.sub, f));
            Hir::capture(c)
        }
        HirKind::Concat(v) => Hir::concat(v.iter().map(|h| map_classes(h, f)).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(|h| map_classes(h, f)).collect()),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => hir.clone(),
    }
}

/// True when every literal and class of `hir` treats each ASCII letter as its other case: such a pattern
/// matches a text exactly where it matches the text's ASCII-lowercased copy.
fn case_blind(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Literal(lit) => !lit.0.iter().any(u8::is_ascii_alphabetic),
        HirKind::Class(Class::Unicode(c)) => (b'a'..=b'z').all(|b| {
            let has = |ch: char| c.ranges().iter().any(|r| r.start() <= ch && ch <= r.end());
            has(b as char) == has(b.to_ascii_uppercase() as char)
        }),
        HirKind::Class(Class::Bytes(c)) => (b'a'..=b'z').all(|b| {
            let has = |ch: u8| c.ranges().iter().any(|r| r.start() <= ch && ch <= r.end());
            has(b) == has(b.to_ascii_uppercase())
        }),
        HirKind::Repetition(r) => case_blind(&r.sub),
        HirKind::Capture(c) => case_blind(&c.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(case_blind),
        HirKind::Empty | HirKind::Look(_) => true,
    }
}

/// `hir` with `A`–`Z` removed from every class: on a lowercased haystack they can never match, and
/// without them the literal prefixes are plain lower-case strings.
fn without_upper(hir: &Hir) -> Hir {
    map_classes(hir, &|c| match c {
        Class::Unicode(mut c) => {
            c.difference(&ClassUnicode::new([ClassUnicodeRange::new('A', 'Z')]));
            Class::Unicode(c)
        }
        Class::Bytes(mut c) => {
            c.difference(&ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]));
            Class::Bytes(c)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_never_ends_inside_a_word() {
        let text = "for 3 weeks, then ×2 días";
        assert_eq!(
            Window::new(text, 0, 3, 7).limit,
            11,
            "'we|eks' runs on to 'weeks'"
        );
        assert_eq!(Window::new(text, 0, 3, 11).limit, 11, "a comma stops it");
        let at = text.find('í').unwrap();
        // "í" is not an ASCII word character: the window may end before it, never inside it.
        assert_eq!(Window::new(text, 0, 3, at).limit, at);
        assert_eq!(Window::new(text, 0, 3, at + 1).limit, at + 2 + 2);
        assert_eq!(Window::new(text, 0, 3, 999).limit, text.len());
    }

    #[test]
    fn rewrites_boundaries_outside_classes_only() {
        assert_eq!(ascii_boundaries(r"\bP\.?T\b"), r"(?-u:\b)P\.?T(?-u:\b)");
        assert_eq!(ascii_boundaries(r"[\b]x\B"), r"[\b]x(?-u:\B)");
        assert_eq!(ascii_boundaries(r"[]\b]\\b"), r"[]\b]\\b");
        assert_eq!(ascii_boundaries(r"[^]a]\b"), r"[^]a](?-u:\b)");
    }

    fn spans(re: &Regex, text: &str) -> Vec<(usize, usize)> {
        re.find_iter(text).map(|m| (m.start(), m.end())).collect()
    }

    fn rule_spans(re: &RuleRegex, text: &str) -> Vec<(usize, usize)> {
        let lower = lowercase(text);
        re.find_iter(&Hay::new(text, &lower))
            .map(|m| (m.start(), m.end()))
            .collect()
    }

    #[test]
    fn folds_only_case_blind_patterns() {
        for (pattern, folded) in [
            (r"(?i)\bradiat\w*\s+(?:down|into)\b", true),
            (r"(?i)\b(\d+)\s*(?:wks?|weeks?)\b[^.;\n]{0,20}", true),
            (r"\b[0-5]/5\b", true),
            (r"\bP\.?T\b", false),
            (r"(?i:since)\s+May\b", false),
            (r"(?-i)\b[A-Z][A-Z/&-]+:", false),
            (r"(?i)[a-z]+[^A-Z]", true),
            (r"[a-z]+", false),
        ] {
            assert_eq!(
                RuleRegex::new(pattern).unwrap().is_folded(),
                folded,
                "{pattern}"
            );
        }
    }

    #[test]
    fn folded_rules_match_like_the_original() {
        let text = "Pain RADIATES Down the leg x 8 Wks; PT 2x/Week. pt seen in May; Saw ÉLAN. ſince 3 WEEKS";
        for pattern in [
            r"(?i)\bradiat\w*\s+(?:down|into)\b",
            r"(?i)\b(\d+)\s*(?:wks?|weeks?)\b[^.;\n]{0,20}",
            r"(?i)\bsince\s+\d+",
            r"(?i)élan|saw",
            r"\bP\.?T\b",
            r"(?i:pt)\s+\w+",
        ] {
            let plain = compile(pattern).unwrap();
            let rule = RuleRegex::new(pattern).unwrap();
            assert_eq!(rule_spans(&rule, text), spans(&plain, text), "{pattern}");
        }
    }

    proptest::proptest! {
        #[test]
        fn folding_never_changes_matches(text in "[a-zA-Z0-9 .;/\n_éÉſK]{0,60}") {
            for pattern in [
                r"(?i)\b(?:ab|b[a-c]+|k)\w*\s*\d",
                r"(?i)[^a.;\n]{1,3}(?:s|z)\b",
                r"(?i)\B[ac]_?\W",
            ] {
                let plain = compile(pattern).unwrap();
                let rule = RuleRegex::new(pattern).unwrap();
                proptest::prop_assert!(rule.is_folded());
                proptest::prop_assert_eq!(rule_spans(&rule, &text), spans(&plain, &text));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_ascii_twin_matches_like_the_rule_on_ascii_text(text in "[a-zA-Z0-9 .;:/\n_\t-]{0,80}") {
            for pattern in [
                r"(?i)\b(?:rad|sh)\w*\b[^.;\n]{0,12}?\b(?:to|in)\b[^.;\n]{0,8}?\b(?:leg|a\d)\b",
                r"(?i)\b(\d+)\s*[- ]?\s*(d|wk?s?)\b",
                r"(?:\w+\s+){0,2}\S\W[[:alpha:]]",
                r"\bP\.?T\b|[^a-z]{2}",
            ] {
                let plain = compile(pattern).unwrap();
                let rule = RuleRegex::new(pattern).unwrap();
                proptest::prop_assert_eq!(rule_spans(&rule, &text), spans(&plain, &text), "{}", pattern);
            }
        }
    }

    #[test]
    fn a_gate_only_where_the_start_is_not_selective() {
        let ago = RuleRegex::new(r"(?i)\b(\d+|a|an)\s*(weeks?|d)\s+(ago|prior)\b").unwrap();
        assert!(ago.gate.is_some());
        assert!(RuleRegex::new(r"(?i)\bradiat\w*\s+down")
            .unwrap()
            .gate
            .is_none());
        let text = "Back pain for 3 weeks, worse today.";
        let lower = lowercase(text);
        assert!(!ago.may_match(&Hay::new(text, &lower), 0, text.len()));
        let text = "Back pain began 3 weeks ago.";
        let lower = lowercase(text);
        assert!(ago.may_match(&Hay::new(text, &lower), 0, text.len()));
        assert!(
            !ago.may_match(&Hay::new(text, &lower), 0, 20),
            "not within the window"
        );
        let text = "Douleur depuis 3 semaines — 3 weeks";
        let lower = lowercase(text);
        assert!(
            ago.may_match(&Hay::new(text, &lower), 0, text.len()),
            "not ASCII: no gate"
        );
    }

    proptest::proptest! {
        #[test]
        fn a_closed_gate_means_no_match(text in "(3 |a |an |weeks? |d |ago |prior |x|[.,;\n])*") {
            let rule = RuleRegex::new(r"(?i)\b(\d+|a|an)\s*(weeks?|d)\s+(ago|prior)\b").unwrap();
            let lower = lowercase(&text);
            let hay = Hay::new(&text, &lower);
            if !rule.may_match(&hay, 0, text.len()) {
                proptest::prop_assert_eq!(rule.find_iter(&hay).count(), 0);
            }
        }
    }

    #[test]
    fn the_ascii_twin_is_not_used_on_other_text() {
        // Unicode `\w` takes "é"; the ASCII twin would stop before it.
        let rule = RuleRegex::new(r"(?i)\bcaf\w*").unwrap();
        assert_eq!(rule_spans(&rule, "Café au lait"), vec![(0, 5)]);
        assert_eq!(rule_spans(&rule, "Cafe au lait"), vec![(0, 4)]);
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
