//! ConText: negation, uncertainty, history, hypotheticality and experiencer for each target mention.
//!
//! This is the algorithm of Harkema et al. (2009) as implemented by pyConTextNLP/medspaCy, with its
//! triggers as data (`lexicons/context/triggers.tsv`). For each sentence:
//!
//! 1. trigger hits are found (literals by aho-corasick, `re:` rows by regex); a trigger inside or partly
//!    over a target mention is dropped ("absent" in "absent ankle jerk" is part of the finding);
//! 2. overlapping triggers are resolved longest-first, so a *pseudo* trigger ("no improvement", "not only",
//!    "cannot rule out") swallows the shorter trigger it contains and asserts nothing;
//! 3. each remaining modifier projects a scope — forward, backward or both — of at most `max_scope` tokens,
//!    cut at the sentence end and at the first *terminate* trigger ("but", "however", "reports", ";") that
//!    cuts its class;
//! 4. a target whose start lies in a scope (or that lies inside the trigger itself) and whose category the
//!    trigger targets takes the trigger's class; the cue span and rule id are kept for the worksheet.
//!
//! Two section rules complete it, because templates state assertions by layout rather than by words:
//! in a review-of-systems section a negation's scope runs to the sentence end ("Negative for: fever,
//! chills, weight loss, incontinence" negates each item), and checklist answers ("Saddle anesthesia:
//! none", "radiating pain? no") look back only to the previous comma, colon or line start. Mentions in a
//! family-history section are about someone else, in patient-education sections hypothetical.

use crate::lexicon::{LexiconError, Lexicons};
use crate::mentions::concepts::Category;
use crate::mentions::phrase::{longest_non_overlapping, PhraseHit, PhraseMatcher, Scan};
use crate::text::{Document, SectionKind, Span};
use serde::{Deserialize, Serialize};

/// An assertion class a trigger can set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    /// "denies X", "no X".
    Negated,
    /// "possible X", "rule out X".
    Possible,
    /// "history of X", "X before surgery".
    Historical,
    /// "return if X", "plan X" (for procedures: proposed, not done).
    Hypothetical,
    /// "mother with X".
    Family,
}

impl Qualifier {
    fn parse(s: &str) -> Option<Qualifier> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
    fn all() -> Vec<Qualifier> {
        vec![
            Qualifier::Negated,
            Qualifier::Possible,
            Qualifier::Historical,
            Qualifier::Hypothetical,
            Qualifier::Family,
        ]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
    Bidirectional,
    Pseudo,
    Terminate,
}

#[derive(Clone, Debug)]
enum Targets {
    All,
    Only(Vec<Category>),
}

impl Targets {
    fn includes(&self, c: Category) -> bool {
        match self {
            Targets::All => true,
            Targets::Only(v) => v.contains(&c),
        }
    }
}

#[derive(Clone, Debug)]
struct Trigger {
    id: String,
    /// The classes set (empty for pseudo and terminate rows); "no history of" sets two.
    sets: Vec<Qualifier>,
    direction: Direction,
    max_scope: Option<usize>,
    targets: Targets,
    /// For terminate rows: the classes whose scopes this cuts.
    cuts: Vec<Qualifier>,
    /// Checklist answers (a `re:` trigger that starts at ':' or '?') look back only to the item's start.
    answer: bool,
}

/// The cue that set a qualifier on a mention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cue {
    /// The class set.
    pub qualifier: Qualifier,
    /// The trigger text's span, or the section header for section rules.
    pub span: Span,
    /// The trigger row id, or `section:<kind>` for section rules.
    pub rule: String,
}

/// The assertion of one mention: every qualifier that applies, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assertion {
    /// Cues in the order found; at most one per qualifier (the nearest trigger).
    pub cues: Vec<Cue>,
}

impl Assertion {
    /// True when `q` applies.
    pub fn has(&self, q: Qualifier) -> bool {
        self.cues.iter().any(|c| c.qualifier == q)
    }

    /// The cue for `q`.
    pub fn cue(&self, q: Qualifier) -> Option<&Cue> {
        self.cues.iter().find(|c| c.qualifier == q)
    }

