//! Non-indications: reasons offered for imaging that do not establish medical necessity (seed
//! determination, "Common Pitfalls to Avoid"; ACR LBP 2021: uncomplicated LBP without red flags does not
//! warrant imaging).

use super::{dedup, span_evidence, CaseAnalysis, Evidence, Found, MAX_EVIDENCE};
use crate::ingest::CptRegion;
use crate::mentions::concepts::Category;
use crate::mentions::context::Qualifier;
use crate::mentions::temporal::{TemporalValue, Trajectory};
use serde::Serialize;

/// A non-indication found in the notes.
#[derive(Clone, Debug, Serialize)]
pub struct NonIndication {
    /// `no_recent_imaging` | `preexisting_symptoms` | `vague_worsening`.
    pub id: String,
    /// Quotes.
    pub evidence: Vec<Evidence>,
}

fn symptom_in_region(f: &Found<'_>, region: CptRegion) -> bool {
    matches!(f.mention.category, Category::Symptom | Category::Radicular)
        && f.in_region(region, true)
}

fn definite_change(f: &Found<'_>) -> bool {
    f.label() == "present"
        && f.trajectory().is_some_and(|t| {
            !t.vague
                && matches!(
                    t.trajectory,
                    Trajectory::New | Trajectory::Progressive | Trajectory::Worse
                )
        })
}

/// Finds the non-indications for a request region.
pub fn evaluate(case: &CaseAnalysis<'_>, region: CptRegion) -> Vec<NonIndication> {
    let mut out = Vec::new();

    // Seed: '"Lack of recent imaging" is not an indication' — an imaging study stated to be absent.
    let no_imaging: Vec<Evidence> = case
        .of(Category::Imaging)
        .into_iter()
        .filter(|f| f.label() == "absent")
        .map(|f| {
            let mut e = f.evidence();
            // Quote the whole statement ("We do not have any recent imaging"), not just the noun.
            if let Some(cue) = f.mention.assertion.cue(Qualifier::Negated) {
                if cue.span.end <= f.mention.span.start && !cue.rule.starts_with("section:") {
                    let span = cue.span.cover(f.mention.span);
                    e.start = span.start;
                    e.end = span.end;
                    e.text = f.note.note.text[span].to_string();
                }
            }
            e
        })
        .collect();
    if !no_imaging.is_empty() {
        out.push(NonIndication {
            id: "no_recent_imaging".into(),
            evidence: dedup(no_imaging, MAX_EVIDENCE),
        });
    }

    let region_symptoms: Vec<Found<'_>> = case
        .all()
        .filter(|f| symptom_in_region(f, region))
        .collect();
    let definite = region_symptoms.iter().any(definite_change);

    // Seed: "Pre-existing symptoms do not warrant immediate imaging" — chronic or pre-existing, unchanged.
    if !definite {
        let mut ev = Vec::new();
        for f in &region_symptoms {
            let historical_cue = f.mention.assertion.cue(Qualifier::Historical);
            let chronic = f
                .trajectory()
                .is_some_and(|t| t.trajectory == Trajectory::Chronic);
            let before_surgery = f.mention.temporal.iter().any(|t| {
                matches!(
                    t.value,
                    TemporalValue::Surgery {
                        offset_days: Some(..=-1),
                        ..
                    }
                )
            });
            if chronic || before_surgery || (historical_cue.is_some() && f.label() == "historical")
            {
                ev.push(f.evidence());
                if let Some(c) = historical_cue {
                    ev.push(span_evidence(f.note, c.span, "preexisting_cue", &c.rule));
                }
                if let Some(t) = f
                    .trajectory()
                    .filter(|t| t.trajectory == Trajectory::Chronic)
                {
                    ev.push(span_evidence(f.note, t.span, "preexisting_cue", &t.rule));
                }
            }
        }
        if !ev.is_empty() {
            out.push(NonIndication {
                id: "preexisting_symptoms".into(),
                evidence: dedup(ev, MAX_EVIDENCE),
            });
        }
    }

    // Seed: 'The fact they are "somewhat worse" is insufficient' — vague worsening as the only change.
    if !definite {
        let mut ev = Vec::new();
        for f in &region_symptoms {
            if let Some(t) = f
                .trajectory()
                .filter(|t| t.vague && t.trajectory == Trajectory::Worse)
            {
                ev.push(span_evidence(f.note, t.span, "vague_worsening", &t.rule));
                ev.push(f.evidence());
            }
        }
        if !ev.is_empty() {
            out.push(NonIndication {
                id: "vague_worsening".into(),
                evidence: dedup(ev, MAX_EVIDENCE),
            });
        }
    }
    out
}
