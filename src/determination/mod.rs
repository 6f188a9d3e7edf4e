//! Determination: the guideline applied to the facts of one requested procedure.
//!
//! Order of rules (each cited in [`guideline`]):
//! 1. A cervical request is outside this guideline (ACR LBP covers the lumbar and thoracic spine): pend.
//! 2. Any red flag present → approve, pathway `red_flag` (ACR LBP variants 2, 3, 4, 7).
//! 3. Post-surgical met → approve, pathway `post_surgical` (variant 6).
//! 4. conservative_care ∧ intervention_candidate ∧ functional_impairment ∧ (radiculopathy, or for a
//!    thoracic request pain localised to the thoracic spine) → approve, `conservative_failure` (variant 5).
//!    For a with-and-without-contrast request, recommend the without-contrast study: ACR rates contrast
//!    appropriate for red flags and post-operative cases only.
//! 5. Otherwise, if a deciding fact is unclear (a red flag possible or conflicting, post-surgical unclear,
//!    or a criterion unclear while all the others are met) → pend, naming the fact.
//!    An approval whose deciding fact rests only on low-confidence model readings is also pended, naming
//!    the fact: precert recommends, and does not guess.
//! 6. Otherwise deny — worded as "criteria not met: recommend physician review", since only a physician
//!    may issue an adverse determination (NCQA/URAC UM standards; 42 CFR 422.566(d) for Medicare Advantage).

pub mod guideline;

use crate::evidence::criteria::{self, Criteria, Status};
use crate::evidence::non_indications::{self, NonIndication};
use crate::evidence::red_flags::{self, FlagStatus, RedFlags};
use crate::evidence::surgery::{self, PostSurgical};
use crate::evidence::{CaseAnalysis, Evidence};
use crate::ingest::{cpt_info, without_contrast_cpt, Contrast, CptRegion, Procedure};
use guideline::{Decision, Pathway};
use serde::Serialize;

/// The determination for one requested procedure.
#[derive(Clone, Debug, Serialize)]
pub struct Determination {
    /// CPT code.
    pub cpt: String,
    /// The procedure as described in the request.
    pub procedure: String,
    /// Region imaged.
    pub region: CptRegion,
    /// approve | deny | pend.
    pub decision: Decision,
    /// Which pathway approved it, if any.
    pub pathway: Option<Pathway>,
    /// The four criteria.
    pub criteria: Criteria,
    /// Red flags.
    pub red_flags: RedFlags,
    /// Post-surgical context.
    pub post_surgical: PostSurgical,
    /// Non-indications found.
    pub non_indications: Vec<NonIndication>,
    /// Localised thoracic pain (used for thoracic requests in place of radiculopathy).
    pub thoracic_pain: Vec<Evidence>,
    /// Why, sentence by sentence.
    pub rationale: Vec<String>,
    /// What would have to be documented to meet criteria.
    pub missing_documentation: Vec<String>,
    /// A recommended modification of the request (e.g. to the without-contrast study).
    pub recommended_modification: Option<String>,
}

/// True when an evidence record rests on a low-confidence prediction: its reading was decided by the model
/// (source `model`: a mention the model added, or every reading in `--evidence model`) with a score below
/// `threshold`. Readings the rules made stand on the rules, whatever the model thought of them; readings
/// on which rules and model agree are the best-supported of all.
pub fn is_low_confidence(e: &Evidence, threshold: f32) -> bool {
    e.source == "model" && e.score.is_some_and(|s| s < threshold)
}

