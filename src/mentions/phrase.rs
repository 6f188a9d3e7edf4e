//! The phrase matcher shared by every lexicon layer (concepts, regions, context triggers, trajectory).
//!
//! A lexicon row's `term`/`match` cell is either literal phrases (`a | b | c`) or one `re:` regex. Literals
//! are compiled into an aho-corasick automaton (ASCII case-insensitive); regexes run beside it. A hit
//! counts only on word boundaries (a term that begins or ends with a word character must not touch another
//! word character there), so "PT" never matches inside "aPTT". Overlapping hits are resolved
//! longest-first, then leftmost: "low back pain" beats "back pain".
//!
//! Both searches run on the note's ASCII-lowercased copy (same offsets; see `text::regex`): the automaton
//! holds lowercased phrases and is case-sensitive, which is the same as ASCII case-insensitive on the
//! original and a little faster, and the case-blind regexes get literal prefilters there.
//!
//! **One scan for every layer.** Each layer searched the note with its own automaton: five overlapping
//! scans of every note, about a fifth of the rule pipeline's time on MTSamples. [`share`] compiles the
//! literals of several matchers into one [`PhraseScanner`]; [`PhraseMatcher::scan`] then reads a note
//! once (one lowercased copy, one automaton pass) into a [`Scan`] that holds every layer's literal hits,
//! and each layer takes its own from it ([`PhraseMatcher::find_all`]). On MTSamples the five scans took
//! 410 ms, the shared one 130 ms (same 640,434 raw hits). A matcher never shared builds a scanner of its own
//! on first use, so every layer still works alone.

use crate::lexicon::LexiconError;
use crate::text::regex::{lowercase, Hay, RuleRegex};
use crate::text::Span;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use rayon::prelude::*;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// One hit: where, and which row (index into the rows given to the builder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhraseHit {
    /// The matched text.
    pub span: Span,
    /// The row index.
    pub row: usize,
}

/// The literal phrases of one or more matchers (layers), compiled into one automaton.
#[derive(Debug)]
pub struct PhraseScanner {
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern: its layer and its row in that layer.
    owners: Vec<(usize, usize)>,
    layers: usize,
}

impl PhraseScanner {
    /// Compiles the literals of each layer: `layers[i]` lists layer i's (lowercased phrase, row) pairs.
    fn build(layers: &[&[(String, usize)]]) -> Result<PhraseScanner, String> {
        let mut phrases = Vec::new();
        let mut owners = Vec::new();
        for (layer, literals) in layers.iter().enumerate() {
            for (phrase, row) in literals.iter() {
                phrases.push(phrase.as_str());
                owners.push((layer, *row));
            }
        }
        let automaton = if phrases.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    // A full DFA: more memory (about 4 MB for all the rule layers) and build time, but
                    // the overlapping search of every note is one of the rules' largest costs.
                    .kind(Some(AhoCorasickKind::DFA))
                    .match_kind(MatchKind::Standard)
                    .build(&phrases)
                    .map_err(|e| format!("cannot build automaton: {e}"))?,
            )
        };
        Ok(PhraseScanner {
            automaton,
            owners,
            layers: layers.len(),
        })
    }

    /// Reads `text` once: its lowercased copy and every layer's word-bounded literal hits.
    fn scan<'t>(self: &Arc<Self>, text: &'t str) -> Scan<'t> {
        let lower = lowercase(text);
        let mut hits = vec![Vec::new(); self.layers];
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(lower.as_ref()) {
                if word_bounded(text, m.start(), m.end()) {
                    let (layer, row) = self.owners[m.pattern().as_usize()];
                    hits[layer].push(PhraseHit {
                        span: Span::new(m.start(), m.end()),
                        row,
                    });
                }
            }
        }
        Scan {
            text,
            lower,
            ascii: text.is_ascii(),
            scanner: Arc::clone(self),
            hits,
        }
    }
}

/// A note read once by a [`PhraseScanner`]: the text, its lowercased copy (for the case-blind regexes of
/// every layer, and of the temporal rules) and each layer's literal hits.
#[derive(Debug)]
pub struct Scan<'t> {
    text: &'t str,
    lower: Cow<'t, str>,
    /// Whether the text is all ASCII (read once; every layer's regexes need it).
    ascii: bool,
    scanner: Arc<PhraseScanner>,
    hits: Vec<Vec<PhraseHit>>,
}

impl<'t> Scan<'t> {
    /// The note text.
    pub fn text(&self) -> &'t str {
        self.text
    }

    /// The note text with ASCII letters lowercased (same byte offsets).
    pub fn lower(&self) -> &str {
        &self.lower
    }

    /// The note as the rule regexes read it.
    pub fn hay(&self) -> Hay<'_> {
        Hay::with_ascii(self.text, &self.lower, self.ascii)
    }
}

/// Literal phrases and regexes, each tagged with the row they came from.
#[derive(Debug)]
pub struct PhraseMatcher {
    /// Lowercased literal phrases and their rows (kept so that [`share`] can compile them again).
    literals: Vec<(String, usize)>,
    regexes: Vec<(RuleRegex, usize)>,
    /// The scanner holding this matcher's literals, and its layer there.
    scanner: OnceLock<(Arc<PhraseScanner>, usize)>,
}

