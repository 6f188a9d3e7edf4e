//! Prior spinal surgery and the post-surgical pathway (ACR Appropriateness Criteria, Low Back Pain 2021,
//! variant 6: "low back pain with or without radiculopathy; prior lumbar surgery; new or progressing
//! symptoms or clinical findings"; seed determination: recurrent disc herniation vs scar, infection,
//! hardware failure with new neurologic symptoms, adjacent segment degeneration causing radiculopathy).

use super::criteria::Status;
use super::{dedup, region_matches, CaseAnalysis, Evidence, Found, MAX_EVIDENCE};
use crate::ingest::CptRegion;
use crate::mentions::concepts::{Category, Region};
use crate::mentions::temporal::{days_before, TemporalValue, Trajectory};
use chrono::NaiveDate;
use serde::Serialize;

/// One prior spinal surgery, merged from all its mentions.
#[derive(Clone, Debug, Serialize)]
pub struct Surgery {
    /// The most specific procedure name found ("acdf", "lumbar_fusion", "spine_surgery").
    pub procedure: String,
    /// Region, when the notes say.
    pub region: Option<Region>,
    /// Vertebral levels.
    pub levels: Vec<String>,
    /// Date, when the notes give one (or it follows from "12 weeks status post").
    pub date: Option<NaiveDate>,
    /// Quotes.
    pub evidence: Vec<Evidence>,
}

/// The post-surgical fact.
#[derive(Clone, Debug, Serialize)]
pub struct PostSurgical {
    /// met | not_met | unclear.
    pub status: Status,
    /// Why.
    pub reason: String,
    /// Every prior spinal surgery found, whatever its region.
    pub surgeries: Vec<Surgery>,
    /// The findings that make (or would make) the pathway apply.
    pub evidence: Vec<Evidence>,
}

/// True for a surgery mention that records a surgery done (not planned, negated, uncertain, or a
/// relative's).
fn is_prior(f: &Found<'_>) -> bool {
    matches!(f.label(), "historical" | "present")
}

/// Every prior spinal surgery in the case, merged across mentions and notes.
pub fn surgeries(case: &CaseAnalysis<'_>) -> Vec<Surgery> {
    let mut out: Vec<Surgery> = Vec::new();
    let mut generic: Vec<Found<'_>> = Vec::new();
    for f in case.of(Category::Surgery) {
        if !is_prior(&f) {
            continue;
        }
        if f.mention.group == "generic" {
            generic.push(f);
            continue;
        }
        merge(&mut out, &f, false);
    }
    for f in generic {
        merge(&mut out, &f, true);
    }
    out
}

fn merge(out: &mut Vec<Surgery>, f: &Found<'_>, is_generic: bool) {
    let m = f.mention;
    let region = m.regions.first().copied();
    let date = surgery_date(f);
    let target = out.iter_mut().position(|s| {
        let same_region = s.region == region || (is_generic && region.is_none());
        let levels_ok = s.levels.is_empty()
            || m.levels.is_empty()
            || s.levels.iter().any(|l| m.levels.contains(l));
        same_region && levels_ok
    });
    match target {
        Some(i) => {
            let s = &mut out[i];
            for l in &m.levels {
                if !s.levels.contains(l) {
                    s.levels.push(l.clone());
                }
            }
            if s.region.is_none() {
                s.region = region;
            }
            if s.date.is_none() {
                s.date = date;
            }
            if s.procedure == "spine_surgery" && !is_generic {
                s.procedure = m.concept.clone();
            }
            s.evidence.push(f.evidence());
            s.evidence = dedup(std::mem::take(&mut s.evidence), MAX_EVIDENCE);
        }
        None => out.push(Surgery {
            procedure: m.concept.clone(),
            region,
            levels: m.levels.clone(),
            date,
            evidence: vec![f.evidence()],
        }),
    }
}

fn surgery_date(f: &Found<'_>) -> Option<NaiveDate> {
    f.mention.temporal.iter().find_map(|t| match t.value {
        TemporalValue::Date { date, .. } => Some(date),
        TemporalValue::Duration { days } => f.date().and_then(|d| days_before(d, days)),
        _ => None,
    })
}

