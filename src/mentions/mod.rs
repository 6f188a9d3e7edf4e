//! Mentions: targets found by the concept lexicons and value patterns, each with its assertion (ConText),
//! its temporal expressions and trajectory, and the spinal regions it is attributed to.
//!
//! The layers stay separate and inspectable (`precert explain` prints them): targets
//! ([`concepts`], [`patterns`]) are found first; modifiers ([`context`], [`temporal`], [`region`]) are found
//! independently and then linked to targets within a sentence.

pub mod concepts;
pub mod context;
pub mod cues;
pub mod fusion;
pub mod patterns;
pub mod phrase;
pub mod region;
pub mod temporal;

use crate::lexicon::{LexiconError, Lexicons};
use crate::model::MentionModel;
use crate::text::regex::Window;
use crate::text::{Document, SectionKind, Span};
use concepts::{Category, ConceptMatcher, Region};
use context::{Assertion, ContextEngine, Qualifier, Target};
use fusion::{EvidenceMode, ModelView, Source, Thresholds};
use patterns::{PatternMatcher, Value};
use phrase::Scan;
use region::{RegionHit, RegionMatcher};
use serde::Serialize;
use temporal::{
    TemporalExpr, TemporalMatcher, TemporalValue, Trajectory, TrajectoryCue, TrajectoryMatcher,
};

/// How far (in tokens) a temporal expression may stand from the mention it describes.
const TEMPORAL_NEAR_TOKENS: usize = 12;

/// One clinical mention in one note.
#[derive(Clone, Debug, Serialize)]
pub struct Mention {
    /// Where in the note text.
    pub span: Span,
    /// Canonical concept ("saddle_anesthesia", "strength_grade").
    pub concept: String,
    /// Category.
    pub category: Category,
    /// Sub-group (modality, red-flag id…).
    pub group: String,
    /// Lexicon row or pattern id that found it.
    pub rule: String,
    /// Section it sits in.
    pub section: SectionKind,
    /// Index of its sentence in the document.
    pub sentence: usize,
    /// Regions attributed to it.
    pub regions: Vec<Region>,
    /// Vertebral levels attributed to it.
    pub levels: Vec<String>,
    /// Measured value, for pattern mentions.
    pub value: Option<Value>,
    /// ConText assertion.
    pub assertion: Assertion,
    /// Temporal expressions linked to it.
    pub temporal: Vec<TemporalExpr>,
    /// Trajectory linked to it.
    pub trajectory: Option<TrajectoryCue>,
    /// What decided its labels: the rules, the model, or both in agreement.
    pub source: Source,
    /// The model's probability for its final label (None when the model did not run).
    pub score: Option<f32>,
    /// The model's own reading, when it ran.
    pub model: Option<ModelView>,
}

impl Mention {
    /// Its regions, then its vertebral levels, as shown to a reader ("lumbar", "L4-5").
    pub fn region_labels(&self) -> Vec<String> {
        self.regions
            .iter()
            .map(|r| r.as_str().to_string())
            .chain(self.levels.iter().cloned())
            .collect()
    }
}

/// Everything the mention layer needs, compiled once.
#[derive(Debug)]
pub struct MentionExtractor {
    concepts: ConceptMatcher,
    patterns: PatternMatcher,
    context: ContextEngine,
    regions: RegionMatcher,
    temporal: TemporalMatcher,
    trajectory: TrajectoryMatcher,
    cues: cues::CueMatcher,
}

/// The mention model and how to fuse it, as handed to [`MentionExtractor::extract`].
#[derive(Clone, Copy)]
pub struct ModelUse<'a> {
    /// The model.
    pub model: &'a MentionModel,
    /// lexicon | model | both.
    pub mode: EvidenceMode,
    /// Fusion thresholds.
    pub thresholds: &'a Thresholds,
}

