//! precert reads clinical notes and pre-fills medical-necessity reviews for advanced spine imaging.
//!
//! ```text
//! ingest ──► text ──────────► mentions ─────────────────────► evidence ──────► determination ─► report
//! JSON/CSV   sections,        lexicon targets + patterns,     criteria,        ACR LBP 2021      JSON, CSV,
//! /txt       sentences,       ConText assertion, temporal,    red flags,       rules, cited      Markdown
//!            tokens           trajectory, region              surgeries, …                       worksheet
//! ```
//!
//! * [`ingest`] turns inputs into [`ingest::Case`]s, or [`ingest::Reject`]s that name the record and reason.
//! * [`text`] finds sections, sentences and tokens — all as byte [`text::Span`]s into the original note.
//! * [`mentions`] finds targets (lexicons in `lexicons/`, compiled to aho-corasick automata) and their
//!   modifiers (ConText triggers, temporal expressions, trajectory, region), kept as separate layers.
//! * [`evidence`] turns a case's mentions into the facts the guideline needs, each with quotes.
//! * [`determination`] applies the guideline; [`report`] renders the facts, never anything else.
//! * [`eval`] measures all of the above against annotated corpora (cases, brat, NegEx/ConText kits, i2b2).
//!
//! A [`Pipeline`] is built once (compiling every lexicon) and shared across threads.
//!
//! ```
//! let pipeline = precert::Pipeline::new().unwrap();
//! let case: precert::ingest::Case = serde_json::from_str(r#"{
//!   "case_id": "doc-1",
//!   "request": {"date": "2026-10-01", "procedures": [{"cpt": "72148"}]},
//!   "notes": [{"note_id": "n1", "date": "2026-09-30",
//!              "text": "Low back pain. Reports new urinary retention and saddle anesthesia."}]
//! }"#).unwrap();
//! let review = pipeline.review(&case);
//! let d = &review.determinations[0];
//! assert_eq!(serde_json::to_value(d.decision).unwrap(), "approve");
//! // Every quote slices the note at its byte offsets.
//! let ev = &d.red_flags.cauda_equina.evidence[0];
//! assert_eq!(&case.notes[0].text[ev.start..ev.end], ev.text);
//! ```
#![deny(missing_docs)]

pub mod bulk;
pub mod determination;
pub mod eval;
pub mod evidence;
pub mod ingest;
pub mod lexicon;
pub mod mentions;
pub mod model;
mod pipeline;
pub mod report;
pub mod text;

pub use pipeline::{GuidelineRef, NoteRef, Pipeline, Provenance, Review, VERSION};