impl PhraseMatcher {
    /// Builds from `(row, cell)` pairs. `error` turns a message into the caller's error for that row.
    pub fn build<'a>(
        cells: impl IntoIterator<Item = (usize, &'a str)>,
        mut error: impl FnMut(usize, String) -> LexiconError,
    ) -> Result<PhraseMatcher, LexiconError> {
        let mut literals = Vec::new();
        let mut patterns = Vec::new();
        for (row, cell) in cells {
            if let Some(pattern) = cell.strip_prefix("re:") {
                patterns.push((pattern, row));
            } else {
                for phrase in cell.split(" | ").map(str::trim).filter(|p| !p.is_empty()) {
                    literals.push((phrase.to_ascii_lowercase(), row));
                }
            }
        }
        // Compiling the regexes is most of a pipeline's start-up: on all cores.
        let compiled: Vec<_> = patterns
            .par_iter()
            .map(|(pattern, _)| RuleRegex::new(pattern))
            .collect();
        let mut regexes = Vec::with_capacity(patterns.len());
        for ((_, row), re) in patterns.iter().zip(compiled) {
            regexes.push((
                re.map_err(|e| error(*row, format!("bad regex: {e}")))?,
                *row,
            ));
        }
        Ok(PhraseMatcher {
            literals,
            regexes,
            scanner: OnceLock::new(),
        })
    }

    /// The scanner: the shared one, or (for a matcher used alone) one of its own, built on first use
    /// rather than in [`PhraseMatcher::build`], so that the pipeline, which [`share`]s every matcher,
    /// does not compile each layer's phrases twice (about 20 ms of start-up).
    fn scanner(&self) -> &(Arc<PhraseScanner>, usize) {
        self.scanner.get_or_init(|| {
            // The automaton's only build errors are pattern or state counts past 2^31: no lexicon comes
            // near, and `share` (the pipeline's path) reports them as errors all the same.
            let own = PhraseScanner::build(&[&self.literals])
                .expect("a lexicon's phrases fit an automaton");
            (Arc::new(own), 0)
        })
    }

    /// Reads `text` with this matcher's scanner: the result serves every matcher sharing it.
    pub fn scan<'t>(&self, text: &'t str) -> Scan<'t> {
        self.scanner().0.scan(text)
    }

    /// All word-bounded hits in the scanned note, overlapping ones included, in no particular order. A
    /// scan from another scanner is not wrong, only slower: the note is read again with this one.
    pub fn find_all(&self, scan: &Scan) -> Vec<PhraseHit> {
        let (scanner, layer) = self.scanner();
        if !Arc::ptr_eq(scanner, &scan.scanner) {
            return self.find_all(&self.scan(scan.text));
        }
        let text = scan.text;
        let mut hits = scan.hits[*layer].clone();
        let hay = scan.hay();
        for (re, row) in &self.regexes {
            if !re.may_match(&hay, 0, text.len()) {
                continue;
            }
            for m in re.find_iter(&hay) {
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
    pub fn find(&self, scan: &Scan) -> Vec<PhraseHit> {
        longest_non_overlapping(self.find_all(scan))
    }
}

/// Compiles the literals of `matchers` into one scanner shared by all of them (module documentation).
pub fn share(matchers: &mut [&mut PhraseMatcher]) -> Result<(), LexiconError> {
    let layers: Vec<&[(String, usize)]> = matchers.iter().map(|m| m.literals.as_slice()).collect();
    let scanner = Arc::new(
        PhraseScanner::build(&layers).map_err(|reason| LexiconError {
            file: "lexicons".into(),
            line: 0,
            reason,
        })?,
    );
    for (layer, m) in matchers.iter_mut().enumerate() {
        m.scanner = OnceLock::from((Arc::clone(&scanner), layer));
    }
    Ok(())
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
            .find(&pm.scan(text))
            .iter()
            .map(|h| (&text[h.span], h.row))
            .collect();
        assert_eq!(got, vec![("Low back pain", 1), ("7/10", 2), ("PT", 0)]);
    }

    #[test]
    fn shared_scan_gives_each_layer_its_own_hits() {
        let cells_a = ["back pain | PT", "low back pain", r"re:\d/10"];
        let cells_b = ["pain | no", "denies"];
        let (alone_a, alone_b) = (m(&cells_a), m(&cells_b));
        let (mut a, mut b) = (m(&cells_a), m(&cells_b));
        share(&mut [&mut a, &mut b]).unwrap();
        let text = "Denies low back pain; PT 2x/week, pain 7/10, no aPTT";
        let scan = a.scan(text);
        let sorted = |mut v: Vec<PhraseHit>| {
            v.sort_by_key(|h| (h.span.start, h.span.end, h.row));
            v
        };
        // One scan serves both layers, each with its own rows.
        assert_eq!(
            sorted(a.find_all(&scan)),
            sorted(alone_a.find_all(&alone_a.scan(text)))
        );
        assert_eq!(
            sorted(b.find_all(&scan)),
            sorted(alone_b.find_all(&alone_b.scan(text)))
        );
        assert_eq!(b.find(&scan).len(), 4, "denies, pain, pain, no");
        // A scan from an unrelated scanner is read again, not misread.
        assert_eq!(
            sorted(b.find_all(&alone_a.scan(text))),
            sorted(b.find_all(&scan))
        );
    }

    #[test]
    fn punctuation_edged_terms() {
        let pm = m(&["+SLR"]);
        let text = "exam: +SLR on left";
        assert_eq!(pm.find(&pm.scan(text)).len(), 1);
    }
}
