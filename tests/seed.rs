//! The project's defining example: seed-001 must reach the physician's determination for the same reasons.

use crate::util::*;
use precert::determination::guideline::Decision;
use precert::evidence::criteria::Status;
use precert::evidence::red_flags::FlagStatus;
use precert::mentions::concepts::Region;

#[test]
fn both_procedures_deny_with_all_criteria_not_met() {
    let (_, review) = seed();
    assert_eq!(review.determinations.len(), 2);
    for d in &review.determinations {
        assert_eq!(d.decision, Decision::Deny, "{}", d.cpt);
        assert_eq!(d.pathway, None);
        let c = &d.criteria;
        for (id, cr) in [
            ("conservative_care", &c.conservative_care),
            ("radiculopathy", &c.radiculopathy),
            ("functional_impairment", &c.functional_impairment),
            ("intervention_candidate", &c.intervention_candidate),
        ] {
            assert_eq!(cr.status, Status::NotMet, "{} {id}: {}", d.cpt, cr.reason);
        }
        assert_eq!(
            c.conservative_care.weeks,
            Some(None),
            "no duration is documented"
        );
    }
}

#[test]
fn no_red_flag_present_and_negations_cited() {
    let (_, review) = seed();
    for d in &review.determinations {
        for (id, f) in d.red_flags.iter() {
            assert_ne!(f.status, FlagStatus::Present, "{} {id}", d.cpt);
        }
        let ce = &d.red_flags.cauda_equina;
        assert_eq!(ce.status, FlagStatus::Absent);
        assert!(ce
            .evidence
            .iter()
            .any(|e| e.text.contains("bowel or bladder") && e.assertion == "absent"));
        let inf = &d.red_flags.infection;
        assert_eq!(inf.status, FlagStatus::Absent);
        assert!(inf
            .evidence
            .iter()
            .any(|e| e.text.starts_with("fever") && e.assertion == "absent"));
    }
}

#[test]
fn cervical_fusion_is_recorded_as_cervical_and_does_not_apply() {
    let (_, review) = seed();
    for d in &review.determinations {
        let ps = &d.post_surgical;
        assert_eq!(ps.status, Status::NotMet);
        assert_eq!(ps.surgeries.len(), 1, "{:?}", ps.surgeries);
        let s = &ps.surgeries[0];
        assert_eq!(s.region, Some(Region::Cervical));
        assert!(
            s.levels.iter().any(|l| l.starts_with("C5")),
            "{:?}",
            s.levels
        );
        // "12 weeks status post" on 2026-10-14.
        assert_eq!(s.date.map(|d| d.to_string()).as_deref(), Some("2026-07-22"));
    }
}

#[test]
fn all_three_non_indications_found_with_evidence() {
    let (_, review) = seed();
    for d in &review.determinations {
        let ids: Vec<&str> = d.non_indications.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "no_recent_imaging",
                "preexisting_symptoms",
                "vague_worsening"
            ],
            "{}",
            d.cpt
        );
        let quote = |id: &str| {
            d.non_indications
                .iter()
                .find(|n| n.id == id)
                .unwrap()
                .evidence
                .iter()
                .map(|e| e.text.clone())
                .collect::<Vec<_>>()
                .join(" | ")
        };
        assert!(quote("no_recent_imaging").contains("recent imaging"));
        assert!(quote("preexisting_symptoms").contains("before"));
        assert!(quote("vague_worsening").contains("somewhat worse"));
    }
}

#[test]
fn intervention_negated_by_the_intake_note() {
    let (_, review) = seed();
    let ic = &review.determinations[1].criteria.intervention_candidate;
    assert!(
        ic.evidence
            .iter()
            .any(|e| e.note_id == "intake-2026-10-16" && e.assertion == "absent"),
        "{:?}",
        ic.evidence
    );
}

#[test]
fn offsets_slice_the_notes() {
    let (case, review) = seed();
    assert_offsets(&case, &review);
}

#[test]
fn worksheet_covers_the_determination() {
    let (_, review) = seed();
    let md = precert::report::markdown::worksheet(&review);
    for needle in [
        "Criteria NOT met",
        "recommendation, not a denial",
        "Conservative care",
        "Radiculopathy",
        "Functional impairment",
        "Intervention candidate",
        "Post-surgical context",
        "region cervical",
        "no_recent_imaging",
        "preexisting_symptoms",
        "vague_worsening",
        "Red-flag checklist",
        "cauda equina | **ABSENT (negated)**",
        "Physical therapy: frequency, duration",
        "Positive straight leg raise",
        "Specific planned intervention",
        "Citations",
        "acr-lbp-2021/precert",
    ] {
        assert!(md.contains(needle), "worksheet lacks {needle:?}\n{md}");
    }
}

/// Golden worksheet: the whole Markdown, compared line by line. `PRECERT_BLESS=1` rewrites it.
#[test]
fn golden_worksheet() {
    let (_, review) = seed();
    let got = precert::report::markdown::worksheet(&review);
    let path = root().join("tests/golden/seed-001.md");
    if std::env::var_os("PRECERT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .expect("tests/golden/seed-001.md (run with PRECERT_BLESS=1 to create)");
    // The lexicon hash changes with every lexicon edit; compare everything else.
    let strip = |s: &str| {
        s.lines()
            .map(|l| {
                if l.contains("lexicons sha256") {
                    "<provenance>"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if strip(&want) != strip(&got) {
        panic!(
            "seed worksheet differs from tests/golden/seed-001.md (PRECERT_BLESS=1 to accept):\n{}",
            first_differences(&strip(&want), &strip(&got), 5)
        );
    }
}
