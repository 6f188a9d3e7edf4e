//! One note text → sections, sentences, tokens and mentions (`Pipeline::analyze_text`), rules only.
//! Checks the text layer's documented invariants and that every mention, cue, temporal and trajectory span
//! is in bounds and on char boundaries (see `common::check_document`). Also the mention model's inputs,
//! built without running the model: cue-word candidates (`Pipeline::cue_candidates`) lie in their
//! sentence, and `model::input_for` wraps exactly one span in `[E]` … `[/E]` whatever the note says.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let date = if data.len() % 2 == 0 {
        common::date(2026, 9, 28)
    } else {
        None
    };
    let (doc, mentions) = common::pipeline().analyze_text(text, date);
    common::check_document(text, &doc, &mentions);
    let input = |span: precert::text::Span| {
        let s = precert::model::input_for(text, &doc, span);
        assert_eq!(s.matches("[E]").count(), 1, "one [E] marker: {s:?}");
        assert_eq!(s.matches("[/E]").count(), 1, "one [/E] marker: {s:?}");
    };
    for m in &mentions {
        input(m.span);
    }
    for c in common::pipeline().cue_candidates(text, &doc, &mentions) {
        let sentence = doc.sentences[c.sentence].span;
        for s in [c.cue, c.clause] {
            assert!(s.start <= s.end && s.end <= text.len());
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            assert!(
                sentence.contains(s),
                "candidate {s:?} outside its sentence {sentence:?}"
            );
        }
        assert!(
            c.clause.contains(c.cue),
            "clause {:?} holds its cue {:?}",
            c.clause,
            c.cue
        );
        input(c.clause);
    }
    // Temporal expressions found on their own are in bounds too.
    for e in common::pipeline().temporal(text, date) {
        assert!(e.span.start <= e.span.end && e.span.end <= text.len());
        assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
    }
});
