//! Case-level evaluation: precert's determinations against the `gold` block of hand-written cases
//! (corpus/README.md describes the schema and the annotation guideline).
//!
//! Reported per requested procedure: decision accuracy and the approve/deny/pend confusion matrix, pend
//! rates, pathway accuracy, precision/recall/F1 of `met` for each criterion and post_surgical, of
//! `present` for each red flag, the mean absolute error of conservative-care weeks, and every
//! disagreement with the evidence precert used for it.

use super::metrics::{ratio, Confusion, Prf};
use super::report::Section;
use crate::determination::Determination;
use crate::evidence::criteria::Criterion;
use crate::evidence::red_flags::FlagStatus;
use crate::evidence::Evidence;
use crate::ingest::{parse_case, Case};
use crate::report::name;
use crate::Pipeline;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The criteria, in contract order.
pub const CRITERIA: [&str; 4] = [
    "conservative_care",
    "radiculopathy",
    "functional_impairment",
    "intervention_candidate",
];
/// The red flags, in contract order.
pub const FLAGS: [&str; 5] = [
    "progressive_neuro_deficit",
    "cauda_equina",
    "infection",
    "malignancy",
    "trauma",
];

/// The `gold` block of a case.
#[derive(Clone, Debug, Deserialize)]
pub struct Gold {
    /// Why, in the author's words.
    #[serde(default)]
    pub rationale: String,
    /// One per requested procedure.
    pub determinations: Vec<GoldDetermination>,
}

/// Gold for one procedure.
#[derive(Clone, Debug, Deserialize)]
pub struct GoldDetermination {
    /// CPT code.
    pub cpt: String,
    /// approve | deny | pend.
    pub decision: String,
    /// red_flag | post_surgical | conservative_failure, or null.
    pub pathway: Option<String>,
    /// Criterion id → met | not_met | unclear.
    pub criteria: std::collections::BTreeMap<String, String>,
    /// Red flags present.
    #[serde(default)]
    pub red_flags_present: Vec<String>,
    /// met | not_met | unclear.
    pub post_surgical: String,
    /// Documented conservative-care weeks, or null.
    pub conservative_weeks: Option<i64>,
}

/// A case with its gold.
#[derive(Clone, Debug)]
pub struct GoldCase {
    /// Where it was read from.
    pub path: PathBuf,
    /// The input.
    pub case: Case,
    /// The gold.
    pub gold: Gold,
}

/// Reads every `*.case.json` under the paths (directories recursively, sorted).
pub fn load(paths: &[PathBuf]) -> Result<Vec<GoldCase>> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
        let record = f.display().to_string();
        let case = parse_case(&record, &text).map_err(|r| anyhow::anyhow!("{r}"))?;
        let value: serde_json::Value = serde_json::from_str(&text)?;
        let gold: Gold = serde_json::from_value(value.get("gold").cloned().unwrap_or_default())
            .with_context(|| format!("{record}: no usable `gold` block"))?;
        for g in &gold.determinations {
            if !case.request.procedures.iter().any(|p| p.cpt == g.cpt) {
                bail!(
                    "{record}: gold names CPT {} that the request does not",
                    g.cpt
                );
            }
        }
        out.push(GoldCase {
            path: f,
            case,
            gold,
        });
    }
    Ok(out)
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    super::collect_files(p, &|f| f.to_string_lossy().ends_with(".json"), out)
}

/// Whether a directory holds gold cases (for input-kind detection).
pub fn looks_like_cases(p: &Path) -> bool {
    let mut files = Vec::new();
    collect(p, &mut files).is_ok()
        && files
            .iter()
            .any(|f| f.to_string_lossy().ends_with(".case.json"))
}

fn quotes(ev: &[Evidence]) -> Vec<String> {
    ev.iter()
        .take(4)
        .map(|e| {
            format!(
                "{}[{}..{}] {:?} ({})",
                e.note_id, e.start, e.end, e.text, e.assertion
            )
        })
        .collect()
}

fn criterion<'d>(d: &'d Determination, id: &str) -> &'d Criterion {
    let c = &d.criteria;
    match id {
        "conservative_care" => &c.conservative_care,
        "radiculopathy" => &c.radiculopathy,
        "functional_impairment" => &c.functional_impairment,
        _ => &c.intervention_candidate,
    }
}