/// Decides one requested procedure. `low_confidence` is the evidence score below which a deciding fact
/// cannot carry an approval on its own (see [`is_low_confidence`]).
pub fn decide(case: &CaseAnalysis<'_>, proc_: &Procedure, low_confidence: f32) -> Determination {
    let (region, contrast) = cpt_info(&proc_.cpt).expect("CPT validated at ingest");
    let fact_region = if region == CptRegion::Cervical {
        CptRegion::Cervical
    } else {
        region
    };
    let criteria = criteria::evaluate(case, fact_region);
    let red_flags = red_flags::evaluate(case, fact_region);
    let post_surgical = surgery::evaluate(
        case,
        fact_region,
        criteria.radiculopathy.status == Status::Met,
    );
    let non_indications = non_indications::evaluate(case, fact_region);
    let thoracic_pain = if region == CptRegion::Thoracic {
        crate::evidence::dedup(criteria::thoracic_pain(case), 4)
    } else {
        vec![]
    };

    let mut rationale = Vec::new();
    let mut modification = None;
    let present: Vec<&str> = red_flags
        .iter()
        .iter()
        .filter(|(_, f)| f.status == FlagStatus::Present)
        .map(|(id, _)| *id)
        .collect();
    let unclear_flags: Vec<&str> = red_flags
        .iter()
        .iter()
        .filter(|(_, f)| f.status == FlagStatus::Unclear)
        .map(|(id, _)| *id)
        .collect();
    let c = &criteria;
    let localised_ok = region == CptRegion::Thoracic && !thoracic_pain.is_empty();
    let neuro_ok = c.radiculopathy.status == Status::Met || localised_ok;
    let conservative_path = [
        c.conservative_care.status,
        c.intervention_candidate.status,
        c.functional_impairment.status,
    ]
    .iter()
    .all(|s| *s == Status::Met)
        && neuro_ok;

    let (decision, pathway) = if region == CptRegion::Cervical {
        rationale.push(format!(
            "CPT {} images the cervical spine, which the ACR low back / thoracic pain criteria do not cover: pend for physician review under the appropriate cervical guideline.",
            proc_.cpt
        ));
        (Decision::Pend, None)
    } else if !present.is_empty() {
        for id in &present {
            rationale.push(format!(
                "Red flag present: {}. {}",
                red_flags::human(id),
                quote_list(&flag(&red_flags, id).evidence)
            ));
        }
        (Decision::Approve, Some(Pathway::RedFlag))
    } else if post_surgical.status == Status::Met {
        rationale.push(format!(
            "{} {}",
            post_surgical.reason,
            quote_list(&post_surgical.evidence)
        ));
        (Decision::Approve, Some(Pathway::PostSurgical))
    } else if conservative_path {
        rationale.push(format!(
            "{} {}",
            c.conservative_care.reason,
            quote_list(&c.conservative_care.evidence)
        ));
        if c.radiculopathy.status == Status::Met {
            rationale.push(format!(
                "{} {}",
                c.radiculopathy.reason,
                quote_list(&c.radiculopathy.evidence)
            ));
        } else {
            rationale.push(format!("Pain is localised to the thoracic spine, which stands in for radiculopathy on a thoracic request. {}", quote_list(&thoracic_pain)));
        }
        rationale.push(format!(
            "{} {}",
            c.functional_impairment.reason,
            quote_list(&c.functional_impairment.evidence)
        ));
        rationale.push(format!(
            "{} {}",
            c.intervention_candidate.reason,
            quote_list(&c.intervention_candidate.evidence)
        ));
        if contrast == Contrast::WithoutAndWith {
            let target = without_contrast_cpt(region);
            modification = Some(format!(
                "Approve as {target} (without contrast): the only pathway met is conservative failure, and ACR rates contrast appropriate for red flags and post-operative evaluation, not for this indication."
            ));
        }
        (Decision::Approve, Some(Pathway::ConservativeFailure))
    } else {
        // Which deciding facts are unclear?
        let mut unclear = Vec::new();
        for id in &unclear_flags {
            unclear.push(format!("red flag {}: {}", id, flag(&red_flags, id).reason));
        }
        if post_surgical.status == Status::Unclear {
            unclear.push(format!("post-surgical: {}", post_surgical.reason));
        }
        let named = [
            ("conservative_care", &c.conservative_care),
            ("radiculopathy", &c.radiculopathy),
            ("functional_impairment", &c.functional_impairment),
            ("intervention_candidate", &c.intervention_candidate),
        ];
        let blocking: Vec<&(&str, &criteria::Criterion)> = named
            .iter()
            .filter(|(id, cr)| {
                cr.status != Status::Met && !(*id == "radiculopathy" && localised_ok)
            })
            .collect();
        if !blocking.is_empty() && blocking.iter().all(|(_, cr)| cr.status == Status::Unclear) {
            for (id, cr) in &blocking {
                unclear.push(format!("{id}: {}", cr.reason));
            }
        }
        if !unclear.is_empty() {
            for u in &unclear {
                rationale.push(format!("Pend for physician review — unclear {u}"));
            }
            (Decision::Pend, None)
        } else {
            rationale.push(
                "Criteria not met: no red flag is documented, the post-surgical pathway does not apply, and the conservative-failure criteria are not all met. This is a recommendation for physician review; only a physician may issue an adverse determination.".to_string(),
            );
            for (id, cr) in named.iter().filter(|(id, cr)| {
                cr.status != Status::Met && !(*id == "radiculopathy" && localised_ok)
            }) {
                rationale.push(format!(
                    "{}: {} {}",
                    id,
                    cr.reason,
                    quote_list(&cr.evidence)
                ));
            }
            (Decision::Deny, None)
        }
    };

    // The deciding facts of an approval, each with the quotes it rests on.
    let (mut decision, mut pathway) = (decision, pathway);
    let weak =
        |ev: &[Evidence]| !ev.is_empty() && ev.iter().all(|e| is_low_confidence(e, low_confidence));
    let weak_facts: Vec<String> = match pathway {
        // Any one well-supported red flag carries the approval.
        Some(Pathway::RedFlag)
            if present
                .iter()
                .all(|id| weak(&flag(&red_flags, id).evidence)) =>
        {
            present.iter().map(|id| format!("red flag {id}")).collect()
        }
        Some(Pathway::PostSurgical) if weak(&post_surgical.evidence) => {
            vec!["post-surgical".into()]
        }
        Some(Pathway::ConservativeFailure) => [
            ("conservative_care", &c.conservative_care.evidence),
            ("radiculopathy", &c.radiculopathy.evidence),
            ("functional_impairment", &c.functional_impairment.evidence),
            ("intervention_candidate", &c.intervention_candidate.evidence),
        ]
        .iter()
        .filter(|(_, ev)| weak(ev))
        .map(|(id, _)| id.to_string())
        .collect(),
        _ => vec![],
    };
    if !weak_facts.is_empty() {
        for f in &weak_facts {
            rationale.push(format!(
                "Pend for physician review — {f} rests only on low-confidence model readings (score below {low_confidence:.2}): a reviewer should confirm it."
            ));
        }
        decision = Decision::Pend;
        pathway = None;
        modification = None;
    }

    let mut missing = Vec::new();
    if decision != Decision::Approve && region != CptRegion::Cervical {
        for cr in [
            &c.conservative_care,
            &c.radiculopathy,
            &c.functional_impairment,
            &c.intervention_candidate,
        ] {
            for m in &cr.missing {
                if !missing.contains(m) {
                    missing.push(m.clone());
                }
            }
        }
    }
    Determination {
        cpt: proc_.cpt.clone(),
        procedure: proc_.description.clone(),
        region,
        decision,
        pathway,
        criteria,
        red_flags,
        post_surgical,
        non_indications,
        thoracic_pain,
        rationale,
        missing_documentation: missing,
        recommended_modification: modification,
    }
}

