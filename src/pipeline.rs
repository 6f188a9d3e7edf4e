//! The immutable [`Pipeline`]: every lexicon compiled once, shared by reference across worker threads.

use crate::determination::{self, guideline, Determination};
use crate::evidence::{AnalyzedNote, CaseAnalysis};
use crate::ingest::Case;
use crate::lexicon::{LexiconError, Lexicons};
use crate::mentions::{Mention, MentionExtractor};
use crate::text::{Document, TextAnalyzer};
use serde::Serialize;

/// precert's version, recorded in every output.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The compiled pipeline. Build once; `review` takes `&self` and is safe to call from many threads.
#[derive(Debug)]
pub struct Pipeline {
    text: TextAnalyzer,
    mentions: MentionExtractor,
    lexicon_hash: String,
}

/// Versions of everything that produced an output.
#[derive(Clone, Debug, Serialize)]
pub struct Provenance {
    /// precert version.
    pub precert_version: String,
    /// Guideline id and version.
    pub guideline: GuidelineRef,
    /// SHA-256 over the lexicon files used.
    pub lexicon_sha256: String,
    /// The evidence model's SHA-256; null while precert runs on rules and lexicons only.
    pub model_sha256: Option<String>,
}

/// Guideline id and version.
#[derive(Clone, Debug, Serialize)]
pub struct GuidelineRef {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
}

/// A note as listed in the output header.
#[derive(Clone, Debug, Serialize)]
pub struct NoteRef {
    /// Note id.
    pub note_id: String,
    /// Date.
    pub date: Option<chrono::NaiveDate>,
    /// Kind.
    pub kind: Option<String>,
    /// Author role.
    pub author_role: Option<String>,
}

/// The review of one case: provenance, request, and one determination per requested procedure.
#[derive(Clone, Debug, Serialize)]
pub struct Review {
    /// Case id.
    pub case_id: String,
    /// precert version.
    pub precert_version: String,
    /// Guideline id and version.
    pub guideline: GuidelineRef,
    /// Versions of everything that produced this output.
    pub provenance: Provenance,
    /// Request date.
    pub request_date: Option<chrono::NaiveDate>,
    /// Patient demographics.
    pub patient: crate::ingest::Patient,
    /// Notes received.
    pub notes: Vec<NoteRef>,
    /// One per requested procedure, in request order.
    pub determinations: Vec<Determination>,
}

impl Pipeline {
    /// Builds from the embedded lexicons.
    pub fn new() -> Result<Pipeline, LexiconError> {
        Pipeline::from_lexicons(&Lexicons::embedded())
    }

    /// Builds from a lexicon set.
    pub fn from_lexicons(lex: &Lexicons) -> Result<Pipeline, LexiconError> {
        Ok(Pipeline {
            text: TextAnalyzer::build(lex)?,
            mentions: MentionExtractor::build(lex)?,
            lexicon_hash: lex.hash().to_string(),
        })
    }

    /// Provenance of this pipeline's outputs.
    pub fn provenance(&self) -> Provenance {
        Provenance {
            precert_version: VERSION.to_string(),
            guideline: GuidelineRef {
                id: guideline::ID.into(),
                version: guideline::VERSION.into(),
            },
            lexicon_sha256: self.lexicon_hash.clone(),
            model_sha256: None,
        }
    }

    /// Sections, sentences, tokens and mentions of one note text.
    pub fn analyze_text(
        &self,
        text: &str,
        date: Option<chrono::NaiveDate>,
    ) -> (Document, Vec<Mention>) {
        let doc = self.text.analyze(text);
        let mentions = self.mentions.extract(text, &doc, date);
        (doc, mentions)
    }

    /// The assertion of a given span of `text` (a concept named by an evaluation kit), with the span as the
    /// only target. See [`MentionExtractor::assert_span`].
    pub fn assert_span(&self, text: &str, span: crate::text::Span) -> Mention {
        let doc = self.text.analyze(text);
        self.mentions.assert_span(text, &doc, span)
    }

    /// [`Pipeline::assert_span`] for many spans of one text, analysing the text once.
    pub fn assert_spans(&self, text: &str, spans: &[crate::text::Span]) -> Vec<Mention> {
        let doc = self.text.analyze(text);
        spans
            .iter()
            .map(|&s| self.mentions.assert_span(text, &doc, s))
            .collect()
    }

    /// Temporal expressions of a text, normalised against `date`.
    pub fn temporal(
        &self,
        text: &str,
        date: Option<chrono::NaiveDate>,
    ) -> Vec<crate::mentions::temporal::TemporalExpr> {
        self.mentions.temporal(text, date)
    }

    /// Analyses every note of a case.
    pub fn analyze<'c>(&self, case: &'c Case) -> CaseAnalysis<'c> {
        let notes = case
            .notes
            .iter()
            .map(|note| {
                let (doc, mentions) =
                    self.analyze_text(&note.text, note.date.or(case.request.date));
                AnalyzedNote {
                    note,
                    doc,
                    mentions,
                }
            })
            .collect();
        CaseAnalysis { case, notes }
    }

    /// Reviews a case: one determination per requested procedure.
    pub fn review(&self, case: &Case) -> Review {
        let analysis = self.analyze(case);
        let determinations = case
            .request
            .procedures
            .iter()
            .map(|p| determination::decide(&analysis, p))
            .collect();
        let provenance = self.provenance();
        Review {
            case_id: case.case_id.clone(),
            precert_version: VERSION.to_string(),
            guideline: provenance.guideline.clone(),
            provenance,
            request_date: case.request.date,
            patient: case.patient.clone(),
            notes: case
                .notes
                .iter()
                .map(|n| NoteRef {
                    note_id: n.note_id.clone(),
                    date: n.date,
                    kind: n.kind.clone(),
                    author_role: n.author_role.clone(),
                })
                .collect(),
            determinations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Pipeline>();
    }
}
