//! Invariants over arbitrary text: spans sit on char boundaries, sentences are ordered, disjoint and inside
//! the note, every mention and every evidence quote slices the note exactly.

use crate::util::*;
use precert::ingest::{Case, Note, Patient, Procedure, Request};
use proptest::prelude::*;

fn clinical_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "Denies fever, chills",
        "saddle anesthesia: none",
        "LBP x 8 wks",
        "PT 2x/week since 8/4",
        "h/o breast cancer",
        "Strength 4+/5 EHL",
        "ODI 44%",
        "ESR 88",
        "s/p L4-5 laminectomy",
        "Plan: L5-S1 ESI",
        "é",
        "—",
        "\r\n",
        "\n\n",
        "HPI:",
        "ROS:",
        "FAMILY HISTORY:",
        "mother with",
        "somewhat worse",
        "before surgery",
        "? no",
        "Dr. Lee",
        "0/10",
        "radiating down the left leg",
        "mid and low back",
        " ",
        ", ",
        ". ",
        "🙂",
        "x",
    ]);
    (prop::collection::vec(pieces, 0..40), ".{0,30}").prop_map(|(v, tail)| v.concat() + &tail)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn spans_are_valid(text in clinical_text()) {
        let (doc, mentions) = pipeline().analyze_text(&text, chrono::NaiveDate::from_ymd_opt(2026, 10, 14));
        let mut last = 0;
        for s in &doc.sentences {
            prop_assert!(s.span.start >= last && s.span.end <= text.len() && s.span.start < s.span.end);
            prop_assert!(text.is_char_boundary(s.span.start) && text.is_char_boundary(s.span.end));
            last = s.span.end;
        }
        for t in &doc.tokens {
            prop_assert!(text.is_char_boundary(t.span.start) && text.is_char_boundary(t.span.end));
        }
        for m in &mentions {
            prop_assert!(text.is_char_boundary(m.span.start) && text.is_char_boundary(m.span.end));
            prop_assert!(m.span.start < m.span.end);
        }
    }

    #[test]
    fn evidence_slices_its_note(text in clinical_text(), cpt in prop::sample::select(vec!["72146", "72148", "72158", "72141"])) {
        prop_assume!(!text.trim().is_empty());
        let case = Case {
            case_id: "p".into(),
            request: Request { date: chrono::NaiveDate::from_ymd_opt(2026, 10, 16), procedures: vec![Procedure { cpt: cpt.into(), description: String::new() }], diagnoses: vec![] },
            patient: Patient::default(),
            notes: vec![Note { note_id: "n".into(), date: chrono::NaiveDate::from_ymd_opt(2026, 10, 14), kind: None, author_role: None, text: text.clone() }],
        };
        let review = pipeline().review(&case);
        for e in all_evidence(&review) {
            let (s, t) = (e["start"].as_u64().unwrap() as usize, e["end"].as_u64().unwrap() as usize);
            prop_assert_eq!(&text[s..t], e["text"].as_str().unwrap());
        }
        // The worksheet renders for any input.
        let _ = precert::report::markdown::worksheet(&review);
    }
}