impl MentionExtractor {
    /// Compiles every lexicon layer.
    pub fn build(lex: &Lexicons) -> Result<MentionExtractor, LexiconError> {
        // The concept layer holds most of the regexes: built beside the others (start-up time).
        let (concepts, context) =
            rayon::join(|| ConceptMatcher::build(lex), || ContextEngine::build(lex));
        let mut x = MentionExtractor {
            concepts: concepts?,
            patterns: PatternMatcher::new(),
            context: context?,
            regions: RegionMatcher::build(lex)?,
            temporal: TemporalMatcher::new(),
            trajectory: TrajectoryMatcher::build(lex)?,
            cues: cues::CueMatcher::build(lex)?,
        };
        // Every rule layer reads a note in one automaton pass (`phrase` module documentation). The cue
        // words stay apart: only the model reads them.
        let [triggers, chronic] = x.context.phrases_mut();
        phrase::share(&mut [
            x.concepts.phrases_mut(),
            x.regions.phrases_mut(),
            triggers,
            chronic,
            x.trajectory.phrases_mut(),
        ])?;
        phrase::share(&mut [x.cues.phrases_mut()])?;
        Ok(x)
    }

    /// Extracts the mentions of one note.
    pub fn extract(
        &self,
        text: &str,
        doc: &Document,
        note_date: Option<chrono::NaiveDate>,
        model: Option<ModelUse<'_>>,
    ) -> Vec<Mention> {
        let measurements = self.patterns.find(text);
        let entries = self.concepts.entries();
        let scan = self.concepts.scan(text);
        let mut mentions: Vec<Mention> = Vec::new();
        for hit in self.concepts.find(&scan) {
            if measurements.iter().any(|m| m.span.overlaps(hit.span)) {
                continue; // "ODI 44%" is one measurement, not a bare "ODI" mention
            }
            let e = &entries[hit.entry];
            if e.category == Category::Ignore {
                continue;
            }
            mentions.push(
                self.new_mention(doc, hit.span, &e.concept, e.category, &e.group, &e.id, None),
            );
        }
        for m in measurements {
            let (concept, group) = match &m.value {
                Value::Strength { .. } => ("strength_grade", "motor"),
                Value::PainScore { .. } => ("pain_score", "pain"),
                Value::Disability { .. } => ("disability_score", "scale"),
                Value::Lab { .. } => ("inflammatory_lab", "infection"),
            };
            mentions.push(self.new_mention(
                doc,
                m.span,
                concept,
                Category::Measurement,
                group,
                m.rule,
                Some(m.value),
            ));
        }
        // Mentions outside every sentence (inside a header) carry no assertion context; drop them.
        mentions.retain(|m| m.sentence != usize::MAX);
        mentions.sort_by_key(|m| (m.span.start, m.span.end));

        let targets: Vec<Target> = mentions
            .iter()
            .map(|m| Target {
                span: m.span,
                category: m.category,
            })
            .collect();
        for (m, a) in mentions
            .iter_mut()
            .zip(self.context.assert(&scan, doc, &targets))
        {
            m.assertion = a;
        }
        apply_section_defaults(doc, &mut mentions);
        negate_zero_scores(doc, text, &mut mentions);
        // An expression is linked only to a mention of its own sentence (`link_temporal`): without the
        // model, which may add mentions elsewhere, only the sentences holding one are searched.
        let windows = match model {
            None => temporal_windows(doc, text, &mentions),
            Some(_) => vec![Window::whole(text)],
        };
        let temporal = self.temporal.find_within(&scan.hay(), note_date, &windows);
        // A bare "surgery" inside a temporal anchor ("before surgery", "since the surgery") refers to a
        // surgery named elsewhere; it is not a surgery of its own. Dropped before the model runs, which
        // then has no reason to read it.
        mentions.retain(|m| {
            !(m.category == Category::Surgery
                && m.group == "generic"
                && temporal.iter().any(|t| {
                    matches!(t.value, TemporalValue::Surgery { .. }) && t.span.contains(m.span)
                }))
        });
        if let Some(mu) = model {
            self.apply_model(text, doc, &mut mentions, mu);
        }

        let region_hits = self.regions.find(&scan);
        for m in mentions.iter_mut() {
            let own = entries
                .iter()
                .find(|e| e.id == m.rule)
                .and_then(|e| e.region);
            // A bare "surgery" takes a region only from words right beside it ("L4-5 surgery"): in
            // "back pain, which he had before surgery" the back is not the surgery's region.
            // Treatments take a region only from words right beside them ("cervical PT", "PT for the neck").
            let near = match (m.category, m.group.as_str()) {
                (Category::Surgery, "generic") => 2,
                (Category::Conservative, _) => 3,
                _ => region::NEAR_TOKENS,
            };
            let (regions, levels) = region::attribute(doc, &region_hits, m.span, own, near);
            m.regions = regions;
            m.levels = levels;
        }
        self.link_temporal(doc, text, temporal, &mut mentions);
        self.link_trajectory(doc, &scan, &mut mentions);
        mentions
    }

