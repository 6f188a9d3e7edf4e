//! The four criteria of the conservative-failure pathway (ACR Appropriateness Criteria, Low Back Pain
//! 2021, variant 5: "subacute or chronic low back pain with or without radiculopathy; surgery or
//! intervention candidate with persistent or progressive symptoms during or following 6 weeks of optimal
//! medical management"), each as one function over the case's mentions.

use super::{dedup, CaseAnalysis, Evidence, Found, MAX_EVIDENCE};
use crate::determination::guideline;
use crate::ingest::CptRegion;
use crate::mentions::concepts::Category;
use crate::mentions::patterns::Value;
use crate::mentions::temporal::{days_before, TemporalValue, Trajectory};
use chrono::NaiveDate;
use serde::Serialize;

/// Status of a criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Documented and satisfied.
    Met,
    /// Not documented, or documented as not satisfied.
    NotMet,
    /// Conflicting or uncertain documentation: a physician must look.
    Unclear,
}

/// One criterion's result.
#[derive(Clone, Debug, Serialize)]
pub struct Criterion {
    /// met | not_met | unclear.
    pub status: Status,
    /// Documented duration in whole weeks (conservative_care only; null when none is documented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weeks: Option<Option<i64>>,
    /// Why, in one sentence.
    pub reason: String,
    /// Quotes the status rests on (for not_met: what the notes say against it, if anything).
    pub evidence: Vec<Evidence>,
    /// Documentation that would be needed to meet it.
    pub missing: Vec<String>,
}

/// The four criteria, in the output contract's order.
#[derive(Clone, Debug, Serialize)]
pub struct Criteria {
    /// >= 6 weeks of conservative management, symptoms persisting or worsening.
    pub conservative_care: Criterion,
    /// Radicular findings in the requested region.
    pub radiculopathy: Criterion,
    /// Documented functional limitation.
    pub functional_impairment: Criterion,
    /// A specific planned intervention.
    pub intervention_candidate: Criterion,
}

fn criterion(
    status: Status,
    reason: impl Into<String>,
    evidence: Vec<Evidence>,
    missing: &[&str],
) -> Criterion {
    Criterion {
        status,
        weeks: None,
        reason: reason.into(),
        evidence: dedup(evidence, MAX_EVIDENCE),
        missing: if status == Status::Met {
            vec![]
        } else {
            missing.iter().map(|s| s.to_string()).collect()
        },
    }
}

/// Evaluates all four criteria for a request region.
pub fn evaluate(case: &CaseAnalysis<'_>, region: CptRegion) -> Criteria {
    Criteria {
        conservative_care: conservative_care(case, region),
        radiculopathy: radiculopathy(case, region),
        functional_impairment: functional_impairment(case),
        intervention_candidate: intervention_candidate(case),
    }
}

/// A treatment's documented interval.
struct Interval {
    start: NaiveDate,
    end: NaiveDate,
}

/// When a conservative treatment ran, from its temporal links and its note's date. `documented` is false
/// when nothing but the note date itself says when it started.
fn treatment_interval(
    f: &Found<'_>,
    reference: NaiveDate,
    later_notes_exist: bool,
) -> Option<(Interval, bool)> {
    let note_date = f.date()?;
    let historical = f.label() == "historical";
    let mut start = None;
    let mut per_week = None;
    let mut visits = None;
    let mut last_date: Option<NaiveDate> = None;
    for t in &f.mention.temporal {
        match &t.value {
            TemporalValue::Duration { days } => start = start.or(days_before(note_date, *days)),
            TemporalValue::Date { date, .. } if *date <= note_date => {
                start = Some(start.map_or(*date, |s: NaiveDate| s.min(*date)));
                last_date = Some(last_date.map_or(*date, |l: NaiveDate| l.max(*date)));
            }
            TemporalValue::Frequency { per_week: p } => per_week = Some(*p),
            TemporalValue::Visits { count } => visits = Some(*count),
            _ => {}
        }
    }
    // "Completed 12 visits at 2x/week" dates the start; "Plan: PT 2x/week, 16 visits" is a course to come.
    if start.is_none() && historical {
        if let (Some(v), Some(p)) = (visits, per_week) {
            if p > 0.0 {
                start = days_before(note_date, (v as f64 / p * 7.0).round() as i64);
            }
        }
    }
    // A treatment note (PT, chiropractic) or an earlier note of the case documents care on its date.
    let kind = f
        .note
        .note
        .kind
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    let treatment_note = kind.contains("pt") || kind.contains("therapy") || kind.contains("chiro");
    let documented = start.is_some() || treatment_note || later_notes_exist;
    let start = start.unwrap_or(note_date);
    // Completed/previous care ends at the note; ongoing care runs to the request.
    // A date range ("Dates of care: 07/28/2026 - 09/15/2026") ends at its last date; so does completed care
    // with a date ("finished PT in January") and care dated to an earlier episode ("did PT in 2023").
    let range_end = last_date.filter(|l| *l > start);
    let dated_past = last_date
        .filter(|l| historical || (note_date - *l).num_days() > guideline::EPISODE_GAP_DAYS);
    let end = match (range_end, dated_past) {
        (Some(l), _) | (None, Some(l)) => l,
        (None, None) if historical => note_date,
        (None, None) => reference.max(note_date),
    };
    Some((
        Interval {
            start,
            end: end.min(reference.max(note_date)),
        },
        documented,
    ))
}

