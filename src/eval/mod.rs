//! `precert eval`: measures precert against annotated corpora, in the formats clinical-NLP groups use.
//!
//! | Input | What is measured | Module |
//! |---|---|---|
//! | `*.case.json` with `gold` (a file or directory) | decisions, criteria, red flags, weeks | [`cases`] |
//! | brat standoff `.txt` + `.ann` | mention P/R/F1 by type (exact, overlap), assertion | [`brat`] |
//! | NegEx / ConText kit TSV, precert's sentence suite | negation, temporality, experiencer, temporal values | [`kit`] |
//! | i2b2/VA 2010 `.txt` + `.con` + `.ast` | assertion per class, micro-F1 | [`i2b2`] |
//!
//! Each input gives one [`Section`] of named metrics (`<section>.<metric>`), tables and the list of every
//! error. [`check_thresholds`] turns `--fail-under METRIC=VALUE` into a pass/fail for CI.

pub mod brat;
pub mod cases;
pub mod i2b2;
pub mod kit;
pub mod metrics;
pub mod report;
pub mod temporal_value;

use crate::Pipeline;
use anyhow::{bail, Context, Result};
pub use report::Section;
use std::path::{Path, PathBuf};

/// What an input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// Cases with gold.
    Cases,
    /// brat standoff.
    Brat,
    /// NegEx kit.
    Negex,
    /// ConText kit.
    Context,
    /// precert's sentence suite.
    Sentences,
    /// i2b2 2010 assertion.
    I2b2,
}