    /// The assertion of one given span, as if it were the only target: what an evaluation kit asks when it
    /// names the concept ("edema" in "Extremities reveal no peripheral cyanosis or EDEMA.") instead of
    /// leaving precert to find it. The span takes the category of the lexicon mention it overlaps (so
    /// category-restricted triggers apply as they would in a note), or `Symptom` (a clinical finding) when
    /// the lexicons do not know it; section rules (family history, education, past history) apply too.
    pub fn assert_span(&self, text: &str, doc: &Document, span: Span) -> Mention {
        let scan = self.concepts.scan(text);
        let known = self
            .concepts
            .find(&scan)
            .into_iter()
            .filter(|h| h.span.overlaps(span))
            .map(|h| self.concepts.entries()[h.entry].category)
            .find(|c| *c != Category::Ignore);
        let group = if known.is_some() {
            "target"
        } else {
            fusion::UNKNOWN_TARGET
        };
        let category = known.unwrap_or(Category::Symptom);
        let mut m = self.new_mention(doc, span, "target", category, group, "target", None);
        if m.sentence == usize::MAX {
            // A target across sentence boundaries: judge it in the sentence where it starts.
            m.sentence = doc.sentence_at(span.start).unwrap_or(0);
        }
        let target = Target { span, category };
        if let Some(a) = self.context.assert(&scan, doc, &[target]).pop() {
            m.assertion = a;
        }
        apply_section_defaults(doc, std::slice::from_mut(&mut m));
        m
    }

    /// Cue-word candidates for the mention model.
    pub fn cue_candidates(
        &self,
        text: &str,
        doc: &Document,
        mentions: &[Mention],
    ) -> Vec<cues::Candidate> {
        self.cues.candidates(text, doc, mentions)
    }

    /// Temporal expressions of a text (for evaluation and `explain`).
    pub fn temporal(&self, text: &str, note_date: Option<chrono::NaiveDate>) -> Vec<TemporalExpr> {
        self.temporal.find(text, note_date)
    }

    /// Region hits of a note (for `explain` and surgery levels).
    pub fn region_hits(&self, text: &str) -> Vec<RegionHit> {
        self.regions.find(&self.concepts.scan(text))
    }

    #[allow(clippy::too_many_arguments)]
    fn new_mention(
        &self,
        doc: &Document,
        span: Span,
        concept: &str,
        category: Category,
        group: &str,
        rule: &str,
        value: Option<Value>,
    ) -> Mention {
        let sentence = doc
            .sentence_at(span.start)
            .filter(|&i| doc.sentences[i].span.contains(span))
            .unwrap_or(usize::MAX);
        let section = doc
            .sentences
            .get(sentence)
            .map_or(SectionKind::Preamble, |s| s.section);
        Mention {
            span,
            concept: concept.to_string(),
            category,
            group: group.to_string(),
            rule: rule.to_string(),
            section,
            sentence,
            regions: Vec::new(),
            levels: Vec::new(),
            value,
            assertion: Assertion::default(),
            temporal: Vec::new(),
            trajectory: None,
            source: Source::Lexicon,
            score: None,
            model: None,
        }
    }

    /// What the mention model reads in a note, given its lexicon mentions (as the rules left them): the
    /// mentions it judges and the cue words it may add from.
    pub fn model_candidates(
        &self,
        text: &str,
        doc: &Document,
        mentions: &[Mention],
    ) -> ModelCandidates {
        let judged: Vec<usize> = (0..mentions.len())
            .filter(|&i| fusion::model_category(&mentions[i]).is_some())
            .collect();
        let mut candidates = self.cues.candidates(text, doc, mentions);
        // A cue can only add a mention of a category its sentence lacks (see `crowded` in
        // `apply_model`): when the lexicons already found every category it could add there, its reading
        // cannot change a fact, and it is not classified.
        candidates.retain(|c| {
            c.categories.iter().any(|k| {
                !mentions
                    .iter()
                    .any(|m| m.sentence == c.sentence && m.category == k.category())
            })
        });
        ModelCandidates { judged, candidates }
    }

