//! Red flags: findings that make imaging appropriate at once, whatever the duration of care (ACR
//! Appropriateness Criteria, Low Back Pain 2021, variants 2, 3, 4 and 7; seed determination "Red Flags That
//! Would Change This Decision").
//!
//! A flag is `present` when a current mention about the patient documents it (for malignancy a *history*
//! of cancer counts: ACR variant 3); `unclear` when it is only possible ("cannot exclude cauda equina") or
//! when a later note negates what an earlier note documented; `absent` when the notes negate it;
//! `not_documented` otherwise.

use super::{dedup, CaseAnalysis, Evidence, Found, MAX_EVIDENCE};
use crate::determination::guideline;
use crate::ingest::CptRegion;
use crate::mentions::concepts::Category;
use crate::mentions::patterns::Value;
use crate::mentions::temporal::Trajectory;
use serde::Serialize;

/// Status of a red flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagStatus {
    /// Documented, current, about the patient.
    Present,
    /// The notes negate it.
    Absent,
    /// Nothing said either way.
    NotDocumented,
    /// Possible, or conflicting between notes.
    Unclear,
}

/// One red flag's result.
#[derive(Clone, Debug, Serialize)]
pub struct RedFlag {
    /// Status.
    pub status: FlagStatus,
    /// Why, in one sentence.
    pub reason: String,
    /// Quotes.
    pub evidence: Vec<Evidence>,
}

/// The five red flags, in the output contract's order.
#[derive(Clone, Debug, Serialize)]
pub struct RedFlags {
    /// New, progressive or severe motor/sensory deficit.
    pub progressive_neuro_deficit: RedFlag,
    /// Saddle anaesthesia, retention, incontinence.
    pub cauda_equina: RedFlag,
    /// Fever, IV drug use, immunosuppression, elevated inflammatory markers.
    pub infection: RedFlag,
    /// Known or suspected cancer, unexplained weight loss.
    pub malignancy: RedFlag,
    /// Recent significant trauma.
    pub trauma: RedFlag,
}

impl RedFlags {
    /// (id, flag) pairs in contract order.
    pub fn iter(&self) -> [(&'static str, &RedFlag); 5] {
        [
            ("progressive_neuro_deficit", &self.progressive_neuro_deficit),
            ("cauda_equina", &self.cauda_equina),
            ("infection", &self.infection),
            ("malignancy", &self.malignancy),
            ("trauma", &self.trauma),
        ]
    }
}

/// A red-flag signal: the mention, whether it affirms or denies the flag, and its status contribution.
struct Signal<'a> {
    found: Found<'a>,
    affirms: bool,
}

/// Evaluates every red flag for a request region.
pub fn evaluate(case: &CaseAnalysis<'_>, region: CptRegion) -> RedFlags {
    RedFlags {
        progressive_neuro_deficit: decide(
            "progressive_neuro_deficit",
            deficit_signals(case, region),
        ),
        cauda_equina: decide("cauda_equina", group_signals(case, "cauda_equina")),
        infection: decide("infection", infection_signals(case)),
        malignancy: decide("malignancy", group_signals(case, "malignancy")),
        trauma: decide("trauma", group_signals(case, "trauma")),
    }
}

fn group_signals<'a>(case: &'a CaseAnalysis<'a>, group: &str) -> Vec<Signal<'a>> {
    case.all()
        .filter(|f| {
            f.mention.group == group
                && matches!(
                    f.mention.category,
                    Category::RedFlag | Category::RedFlagAbsent
                )
        })
        .map(|f| Signal {
            affirms: f.mention.category == Category::RedFlag,
            found: f,
        })
        .collect()
}

fn infection_signals<'a>(case: &'a CaseAnalysis<'a>) -> Vec<Signal<'a>> {
    let mut s = group_signals(case, "infection");
    for f in case.all() {
        if let Some(Value::Lab { elevated, .. }) = &f.mention.value {
            s.push(Signal {
                found: f,
                affirms: *elevated,
            });
        }
    }
    s
}

/// Progressive or severe deficit: an explicit phrase ("progressive weakness", "new foot drop"), a deficit
/// whose trajectory is new/worse/progressive, foot drop, or strength <= 3/5 (ACR: "severe or progressive
/// neurologic deficit"). Region: lower limbs or the requested region (thoracic cord lesions present in the
/// legs too), or none stated.
fn deficit_signals<'a>(case: &'a CaseAnalysis<'a>, region: CptRegion) -> Vec<Signal<'a>> {
    let region_ok = |f: &Found<'_>| {
        f.in_region(region, true)
            || (region == CptRegion::Thoracic && f.in_region(CptRegion::Lumbar, false))
    };
    let mut s = group_signals(case, "progressive_neuro_deficit");
    s.retain(|sig| region_ok(&sig.found));
    for f in case.all() {
        let m = f.mention;
        let deficit = m.category == Category::Deficit
            || matches!(m.value, Some(Value::Strength { grade }) if grade < 5.0);
        if !deficit || !region_ok(&f) || f.mention.category == Category::RedFlag {
            continue;
        }
        let severe = m.concept == "foot_drop"
            || matches!(m.value, Some(Value::Strength { grade }) if grade <= guideline::SEVERE_STRENGTH_GRADE);
        let progressing = f.trajectory().is_some_and(|t| {
            !t.vague
                && matches!(
                    t.trajectory,
                    Trajectory::New
                        | Trajectory::Worse
                        | Trajectory::Progressive
                        | Trajectory::Recurrent
                )
        });
        if severe || progressing {
            s.push(Signal {
                found: f,
                affirms: true,
            });
        } else if f.label() == "absent" && m.category == Category::Deficit {
            s.push(Signal {
                found: f,
                affirms: false,
            });
        }
    }
    s
}

