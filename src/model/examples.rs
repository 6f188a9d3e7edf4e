//! Training examples for the mention model, built by precert itself so that training sees exactly the
//! inputs inference will see (same sentence splitter, same window, same markers, same candidates).
//!
//! Sources:
//! * brat notes (corpus/brat/train, dev): every gold entity; every lexicon mention, labelled by the gold
//!   entity it overlaps or `none` when it overlaps none (a false lexicon hit); every cue candidate, likewise.
//!   brat annotation is exhaustive, so "overlaps no gold entity" is a real negative.
//! * augmentation sentences (corpus/augment/*.jsonl, written for training, never evaluated on): the
//!   labelled mention, plus lexicon mentions and cue candidates that overlap it. Other spans in those
//!   sentences are not labelled, so they yield nothing.
//!
//! * unlabelled case notes (`--unlabeled`, e.g. corpus/cases/train): every input the model reads in them,
//!   without labels, split `unlabeled`. They are the transfer set for distilling a smaller model from the
//!   shipped one (models/train/distill.py), which labels them itself.
//!
//! Identical inputs are kept once (first label wins); the assertion of a `none` example is not trained.

use crate::eval::brat;
use crate::mentions::fusion::model_category;
use crate::text::Span;
use crate::Pipeline;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// One training row.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Example {
    /// The model input (see [`super::input_for`]).
    pub input: String,
    /// Gold assertion; None where it is not trained (category `none`).
    pub assertion: Option<String>,
    /// Gold category; None for an unlabelled row (read by a teacher model when distilling).
    pub category: Option<String>,
    /// Where it came from ("brat:<doc>:gold", "augment:<file>:<line>:cue", …).
    pub origin: String,
    /// "train" or "dev".
    pub split: String,
}

/// An augmentation line.
#[derive(Deserialize)]
struct AugmentRow {
    text: String,
    mention: String,
    category: String,
    assertion: String,
    #[serde(default = "one")]
    occurrence: usize,
}

fn one() -> usize {
    1
}

/// The model category of a brat type.
fn brat_category(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Symptom" => "symptom",
        "Radicular" => "radicular",
        "Deficit" => "deficit",
        "Functional" => "functional",
        "Conservative" => "conservative",
        "Injection" => "injection",
        "Intervention" => "intervention",
        "Surgery" => "surgery",
        "Complication" => "complication",
        "Imaging" => "imaging",
        "RedFlag" => "red_flag",
        _ => return None,
    })
}

/// Collects examples, dropping duplicate inputs.
#[derive(Default)]
pub struct ExampleSet {
    /// The examples, in order found.
    pub examples: Vec<Example>,
    seen: HashSet<String>,
}

impl ExampleSet {
    fn push(&mut self, e: Example) {
        if self.seen.insert(e.input.clone()) {
            self.examples.push(e);
        }
    }

