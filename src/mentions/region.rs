//! Region words and vertebral levels, and the attribution of mentions to spinal regions.
//!
//! A finding's region decides which request it supports: a cervical fusion is not a lumbar surgery, arm
//! numbness is not lumbar radiculopathy. A mention takes (1) the region its lexicon row implies
//! ("sciatica" → lumbar), (2) every region word or level inside its own span ("C5-C6 … fusion"), and
//! otherwise (3) the region words nearest to it in the same sentence — within `NEAR_TOKENS`, first looking
//! after the mention (English attaches "pain in the low back", "numbness in his toes" after the head word)
//! and then before it.

use crate::lexicon::{LexiconError, Lexicons};
use crate::mentions::concepts::{Region, CONCEPT_COLUMNS};
use crate::mentions::phrase::{PhraseMatcher, Scan};
use crate::text::{Document, Span};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// How far (in tokens) a region word may stand from a mention and still be attributed to it.
pub const NEAR_TOKENS: usize = 8;

/// A region word or vertebral level found in a note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionHit {
    /// Where.
    pub span: Span,
    /// The region.
    pub region: Region,
    /// For vertebral levels, the normalised level ("L4-L5", "C6").
    pub level: Option<String>,
}

/// Region lexicon + level pattern.
#[derive(Debug)]
pub struct RegionMatcher {
    regions: Vec<Region>,
    matcher: PhraseMatcher,
    level: Regex,
}

impl RegionMatcher {
    /// Loads `concepts/regions.tsv`.
    pub fn build(lex: &Lexicons) -> Result<RegionMatcher, LexiconError> {
        let file = "concepts/regions.tsv";
        let table = lex.table(file)?;
        table.expect_columns(CONCEPT_COLUMNS)?;
        let mut regions = Vec::new();
        let mut cells = Vec::new();
        for row in table.rows() {
            let r = row.get("region")?;
            let region =
                Region::parse(r).ok_or_else(|| row.error(format!("unknown region {r:?}")))?;
            cells.push((regions.len(), row.get("term")?.to_string()));
            regions.push(region);
        }
        let matcher =
            PhraseMatcher::build(cells.iter().map(|(i, c)| (*i, c.as_str())), |_, reason| {
                LexiconError {
                    file: file.into(),
                    line: 0,
                    reason,
                }
            })?;
        // C1-C8, T1-T12, L1-L5, S1-S5, alone or as a range ("L4-5", "C5-C7", "L5-S1", "T7/8").
        let level = crate::text::regex::compile(
            r"\b([CTLS])\s?(\d{1,2})(?:\s?(?:-|–|/|to)\s?([CTLS])?\s?(\d{1,2}))?\b",
        )
        .expect("level regex");
        Ok(RegionMatcher {
            regions,
            matcher,
            level,
        })
    }

    /// The phrase matcher, for sharing its scanner with the other layers.
    pub(crate) fn phrases_mut(&mut self) -> &mut PhraseMatcher {
        &mut self.matcher
    }

    /// Region words and levels in the scanned note, in order.
    pub fn find(&self, scan: &Scan) -> Vec<RegionHit> {
        let text = scan.text();
        let mut hits: Vec<RegionHit> = self
            .matcher
            .find_all(scan)
            .into_iter()
            .map(|h| RegionHit {
                span: h.span,
                region: self.regions[h.row],
                level: None,
            })
            .collect();
        for caps in self.level.captures_iter(text) {
            let m = caps.get(0).expect("group 0");
            let letter = &caps[1];
            let n: u32 = caps[2].parse().unwrap_or(0);
            let max = match letter {
                "C" => 8,
                "T" => 12,
                "L" => 5,
                _ => 5,
            };
            if n == 0 || n > max {
                continue;
            }
            let region = match letter {
                "C" => Region::Cervical,
                "T" => Region::Thoracic,
                "L" => Region::Lumbar,
                _ => Region::Sacral,
            };
            let level = match (caps.get(3), caps.get(4)) {
                (Some(l2), Some(n2)) => format!("{letter}{n}-{}{}", l2.as_str(), n2.as_str()),
                (None, Some(n2)) => format!("{letter}{n}-{letter}{}", n2.as_str()),
                _ => format!("{letter}{n}"),
            };
            hits.push(RegionHit {
                span: Span::new(m.start(), m.end()),
                region,
                level: Some(level),
            });
        }
        hits.sort_by_key(|h| (h.span.start, std::cmp::Reverse(h.span.end)));
        hits
    }
}

/// Regions attributed to a mention: its own region, region words inside it, else the nearest ones.
pub fn attribute(
    doc: &Document,
    hits: &[RegionHit],
    mention: Span,
    own: Option<Region>,
    near: usize,
) -> (Vec<Region>, Vec<String>) {
    let mut regions: Vec<Region> = own.into_iter().collect();
    let mut levels = Vec::new();
    for h in hits.iter().filter(|h| mention.contains(h.span)) {
        push_unique(&mut regions, h.region);
        if let Some(l) = &h.level {
            if !levels.contains(l) {
                levels.push(l.clone());
            }
        }
    }
    if !regions.is_empty() {
        return (regions, levels);
    }
    let Some(si) = doc.sentence_at(mention.start) else {
        return (regions, levels);
    };
    let sentence = doc.sentences[si].span;
    let mention_tokens = doc.token_range(mention);
    let distance = |h: &RegionHit| -> Option<usize> {
        let r = doc.token_range(h.span);
        if r.start >= mention_tokens.end {
            Some(r.start - mention_tokens.end)
        } else if r.end <= mention_tokens.start {
            Some(mention_tokens.start - r.end)
        } else {
            None
        }
    };
    let nearby: Vec<(&RegionHit, usize, bool)> = hits
        .iter()
        .filter(|h| sentence.contains(h.span) && !h.span.overlaps(mention))
        .filter_map(|h| {
            distance(h)
                .filter(|d| *d <= near)
                .map(|d| (h, d, h.span.start >= mention.end))
        })
        .collect();
    // Prefer the words after the mention ("burning in his mid and low back"); take every region word of the
    // nearest run so that "mid and low back" yields both regions.
    for after in [true, false] {
        let side: Vec<&(&RegionHit, usize, bool)> =
            nearby.iter().filter(|n| n.2 == after).collect();
        if let Some(min) = side.iter().map(|n| n.1).min() {
            for n in side.iter().filter(|n| n.1 <= min + 3) {
                push_unique(&mut regions, n.0.region);
                if let Some(l) = &n.0.level {
                    if !levels.contains(l) {
                        levels.push(l.clone());
                    }
                }
            }
            break;
        }
    }
    (regions, levels)
}

fn push_unique(v: &mut Vec<Region>, r: Region) {
    if !v.contains(&r) {
        v.push(r);
    }
}
