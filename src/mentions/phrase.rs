//! The phrase matcher shared by every lexicon layer (concepts, regions, context triggers, trajectory).
//!
//! A lexicon row's `term`/`match` cell is either literal phrases (`a | b | c`) or one `re:` regex. Literals
//! are compiled into a single aho-corasick automaton (ASCII case-insensitive) and searched once per note;
//! regexes run beside it. A hit counts only on word boundaries (a term that begins or ends with a word
//! character must not touch another word character there), so "PT" never matches inside "aPTT". Overlapping
//! hits are resolved longest-first, then leftmost: "low back pain" beats "back pain".
//!
//! Both searches run on the note's ASCII-lowercased copy (same offsets; see `text::regex`): the automaton
//! holds lowercased phrases and is case-sensitive, which is the same as ASCII case-insensitive on the
//! original and a little faster, and the case-blind regexes get literal prefilters there.

use crate::lexicon::LexiconError;
use crate::text::regex::{lowercase, RuleRegex};
use crate::text::Span;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// One hit: where, and which row (index into the rows given to the builder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhraseHit {
    /// The matched text.
    pub span: Span,
    /// The row index.
    pub row: usize,
}

/// Literal phrases and regexes, each tagged with the row they came from.
#[derive(Debug)]
pub struct PhraseMatcher {
    automaton: Option<AhoCorasick>,
    literal_rows: Vec<usize>,
    regexes: Vec<(RuleRegex, usize)>,
}

impl PhraseMatcher {
    /// Builds from `(row, cell)` pairs. `error` turns a message into the caller's error for that row.
    pub fn build<'a>(
        cells: impl IntoIterator<Item = (usize, &'a str)>,
        mut error: impl FnMut(usize, String) -> LexiconError,
    ) -> Result<PhraseMatcher, LexiconError> {
        let mut literals = Vec::new();
        let mut literal_rows = Vec::new();
        let mut regexes = Vec::new();
        for (row, cell) in cells {
            if let Some(pattern) = cell.strip_prefix("re:") {
                let re =
                    RuleRegex::new(pattern).map_err(|e| error(row, format!("bad regex: {e}")))?;
                regexes.push((re, row));
            } else {
                for phrase in cell.split(" | ").map(str::trim).filter(|p| !p.is_empty()) {
                    literals.push(phrase.to_ascii_lowercase());
                    literal_rows.push(row);
                }
            }
        }
        let automaton = if literals.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    // A full DFA: more memory (a few MB for the concept lexicon) and build time, but the
                    // overlapping search is the rules' single largest cost on long notes.
                    .kind(Some(AhoCorasickKind::DFA))
                    .match_kind(MatchKind::Standard)
                    .build(&literals)
                    .map_err(|e| error(0, format!("cannot build automaton: {e}")))?,
            )
        };
        Ok(PhraseMatcher {
            automaton,
            literal_rows,
            regexes,
        })
    }

    /// All word-bounded hits in `text`, overlapping ones included, in no particular order.
    pub fn find_all(&self, text: &str) -> Vec<PhraseHit> {
        let mut hits = Vec::new();
        let lower = lowercase(text);
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(lower.as_ref()) {
                if word_bounded(text, m.start(), m.end()) {
                    hits.push(PhraseHit {
                        span: Span::new(m.start(), m.end()),
                        row: self.literal_rows[m.pattern().as_usize()],
                    });
                }
            }
        }
        for (re, row) in &self.regexes {
            for m in re.find_iter(text, &lower) {
                // A pattern may end in `\s*$`; the hit is the text, not the whitespace around it.
                let s = &text[m.range()];
                let start = m.start() + (s.len() - s.trim_start().len());
                let end = m.end() - (s.len() - s.trim_end().len());
                if start < end && word_bounded(text, start, end) {
                    hits.push(PhraseHit {
                        span: Span::new(start, end),
                        row: *row,
                    });
                }
            }
        }
        hits
    }

    /// Non-overlapping hits, longest first then leftmost, returned in text order.
    pub fn find(&self, text: &str) -> Vec<PhraseHit> {
        longest_non_overlapping(self.find_all(text))
    }
}

/// Keeps the longest hits that do not overlap an already kept hit (hits with identical spans are all
/// kept); returns them sorted by start.
pub fn longest_non_overlapping(mut hits: Vec<PhraseHit>) -> Vec<PhraseHit> {
    hits.sort_by(|a, b| {
        b.span
            .len()
            .cmp(&a.span.len())
            .then(a.span.start.cmp(&b.span.start))
            .then(a.row.cmp(&b.row))
    });
    let mut kept: Vec<PhraseHit> = Vec::with_capacity(hits.len());
    for h in hits {
        // The same phrase may stand in several rows (a trigger that targets different categories in
        // different rows): identical spans are all kept.
        if !kept
            .iter()
            .any(|k| k.span.overlaps(h.span) && k.span != h.span)
        {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| (h.span.start, h.span.end));
    kept
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// A hit is word-bounded when a word character at either edge is not continued by another word character.
fn word_bounded(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    let left_ok = start == 0 || !is_word_byte(b[start]) || !is_word_byte(b[start - 1]);
    let right_ok = end == b.len() || !is_word_byte(b[end - 1]) || !is_word_byte(b[end]);
    left_ok && right_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(cells: &[&str]) -> PhraseMatcher {
        PhraseMatcher::build(cells.iter().copied().enumerate(), |_, r| LexiconError {
            file: "t".into(),
            line: 0,
            reason: r,
        })
        .unwrap()
    }

    #[test]
    fn whole_words_case_insensitive_longest() {
        let pm = m(&["back pain | PT", "low back pain", r"re:\d/10"]);
        let text = "Low back pain 7/10; aPTT normal; PT 2x/week";
        let got: Vec<(&str, usize)> = pm
            .find(text)
            .iter()
            .map(|h| (&text[h.span], h.row))
            .collect();
        assert_eq!(got, vec![("Low back pain", 1), ("7/10", 2), ("PT", 0)]);
    }

    #[test]
    fn punctuation_edged_terms() {
        let pm = m(&["+SLR"]);
        let text = "exam: +SLR on left";
        assert_eq!(pm.find(text).len(), 1);
    }
}