    /// Adds every annotated note under `dir`.
    pub fn add_brat(&mut self, pipeline: &Pipeline, dir: &Path, split: &str) -> Result<()> {
        let mut anns = Vec::new();
        crate::eval::collect_files(
            dir,
            &|f| f.extension().is_some_and(|e| e == "ann"),
            &mut anns,
        )?;
        anns.sort();
        if anns.is_empty() {
            bail!("no .ann files under {}", dir.display());
        }
        for ann_path in anns {
            let text = std::fs::read_to_string(ann_path.with_extension("txt"))
                .with_context(|| format!("cannot read the .txt of {}", ann_path.display()))?;
            let ann = std::fs::read_to_string(&ann_path)?;
            let doc_name = ann_path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let bytes = byte_index(&text);
            let gold: Vec<(Span, &'static str, String)> =
                brat::parse_ann(&ann, &text, &ann_path.display().to_string())?
                    .into_iter()
                    .filter_map(|e| {
                        let cat = brat_category(&e.kind)?;
                        Some((Span::new(bytes[e.start], bytes[e.end]), cat, e.label))
                    })
                    .collect();
            let (doc, mentions) = pipeline.analyze_text(&text, None);
            let origin = |what: &str| format!("brat:{doc_name}:{what}");
            for (span, cat, label) in &gold {
                self.push(Example {
                    input: super::input_for(&text, &doc, *span),
                    assertion: Some(label.clone()),
                    category: Some(cat.to_string()),
                    origin: origin("gold"),
                    split: split.into(),
                });
            }
            let label_of = |span: Span| {
                gold.iter()
                    .filter(|(g, _, _)| g.overlaps(span))
                    .max_by_key(|(g, _, _)| g.end.min(span.end) - g.start.max(span.start))
                    .map(|(_, c, l)| (c.to_string(), Some(l.clone())))
                    .unwrap_or(("none".into(), None))
            };
            for m in mentions.iter().filter(|m| model_category(m).is_some()) {
                let (category, assertion) = label_of(m.span);
                self.push(Example {
                    input: super::input_for(&text, &doc, m.span),
                    assertion,
                    category: Some(category),
                    origin: origin("lexicon"),
                    split: split.into(),
                });
            }
            for c in pipeline.cue_candidates(&text, &doc, &mentions) {
                let (category, assertion) = label_of(c.cue);
                self.push(Example {
                    input: super::input_for(&text, &doc, c.cue),
                    assertion,
                    category: Some(category),
                    origin: origin("cue"),
                    split: split.into(),
                });
            }
        }
        Ok(())
    }

    /// Adds an augmentation JSONL file (or every .jsonl file in a directory).
    pub fn add_augment(&mut self, pipeline: &Pipeline, path: &Path, split: &str) -> Result<()> {
        let mut files = Vec::new();
        crate::eval::collect_files(
            path,
            &|f| f.extension().is_some_and(|e| e == "jsonl"),
            &mut files,
        )?;
        files.sort();
        for file in files {
            let name = file
                .file_name()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let body = std::fs::read_to_string(&file)?;
            for (n, line) in body
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let at = || format!("{}:{}", file.display(), n + 1);
                let row: AugmentRow = serde_json::from_str(line).with_context(at)?;
                if !super::CATEGORIES.contains(&row.category.as_str())
                    || !super::ASSERTIONS.contains(&row.assertion.as_str())
                {
                    bail!("{}: unknown category or assertion", at());
                }
                let Some((start, _)) = row
                    .text
                    .match_indices(&row.mention)
                    .nth(row.occurrence.saturating_sub(1))
                else {
                    bail!("{}: mention {:?} not in text", at(), row.mention);
                };
                let span = Span::new(start, start + row.mention.len());
                let text = &row.text;
                let (doc, mentions) = pipeline.analyze_text(text, None);
                let origin = |what: &str| format!("augment:{name}:{}:{what}", n + 1);
                let assertion = (row.category != "none").then(|| row.assertion.clone());
                let mut spans = vec![(span, "gold")];
                spans.extend(
                    mentions
                        .iter()
                        .filter(|m| model_category(m).is_some() && m.span.overlaps(span))
                        .map(|m| (m.span, "lexicon")),
                );
                spans.extend(
                    pipeline
                        .cue_candidates(text, &doc, &mentions)
                        .into_iter()
                        .filter(|c| c.cue.overlaps(span))
                        .map(|c| (c.cue, "cue")),
                );
                for (s, what) in spans {
                    self.push(Example {
                        input: super::input_for(text, &doc, s),
                        assertion: assertion.clone(),
                        category: Some(row.category.clone()),
                        origin: origin(what),
                        split: split.into(),
                    });
                }
            }
        }
        Ok(())
    }
}

impl ExampleSet {
    /// Adds every model input of every note in `paths` (any input `precert review` reads), unlabelled.
    /// A record that cannot be read is an error naming it: a transfer set should not silently shrink.
    pub fn add_unlabeled(
        &mut self,
        pipeline: &Pipeline,
        paths: &[std::path::PathBuf],
    ) -> Result<()> {
        let opts = crate::ingest::TextOptions::default();
        for record in crate::ingest::stream(paths, &opts) {
            let case = record.map_err(|r| anyhow::anyhow!("unlabelled input: {r}"))?;
            for note in &case.notes {
                for input in pipeline.model_inputs(&note.text, note.date) {
                    self.push(Example {
                        input,
                        assertion: None,
                        category: None,
                        origin: format!("unlabeled:{}:{}", case.case_id, note.note_id),
                        split: "unlabeled".into(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Character offset → byte offset, for every character boundary (chars + 1 entries).
fn byte_index(text: &str) -> Vec<usize> {
    let mut v: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    v.push(text.len());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn augment_rows_yield_marked_inputs_with_their_labels() {
        let dir = std::env::temp_dir().join(format!("precert-aug-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("a.jsonl"),
            r#"{"text": "She quit her bowling league because of the pain.", "mention": "quit her bowling league", "category": "functional", "assertion": "present"}
{"text": "Fell asleep in the chair.", "mention": "Fell asleep", "category": "none", "assertion": "present"}
"#,
        )
        .unwrap();
        let p = Pipeline::new().unwrap();
        let mut set = ExampleSet::default();
        set.add_augment(&p, &dir, "train").unwrap();
        let gold = &set.examples[0];
        assert_eq!(
            gold.input,
            "She [E]quit her bowling league[/E] because of the pain."
        );
        assert_eq!(gold.assertion.as_deref(), Some("present"));
        // The cue inside the mention ("league") is a second example with the same labels.
        assert!(set
            .examples
            .iter()
            .any(|e| e.origin.ends_with(":cue") && e.category.as_deref() == Some("functional")));
        let none = set
            .examples
            .iter()
            .find(|e| e.category.as_deref() == Some("none"))
            .unwrap();
        assert_eq!(none.assertion, None);
        std::fs::write(
            dir.join("b.jsonl"),
            r#"{"text": "x", "mention": "y", "category": "none", "assertion": "present"}"#,
        )
        .unwrap();
        assert!(ExampleSet::default()
            .add_augment(&p, &dir, "train")
            .is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