    /// One label, by precedence: family > absent > hypothetical > possible > historical > present.
    /// (Someone else's condition is not the patient's whatever else is said; a negated plan — "declines
    /// ESI", "no plans for surgery" — is not a plan; a hypothetical is not a fact.)
    pub fn label(&self) -> &'static str {
        if self.has(Qualifier::Family) {
            "family"
        } else if self.has(Qualifier::Negated) {
            "absent"
        } else if self.has(Qualifier::Hypothetical) {
            "hypothetical"
        } else if self.has(Qualifier::Possible) {
            "possible"
        } else if self.has(Qualifier::Historical) {
            "historical"
        } else {
            "present"
        }
    }

    /// Present or historical: asserted about the patient, not negated, not hypothetical, not uncertain.
    pub fn is_affirmed(&self) -> bool {
        matches!(self.label(), "present" | "historical")
    }

    fn set(&mut self, qualifier: Qualifier, span: Span, rule: String) {
        if !self.has(qualifier) {
            self.cues.push(Cue {
                qualifier,
                span,
                rule,
            });
        }
    }
}

/// A target handed to the context engine.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// Where the mention is.
    pub span: Span,
    /// Its category (triggers may target only some).
    pub category: Category,
}

/// Compiled ConText triggers.
#[derive(Debug)]
pub struct ContextEngine {
    triggers: Vec<Trigger>,
    matcher: PhraseMatcher,
    /// Chronic conditions (`context/chronic.tsv`): historical by nature.
    chronic: PhraseMatcher,
    chronic_rows: Vec<ChronicRow>,
}

/// A row of `context/chronic.tsv`.
#[derive(Debug)]
struct ChronicRow {
    id: String,
    /// An acute qualifier ("exacerbation"), not a condition.
    acute: bool,
}

/// Loads `context/chronic.tsv`.
fn build_chronic(lex: &Lexicons) -> Result<(PhraseMatcher, Vec<ChronicRow>), LexiconError> {
    let file = "context/chronic.tsv";
    let table = lex.table(file)?;
    table.expect_columns(&["id", "role", "match", "source"])?;
    let mut ids = Vec::new();
    let mut rows = Vec::new();
    let mut cells = Vec::new();
    for row in table.rows() {
        match row.get("role")? {
            "chronic" | "acute" => {}
            other => return Err(row.error(format!("role must be chronic or acute, not {other:?}"))),
        }
        cells.push((ids.len(), row.get("match")?.to_string()));
        let id = row.get("id")?.to_string();
        ids.push(id.clone());
        rows.push(ChronicRow {
            id,
            acute: row.get("role")? == "acute",
        });
    }
    let matcher = build_matcher(file, &cells, &ids)?;
    Ok((matcher, rows))
}

/// Compiles a table's `match` cells; an error names the file and the row id.
fn build_matcher(
    file: &str,
    cells: &[(usize, String)],
    ids: &[String],
) -> Result<PhraseMatcher, LexiconError> {
    PhraseMatcher::build(
        cells.iter().map(|(i, c)| (*i, c.as_str())),
        |row, reason| LexiconError {
            file: file.into(),
            line: 0,
            reason: format!("row {}: {reason}", ids.get(row).map_or("?", |s| s.as_str())),
        },
    )
}

