//! Cue words (`lexicons/model/cues.tsv`) that make a sentence a candidate for the mention model when no
//! concept lexicon matched there for the cue's category. The model decides (see [`super::fusion`]); this
//! layer only chooses what it is shown, so that the model runs on a few candidate sentences per note rather
//! than on every sentence.

use super::concepts::Category;
use super::phrase::PhraseMatcher;
use super::Mention;
use crate::lexicon::{LexiconError, Lexicons};
use crate::text::{Document, Span};

/// A category the model may add a mention in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CueCategory {
    /// Functional limitation.
    Functional,
    /// Radiating / radicular symptom.
    Radicular,
    /// Conservative treatment.
    Conservative,
}

impl CueCategory {
    fn parse(s: &str) -> Option<CueCategory> {
        Some(match s {
            "functional" => CueCategory::Functional,
            "radicular" => CueCategory::Radicular,
            "conservative" => CueCategory::Conservative,
            _ => return None,
        })
    }
    /// The model's name for it.
    pub fn model_name(&self) -> &'static str {
        match self {
            CueCategory::Functional => "functional",
            CueCategory::Radicular => "radicular",
            CueCategory::Conservative => "conservative",
        }
    }
    /// The mention category.
    pub fn category(&self) -> Category {
        match self {
            CueCategory::Functional => Category::Functional,
            CueCategory::Radicular => Category::Radicular,
            CueCategory::Conservative => Category::Conservative,
        }
    }
    /// The concept a model-added mention carries.
    pub fn concept(&self) -> &'static str {
        match self {
            CueCategory::Functional => "functional_limitation",
            CueCategory::Radicular => "radiating_symptom",
            CueCategory::Conservative => "conservative_treatment",
        }
    }
}

/// One candidate for the model: the cue it is marked at, the clause a mention would quote.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The cue word.
    pub cue: Span,
    /// The clause around it (what an added mention quotes).
    pub clause: Span,
    /// Its sentence.
    pub sentence: usize,
    /// The cue row id.
    pub rule: String,
    /// Categories the model may add from it.
    pub categories: Vec<CueCategory>,
}

/// Compiled cue table.
#[derive(Debug)]
pub struct CueMatcher {
    matcher: PhraseMatcher,
    rows: Vec<(String, Vec<CueCategory>)>,
}

/// Bytes a clause may extend either side of its cue.
const CLAUSE_REACH: usize = 160;

impl CueMatcher {
    /// Loads `model/cues.tsv`.
    pub fn build(lex: &Lexicons) -> Result<CueMatcher, LexiconError> {
        let file = "model/cues.tsv";
        let table = lex.table(file)?;
        table.expect_columns(&["id", "categories", "match", "note"])?;
        let mut rows = Vec::new();
        let mut cells = Vec::new();
        for row in table.rows() {
            let cats = row
                .get("categories")?
                .split('|')
                .map(|c| {
                    CueCategory::parse(c.trim())
                        .ok_or_else(|| row.error(format!("unknown cue category {c:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            cells.push((rows.len(), row.get("match")?.to_string()));
            rows.push((row.get("id")?.to_string(), cats));
        }
        let matcher =
            PhraseMatcher::build(cells.iter().map(|(i, c)| (*i, c.as_str())), |r, reason| {
                LexiconError {
                    file: file.into(),
                    line: 0,
                    reason: format!(
                        "row {}: {reason}",
                        rows.get(r).map_or("?", |x| x.0.as_str())
                    ),
                }
            })?;
        Ok(CueMatcher { matcher, rows })
    }

    /// The phrase matcher, for giving it its scanner.
    pub(crate) fn phrases_mut(&mut self) -> &mut PhraseMatcher {
        &mut self.matcher
    }

    /// Candidates: per sentence and category, the first cue hit outside every mention, in sentences with
    /// no lexicon mention of that category.
    pub fn candidates(&self, text: &str, doc: &Document, mentions: &[Mention]) -> Vec<Candidate> {
        let mut hits = self.matcher.find_all(&self.matcher.scan(text));
        hits.sort_by_key(|h| (h.span.start, h.span.end));
        let mut out: Vec<Candidate> = Vec::new();
        for h in hits {
            let Some(si) = doc.sentence_at(h.span.start) else {
                continue;
            };
            if !doc.sentences[si].span.contains(h.span)
                || mentions.iter().any(|m| m.span.overlaps(h.span))
            {
                continue;
            }
            let (id, cats) = &self.rows[h.row];
            let open: Vec<CueCategory> = cats
                .iter()
                .copied()
                .filter(|c| {
                    !mentions
                        .iter()
                        .any(|m| m.sentence == si && m.category == c.category())
                        && !out
                            .iter()
                            .any(|o| o.sentence == si && o.categories.contains(c))
                })
                .collect();
            if open.is_empty() {
                continue;
            }
            out.push(Candidate {
                cue: h.span,
                clause: clause(text, doc.sentences[si].span, h.span),
                sentence: si,
                rule: id.clone(),
                categories: open,
            });
        }
        out
    }
}

/// The clause around `cue` inside `sentence`: out to the nearest `.;:!?` or line break, at most
/// [`CLAUSE_REACH`] bytes either side, trimmed of spaces.
fn clause(text: &str, sentence: Span, cue: Span) -> Span {
    let stop = |c: char| matches!(c, '.' | ';' | ':' | '!' | '?' | '\n' | '\r');
    let lo = sentence.start.max(cue.start.saturating_sub(CLAUSE_REACH));
    let hi = sentence.end.min(cue.end + CLAUSE_REACH);
    let mut start = cue.start;
    for (i, c) in text[..cue.start].char_indices().rev() {
        if i < lo || stop(c) {
            break;
        }
        start = i;
    }
    let mut end = cue.end;
    for (i, c) in text[cue.end..].char_indices() {
        let at = cue.end + i;
        if at >= hi || stop(c) {
            break;
        }
        end = at + c.len_utf8();
    }
    while start < cue.start && text[start..].starts_with(|c: char| c.is_whitespace() || c == ',') {
        start += text[start..].chars().next().map_or(1, char::len_utf8);
    }
    while end > cue.end && text[..end].ends_with(|c: char| c.is_whitespace() || c == ',') {
        end -= text[..end].chars().next_back().map_or(1, char::len_utf8);
    }
    Span::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clause_stops_at_punctuation_and_trims() {
        let t = "Back pain. She has not been able to go back to her job since May; sleeps poorly.";
        let at = t.find("job").unwrap();
        let s = clause(t, Span::new(0, t.len()), Span::new(at, at + 3));
        assert_eq!(
            &t[s],
            "She has not been able to go back to her job since May"
        );
    }

    #[test]
    fn candidates_skip_sentences_the_lexicon_covers() {
        let lex = Lexicons::embedded();
        let ta = crate::text::TextAnalyzer::build(&lex).unwrap();
        let cm = CueMatcher::build(&lex).unwrap();
        let text = "She quit her bowling league. Unable to work.";
        let doc = ta.analyze(text);
        let me = super::super::MentionExtractor::build(&lex).unwrap();
        let mentions = me.extract(text, &doc, None, None);
        let c = cm.candidates(text, &doc, &mentions);
        // The first sentence has no functional lexicon mention: one functional candidate. The second
        // has one ("unable to work"): none.
        let functional: Vec<_> = c
            .iter()
            .filter(|c| c.categories.contains(&CueCategory::Functional))
            .collect();
        assert_eq!(functional.len(), 1, "{c:?}");
        assert_eq!(functional[0].sentence, 0);
    }
}
