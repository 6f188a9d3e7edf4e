//! The mention model: a fine-tuned MiniLM encoder (models/precert-mention.onnx, int8) that reads a candidate
//! mention marked in its sentence and predicts its assertion class and evidence category.
//!
//! Lexicons catch the words; the model catches what the rules miss — paraphrases ("has not been able to go
//! back to her warehouse job") and assertion cues outside the trigger tables. It never finds text on its
//! own: candidates come from the concept lexicons and from the cue words in `lexicons/model/cues.tsv`, and
//! the fusion step ([`crate::mentions::fusion`]) decides how model and rules combine.
//!
//! Input format (shared with `models/train/train.py`, which trains on strings that precert itself writes
//! with `precert model examples`): the sentence, at most [`CONTEXT_BYTES`] either side of the mention, with
//! the mention wrapped in `[E]` … `[/E]`, two tokens that `tokenizer.json` maps to unused vocabulary ids.

pub mod backend;
pub mod examples;

use crate::text::{Document, Span};
use backend::{Backend, BackendChoice};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use tokenizers::Tokenizer;

/// Assertion classes, in the order of the model's assertion head.
pub const ASSERTIONS: [&str; 6] = [
    "present",
    "absent",
    "possible",
    "hypothetical",
    "historical",
    "family",
];
/// Evidence categories, in the order of the model's category head.
pub const CATEGORIES: [&str; 12] = [
    "symptom",
    "radicular",
    "deficit",
    "functional",
    "conservative",
    "injection",
    "intervention",
    "surgery",
    "complication",
    "imaging",
    "red_flag",
    "none",
];

/// Bytes of sentence kept either side of the mention (the tokenizer truncates at 128 tokens; a window
/// keeps the mention inside it).
pub const CONTEXT_BYTES: usize = 240;
/// Rows per inference call, at most.
pub const BATCH: usize = 32;
/// Padded tokens per inference call, at most (rows × longest row). The engine's working memory grows with
/// the largest call it has seen and keeps that size: 32 rows of 128 tokens took about 90 MB more peak RSS
/// than calls of 1,024 tokens, at the same cost per row.
pub const BATCH_TOKENS: usize = 1024;

/// The shipped model, embedded so that the default run needs no files beside the binary.
static EMBEDDED_ONNX: &[u8] = include_bytes!("../../models/precert-mention.onnx");
static EMBEDDED_TOKENIZER: &[u8] = include_bytes!("../../models/tokenizer.json");

/// One prediction.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// Probabilities over [`ASSERTIONS`].
    pub assertion: [f32; 6],
    /// Probabilities over [`CATEGORIES`].
    pub category: [f32; 12],
}

impl Prediction {
    /// The most probable assertion and its probability.
    pub fn top_assertion(&self) -> (&'static str, f32) {
        top(&self.assertion, &ASSERTIONS)
    }
    /// The most probable category and its probability.
    pub fn top_category(&self) -> (&'static str, f32) {
        top(&self.category, &CATEGORIES)
    }
    /// The probability of a named assertion.
    pub fn p_assertion(&self, label: &str) -> f32 {
        ASSERTIONS
            .iter()
            .position(|l| *l == label)
            .map_or(0.0, |i| self.assertion[i])
    }
    /// The probability of a named category.
    pub fn p_category(&self, label: &str) -> f32 {
        CATEGORIES
            .iter()
            .position(|l| *l == label)
            .map_or(0.0, |i| self.category[i])
    }
}