impl ContextEngine {
    /// Reads `text` for the triggers (and the phrases of every layer sharing their scanner).
    pub fn scan<'t>(&self, text: &'t str) -> Scan<'t> {
        self.matcher.scan(text)
    }

    /// The trigger and chronic-condition matchers, for sharing their scanner with the other layers.
    pub(crate) fn phrases_mut(&mut self) -> [&mut PhraseMatcher; 2] {
        [&mut self.matcher, &mut self.chronic]
    }

    /// Loads `context/triggers.tsv`.
    pub fn build(lex: &Lexicons) -> Result<ContextEngine, LexiconError> {
        let file = "context/triggers.tsv";
        let table = lex.table(file)?;
        table.expect_columns(&[
            "id",
            "match",
            "sets",
            "direction",
            "max_scope",
            "targets",
            "source",
        ])?;
        let mut triggers = Vec::new();
        let mut cells = Vec::new();
        for row in table.rows() {
            let direction = match row.get("direction")? {
                "forward" => Direction::Forward,
                "backward" => Direction::Backward,
                "bidirectional" => Direction::Bidirectional,
                "pseudo" => Direction::Pseudo,
                "terminate" => Direction::Terminate,
                other => return Err(row.error(format!("unknown direction {other:?}"))),
            };
            let sets_cell = row.get("sets")?;
            let sets = match (direction, sets_cell) {
                (Direction::Pseudo, "pseudo") | (Direction::Terminate, "terminate") => vec![],
                (Direction::Pseudo | Direction::Terminate, other) => {
                    return Err(row.error(format!(
                        "a {direction:?} row must set {:?}, not {other:?}",
                        format!("{direction:?}").to_lowercase()
                    )))
                }
                (_, qs) => qs
                    .split('+')
                    .map(|q| {
                        Qualifier::parse(q.trim())
                            .ok_or_else(|| row.error(format!("unknown qualifier {q:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            };
            let max_scope = match row.get("max_scope")? {
                "-" | "" => None,
                n => Some(
                    n.parse::<usize>()
                        .map_err(|_| row.error(format!("bad max_scope {n:?}")))?,
                ),
            };
            let targets_cell = row.get("targets")?;
            let (targets, cuts) = if direction == Direction::Terminate {
                let cuts = if targets_cell == "*" {
                    Qualifier::all()
                } else {
                    targets_cell
                        .split(',')
                        .map(|q| {
                            Qualifier::parse(q.trim())
                                .ok_or_else(|| row.error(format!("unknown qualifier {q:?}")))
                        })
                        .collect::<Result<Vec<_>, _>>()?
                };
                (Targets::All, cuts)
            } else if targets_cell == "*" {
                (Targets::All, vec![])
            } else {
                let cats = targets_cell
                    .split(',')
                    .map(|c| {
                        Category::parse(c.trim())
                            .ok_or_else(|| row.error(format!("unknown category {c:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                (Targets::Only(cats), vec![])
            };
            let m = row.get("match")?;
            // Checklist answers look back only to their own item: the `re:` rows that start at the item's
            // ':' or '?', and rows whose source says "checklist answer".
            let answer = m.starts_with("re:")
                && (m.contains("re:(?i):")
                    || m.contains("re:(?im):")
                    || m.contains(r"re:(?i)\?")
                    || row.get("source")?.starts_with("checklist answer"));
            cells.push((triggers.len(), m.to_string()));
            triggers.push(Trigger {
                id: row.get("id")?.to_string(),
                sets,
                direction,
                max_scope,
                targets,
                cuts,
                answer,
            });
        }
        let ids: Vec<String> = triggers.iter().map(|t| t.id.clone()).collect();
        let matcher = build_matcher(file, &cells, &ids)?;
        let (chronic, chronic_rows) = build_chronic(lex)?;
        Ok(ContextEngine {
            triggers,
            matcher,
            chronic,
            chronic_rows,
        })
    }

    /// Computes the assertion of each target (same order as `targets`).
    pub fn assert(&self, scan: &Scan, doc: &Document, targets: &[Target]) -> Vec<Assertion> {
        let text = scan.text();
        let mut out = vec![Assertion::default(); targets.len()];
        let hits = self.trigger_hits(scan, targets);
        // A chronic condition named inside the target is historical by nature (ConText's two-week rule).
        let chronic = self.chronic.find_all(scan);
        for (ti, t) in targets.iter().enumerate() {
            let inside = |h: &&PhraseHit| t.span.contains(h.span);
            let acute = chronic
                .iter()
                .filter(inside)
                .any(|h| self.chronic_rows[h.row].acute);
            if acute {
                continue;
            }
            if let Some(h) = chronic.iter().find(inside) {
                out[ti].set(
                    Qualifier::Historical,
                    h.span,
                    self.chronic_rows[h.row].id.clone(),
                );
            }
        }
        for (si, sentence) in doc.sentences.iter().enumerate() {
            let in_sentence: Vec<&PhraseHit> = hits
                .iter()
                .filter(|h| sentence.span.contains(h.span))
                .collect();
            let target_ids: Vec<usize> = (0..targets.len())
                .filter(|&i| sentence.span.contains(targets[i].span))
                .collect();
            if target_ids.is_empty() {
                continue;
            }
            for &ti in &target_ids {
                self.apply_section_rules(doc, si, &mut out[ti]);
            }
            if in_sentence.is_empty() {
                continue;
            }
            // For each qualifier keep the nearest trigger: iterate triggers, remember distances.
            // (distance, hit index, qualifier)
            let mut best: Vec<Vec<(usize, usize, Qualifier)>> = vec![Vec::new(); targets.len()];
            for (hi, hit) in in_sentence.iter().enumerate() {
                let trig = &self.triggers[hit.row];
                for &q in &trig.sets {
                    let (fwd_end, back_start) =
                        self.scope(text, doc, si, sentence.section, hit, &in_sentence, trig, q);
                    for &ti in &target_ids {
                        let t = targets[ti];
                        if !trig.targets.includes(t.category) {
                            continue;
                        }
                        let inside = hit.span.contains(t.span);
                        let fwd = matches!(
                            trig.direction,
                            Direction::Forward | Direction::Bidirectional
                        ) && t.span.start >= hit.span.end
                            && t.span.start < fwd_end;
                        let back = matches!(
                            trig.direction,
                            Direction::Backward | Direction::Bidirectional
                        ) && t.span.end <= hit.span.start
                            && t.span.start >= back_start;
                        if inside || fwd || back {
                            let dist = if inside {
                                0
                            } else if fwd {
                                t.span.start - hit.span.end
                            } else {
                                hit.span.start - t.span.end
                            };
                            best[ti].push((dist, hi, q));
                        }
                    }
                }
            }
            for &ti in &target_ids {
                let mut cands = std::mem::take(&mut best[ti]);
                cands.sort();
                for (_, hi, q) in cands {
                    let hit = in_sentence[hi];
                    out[ti].set(q, hit.span, self.triggers[hit.row].id.clone());
                }
            }
        }
        out
    }

    /// Trigger hits that survive overlap resolution with targets and with each other.
    fn trigger_hits(&self, scan: &Scan, targets: &[Target]) -> Vec<PhraseHit> {
        let raw = self.matcher.find_all(scan);
        let kept: Vec<PhraseHit> = raw
            .into_iter()
            // A trigger inside or partly over a target is part of the finding's words ("absent ankle jerk").
            .filter(|h| {
                !targets
                    .iter()
                    .any(|t| t.span.overlaps(h.span) && !h.span.contains(t.span))
            })
            .collect();
        longest_non_overlapping(kept)
    }

    /// The scope of a modifier hit: (end of forward scope, start of backward scope), as byte offsets.
    #[allow(clippy::too_many_arguments)]
    fn scope(
        &self,
        text: &str,
        doc: &Document,
        si: usize,
        section: SectionKind,
        hit: &PhraseHit,
        in_sentence: &[&PhraseHit],
        trig: &Trigger,
        q: Qualifier,
    ) -> (usize, usize) {
        let sentence = &doc.sentences[si];
        let cuts = |h: &&&PhraseHit| {
            let t = &self.triggers[h.row];
            t.direction == Direction::Terminate && t.cuts.contains(&q)
        };
        // Forward: to the first terminator after the trigger, the token limit, or the sentence end.
        let mut fwd_end = sentence.span.end;
        if let Some(term) = in_sentence
            .iter()
            .filter(cuts)
            .find(|h| h.span.start >= hit.span.end)
        {
            fwd_end = fwd_end.min(term.span.start);
        }
        let ros_list = q == Qualifier::Negated && section == SectionKind::Ros;
        // Scopes count words, as NegEx does: "no leg pain, numbness, tingling, or weakness" is 6 words.
        if let (Some(n), false) = (trig.max_scope, ros_list) {
            let after = doc.token_range(Span::new(hit.span.end, sentence.span.end));
            if let Some(tok) = doc.tokens[after].iter().filter(|t| t.is_word).nth(n) {
                fwd_end = fwd_end.min(tok.span.start);
            }
        }
        // Backward: from the last terminator before the trigger, the token limit, or the sentence start.
        let mut back_start = sentence.span.start;
        if let Some(term) = in_sentence
            .iter()
            .filter(cuts)
            .rev()
            .find(|h| h.span.end <= hit.span.start)
        {
            back_start = back_start.max(term.span.end);
        }
        if let Some(n) = trig.max_scope {
            let before = doc.token_range(Span::new(sentence.span.start, hit.span.start));
            if let Some(tok) = doc.tokens[before]
                .iter()
                .rev()
                .filter(|t| t.is_word)
                .nth(n.saturating_sub(1))
            {
                back_start = back_start.max(tok.span.start);
            }
        }
        if trig.answer {
            // A checklist answer belongs to its own item only.
            // The item starts after the previous item's ':' or the line start ("Hx cancer, wt loss: denies"
            // answers both; "Fever: no, chills: denies" answers only chills).
            if let Some(p) = text[back_start..hit.span.start].rfind([';', ':', '\n']) {
                back_start = back_start + p + 1;
            }
        }
        (fwd_end, back_start)
    }

    fn apply_section_rules(&self, doc: &Document, si: usize, a: &mut Assertion) {
        let sentence = &doc.sentences[si];
        let header = doc.section_header(sentence.span);
        match sentence.section {
            SectionKind::FamilyHistory => {
                a.set(Qualifier::Family, header, "section:family_history".into())
            }
            SectionKind::Education => {
                a.set(Qualifier::Hypothetical, header, "section:education".into())
            }
            _ => {}
        }
    }
}