/// ACR LBP 2021 variant 5 and the seed determination: ">= 6 weeks of optimal medical management" in the
/// current episode, with symptoms persisting or worsening ("documentation of treatment failure").
pub fn conservative_care(case: &CaseAnalysis<'_>, region: CptRegion) -> Criterion {
    let treatments: Vec<Found<'_>> = case
        .all()
        .filter(|f| {
            matches!(
                f.mention.category,
                Category::Conservative | Category::Injection
            )
        })
        .filter(|f| matches!(f.label(), "present" | "historical"))
        // Care explicitly for another region ("post-op cervical PT") is not care for this one.
        .filter(|f| f.in_region(region, true))
        .collect();
    let missing_all = guideline::MISSING_CONSERVATIVE;
    if treatments.is_empty() {
        let mut c = criterion(
            Status::NotMet,
            "No conservative treatment (PT, medications, injections) is documented.",
            vec![],
            missing_all,
        );
        c.weeks = Some(None);
        return c;
    }
    let reference = case.reference_date();
    let latest = case.latest_note_date();
    let mut intervals = Vec::new();
    if let Some(reference) = reference {
        for f in &treatments {
            let later = f.date().zip(latest).is_some_and(|(d, l)| d < l);
            if let Some((iv, documented)) = treatment_interval(f, reference, later) {
                // Care that ended more than 6 months before the request belongs to an earlier episode.
                if documented && (reference - iv.end).num_days() <= guideline::EPISODE_GAP_DAYS {
                    intervals.push(iv);
                }
            }
        }
    }
    let weeks = match (
        intervals.iter().map(|i| i.start).min(),
        intervals.iter().map(|i| i.end).max(),
    ) {
        (Some(s), Some(e)) => Some((e - s).num_days().max(0) / 7),
        _ => None,
    };
    let (persisting, trajectory_ev) = persistence(case);
    let mut ev: Vec<Evidence> = treatments.iter().map(|f| f.evidence()).collect();
    ev.extend(trajectory_ev);
    let modalities: Vec<&str> = {
        let mut g: Vec<&str> = treatments
            .iter()
            .map(|f| f.mention.group.as_str())
            .collect();
        g.sort();
        g.dedup();
        g
    };
    let mut missing: Vec<&str> = Vec::new();
    if !modalities.contains(&"pt") {
        missing.push(missing_all[0]);
    }
    if !modalities.contains(&"medication") {
        missing.push(missing_all[1]);
    }
    let (status, reason) = match (weeks, persisting) {
        (Some(w), Some(false)) if w >= guideline::MIN_CONSERVATIVE_WEEKS => {
            missing.push(missing_all[4]);
            (Status::NotMet, format!("{w} weeks of conservative care are documented, but symptoms improved or resolved with it."))
        }
        (Some(w), _) if w >= guideline::MIN_CONSERVATIVE_WEEKS => (
            Status::Met,
            format!("{w} weeks of conservative care are documented with persisting symptoms."),
        ),
        (Some(w), _) => {
            missing.push(missing_all[3]);
            (
                Status::NotMet,
                format!("Only {w} weeks of conservative care are documented (6 required)."),
            )
        }
        (None, _) => {
            missing.push(missing_all[3]);
            (
                Status::NotMet,
                "Conservative treatment is mentioned, but its duration is not documented."
                    .to_string(),
            )
        }
    };
    let mut c = criterion(status, reason, ev, &missing);
    c.weeks = Some(weeks);
    c
}