fn flag<'a>(flags: &'a RedFlags, id: &str) -> &'a red_flags::RedFlag {
    flags
        .iter()
        .into_iter()
        .find(|(i, _)| *i == id)
        .map(|(_, f)| f)
        .expect("known flag id")
}

/// `Quotes: "a" (note-1); "b" (note-2).` — at most three, so a rationale line stays a line.
pub fn quote_list(ev: &[Evidence]) -> String {
    if ev.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = ev
        .iter()
        .take(3)
        .map(|e| format!("\"{}\" ({})", e.text.replace('\n', " "), e.note_id))
        .collect();
    format!("Notes: {}.", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(source: &str, score: Option<f32>) -> Evidence {
        Evidence {
            note_id: "n".into(),
            start: 0,
            end: 1,
            text: "x".into(),
            concept: "c".into(),
            assertion: "present".into(),
            cue: None,
            temporal: None,
            section: "hpi".into(),
            source: source.into(),
            score,
            rule: "r".into(),
        }
    }

    #[test]
    fn only_model_readings_below_the_threshold_are_low_confidence() {
        assert!(is_low_confidence(&ev("model", Some(0.4)), 0.5));
        assert!(!is_low_confidence(&ev("model", Some(0.6)), 0.5));
        // The rules' reading stands on the rules, agreement stands on both.
        assert!(!is_low_confidence(&ev("lexicon", Some(0.1)), 0.5));
        assert!(!is_low_confidence(&ev("both", Some(0.4)), 0.5));
        assert!(!is_low_confidence(&ev("lexicon", None), 0.5));
    }
}
