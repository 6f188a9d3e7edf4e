//! The immutable [`Pipeline`]: every lexicon compiled once, shared by reference across worker threads.

use crate::determination::{self, guideline, Determination};
use crate::evidence::{AnalyzedNote, CaseAnalysis};
use crate::ingest::Case;
use crate::lexicon::{LexiconError, Lexicons};
use crate::mentions::fusion::{EvidenceMode, Thresholds};
use crate::mentions::{Mention, MentionExtractor, ModelUse};
use crate::model::MentionModel;
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
    model: Option<MentionModel>,
    mode: EvidenceMode,
    thresholds: Thresholds,
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
    /// The mention model's SHA-256; null when precert ran on rules and lexicons only.
    pub model_sha256: Option<String>,
    /// Which evidence sources decided: lexicon | model | both.
    pub evidence: EvidenceMode,
    /// The engine that ran the model (onnxruntime | tract), when it ran.
    pub model_backend: Option<String>,
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
            model: None,
            mode: EvidenceMode::Lexicon,
            thresholds: Thresholds::default(),
        })
    }

    /// Adds the mention model, fused with the lexicons as `mode` says (`Lexicon` drops the model).
    pub fn with_model(mut self, model: MentionModel, mode: EvidenceMode) -> Pipeline {
        self.mode = mode;
        self.model = (mode != EvidenceMode::Lexicon).then_some(model);
        self
    }

    /// Replaces the fusion thresholds.
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Pipeline {
        self.thresholds = thresholds;
        self
    }

    /// The model, when one is in use.
    pub fn model(&self) -> Option<&MentionModel> {
        self.model.as_ref()
    }

    /// The fusion thresholds.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
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
            model_sha256: self.model.as_ref().map(|m| m.sha256().to_string()),
            evidence: self.mode,
            model_backend: self.model.as_ref().map(|m| m.backend_name().to_string()),
        }
    }

    /// Sections, sentences, tokens and mentions of one note text.
    pub fn analyze_text(
        &self,
        text: &str,
        date: Option<chrono::NaiveDate>,
    ) -> (Document, Vec<Mention>) {
        let doc = self.text.analyze(text);
        let model = self.model.as_ref().map(|model| ModelUse {
            model,
            mode: self.mode,
            thresholds: &self.thresholds,
        });
        let mentions = self.mentions.extract(text, &doc, date, model);
        (doc, mentions)
    }

    /// The assertion of a given span of `text` (a concept named by an evaluation kit), with the span as the
    /// only target. See [`MentionExtractor::assert_span`].
    pub fn assert_span(&self, text: &str, span: crate::text::Span) -> Mention {
        self.assert_spans(text, &[span]).remove(0)
    }

    /// [`Pipeline::assert_span`] for many spans of one text, analysing the text once.
    pub fn assert_spans(&self, text: &str, spans: &[crate::text::Span]) -> Vec<Mention> {
        let doc = self.text.analyze(text);
        let mut out: Vec<Mention> = spans
            .iter()
            .map(|&s| self.mentions.assert_span(text, &doc, s))
            .collect();
        // With a model, its reading of each span is fused in as for any mention — the assertion only: the
        // kit has already said the span is a target, so the model's category cannot veto it.
        if let Some(model) = &self.model {
            let inputs: Vec<String> = spans
                .iter()
                .map(|&s| crate::model::input_for(text, &doc, s))
                .collect();
            match model.classify(&inputs) {
                Ok(preds) => {
                    let mut t = self.thresholds;
                    t.veto = f32::INFINITY;
                    let mode = match self.mode {
                        EvidenceMode::Model => EvidenceMode::Both,
                        m => m,
                    };
                    for (m, p) in out.iter_mut().zip(&preds) {
                        if self.mode == EvidenceMode::Model {
                            let (top, _) = p.top_assertion();
                            m.assertion = crate::mentions::fusion::model_assertion(top, m);
                        }
                        let window = doc.sentences.get(m.sentence).map_or(m.span, |s| s.span);
                        crate::mentions::fusion::fuse(m, p, window, mode, &t);
                    }
                }
                Err(e) => eprintln!("precert: mention model failed, rules only: {e}"),
            }
        }
        out
    }

    /// The inputs the mention model reads in `text`, in the order it reads them: the rules' mentions it
    /// judges, then the cue words it may add from. Always from the rules alone (the model's own
    /// readings never make candidates), so `precert model examples` writes exactly what inference sees.
    pub fn model_inputs(&self, text: &str, date: Option<chrono::NaiveDate>) -> Vec<String> {
        let doc = self.text.analyze(text);
        let mentions = self.mentions.extract(text, &doc, date, None);
        let c = self.mentions.model_candidates(text, &doc, &mentions);
        crate::mentions::model_inputs(text, &doc, &mentions, &c.judged, &c.candidates)
    }

    /// Cue-word candidates for the mention model in an analysed text (see [`crate::mentions::cues`]).
    pub fn cue_candidates(
        &self,
        text: &str,
        doc: &Document,
        mentions: &[Mention],
    ) -> Vec<crate::mentions::cues::Candidate> {
        self.mentions.cue_candidates(text, doc, mentions)
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
        self.review_with_analysis(case).0
    }

    /// [`Pipeline::review`], also returning the analysis the review was decided from (the notes' mentions,
    /// for renderings that show the note text, such as the HTML worksheet).
    pub fn review_with_analysis<'c>(&self, case: &'c Case) -> (Review, CaseAnalysis<'c>) {
        let analysis = self.analyze(case);
        let determinations = case
            .request
            .procedures
            .iter()
            .map(|p| determination::decide(&analysis, p, self.thresholds.low_confidence))
            .collect();
        let provenance = self.provenance();
        let review = Review {
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
        };
        (review, analysis)
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