fn top<const N: usize>(p: &[f32; N], labels: &[&'static str; N]) -> (&'static str, f32) {
    let (i, v) = p
        .iter()
        .enumerate()
        .fold((0, f32::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
    (labels[i], v)
}

/// The loaded model: tokenizer, engine and the hash that provenance records.
#[derive(Debug)]
pub struct MentionModel {
    tokenizer: Tokenizer,
    backend: Backend,
    sha256: String,
    /// Seconds spent loading (parsing and optimising the graph).
    pub load_seconds: f64,
    cache: PredictionCache,
}

/// Predictions by input, across every note of a run. The model's input is a sentence window with the
/// mention marked, and templated or copied-forward text repeats it across an archive: a repeat is
/// answered from here instead of the encoder. Exact: a prediction depends only on its input (batching and
/// padding do not change it; tested), so a cached answer is the one the model would give. Bounded: at
/// [`CACHE_ENTRIES`] the cache starts over, so memory stays flat (about 10 MB) on any archive.
#[derive(Debug, Default)]
struct PredictionCache {
    map: std::sync::Mutex<HashMap<u128, Prediction>>,
    asked: std::sync::atomic::AtomicU64,
    hits: std::sync::atomic::AtomicU64,
    run: std::sync::atomic::AtomicU64,
}

/// Entries kept by the prediction cache before it starts over.
pub const CACHE_ENTRIES: usize = 100_000;

/// How much of the model's work a run needed: inputs asked, answered from the cache, run through the
/// encoder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModelStats {
    /// Distinct inputs asked per call, summed over calls.
    pub asked: u64,
    /// Of those, answered from the cache.
    pub cached: u64,
    /// Of those, run through the encoder.
    pub classified: u64,
}

/// A 128-bit key for an input (two independently keyed 64-bit hashes: no collision in practice at the
/// cache's size).
fn cache_key(s: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    0x5eed_u64.hash(&mut b);
    s.hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

impl MentionModel {
    /// Loads the embedded model.
    pub fn embedded(choice: BackendChoice, threads: usize) -> anyhow::Result<MentionModel> {
        MentionModel::from_bytes(EMBEDDED_ONNX, EMBEDDED_TOKENIZER, choice, threads)
    }

    /// Loads `precert-mention.onnx` and `tokenizer.json` from a directory.
    pub fn from_dir(
        dir: &Path,
        choice: BackendChoice,
        threads: usize,
    ) -> anyhow::Result<MentionModel> {
        let read = |name: &str| {
            std::fs::read(dir.join(name))
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.join(name).display()))
        };
        MentionModel::from_bytes(
            &read("precert-mention.onnx")?,
            &read("tokenizer.json")?,
            choice,
            threads,
        )
    }

    /// Loads from bytes.
    pub fn from_bytes(
        onnx: &[u8],
        tokenizer: &[u8],
        choice: BackendChoice,
        threads: usize,
    ) -> anyhow::Result<MentionModel> {
        let t0 = std::time::Instant::now();
        let tokenizer =
            Tokenizer::from_bytes(tokenizer).map_err(|e| anyhow::anyhow!("tokenizer.json: {e}"))?;
        let backend = Backend::load(choice, onnx, threads)?;
        Ok(MentionModel {
            tokenizer,
            backend,
            sha256: format!("{:x}", Sha256::digest(onnx)),
            load_seconds: t0.elapsed().as_secs_f64(),
            cache: PredictionCache::default(),
        })
    }

    /// SHA-256 of the ONNX file.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// "onnxruntime" or "tract".
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// How much work the model has done since it was loaded.
    pub fn stats(&self) -> ModelStats {
        use std::sync::atomic::Ordering::Relaxed;
        ModelStats {
            asked: self.cache.asked.load(Relaxed),
            cached: self.cache.hits.load(Relaxed),
            classified: self.cache.run.load(Relaxed),
        }
    }

    /// Classifies model inputs (see [`input_for`]). Identical inputs are classified once, and inputs
    /// seen before in this run are answered from the cache; the rest are sorted by length so that each
    /// batch pads little.
    pub fn classify(&self, inputs: &[String]) -> anyhow::Result<Vec<Prediction>> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut unique: Vec<&str> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let slots: Vec<usize> = inputs
            .iter()
            .map(|s| {
                *index.entry(s.as_str()).or_insert_with(|| {
                    unique.push(s.as_str());
                    unique.len() - 1
                })
            })
            .collect();
        let keys: Vec<u128> = unique.iter().map(|s| cache_key(s)).collect();
        let mut preds: Vec<Option<Prediction>> = {
            let map = self.cache.map.lock().unwrap_or_else(|e| e.into_inner());
            keys.iter().map(|k| map.get(k).cloned()).collect()
        };
        let todo: Vec<usize> = (0..unique.len()).filter(|&i| preds[i].is_none()).collect();
        self.cache.asked.fetch_add(unique.len() as u64, Relaxed);
        self.cache
            .hits
            .fetch_add((unique.len() - todo.len()) as u64, Relaxed);
        self.cache.run.fetch_add(todo.len() as u64, Relaxed);
        // Encoded one by one (no padding): each batch below is padded to its own longest row.
        let mut encodings = Vec::with_capacity(unique.len());
        for (i, s) in unique.iter().enumerate() {
            encodings.push(if preds[i].is_none() {
                Some(
                    self.tokenizer
                        .encode(*s, true)
                        .map_err(|e| anyhow::anyhow!("tokenizer: {e}"))?,
                )
            } else {
                None
            });
        }
        let len = |i: usize| encodings[i].as_ref().map_or(0, |e| e.get_ids().len());
        let mut order = todo;
        order.sort_by_key(|&i| len(i));
        for chunk in batches(&order, len) {
            let seq = chunk.iter().map(|&i| len(i)).max().unwrap_or(1);
            let mut ids = vec![0i64; chunk.len() * seq];
            let mut mask = vec![0i64; chunk.len() * seq];
            for (r, &i) in chunk.iter().enumerate() {
                let e = encodings[i].as_ref().expect("encoded");
                for (k, (&t, &a)) in e.get_ids().iter().zip(e.get_attention_mask()).enumerate() {
                    ids[r * seq + k] = t as i64;
                    mask[r * seq + k] = a as i64;
                }
            }
            let out = self.backend.run(ids, mask, chunk.len(), seq)?;
            anyhow::ensure!(
                out.assertion.len() == chunk.len() * ASSERTIONS.len()
                    && out.category.len() == chunk.len() * CATEGORIES.len(),
                "model output shape does not match its label sets"
            );
            for (r, &i) in chunk.iter().enumerate() {
                let mut p = Prediction {
                    assertion: [0.0; 6],
                    category: [0.0; 12],
                };
                p.assertion
                    .copy_from_slice(&out.assertion[r * 6..r * 6 + 6]);
                p.category
                    .copy_from_slice(&out.category[r * 12..r * 12 + 12]);
                preds[i] = Some(p);
            }
        }
        {
            let mut map = self.cache.map.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() + unique.len() > CACHE_ENTRIES {
                map.clear();
            }
            for (k, p) in keys.iter().zip(&preds) {
                if let Some(p) = p {
                    map.insert(*k, p.clone());
                }
            }
        }
        Ok(slots
            .into_iter()
            .map(|s| preds[s].clone().expect("every unique input classified"))
            .collect())
    }
}

