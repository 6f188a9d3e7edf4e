//! Evidence: from the mentions of every note of a case to the facts the guideline turns on.
//!
//! Each criterion, red flag and non-indication is one small function over the case's mentions
//! ([`criteria`], [`red_flags`], [`surgery`], [`non_indications`]); each cites the guideline text it
//! implements. Every fact carries [`Evidence`]: a quote with its note id and byte offsets, so a reviewer
//! can check it against the note. The ONNX evidence model (a later stage) plugs in here as a second
//! source; `source` records which produced each record.

pub mod criteria;
pub mod non_indications;
pub mod red_flags;
pub mod surgery;

use crate::ingest::{Case, CptRegion, Note};
use crate::mentions::concepts::{Category, Region};
use crate::mentions::temporal::{TemporalValue, Trajectory, TrajectoryCue};
use crate::mentions::Mention;
use crate::text::{Document, Span};
use chrono::NaiveDate;
use serde::Serialize;

/// A quote from a note that a fact rests on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// The note quoted.
    pub note_id: String,
    /// Byte offset of the quote in the note text.
    pub start: usize,
    /// Byte offset one past the quote.
    pub end: usize,
    /// `&note.text[start..end]`, verbatim.
    pub text: String,
    /// The concept ("saddle_anesthesia", "vague_worsening").
    pub concept: String,
    /// present | absent | possible | hypothetical | historical | family.
    pub assertion: String,
    /// The cue that set a non-present assertion, with its rule id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cue: Option<String>,
    /// Temporal values linked to the mention, normalised, and its trajectory.
    pub temporal: Option<TemporalSummary>,
    /// The section the quote sits in.
    pub section: String,
    /// What decided it: "lexicon" (rules), "model", or "both" in agreement.
    pub source: String,
    /// The model's probability for this reading (absent when the model did not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// The lexicon row or pattern id.
    pub rule: String,
}

/// Temporal information attached to an evidence quote.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TemporalSummary {
    /// Temporal expressions: their text and normalised value.
    pub expressions: Vec<TemporalItem>,
    /// Trajectory ("worse", "improved"…), with "vague" when the wording is non-committal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trajectory: Option<String>,
}

/// One temporal expression in an evidence record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TemporalItem {
    /// The expression as written.
    pub text: String,
    /// Its normalised value.
    pub value: TemporalValue,
}

/// One note with its analysis.
#[derive(Debug)]
pub struct AnalyzedNote<'c> {
    /// The note.
    pub note: &'c Note,
    /// Its sections, sentences and tokens.
    pub doc: Document,
    /// Its mentions.
    pub mentions: Vec<Mention>,
}

/// All notes of a case, analysed, with the dates the evidence step measures against.
#[derive(Debug)]
pub struct CaseAnalysis<'c> {
    /// The case.
    pub case: &'c Case,
    /// Notes in input order.
    pub notes: Vec<AnalyzedNote<'c>>,
}

/// A mention together with the note it is in.
#[derive(Clone, Copy, Debug)]
pub struct Found<'a> {
    /// The note.
    pub note: &'a AnalyzedNote<'a>,
    /// The mention.
    pub mention: &'a Mention,
}

impl<'a> Found<'a> {
    /// The quoted evidence record.
    pub fn evidence(&self) -> Evidence {
        evidence_of(self.note, self.mention)
    }
    /// The note's date.
    pub fn date(&self) -> Option<NaiveDate> {
        self.note.note.date
    }
    /// The assertion label.
    pub fn label(&self) -> &'static str {
        self.mention.assertion.label()
    }
    /// Its trajectory, if any.
    pub fn trajectory(&self) -> Option<&'a TrajectoryCue> {
        self.mention.trajectory.as_ref()
    }
    /// True when present (not negated, uncertain, hypothetical, historical or someone else's) and not
    /// described as improved or resolved.
    pub fn is_current(&self) -> bool {
        self.label() == "present"
            && !matches!(
                self.trajectory().map(|t| t.trajectory),
                Some(Trajectory::Improved | Trajectory::Resolved)
            )
    }
    /// True when the mention is attributed to `region` (lumbar accepts sacral). With `allow_unknown`, a
    /// mention with no region at all also counts.
    pub fn in_region(&self, region: CptRegion, allow_unknown: bool) -> bool {
        region_matches(&self.mention.regions, region, allow_unknown)
    }
}