/// Evaluates the cases under `paths`.
pub fn evaluate(pipeline: &Pipeline, paths: &[PathBuf], name_: &str) -> Result<Section> {
    let cases = load(paths)?;
    if cases.is_empty() {
        bail!("no *.case.json files with gold under {paths:?}");
    }
    let source = super::describe(paths);
    let mut s = Section::new(name_, &source);
    let reviews: Vec<_> = cases.par_iter().map(|c| pipeline.review(&c.case)).collect();

    let mut decision = Confusion::new(&["approve", "deny", "pend"]);
    let mut pathway_ok = 0usize;
    let mut crit: Vec<Prf> = vec![Prf::default(); CRITERIA.len()];
    let mut crit_ok = vec![0usize; CRITERIA.len()];
    let mut flags: Vec<Prf> = vec![Prf::default(); FLAGS.len()];
    let mut post = Prf::default();
    let mut post_ok = 0usize;
    let (mut abs_err, mut weeks_pairs, mut weeks_exact, mut weeks_null_mismatch) = (0i64, 0, 0, 0);
    let mut n = 0usize;

    for (gc, review) in cases.iter().zip(&reviews) {
        for g in &gc.gold.determinations {
            let d = review
                .determinations
                .iter()
                .find(|d| d.cpt == g.cpt)
                .expect("gold CPTs are checked at load");
            n += 1;
            let mut err = |field: &str, expected: String, got: String, evidence: Vec<String>| {
                s.errors.push(json!({
                    "case": gc.case.case_id, "cpt": g.cpt, "field": field,
                    "expected": expected, "got": got, "evidence": evidence,
                }));
            };
            let got_decision = name(&d.decision);
            decision.add(&g.decision, &got_decision);
            let got_pathway = d.pathway.map(|p| name(&p));
            if got_decision == g.decision && got_pathway == g.pathway {
                pathway_ok += 1;
            } else {
                err(
                    "decision",
                    format!("{} {}", g.decision, g.pathway.as_deref().unwrap_or("")),
                    format!("{got_decision} {}", got_pathway.as_deref().unwrap_or("")),
                    d.rationale.clone(),
                );
            }
            for (i, id) in CRITERIA.iter().enumerate() {
                let c = criterion(d, id);
                let got = name(&c.status);
                let want = g.criteria.get(*id).cloned().unwrap_or_default();
                crit[i].add(want == "met", got == "met");
                if got == want {
                    crit_ok[i] += 1;
                } else {
                    err(id, want, got, quotes(&c.evidence));
                }
            }
            for (i, (id, flag)) in d.red_flags.iter().iter().enumerate() {
                let gold_present = g.red_flags_present.iter().any(|f| f == id);
                let present = flag.status == FlagStatus::Present;
                flags[i].add(gold_present, present);
                if gold_present != present {
                    err(
                        &format!("red_flag.{id}"),
                        if gold_present {
                            "present"
                        } else {
                            "not present"
                        }
                        .into(),
                        name(&flag.status),
                        quotes(&flag.evidence),
                    );
                }
            }
            let got_post = name(&d.post_surgical.status);
            post.add(g.post_surgical == "met", got_post == "met");
            if got_post == g.post_surgical {
                post_ok += 1;
            } else {
                err(
                    "post_surgical",
                    g.post_surgical.clone(),
                    got_post,
                    quotes(&d.post_surgical.evidence),
                );
            }
            let got_weeks = d.criteria.conservative_care.weeks.flatten();
            match (g.conservative_weeks, got_weeks) {
                (Some(a), Some(b)) => {
                    weeks_pairs += 1;
                    abs_err += (a - b).abs();
                    if a == b {
                        weeks_exact += 1;
                    } else {
                        err(
                            "conservative_weeks",
                            a.to_string(),
                            b.to_string(),
                            quotes(&d.criteria.conservative_care.evidence),
                        );
                    }
                }
                (None, None) => {}
                (a, b) => {
                    weeks_null_mismatch += 1;
                    err(
                        "conservative_weeks",
                        a.map_or("null".into(), |v| v.to_string()),
                        b.map_or("null".into(), |v| v.to_string()),
                        quotes(&d.criteria.conservative_care.evidence),
                    );
                }
            }
        }
    }

    s.metric("cases_count", cases.len() as f64);
    s.metric("procedures_count", n as f64);
    s.metric("decision.accuracy", decision.accuracy());
    s.metric("decision.macro_f1", decision.macro_f1());
    s.metric("pathway.accuracy", ratio(pathway_ok, n));
    let pends = decision
        .labels
        .iter()
        .map(|g| decision.get(g, "pend"))
        .sum::<usize>();
    s.metric("pend_rate", ratio(pends, n));
    s.metric("gold_pend_rate", ratio(decision.prf("pend").support(), n));
    for (i, id) in CRITERIA.iter().enumerate() {
        s.metric(&format!("criterion.{id}.accuracy"), ratio(crit_ok[i], n));
        s.prf(&format!("criterion.{id}"), crit[i]);
    }
    let mut micro = Prf::default();
    for (i, id) in FLAGS.iter().enumerate() {
        s.prf(&format!("red_flag.{id}"), flags[i]);
        micro.merge(flags[i]);
    }
    s.prf("red_flag.micro", micro);
    s.metric("post_surgical.accuracy", ratio(post_ok, n));
    s.prf("post_surgical", post);
    s.metric("conservative_weeks.pairs_count", weeks_pairs as f64);
    s.metric(
        "conservative_weeks.mae",
        if weeks_pairs == 0 {
            0.0
        } else {
            abs_err as f64 / weeks_pairs as f64
        },
    );
    s.metric("conservative_weeks.exact", ratio(weeks_exact, weeks_pairs));
    s.metric(
        "conservative_weeks.null_mismatch_count",
        weeks_null_mismatch as f64,
    );

    s.confusion_table("decision (rows gold, columns precert)", &decision);
    let mut rows: Vec<(String, Prf)> = CRITERIA
        .iter()
        .zip(&crit)
        .map(|(id, p)| (format!("{id} = met"), *p))
        .collect();
    rows.push(("post_surgical = met".into(), post));
    s.prf_table("criteria", &rows);
    let mut rows: Vec<(String, Prf)> = FLAGS
        .iter()
        .zip(&flags)
        .map(|(id, p)| (id.to_string(), *p))
        .collect();
    rows.push(("micro".into(), micro));
    s.prf_table("red flags present", &rows);
    Ok(s)
}
