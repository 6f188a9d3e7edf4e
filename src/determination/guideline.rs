//! The guideline precert applies, as constants and one decision function.
//!
//! Sources: ACR Appropriateness Criteria® Low Back Pain (2021 revision), variants 1-7; ACR thoracic pain
//! guidance as applied by the project's defining determination (`corpus/seed-001.case.json`, reviewed in
//! `../shared/examples/seed-001.determination.txt`). Every rule below names its source.

/// Guideline id recorded in every output.
pub const ID: &str = "acr-lbp-2021/precert";
/// Version of precert's encoding of the guideline; bump on any rule change.
pub const VERSION: &str = "1.0.0";

/// ACR LBP variant 5 / seed: "failing 6 weeks of optimal medical management".
pub const MIN_CONSERVATIVE_WEEKS: i64 = 6;
/// Care that ended this long before the request belongs to an earlier episode (precert's reading of
/// "current episode"; 6 months).
pub const EPISODE_GAP_DAYS: i64 = 183;
/// ODI/NDI above this percent is at least moderate disability (Fairbank & Pynsent 2000).
pub const MIN_DISABILITY_PERCENT: f64 = 20.0;
/// Trauma dated longer ago than this is not "recent significant trauma" (ACR LBP variant 2 concerns the
/// presenting episode; precert reads it as the last 3 months).
pub const TRAUMA_RECENT_DAYS: i64 = 90;
/// MRC grade at or below which weakness is severe (ACR: "severe or progressive neurologic deficit").
pub const SEVERE_STRENGTH_GRADE: f64 = 3.0;

/// Seed, "Required Documentation for Medical Necessity": conservative treatment specifics.
pub const MISSING_CONSERVATIVE: &[&str] = &[
    "Physical therapy: frequency, duration and specific modalities",
    "Medication trials (NSAIDs, muscle relaxants, neuropathic agents) with dates and response",
    "Activity modification attempts",
    "Minimum 6-week duration of comprehensive conservative care in the current episode",
    "Documentation that symptoms persist or worsen despite that care (treatment failure)",
];
/// Seed: radicular features.
pub const MISSING_RADICULOPATHY: &[&str] = &[
    "Dermatomal pain distribution",
    "Sensory deficits in a specific nerve-root pattern",
    "Motor weakness with myotomal correlation",
    "Positive straight leg raise or other provocative testing",
];
/// Seed: functional impairment.
pub const MISSING_FUNCTIONAL: &[&str] = &[
    "Specific limitations in work, self-care or mobility",
    "Quantified pain scores and functional scales (e.g. ODI)",
    "Impact on quality of life despite conservative measures",
];
/// Seed: surgical/interventional consideration.
pub const MISSING_INTERVENTION: &[&str] = &[
    "Specific planned intervention (epidural injection, decompression, fusion)",
    "Clear statement that imaging will guide treatment decisions",
    "Whether the patient is an appropriate surgical candidate if pathology is identified",
];

/// The decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Criteria met: recommend approval.
    Approve,
    /// Criteria not met: recommend physician review for an adverse determination.
    Deny,
    /// Conflicting, uncertain or out-of-scope: pend for physician review.
    Pend,
}

/// Which route to approval applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pathway {
    /// ACR LBP variants 2, 3, 4, 7: imaging appropriate at once.
    RedFlag,
    /// ACR LBP variant 6: prior surgery in the region with new/progressive findings or complication.
    PostSurgical,
    /// ACR LBP variant 5: >= 6 weeks of care failed, candidate for intervention.
    ConservativeFailure,
}