/// True when `regions` includes the request's region (lumbar accepts sacral).
pub fn region_matches(regions: &[Region], region: CptRegion, allow_unknown: bool) -> bool {
    if regions.is_empty() {
        return allow_unknown;
    }
    regions.iter().any(|r| match region {
        CptRegion::Lumbar => matches!(r, Region::Lumbar | Region::Sacral),
        CptRegion::Thoracic => *r == Region::Thoracic,
        CptRegion::Cervical => *r == Region::Cervical,
    })
}

impl<'c> CaseAnalysis<'c> {
    /// Every mention of the case, with its note.
    pub fn all(&self) -> impl Iterator<Item = Found<'_>> {
        self.notes.iter().flat_map(|n| {
            n.mentions.iter().map(move |m| Found {
                note: n,
                mention: m,
            })
        })
    }

    /// Mentions of one category.
    pub fn of(&self, category: Category) -> Vec<Found<'_>> {
        self.all()
            .filter(|f| f.mention.category == category)
            .collect()
    }

    /// The date durations run to: the request date, else the latest note date.
    pub fn reference_date(&self) -> Option<NaiveDate> {
        self.case.request.date.or_else(|| self.latest_note_date())
    }

    /// The latest note date.
    pub fn latest_note_date(&self) -> Option<NaiveDate> {
        self.notes.iter().filter_map(|n| n.note.date).max()
    }
}

/// Builds the evidence record of a mention.
pub fn evidence_of(note: &AnalyzedNote<'_>, m: &Mention) -> Evidence {
    let text = &note.note.text;
    let label = m.assertion.label();
    let cue = m
        .assertion
        .cues
        .iter()
        .find(|c| label != "present" && c.qualifier_label() == label)
        .map(|c| {
            let quote = &text[c.span];
            format!("{} ({quote:?})", c.rule)
        });
    let temporal = (!m.temporal.is_empty() || m.trajectory.is_some()).then(|| TemporalSummary {
        expressions: m
            .temporal
            .iter()
            .map(|e| TemporalItem {
                text: text[e.span].to_string(),
                value: e.value.clone(),
            })
            .collect(),
        trajectory: m.trajectory.as_ref().map(trajectory_label),
    });
    Evidence {
        note_id: note.note.note_id.clone(),
        start: m.span.start,
        end: m.span.end,
        text: text[m.span].to_string(),
        concept: m.concept.clone(),
        assertion: label.to_string(),
        cue,
        temporal,
        section: m.section.as_str().to_string(),
        source: m.source.as_str().into(),
        score: m.score.map(|s| (s * 1000.0).round() / 1000.0),
        rule: m.rule.clone(),
    }
}

/// Evidence for a bare span (a trajectory or temporal cue rather than a mention).
pub fn span_evidence(note: &AnalyzedNote<'_>, span: Span, concept: &str, rule: &str) -> Evidence {
    let section = note
        .doc
        .sentence_at(span.start)
        .map_or("preamble", |i| note.doc.sentences[i].section.as_str());
    Evidence {
        note_id: note.note.note_id.clone(),
        start: span.start,
        end: span.end,
        text: note.note.text[span].to_string(),
        concept: concept.to_string(),
        assertion: "present".into(),
        cue: None,
        temporal: None,
        section: section.to_string(),
        source: "lexicon".into(),
        score: None,
        rule: rule.to_string(),
    }
}

/// "worse", "worse (vague)", "improved"…
pub fn trajectory_label(t: &TrajectoryCue) -> String {
    let name = serde_json::to_value(t.trajectory)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    if t.vague {
        format!("{name} (vague)")
    } else {
        name
    }
}

/// Removes duplicate quotes (same note and span), keeping the first, and caps the list.
pub fn dedup(mut ev: Vec<Evidence>, cap: usize) -> Vec<Evidence> {
    let mut seen = std::collections::HashSet::new();
    ev.retain(|e| seen.insert((e.note_id.clone(), e.start, e.end)));
    ev.truncate(cap);
    ev
}

/// Maximum evidence quotes kept per fact (the worksheet must stay readable).
pub const MAX_EVIDENCE: usize = 8;

impl crate::mentions::context::Cue {
    /// The assertion label this cue's qualifier maps to.
    pub fn qualifier_label(&self) -> &'static str {
        use crate::mentions::context::Qualifier::*;
        match self.qualifier {
            Negated => "absent",
            Possible => "possible",
            Historical => "historical",
            Hypothetical => "hypothetical",
            Family => "family",
        }
    }
}