    /// Runs the mention model over the note's lexicon mentions and cue-word candidates, in one batch, and
    /// fuses its readings in (see [`fusion`]). On a model failure the lexicon mentions stand unchanged and
    /// the failure is reported on stderr: a review is never lost to the model.
    fn apply_model(
        &self,
        text: &str,
        doc: &Document,
        mentions: &mut Vec<Mention>,
        mu: ModelUse<'_>,
    ) {
        let ModelCandidates { judged, candidates } = self.model_candidates(text, doc, mentions);
        let inputs = model_inputs(text, doc, mentions, &judged, &candidates);
        if inputs.is_empty() {
            return;
        }
        let preds = match mu.model.classify(&inputs) {
            Ok(p) => p,
            Err(e) => {
                eprintln!(
                    "precert: mention model failed, lexicon evidence only for this note: {e}"
                );
                return;
            }
        };
        let mut keep = vec![true; mentions.len()];
        for (k, &i) in judged.iter().enumerate() {
            let window = doc.sentences[mentions[i].sentence].span;
            keep[i] = fusion::fuse(&mut mentions[i], &preds[k], window, mu.mode, mu.thresholds);
        }
        let mut added = Vec::new();
        for (c, p) in candidates.iter().zip(&preds[judged.len()..]) {
            let (category, p_c) = p.top_category();
            let Some(cat) = c.categories.iter().find(|k| k.model_name() == category) else {
                continue;
            };
            let crowded = mentions
                .iter()
                .chain(added.iter())
                .any(|m: &Mention| m.sentence == c.sentence && m.category == cat.category());
            if p_c < mu.thresholds.add || crowded {
                continue;
            }
            let mut m = self.new_mention(
                doc,
                c.clause,
                cat.concept(),
                cat.category(),
                "model",
                &format!("{}+model", c.rule),
                None,
            );
            if m.sentence == usize::MAX {
                continue;
            }
            let (top_a, p_a) = p.top_assertion();
            m.assertion = fusion::model_assertion(top_a, &m);
            m.source = Source::Model;
            m.score = Some(p_a.min(p_c));
            m.model = Some(ModelView {
                assertion: top_a,
                p_assertion: p_a,
                category,
                p_category: p_c,
                lexicon_assertion: "present",
            });
            added.push(m);
        }
        apply_section_defaults(doc, &mut added);
        let mut k = 0;
        mentions.retain(|_| {
            k += 1;
            keep[k - 1]
        });
        mentions.extend(added);
        mentions.sort_by_key(|m| (m.span.start, m.span.end));
    }

    /// Each temporal expression goes to the nearest mention in its sentence (ties: the one before it,
    /// except "N weeks of X", which describes what follows).
    fn link_temporal(
        &self,
        doc: &Document,
        text: &str,
        exprs: Vec<TemporalExpr>,
        mentions: &mut [Mention],
    ) {
        for expr in exprs {
            let Some(si) = doc.sentence_at(expr.span.start) else {
                continue;
            };
            let et = doc.token_range(expr.span);
            let forward_bias = text[expr.span.end..]
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("of ");
            let mut best: Option<(usize, bool, usize)> = None; // (distance, is_preferred_side, index)
            for (i, m) in mentions.iter().enumerate() {
                if m.sentence != si
                    || m.span.overlaps(expr.span)
                    || m.category == Category::Measurement
                    || crosses_clause(text, m.span, expr.span)
                {
                    continue;
                }
                let mt = doc.token_range(m.span);
                let (dist, after) = if mt.start >= et.end {
                    (mt.start - et.end, true)
                } else {
                    (et.start.saturating_sub(mt.end), false)
                };
                if dist > TEMPORAL_NEAR_TOKENS {
                    continue;
                }
                let preferred = after == forward_bias;
                let better = match best {
                    None => true,
                    Some((d, p, _)) => dist < d || (dist == d && preferred && !p),
                };
                if better {
                    best = Some((dist, preferred, i));
                }
            }
            if let Some((_, _, i)) = best {
                mentions[i].temporal.push(expr);
            }
        }
    }