/// Whether back/leg symptoms persist, judged from the latest note that says how they are doing:
/// `Some(true)` when a statement there says persisting/worse/unchanged, `Some(false)` when its statements
/// say only improved or resolved, `None` when no note says.
fn persistence(case: &CaseAnalysis<'_>) -> (Option<bool>, Vec<Evidence>) {
    // (note date, persisting?, evidence) for every trajectory statement about symptoms or treatment.
    let mut statements: Vec<(Option<NaiveDate>, bool, Evidence)> = Vec::new();
    for f in case.all() {
        let Some(t) = f.trajectory() else { continue };
        let about_symptoms = matches!(f.mention.category, Category::Symptom | Category::Radicular);
        let about_treatment = matches!(
            f.mention.category,
            Category::Conservative | Category::Injection
        );
        if !(about_symptoms || about_treatment) {
            continue;
        }
        if f.label() != "present"
            && !(f.label() == "absent" && t.trajectory == Trajectory::Resolved)
        {
            continue;
        }
        let persisting = match t.trajectory {
            Trajectory::Persistent => true,
            // "No relief with PT", "failed NSAIDs": said of the treatment, it is the treatment failing.
            _ if about_treatment => continue,
            Trajectory::Worse
            | Trajectory::Progressive
            | Trajectory::Stable
            | Trajectory::New
            | Trajectory::Recurrent => true,
            Trajectory::Improved | Trajectory::Resolved => false,
            Trajectory::Chronic => continue,
        };
        statements.push((f.date(), persisting, f.evidence()));
    }
    // The latest note that says how the symptoms are doing decides ("goals met, leg pain resolved" in a
    // discharge summary outweighs the "persistent pain" of the evaluation two months earlier).
    let Some(latest) = statements.iter().map(|s| s.0).max() else {
        return (None, vec![]);
    };
    let in_latest: Vec<&(Option<NaiveDate>, bool, Evidence)> =
        statements.iter().filter(|s| s.0 == latest).collect();
    let persisting = in_latest.iter().any(|s| s.1);
    let ev = in_latest
        .iter()
        .filter(|s| s.1 == persisting)
        .map(|s| s.2.clone())
        .collect();
    (Some(persisting), ev)
}

/// True when a finding stands in the same sentence as a prior surgery and nothing marks it as new or
/// ongoing: it is the surgery's indication ("L5-S1 TLIF, 09/15/2025, for … left S1 radiculopathy"), not a
/// current finding. "S/p laminectomy, now with recurrent leg pain" keeps its finding.
pub fn is_surgery_indication(f: &Found<'_>) -> bool {
    let changing = f.trajectory().is_some_and(|t| {
        matches!(
            t.trajectory,
            Trajectory::New
                | Trajectory::Recurrent
                | Trajectory::Worse
                | Trajectory::Progressive
                | Trajectory::Persistent
        )
    });
    let since_surgery = f
        .mention
        .temporal
        .iter()
        .any(|t| matches!(t.value, TemporalValue::Surgery { .. }));
    if changing || since_surgery {
        return false;
    }
    f.note.mentions.iter().any(|s| {
        s.sentence == f.mention.sentence
            && s.category == Category::Surgery
            && s.group != "generic"
            && matches!(s.assertion.label(), "historical" | "present")
    })
}

/// True for a radicular or deficit finding attributed to the requested region.
fn radicular_in_region(f: &Found<'_>, region: CptRegion) -> bool {
    let m = f.mention;
    match m.category {
        // Inherently radicular findings ("sciatica", "radiculopathy", "positive SLR") count without a
        // stated region; numbness and weakness need one ("numbness in his toes", "EHL 4/5").
        Category::Radicular => {
            let inherent = matches!(
                m.group.as_str(),
                "radiating_pain" | "dermatomal" | "provocative" | "reflex"
            );
            inherent && f.in_region(region, true) || f.in_region(region, false)
        }
        Category::Deficit => f.in_region(region, false),
        Category::Measurement => {
            matches!(m.value, Some(Value::Strength { grade }) if grade < 5.0)
                && f.in_region(region, false)
        }
        _ => false,
    }
}

fn is_against_radiculopathy(f: &Found<'_>) -> bool {
    let m = f.mention;
    (m.category == Category::Radicular
        && matches!(m.group.as_str(), "normal" | "provocative_negative"))
        || matches!(m.value, Some(Value::Strength { grade }) if grade >= 5.0)
}