/// Splits `order` (input indices sorted by token length, shortest first) into consecutive batches of at
/// most [`BATCH`] rows and at most [`BATCH_TOKENS`] padded tokens; a row longer than the budget goes alone.
fn batches(order: &[usize], len: impl Fn(usize) -> usize) -> Vec<&[usize]> {
    let mut out = Vec::new();
    let mut start = 0;
    for k in 0..order.len() {
        // Sorted ascending, so row k is the longest of order[start..=k].
        let rows = k + 1 - start;
        if rows > 1 && (rows > BATCH || rows * len(order[k]) > BATCH_TOKENS) {
            out.push(&order[start..k]);
            start = k;
        }
    }
    if start < order.len() {
        out.push(&order[start..]);
    }
    out
}

/// The model input for `span` of `text`: its sentence (windowed), the span wrapped in `[E]` … `[/E]`.
/// Literal markers in the note are neutralised so that note text can never place one.
pub fn input_for(text: &str, doc: &Document, span: Span) -> String {
    let sentence = doc
        .sentence_at(span.start)
        .map(|i| doc.sentences[i].span)
        .unwrap_or(span);
    let start = floor_char(
        text,
        sentence.start.max(span.start.saturating_sub(CONTEXT_BYTES)),
    );
    let end = ceil_char(
        text,
        sentence.end.min(span.end + CONTEXT_BYTES).max(span.end),
    );
    let start = start.min(span.start);
    let clean = |s: &str| s.replace("[E]", "(E)").replace("[/E]", "(/E)");
    format!(
        "{}[E]{}[/E]{}",
        clean(&text[start..span.start]),
        clean(&text[span.start..span.end]),
        clean(&text[span.end..end])
    )
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_marks_the_span_inside_its_sentence() {
        let text = "Back pain x 3 weeks. Denies fever or chills. Plan: PT.";
        let lex = crate::lexicon::Lexicons::embedded();
        let doc = crate::text::TextAnalyzer::build(&lex)
            .unwrap()
            .analyze(text);
        let at = text.find("fever").unwrap();
        let s = input_for(text, &doc, Span::new(at, at + 5));
        assert_eq!(s, "Denies [E]fever[/E] or chills.");
    }

    #[test]
    fn note_text_cannot_place_a_marker() {
        let text = "Pain [E] here [/E] and fever.";
        let lex = crate::lexicon::Lexicons::embedded();
        let doc = crate::text::TextAnalyzer::build(&lex)
            .unwrap()
            .analyze(text);
        let at = text.find("fever").unwrap();
        let s = input_for(text, &doc, Span::new(at, at + 5));
        assert_eq!(s.matches("[E]").count(), 1);
        assert!(s.contains("[E]fever[/E]"));
    }

    #[test]
    fn batches_respect_rows_and_tokens_and_keep_every_row() {
        let lens = [3usize, 3, 10, 40, 40, 64, 100, 128, 128, 200, 2000];
        let order: Vec<usize> = (0..lens.len()).collect();
        let got = batches(&order, |i| lens[i]);
        let flat: Vec<usize> = got.iter().flat_map(|b| b.iter().copied()).collect();
        assert_eq!(flat, order, "every row once, in order");
        for b in &got {
            let longest = b.iter().map(|&i| lens[i]).max().unwrap();
            assert!(b.len() <= BATCH);
            assert!(b.len() == 1 || b.len() * longest <= BATCH_TOKENS, "{b:?}");
        }
        let short: Vec<usize> = (0..100).collect();
        let got = batches(&short, |_| 5);
        assert_eq!(
            got.iter().map(|b| b.len()).collect::<Vec<_>>(),
            [32, 32, 32, 4]
        );
        assert!(batches(&[], |_| 1).is_empty());
    }

    #[test]
    fn label_sets_match_the_trained_model() {
        let m: serde_json::Value =
            serde_json::from_str(include_str!("../../models/metrics.json")).unwrap();
        assert_eq!(m["assertions"], serde_json::json!(ASSERTIONS));
        assert_eq!(m["categories"], serde_json::json!(CATEGORIES));
    }
}