/// True when the mention is dated (by a linked date) more than `TRAUMA_RECENT_DAYS` before its note.
fn is_old(f: &Found<'_>) -> bool {
    let Some(note) = f.date() else { return false };
    f.mention.temporal.iter().any(|t| match t.value {
        crate::mentions::temporal::TemporalValue::Date { date, .. } => {
            (note - date).num_days() > guideline::TRAUMA_RECENT_DAYS
        }
        _ => false,
    })
}

fn result(status: FlagStatus, reason: String, evidence: Vec<Evidence>) -> RedFlag {
    RedFlag {
        status,
        reason,
        evidence: dedup(evidence, MAX_EVIDENCE),
    }
}

fn decide(flag: &str, signals: Vec<Signal<'_>>) -> RedFlag {
    // Malignancy: a history of cancer is itself the red flag (ACR variant 3).
    // Current: not improved or resolved ("urinary retention, which is doing better"), and for trauma not
    // dated more than TRAUMA_RECENT_DAYS before its note ("a motor vehicle accident in 2/94").
    let counts_as_present = |s: &Signal<'_>| {
        let improving = matches!(
            s.found.trajectory().map(|t| t.trajectory),
            Some(Trajectory::Improved | Trajectory::Resolved)
        );
        let old = flag == "trauma" && is_old(&s.found);
        s.affirms
            && !improving
            && !old
            && (s.found.label() == "present"
                || (flag == "malignancy" && s.found.label() == "historical"))
    };
    let present: Vec<&Signal<'_>> = signals.iter().filter(|s| counts_as_present(s)).collect();
    let negated: Vec<&Signal<'_>> = signals
        .iter()
        .filter(|s| {
            (s.affirms && s.found.label() == "absent")
                || (!s.affirms && s.found.label() == "present")
        })
        .collect();
    let possible: Vec<&Signal<'_>> = signals
        .iter()
        .filter(|s| s.affirms && s.found.label() == "possible")
        .collect();
    let ev =
        |v: &[&Signal<'_>]| -> Vec<Evidence> { v.iter().map(|s| s.found.evidence()).collect() };

    if !present.is_empty() {
        // Resolution: a later note states the finding resolved ("Fever resolved by ~9/3"). That is an
        // update, not a conflict: the flag is no longer current.
        let latest_present = present.iter().filter_map(|p| p.found.date()).max();
        let resolved_later: Vec<&Signal<'_>> = signals
            .iter()
            .filter(|s| {
                s.affirms
                    && matches!(
                        s.found.trajectory().map(|t| t.trajectory),
                        Some(Trajectory::Resolved | Trajectory::Improved)
                    )
                    && matches!((s.found.date(), latest_present), (Some(d), Some(l)) if d > l)
            })
            .collect();
        if !resolved_later.is_empty() {
            let mut e = ev(&resolved_later);
            e.extend(ev(&present));
            return result(
                FlagStatus::Absent,
                format!(
                    "{} was documented earlier and a later note documents it resolved.",
                    capitalise(&human(flag))
                ),
                e,
            );
        }
        // Conflict: a later note negates the same finding that an earlier note documented.
        let conflicting: Vec<&Signal<'_>> = negated
            .iter()
            .copied()
            .filter(|n| {
                present.iter().any(|p| {
                    p.found.mention.concept == n.found.mention.concept
                        && matches!((p.found.date(), n.found.date()), (Some(pd), Some(nd)) if nd > pd)
                })
            })
            .collect();
        if !conflicting.is_empty() {
            let mut e = ev(&present);
            e.extend(ev(&conflicting));
            return result(
                FlagStatus::Unclear,
                format!(
                    "The notes conflict: an earlier note documents {}, a later note negates it.",
                    human(flag)
                ),
                e,
            );
        }
        return result(
            FlagStatus::Present,
            format!("{} is documented.", capitalise(&human(flag))),
            ev(&present),
        );
    }
    if !possible.is_empty() {
        let mut e = ev(&possible);
        e.extend(ev(&negated));
        return result(
            FlagStatus::Unclear,
            format!(
                "{} is raised only as a possibility.",
                capitalise(&human(flag))
            ),
            e,
        );
    }
    if !negated.is_empty() {
        return result(
            FlagStatus::Absent,
            format!("The notes negate {}.", human(flag)),
            ev(&negated),
        );
    }
    RedFlag {
        status: FlagStatus::NotDocumented,
        reason: format!("Nothing is documented about {}.", human(flag)),
        evidence: vec![],
    }
}

/// Plain words for a red-flag id.
pub fn human(flag: &str) -> String {
    match flag {
        "progressive_neuro_deficit" => "a progressive or severe neurologic deficit",
        "cauda_equina" => "cauda equina symptoms (saddle anesthesia, retention, incontinence)",
        "infection" => "suspected infection (fever, IV drug use, immunosuppression, elevated inflammatory markers)",
        "malignancy" => "malignancy (known cancer, unexplained weight loss)",
        "trauma" => "recent significant trauma",
        other => other,
    }
    .to_string()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