/// ACR LBP 2021 variant 5 ("with or without radiculopathy" — precert's rule requires it, per the seed:
/// "dermatomal distribution, sensory deficits in nerve root patterns, motor weakness with myotomal
/// correlation, positive straight leg raise").
pub fn radiculopathy(case: &CaseAnalysis<'_>, region: CptRegion) -> Criterion {
    let findings: Vec<Found<'_>> = case
        .all()
        .filter(|f| !is_against_radiculopathy(f) && radicular_in_region(f, region))
        .collect();
    let mut current: Vec<&Found<'_>> = findings
        .iter()
        .filter(|f| f.is_current() && !is_surgery_indication(f))
        .collect();
    let missing = guideline::MISSING_RADICULOPATHY;
    // The latest note that speaks to radicular findings decides: findings that a later note documents as
    // gone ("SLR neg bilat", "leg pain 0/10, no paresthesias") are superseded.
    let against_dates: Vec<Option<NaiveDate>> = case
        .all()
        .filter(|f| {
            is_against_radiculopathy(f)
                || (radicular_in_region(f, region)
                    && (f.label() == "absent"
                        || matches!(
                            f.trajectory().map(|t| t.trajectory),
                            Some(Trajectory::Resolved | Trajectory::Improved)
                        )))
        })
        .map(|f| f.date())
        .collect();
    current.retain(|f| !superseded(f.date(), &against_dates));
    if !current.is_empty() {
        let ev = current.iter().map(|f| f.evidence()).collect();
        return criterion(
            Status::Met,
            format!(
                "Radicular findings in the {} region are documented.",
                region_name(region)
            ),
            ev,
            missing,
        );
    }
    let possible: Vec<&Found<'_>> = findings
        .iter()
        .filter(|f| f.label() == "possible")
        .collect();
    let mut against: Vec<Evidence> = findings
        .iter()
        .filter(|f| {
            f.label() == "absent"
                || matches!(
                    f.trajectory().map(|t| t.trajectory),
                    Some(Trajectory::Improved | Trajectory::Resolved)
                )
        })
        .map(|f| f.evidence())
        .collect();
    against.extend(
        case.all()
            .filter(is_against_radiculopathy)
            .map(|f| f.evidence()),
    );
    if !possible.is_empty() {
        let mut ev: Vec<Evidence> = possible.iter().map(|f| f.evidence()).collect();
        ev.extend(against);
        return criterion(
            Status::Unclear,
            "Radicular findings are described only as possible.",
            ev,
            missing,
        );
    }
    let reason = if against.is_empty() {
        format!(
            "No radicular findings in the {} region are documented.",
            region_name(region)
        )
    } else {
        format!("No current radicular findings in the {} region; the notes document their absence or resolution.", region_name(region))
    };
    criterion(Status::NotMet, reason, against, missing)
}

/// ACR: "significant interference with daily function"; seed: "specific limitations in work, self-care,
/// or mobility; quantified pain scores and functional scales".
pub fn functional_impairment(case: &CaseAnalysis<'_>) -> Criterion {
    let missing = guideline::MISSING_FUNCTIONAL;
    let mut limits = Vec::new();
    let mut against = Vec::new();
    let mut against_found: Vec<Found<'_>> = Vec::new();
    let mut possible = Vec::new();
    for f in case.all() {
        let m = f.mention;
        let is_limit = match (&m.category, &m.value) {
            (Category::Functional, _) => m.group != "normal",
            (Category::Measurement, Some(Value::Disability { percent, .. })) => {
                *percent > guideline::MIN_DISABILITY_PERCENT
            }
            _ => false,
        };
        let is_normal = (m.category == Category::Functional && m.group == "normal")
            || matches!(&m.value, Some(Value::Disability { percent, .. }) if *percent <= guideline::MIN_DISABILITY_PERCENT);
        match f.label() {
            "present" if is_limit => limits.push((f.date(), f.evidence())),
            "present" if is_normal => {
                against.push(f.evidence());
                against_found.push(f);
            }
            "absent" if is_limit => {
                against.push(f.evidence());
                against_found.push(f);
            }
            "possible" if is_limit => possible.push(f.evidence()),
            _ => {}
        }
    }
    let against_dates: Vec<Option<NaiveDate>> = against_found.iter().map(|f| f.date()).collect();
    let limits: Vec<Evidence> = limits
        .into_iter()
        .filter(|(d, _)| !superseded(*d, &against_dates))
        .map(|(_, e)| e)
        .collect();
    if !limits.is_empty() {
        return criterion(
            Status::Met,
            "Specific functional limitations are documented.",
            limits,
            missing,
        );
    }
    if !possible.is_empty() {
        possible.extend(against);
        return criterion(
            Status::Unclear,
            "Functional limitation is described only as possible.",
            possible,
            missing,
        );
    }
    let reason = if against.is_empty() {
        "No functional limitation (work, self-care, mobility, sleep, disability score) is documented."
    } else {
        "The notes document no functional limitation."
    };
    criterion(Status::NotMet, reason, against, missing)
}