    /// A trajectory cue describes the mentions before it back to the previous cue ("X has resolved, and
    /// Y has significantly improved"); with none before it, the mentions after it ("worsening leg pain").
    fn link_trajectory(&self, doc: &Document, scan: &Scan, mentions: &mut [Mention]) {
        let cues: Vec<TrajectoryCue> = self
            .trajectory
            .find(scan)
            .into_iter()
            .filter(|c| !mentions.iter().any(|m| m.span.overlaps(c.span)))
            .collect();
        let describable = |m: &Mention| {
            matches!(
                m.category,
                Category::Symptom
                    | Category::Radicular
                    | Category::Deficit
                    | Category::RedFlag
                    | Category::Functional
            )
        };
        for (ci, cue) in cues.iter().enumerate() {
            let Some(si) = doc.sentence_at(cue.span.start) else {
                continue;
            };
            // "Chronic" describes duration, not change: it neither separates clauses nor displaces a
            // change cue ("burning, which he had before surgery, … somewhat worse").
            let prev_end = cues[..ci]
                .iter()
                .rev()
                .filter(|c| c.trajectory != Trajectory::Chronic)
                .find(|c| doc.sentence_at(c.span.start) == Some(si))
                .map_or(doc.sentences[si].span.start, |c| c.span.end);
            let before: Vec<usize> = (0..mentions.len())
                .filter(|&i| {
                    let m = &mentions[i];
                    m.sentence == si
                        && describable(m)
                        && m.span.start >= prev_end
                        && m.span.end <= cue.span.start
                })
                .collect();
            let chosen = if before.is_empty() {
                let next_start = cues
                    .get(ci + 1)
                    .filter(|c| doc.sentence_at(c.span.start) == Some(si))
                    .map_or(doc.sentences[si].span.end, |c| c.span.start);
                (0..mentions.len())
                    .filter(|&i| {
                        let m = &mentions[i];
                        m.sentence == si
                            && describable(m)
                            && m.span.start >= cue.span.end
                            && m.span.end <= next_start
                    })
                    .collect()
            } else {
                before
            };
            for i in chosen {
                let replace = match &mentions[i].trajectory {
                    None => true,
                    Some(t) => {
                        t.trajectory == Trajectory::Chronic && cue.trajectory != Trajectory::Chronic
                    }
                };
                if replace {
                    mentions[i].trajectory = Some(cue.clone());
                }
            }
        }
    }
}