/// The post-surgical pathway for a request region.
pub fn evaluate(
    case: &CaseAnalysis<'_>,
    region: CptRegion,
    radiculopathy_met: bool,
) -> PostSurgical {
    let surgeries = surgeries(case);
    let in_region: Vec<&Surgery> = surgeries
        .iter()
        .filter(|s| {
            s.region
                .is_some_and(|r| region_matches(&[r], region, false))
        })
        .collect();
    let unknown_region: Vec<&Surgery> = surgeries.iter().filter(|s| s.region.is_none()).collect();
    let rname = super::criteria::region_name(region);

    // Suspected complications (affirmed or possible: "concern for recurrent herniation" is the suspicion).
    let complications: Vec<Found<'_>> = case
        .of(Category::Complication)
        .into_iter()
        .filter(|f| {
            matches!(f.label(), "present" | "possible" | "historical") && f.in_region(region, true)
        })
        .filter(|f| f.mention.group != "adjacent_segment" || radiculopathy_met)
        .collect();
    // New or progressive radicular findings or deficits in the region.
    let findings: Vec<Found<'_>> = case
        .all()
        .filter(|f| {
            matches!(f.mention.category, Category::Radicular | Category::Deficit) && f.is_current()
        })
        .filter(|f| !matches!(f.mention.group.as_str(), "normal" | "provocative_negative"))
        .filter(|f| f.in_region(region, f.mention.category == Category::Radicular))
        .filter(|f| !super::criteria::is_surgery_indication(f))
        .collect();
    let new_findings: Vec<&Found<'_>> = findings
        .iter()
        .filter(|f| {
            let t = f.trajectory().is_some_and(|t| {
                !t.vague
                    && matches!(
                        t.trajectory,
                        Trajectory::New
                            | Trajectory::Recurrent
                            | Trajectory::Worse
                            | Trajectory::Progressive
                    )
            });
            let since = f.mention.temporal.iter().any(|t| {
                matches!(
                    t.value,
                    TemporalValue::Surgery { since: true, .. }
                        | TemporalValue::Surgery {
                            offset_days: Some(1..),
                            ..
                        }
                )
            });
            t || since
        })
        .collect();

    if in_region.is_empty() {
        if !unknown_region.is_empty() && (!new_findings.is_empty() || !complications.is_empty()) {
            let mut ev: Vec<Evidence> = unknown_region
                .iter()
                .flat_map(|s| s.evidence.clone())
                .collect();
            ev.extend(new_findings.iter().map(|f| f.evidence()));
            return PostSurgical {
                status: Status::Unclear,
                reason: format!("A prior spinal surgery is documented without its region; new findings make it matter whether it was {rname}."),
                evidence: dedup(ev, MAX_EVIDENCE),
                surgeries,
            };
        }
        let reason = if surgeries.is_empty() {
            "No prior spinal surgery is documented.".to_string()
        } else {
            let others: Vec<String> = surgeries
                .iter()
                .map(|s| {
                    format!(
                        "{} ({})",
                        s.procedure.replace('_', " "),
                        s.region.map_or("region not stated", |r| r.as_str())
                    )
                })
                .collect();
            format!(
                "The prior surgery is not in the {rname} spine: {}.",
                others.join(", ")
            )
        };
        return PostSurgical {
            status: Status::NotMet,
            reason,
            evidence: vec![],
            surgeries,
        };
    }
    if !complications.is_empty() || !new_findings.is_empty() {
        let mut ev: Vec<Evidence> = complications.iter().map(|f| f.evidence()).collect();
        ev.extend(new_findings.iter().map(|f| f.evidence()));
        ev.extend(
            in_region
                .iter()
                .flat_map(|s| s.evidence.iter().take(1).cloned()),
        );
        let what = if complications.is_empty() {
            "new or progressive radicular findings"
        } else {
            "a suspected post-operative complication"
        };
        return PostSurgical {
            status: Status::Met,
            reason: format!("Prior {rname} surgery with {what}."),
            evidence: dedup(ev, MAX_EVIDENCE),
            surgeries,
        };
    }
    if !findings.is_empty() {
        let mut ev: Vec<Evidence> = findings.iter().map(|f| f.evidence()).collect();
        ev.extend(
            in_region
                .iter()
                .flat_map(|s| s.evidence.iter().take(1).cloned()),
        );
        return PostSurgical {
            status: Status::Unclear,
            reason: format!("Prior {rname} surgery and current radicular findings, but the notes do not say whether the findings are new since surgery."),
            evidence: dedup(ev, MAX_EVIDENCE),
            surgeries,
        };
    }
    PostSurgical {
        status: Status::NotMet,
        reason: format!("Prior {rname} surgery, but no new or progressive radicular findings, deficit or suspected complication."),
        evidence: in_region.iter().flat_map(|s| s.evidence.iter().take(1).cloned()).collect(),
        surgeries,
    }
}

#[cfg(test)]
mod tests {
    use crate::ingest::test_case;
    use chrono::NaiveDate;

    /// Found while fixing the crash fuzzing found in `mentions::temporal` (`fuzz/README.md`): a note dated
    /// at chrono's first day (valid case JSON) with a duration linked to a surgery made
    /// `NaiveDate - Duration` panic in `surgery_date`.
    #[test]
    fn duration_before_the_first_representable_day() {
        let date = Some(NaiveDate::MIN);
        let case = test_case(
            "c",
            "Low back pain. Status post L4-5 laminectomy for 6 weeks. New numbness.",
            date,
        );
        let review = crate::Pipeline::new().unwrap().review(&case);
        assert_eq!(review.determinations.len(), 1);
    }
}
