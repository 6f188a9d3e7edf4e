//! Shared by the fuzz targets: the pipeline (built once) and the invariants checked on its output.

#![allow(dead_code)]

use precert::ingest::{Case, Note, Patient, Procedure, Request};
use precert::mentions::Mention;
use precert::text::{Document, Span};
use precert::{Pipeline, Review};
use std::sync::OnceLock;

/// The rules-only pipeline (embedded lexicons, no mention model), compiled once per process.
pub fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| Pipeline::new().expect("embedded lexicons build"))
}

pub fn date(y: i32, m: u32, d: u32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
}

/// A case as ingest would accept it: notes with blank text are dropped (ingest rejects them), note ids
/// are unique, and the request is for the lumbar and thoracic studies. `None` when no note is left.
pub fn case_of(texts: &[&str], dated: bool) -> Option<Case> {
    let note_dates = [date(2026, 8, 4), date(2026, 9, 28)];
    let notes: Vec<Note> = texts
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(i, t)| Note {
            note_id: format!("n{}", i + 1),
            date: if dated { note_dates[i % 2] } else { None },
            kind: None,
            author_role: None,
            text: t.to_string(),
        })
        .collect();
    if notes.is_empty() {
        return None;
    }
    let proc_ = |cpt: &str| Procedure {
        cpt: cpt.into(),
        description: String::new(),
    };
    Some(Case {
        case_id: "fuzz".into(),
        request: Request {
            date: if dated { date(2026, 10, 1) } else { None },
            procedures: vec![proc_("72148"), proc_("72146")],
            diagnoses: vec![],
        },
        patient: Patient::default(),
        notes,
    })
}

/// Reviews `case` and checks every invariant of the output; renders the reports too (they must not panic).
pub fn review_and_check(case: &Case) -> Review {
    let review = pipeline().review(case);
    check_review(case, &review);
    let _ = precert::report::markdown::worksheet(&review);
    let _ = precert::report::csv_rows(&review);
    review
}

/// Every evidence record (any JSON object with note_id, start, end and text) names a note of the case, and
/// its offsets are in bounds, on char boundaries, and slice the note to exactly its quote. The review
/// serialises to JSON. One determination per requested procedure, in request order.
pub fn check_review(case: &Case, review: &Review) {
    let json = serde_json::to_string(review).expect("review serialises to JSON");
    let value: serde_json::Value = serde_json::from_str(&json).expect("review JSON parses back");
    assert_eq!(review.determinations.len(), case.request.procedures.len());
    for (d, p) in review.determinations.iter().zip(&case.request.procedures) {
        assert_eq!(d.cpt, p.cpt);
    }
    walk(&value, &mut |e| {
        let note_id = e["note_id"].as_str().expect("note_id is a string");
        let note = case
            .notes
            .iter()
            .find(|n| n.note_id == note_id)
            .unwrap_or_else(|| panic!("evidence names unknown note {note_id:?}: {e}"));
        let (s, t) = (
            e["start"].as_u64().expect("start is a number") as usize,
            e["end"].as_u64().expect("end is a number") as usize,
        );
        let text = &note.text;
        assert!(s <= t && t <= text.len(), "offsets out of bounds: {e}");
        assert!(
            text.is_char_boundary(s) && text.is_char_boundary(t),
            "offsets not on char boundaries: {e}"
        );
        assert_eq!(&text[s..t], e["text"].as_str().expect("text"), "quote: {e}");
    });
}

fn walk(v: &serde_json::Value, f: &mut dyn FnMut(&serde_json::Value)) {
    match v {
        serde_json::Value::Object(m) => {
            if ["note_id", "start", "end", "text"]
                .iter()
                .all(|k| m.contains_key(*k))
            {
                f(v);
            }
            m.values().for_each(|x| walk(x, f));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
        _ => {}
    }
}

fn span_ok(text: &str, s: Span) -> bool {
    s.start <= s.end
        && s.end <= text.len()
        && text.is_char_boundary(s.start)
        && text.is_char_boundary(s.end)
}

/// The text layer's documented invariants, and every mention's spans.
pub fn check_document(text: &str, doc: &Document, mentions: &[Mention]) {
    // Sections: in order, contiguous, covering the whole note.
    let mut at = 0;
    for sec in &doc.sections {
        let start = sec.header.map_or(sec.body.start, |h| h.start);
        assert_eq!(start, at, "sections are contiguous: {:?}", doc.sections);
        if let Some(h) = sec.header {
            assert!(span_ok(text, h), "header {h:?}");
            assert_eq!(h.end, sec.body.start, "body follows its header");
        }
        assert!(span_ok(text, sec.body), "section body {:?}", sec.body);
        at = sec.body.end;
    }
    assert_eq!(at, text.len(), "sections cover the note");
    // Sentences: in order, disjoint, non-empty, each inside one section body, tokens inside them.
    let mut last = 0;
    for s in &doc.sentences {
        assert!(span_ok(text, s.span), "sentence {:?}", s.span);
        assert!(
            s.span.start >= last && s.span.start < s.span.end,
            "sentence order {:?}",
            s.span
        );
        assert!(
            doc.sections.iter().any(|sec| sec.body.contains(s.span)),
            "sentence {:?} crosses a section boundary",
            s.span
        );
        assert!(s.tokens.start <= s.tokens.end && s.tokens.end <= doc.tokens.len());
        for t in &doc.tokens[s.tokens.clone()] {
            assert!(span_ok(text, t.span), "token {:?}", t.span);
            assert!(
                s.span.contains(t.span),
                "token {:?} outside its sentence",
                t.span
            );
        }
        last = s.span.end;
    }
    for m in mentions {
        assert!(
            span_ok(text, m.span),
            "mention span {:?} ({})",
            m.span,
            m.concept
        );
        assert!(m.span.start < m.span.end, "empty mention {:?}", m.span);
        assert!(m.sentence < doc.sentences.len(), "mention sentence index");
        for c in &m.assertion.cues {
            assert!(span_ok(text, c.span), "cue span {:?}", c.span);
        }
        for e in &m.temporal {
            assert!(span_ok(text, e.span), "temporal span {:?}", e.span);
        }
        if let Some(tr) = &m.trajectory {
            assert!(span_ok(text, tr.span), "trajectory span {:?}", tr.span);
        }
    }
}
