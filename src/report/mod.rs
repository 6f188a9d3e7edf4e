//! Reports: renderings of a [`Review`]'s facts. Nothing here computes a clinical fact; every line comes
//! from the determination, so JSON, CSV and the worksheet always agree.
//!
//! * JSON / JSONL: the [`Review`] as serialised (the output contract; field names are stable).
//! * CSV: one row per case and procedure ([`csv_row`], header [`CSV_HEADER`]).
//! * Markdown: the reviewer worksheet ([`markdown::worksheet`]).
//! * HTML: the same worksheet as a self-contained web page with the notes highlighted ([`html::worksheet`]),
//!   and an index of many cases ([`html::index`]).

pub mod html;
pub mod markdown;

use crate::determination::guideline::{Decision, Pathway};
use crate::determination::Determination;
use crate::evidence::criteria::Status;
use crate::evidence::red_flags::FlagStatus;
use crate::Review;

/// Columns of the CSV report.
pub const CSV_HEADER: &[&str] = &[
    "case_id",
    "cpt",
    "region",
    "decision",
    "pathway",
    "conservative_care",
    "conservative_weeks",
    "radiculopathy",
    "functional_impairment",
    "intervention_candidate",
    "post_surgical",
    "progressive_neuro_deficit",
    "cauda_equina",
    "infection",
    "malignancy",
    "trauma",
    "non_indications",
    "recommended_modification",
];

/// The duration clause shown after a criterion's reason: " (8 weeks documented)", " (no duration
/// documented)", or nothing for criteria without a duration.
pub fn weeks_phrase(weeks: Option<Option<i64>>) -> String {
    match weeks {
        Some(Some(w)) => format!(" ({w} weeks documented)"),
        Some(None) => " (no duration documented)".into(),
        None => String::new(),
    }
}

/// snake_case name of a serialisable enum value.
pub fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The recommendation in one line, as the worksheets word it: a "criteria not met" result is a referral to a
/// physician reviewer, never a denial.
pub fn headline(d: &Determination) -> String {
    match (d.decision, d.pathway) {
        (Decision::Approve, Some(Pathway::RedFlag)) => {
            "Criteria met — recommend approval (red-flag pathway)".into()
        }
        (Decision::Approve, Some(Pathway::PostSurgical)) => {
            "Criteria met — recommend approval (post-surgical pathway)".into()
        }
        (Decision::Approve, _) => {
            "Criteria met — recommend approval (failed conservative management)".into()
        }
        (Decision::Deny, _) => {
            "Criteria NOT met — refer to physician reviewer (recommendation, not a denial)".into()
        }
        (Decision::Pend, _) => "Pend for physician review".into(),
    }
}

/// What a non-indication ("common pitfall", in the seed determination's terms) means, in words.
pub fn non_indication_text(id: &str) -> &str {
    match id {
        "no_recent_imaging" => "Lack of recent imaging is offered as a reason — absence of prior imaging is not an indication.",
        "preexisting_symptoms" => "The symptoms are pre-existing or chronic — without red flags or failed treatment they do not warrant imaging.",
        "vague_worsening" => "The only change is vague (\"somewhat worse\") — insufficient without documented treatment attempts.",
        other => other,
    }
}

/// One CSV row per procedure of a review.
pub fn csv_rows(review: &Review) -> Vec<Vec<String>> {
    review
        .determinations
        .iter()
        .map(|d| {
            let c = &d.criteria;
            let s = |st: Status| name(&st);
            let f = |st: FlagStatus| name(&st);
            vec![
                review.case_id.clone(),
                d.cpt.clone(),
                name(&d.region),
                name(&d.decision),
                d.pathway.map(|p| name(&p)).unwrap_or_default(),
                s(c.conservative_care.status),
                c.conservative_care
                    .weeks
                    .flatten()
                    .map(|w| w.to_string())
                    .unwrap_or_default(),
                s(c.radiculopathy.status),
                s(c.functional_impairment.status),
                s(c.intervention_candidate.status),
                s(d.post_surgical.status),
                f(d.red_flags.progressive_neuro_deficit.status),
                f(d.red_flags.cauda_equina.status),
                f(d.red_flags.infection.status),
                f(d.red_flags.malignancy.status),
                f(d.red_flags.trauma.status),
                d.non_indications
                    .iter()
                    .map(|n| n.id.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                d.recommended_modification.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

/// Alias kept for readability at call sites.
pub fn csv_row(review: &Review) -> Vec<Vec<String>> {
    csv_rows(review)
}