impl InputKind {
    /// The section name (metric prefix).
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Cases => "cases",
            InputKind::Brat => "brat",
            InputKind::Negex => "negex",
            InputKind::Context => "context",
            InputKind::Sentences => "sentences",
            InputKind::I2b2 => "i2b2",
        }
    }

    /// Parses a `--kind` value.
    pub fn parse(s: &str) -> Option<InputKind> {
        [
            InputKind::Cases,
            InputKind::Brat,
            InputKind::Negex,
            InputKind::Context,
            InputKind::Sentences,
            InputKind::I2b2,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

/// Every file under `p` (directories recursively) whose path satisfies `keep`, appended to `out`.
pub(crate) fn collect_files(
    p: &Path,
    keep: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    if p.is_dir() {
        for e in std::fs::read_dir(p).with_context(|| format!("cannot read {}", p.display()))? {
            collect_files(&e?.path(), keep, out)?;
        }
    } else if !p.exists() {
        bail!("{}: no such file or directory", p.display());
    } else if keep(p) {
        out.push(p.to_path_buf());
    }
    Ok(())
}

/// The inputs, as a section's `source`.
pub(crate) fn describe(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Works out what an input is from its contents.
pub fn detect(path: &Path) -> Result<InputKind> {
    if !path.exists() {
        bail!("{}: no such file or directory", path.display());
    }
    if path.is_dir() {
        if cases::looks_like_cases(path) {
            return Ok(InputKind::Cases);
        }
        if i2b2::looks_like_i2b2(path) {
            return Ok(InputKind::I2b2);
        }
        if brat::looks_like_brat(path) {
            return Ok(InputKind::Brat);
        }
        bail!(
            "{}: found no *.case.json, .ann or .ast files to evaluate",
            path.display()
        );
    }
    let name = path.to_string_lossy();
    if name.ends_with(".json") {
        return Ok(InputKind::Cases);
    }
    if name.ends_with(".ann") {
        return Ok(InputKind::Brat);
    }
    if name.ends_with(".ast") {
        return Ok(InputKind::I2b2);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    match kit::detect(&text) {
        Some(kit::KitFormat::Negex) => Ok(InputKind::Negex),
        Some(kit::KitFormat::Context) => Ok(InputKind::Context),
        Some(kit::KitFormat::Suite) => Ok(InputKind::Sentences),
        None => bail!(
            "{}: not a case, brat, i2b2 or NegEx/ConText kit file",
            path.display()
        ),
    }
}

/// Evaluates one input as `kind`, naming its section `name`.
pub fn evaluate(pipeline: &Pipeline, path: &Path, kind: InputKind, name: &str) -> Result<Section> {
    let paths = [path.to_path_buf()];
    match kind {
        InputKind::Cases => cases::evaluate(pipeline, &paths, name),
        InputKind::Brat => brat::evaluate(pipeline, &paths, name),
        InputKind::I2b2 => i2b2::evaluate(pipeline, &paths, name),
        InputKind::Negex | InputKind::Context | InputKind::Sentences => {
            kit::evaluate(pipeline, path, name)
        }
    }
}

/// Evaluates every input; sections are named by kind, numbered when a kind repeats (`cases`, `cases2`).
pub fn evaluate_all(
    pipeline: &Pipeline,
    inputs: &[PathBuf],
    kind: Option<InputKind>,
) -> Result<Vec<Section>> {
    let mut out: Vec<Section> = Vec::new();
    for p in inputs {
        let k = match kind {
            Some(k) => k,
            None => detect(p)?,
        };
        let seen = out
            .iter()
            .filter(|s| s.name.trim_end_matches(|c: char| c.is_ascii_digit()) == k.name())
            .count();
        let name = if seen == 0 {
            k.name().to_string()
        } else {
            format!("{}{}", k.name(), seen + 1)
        };
        out.push(evaluate(pipeline, p, k, &name)?);
    }
    Ok(out)
}

/// A threshold: `METRIC=VALUE`, either a floor (`--fail-under`) or a ceiling (`--fail-over`).
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// Full metric name.
    pub metric: String,
    /// The bound.
    pub value: f64,
    /// True for a ceiling.
    pub ceiling: bool,
}

impl Threshold {
    /// Parses `METRIC=VALUE`.
    pub fn parse(s: &str, ceiling: bool) -> Result<Threshold> {
        let (m, v) = s
            .split_once('=')
            .with_context(|| format!("threshold {s:?} is not METRIC=VALUE"))?;
        let value = v
            .trim()
            .parse::<f64>()
            .with_context(|| format!("threshold {s:?}: {v:?} is not a number"))?;
        Ok(Threshold {
            metric: m.trim().to_string(),
            value,
            ceiling,
        })
    }
}

/// Checks thresholds; returns one line per failure. A threshold naming no metric is an error (a typo must
/// not pass CI silently).
pub fn check_thresholds(sections: &[Section], thresholds: &[Threshold]) -> Result<Vec<String>> {
    let mut failures = Vec::new();
    for t in thresholds {
        let Some(v) = sections.iter().find_map(|s| s.get(&t.metric)) else {
            let known: Vec<String> = sections
                .iter()
                .flat_map(|s| {
                    s.metrics
                        .iter()
                        .map(move |(n, _)| format!("{}.{n}", s.name))
                })
                .collect();
            bail!(
                "threshold names unknown metric {:?}; known: {}",
                t.metric,
                known.join(", ")
            );
        };
        let fails = if t.ceiling { v > t.value } else { v < t.value };
        if fails {
            failures.push(format!(
                "{} = {v:.3} is {} the threshold {}",
                t.metric,
                if t.ceiling { "above" } else { "below" },
                t.value
            ));
        }
    }
    Ok(failures)
}

/// The JSON form of a run.
pub fn to_json(pipeline: &Pipeline, sections: &[Section]) -> serde_json::Value {
    let p = pipeline.provenance();
    serde_json::json!({
        "precert_version": p.precert_version,
        "guideline": p.guideline,
        "lexicon_sha256": p.lexicon_sha256,
        "model_sha256": p.model_sha256,
        "evidence": p.evidence,
        "model_backend": p.model_backend,
        "sections": sections.iter().map(|s| serde_json::json!({
            "name": s.name,
            "source": s.source,
            "metrics": s.metrics.iter().map(|(n, v)| (format!("{}.{n}", s.name), serde_json::json!(v)))
                .collect::<serde_json::Map<String, serde_json::Value>>(),
            "tables": s.tables,
            "notes": s.notes,
            "errors": s.errors,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_and_check() {
        let mut s = Section::new("cases", "x");
        s.metric("decision.accuracy", 0.8);
        s.metric("conservative_weeks.mae", 1.5);
        let t = |x: &str, c| Threshold::parse(x, c).unwrap();
        assert!(
            check_thresholds(&[s.clone()], &[t("cases.decision.accuracy=0.8", false)])
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            check_thresholds(&[s.clone()], &[t("cases.decision.accuracy=0.81", false)])
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            check_thresholds(&[s.clone()], &[t("cases.conservative_weeks.mae=1.0", true)])
                .unwrap()
                .len(),
            1
        );
        assert!(check_thresholds(&[s], &[t("cases.nope=1", false)]).is_err());
        assert!(Threshold::parse("x", false).is_err());
        assert!(Threshold::parse("x=y", false).is_err());
    }
}