/// Where a temporal expression can reach a mention: each run of sentences holding a mention that an
/// expression may be linked to (measurements take none), widened by one sentence on either side. The
/// sentence before is read because a search of the whole note would read it too, and an expression found
/// there may overlap, and so displace, one that starts in the run; the sentence after, because an
/// expression may run on into it ("for 3\nweeks" across a line break). So the expressions that start in
/// a run are those of the whole note unless one match spans two sentence breaks. On MTSamples the runs
/// hold a fifth of the text; the output is byte-identical to searching all of it.
fn temporal_windows(doc: &Document, text: &str, mentions: &[Mention]) -> Vec<Window> {
    let sentences = &doc.sentences;
    let mut wanted = vec![false; sentences.len()];
    for m in mentions {
        if m.category != Category::Measurement && m.sentence < sentences.len() {
            wanted[m.sentence] = true;
        }
    }
    let mut windows: Vec<Window> = Vec::new();
    let mut i = 0;
    while i < sentences.len() {
        if !wanted[i] {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < sentences.len() && wanted[j + 1] {
            j += 1;
        }
        let from = if i > 0 {
            sentences[i - 1].span.start
        } else {
            0
        };
        let until = sentences[j].span.end;
        let limit = sentences.get(j + 1).map_or(text.len(), |s| s.span.end);
        let w = Window::new(text, from, until, limit);
        match windows.last_mut() {
            // The sentence after one run is the sentence before the next: one search.
            Some(last) if w.from <= last.limit => {
                last.until = w.until;
                last.limit = w.limit;
            }
            _ => windows.push(w),
        }
        i = j + 1;
    }
    windows
}

/// Section defaults that no trigger word states: procedures listed under past surgical/medical history
/// were done; injections named under PLAN (with no word saying they were done) are proposed.
fn apply_section_defaults(doc: &Document, mentions: &mut [Mention]) {
    for m in mentions.iter_mut() {
        let header = doc.section_header(m.span);
        // Terse plans name the injection alone ("P: L5-S1 TFESI"); surgeries in a plan section are as often
        // described as done ("s/p ACDF, fusion progressing"), so only injections default to proposed.
        let injection = m.category == Category::Injection;
        match m.section {
            // ConText's section rule: what a past-history section lists predates the encounter.
            SectionKind::Psh | SectionKind::Pmh if !m.assertion.has(Qualifier::Hypothetical) => {
                push_cue(
                    &mut m.assertion,
                    Qualifier::Historical,
                    header,
                    "section:past_history",
                );
            }
            SectionKind::Plan
                if injection
                    && !m.assertion.has(Qualifier::Historical)
                    && !m.assertion.has(Qualifier::Negated) =>
            {
                push_cue(
                    &mut m.assertion,
                    Qualifier::Hypothetical,
                    header,
                    "section:plan",
                );
            }
            _ => {}
        }
    }
}

fn push_cue(a: &mut Assertion, q: Qualifier, span: Span, rule: &str) {
    if !a.has(q) {
        a.cues.push(context::Cue {
            qualifier: q,
            span,
            rule: rule.to_string(),
        });
    }
}

/// "Leg pain 0/10", "radicular pain: 0/10": a zero pain rating right after a symptom says it is absent.
/// (A rule of the value layer rather than a trigger, because the score is itself a target.)
fn negate_zero_scores(doc: &Document, text: &str, mentions: &mut [Mention]) {
    let zeros: Vec<Span> = mentions
        .iter()
        .filter(|m| matches!(m.value, Some(Value::PainScore { score }) if score == 0.0))
        .map(|m| m.span)
        .collect();
    for z in zeros {
        let zt = doc.token_range(z);
        let target = mentions
            .iter_mut()
            .filter(|m| matches!(m.category, Category::Symptom | Category::Radicular))
            .rfind(|m| {
                let mt = doc.token_range(m.span);
                m.span.end <= z.start
                    && zt.start.saturating_sub(mt.end) <= 2
                    && !text[m.span.end..z.start].contains(['.', ';', '\n'])
            });
        if let Some(m) = target {
            push_cue(&mut m.assertion, Qualifier::Negated, z, "pat-pain-zero");
        }
    }
}

/// True when a pipe, semicolon or line break stands between two spans: template cells ("POC: 2x/wk x 6 wks |
/// Initial eval: 09/08/2026") and list items are separate statements for temporal linking.
fn crosses_clause(text: &str, a: Span, b: Span) -> bool {
    let (lo, hi) = if a.end <= b.start {
        (a.end, b.start)
    } else {
        (b.end, a.start.max(b.end))
    };
    lo < hi && text[lo..hi].contains(['|', ';', '\n'])
}

/// What the mention model reads in one note (see [`MentionExtractor::model_candidates`]).
#[derive(Debug, Default)]
pub struct ModelCandidates {
    /// Indices of the lexicon mentions it judges.
    pub judged: Vec<usize>,
    /// Cue words it may add a mention from.
    pub candidates: Vec<cues::Candidate>,
}

/// The model inputs for `judged` mentions then `candidates`, in that order.
pub fn model_inputs(
    text: &str,
    doc: &Document,
    mentions: &[Mention],
    judged: &[usize],
    candidates: &[cues::Candidate],
) -> Vec<String> {
    judged
        .iter()
        .map(|&i| crate::model::input_for(text, doc, mentions[i].span))
        .chain(
            candidates
                .iter()
                .map(|c| crate::model::input_for(text, doc, c.cue)),
        )
        .collect()
}