/// ACR LBP 2021 variant 5: "surgery or intervention candidate"; seed: "specific planned intervention
/// (epidural injection, decompression, fusion)". A planned injection or surgery, a stated candidacy, or a
/// referral for surgical evaluation meets it; a negated one ("not a candidate", "no indication the patient
/// is being considered for invasive treatment") is evidence against.
pub fn intervention_candidate(case: &CaseAnalysis<'_>) -> Criterion {
    let missing = guideline::MISSING_INTERVENTION;
    let mut planned = Vec::new();
    let mut against = Vec::new();
    for f in case.all() {
        let m = f.mention;
        let relevant = matches!(
            m.category,
            Category::Intervention | Category::Surgery | Category::Injection
        );
        if !relevant {
            continue;
        }
        let label = f.label();
        let is_planned = match m.category {
            Category::Intervention => label == "present" || label == "hypothetical",
            _ => label == "hypothetical",
        };
        if is_planned {
            planned.push(f);
        } else if label == "absent" {
            against.push(f);
        }
    }
    // An option discussed and then declined ("Discussed ESI, referral to spine surgery. Pt declines ESI and
    // does not want surgery") is not a plan: a decline of the same kind later in the same note, or in a
    // later note, withdraws it.
    let kind = |c: Category| if c == Category::Injection { 0 } else { 1 };
    let declined = |p: &crate::evidence::Found<'_>| {
        against.iter().any(|a| {
            let by_decline = a
                .mention
                .assertion
                .cue(crate::mentions::context::Qualifier::Negated)
                .is_some_and(|c| c.rule == "neg-009");
            let later = if a.note.note.note_id == p.note.note.note_id {
                a.mention.span.start > p.mention.span.start
            } else {
                matches!((a.date(), p.date()), (Some(x), Some(y)) if x > y)
            };
            by_decline && later && kind(a.mention.category) == kind(p.mention.category)
        })
    };
    let (withdrawn, planned): (Vec<_>, Vec<_>) = planned.into_iter().partition(|p| declined(p));
    let planned: Vec<Evidence> = planned.iter().map(|f| f.evidence()).collect();
    let mut against: Vec<Evidence> = against.iter().map(|f| f.evidence()).collect();
    if !withdrawn.is_empty() && planned.is_empty() {
        against.extend(withdrawn.iter().map(|f| f.evidence()));
    }
    if !planned.is_empty() {
        return criterion(
            Status::Met,
            "A specific intervention is planned or being considered.",
            planned,
            missing,
        );
    }
    let reason = if against.is_empty() {
        "No planned intervention (injection, surgery, surgical referral) is documented."
    } else {
        "The notes state that no intervention is being considered."
    };
    criterion(Status::NotMet, reason, against, missing)
}

/// ACR thoracic-pain rule used by the seed: for a thoracic request, "pain localized to thoracic back" may
/// stand in for radiculopathy.
pub fn thoracic_pain(case: &CaseAnalysis<'_>) -> Vec<Evidence> {
    case.of(Category::Symptom)
        .into_iter()
        .filter(|f| f.label() == "present" && f.in_region(CptRegion::Thoracic, false))
        .map(|f| f.evidence())
        .collect()
}

/// "lumbar", "thoracic"…
pub fn region_name(r: CptRegion) -> &'static str {
    match r {
        CptRegion::Cervical => "cervical",
        CptRegion::Thoracic => "thoracic",
        CptRegion::Lumbar => "lumbar",
    }
}

/// True when a note dated after `date` documents the opposite (only notes with dates can supersede).
fn superseded(date: Option<NaiveDate>, against: &[Option<NaiveDate>]) -> bool {
    date.is_some_and(|d| against.iter().flatten().any(|a| *a > d))
}

#[cfg(test)]
mod tests {
    use crate::ingest::test_case;
    use chrono::NaiveDate;

    /// Found while fixing the crash fuzzing found in `mentions::temporal` (`fuzz/README.md`): a note dated
    /// at chrono's first day (valid case JSON) with a duration linked to a conservative treatment made
    /// `NaiveDate - Duration` panic in `treatment_interval`.
    #[test]
    fn duration_before_the_first_representable_day() {
        let date = Some(NaiveDate::MIN);
        let case = test_case("c", "Low back pain radiating down the left leg. Physical therapy x 6 weeks without relief. Completed 12 PT visits at 2x/week.", date);
        let review = crate::Pipeline::new().unwrap().review(&case);
        assert_eq!(review.determinations.len(), 1);
    }
}
