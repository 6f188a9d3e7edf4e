//! Per-stage throughput (criterion): `cargo bench --bench stages`.
//!
//! The sample is 300 cases recombined from the corpus notes (`precert::bulk::synth`, fixed seed). Each
//! stage runs over every note of the sample with its inputs prepared beforehand, so a stage's time is its
//! own: text (sections, sentences, tokens), lexicon matching (concept phrases and regexes), context
//! (ConText assertion of those concepts), temporal (expressions and their normalisation), determination
//! (evidence and decision from finished analyses), and the whole review. Criterion reports notes/s; the
//! table printed at the end adds MB/s from the same medians.

use criterion::{black_box, Criterion, Throughput};
use precert::lexicon::Lexicons;
use precert::mentions::concepts::ConceptMatcher;
use precert::mentions::context::{ContextEngine, Target};
use precert::mentions::temporal::TemporalMatcher;
use precert::text::TextAnalyzer;
use precert::Pipeline;

const STAGES: &[&str] = &[
    "text",
    "lexicon",
    "context",
    "temporal",
    "determination",
    "whole",
];

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let pool = precert::bulk::synth::corpus_notes(&[root.join("corpus")]).expect("corpus");
    let cases: Vec<_> = (0..300)
        .map(|i| precert::bulk::synth::case(&pool, 11, i))
        .collect();
    let notes: Vec<(&str, Option<chrono::NaiveDate>)> = cases
        .iter()
        .flat_map(|c| c.notes.iter().map(|n| (n.text.as_str(), n.date)))
        .collect();
    let n_notes = notes.len() as u64;
    let n_bytes: u64 = notes.iter().map(|(t, _)| t.len() as u64).sum();

    let lex = Lexicons::embedded();
    let text = TextAnalyzer::build(&lex).unwrap();
    let concepts = ConceptMatcher::build(&lex).unwrap();
    let context = ContextEngine::build(&lex).unwrap();
    let temporal = TemporalMatcher::new();
    let pipeline = Pipeline::new().unwrap();
    let docs: Vec<_> = notes.iter().map(|(t, _)| text.analyze(t)).collect();
    let targets: Vec<Vec<Target>> = notes
        .iter()
        .map(|(t, _)| {
            concepts
                .find(&concepts.scan(t))
                .into_iter()
                .map(|h| Target {
                    span: h.span,
                    category: concepts.entries()[h.entry].category,
                })
                .collect()
        })
        .collect();
    let analyses: Vec<_> = cases.iter().map(|c| pipeline.analyze(c)).collect();

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(4))
        .configure_from_args();
    {
        let mut g = c.benchmark_group("stages");
        g.throughput(Throughput::Elements(n_notes));
        g.bench_function("text", |b| {
            b.iter(|| {
                for (t, _) in &notes {
                    black_box(text.analyze(t));
                }
            })
        });
        g.bench_function("lexicon", |b| {
            b.iter(|| {
                for (t, _) in &notes {
                    black_box(concepts.find(&concepts.scan(t)));
                }
            })
        });
        // The trigger phrases are read beforehand, as the pipeline's shared scan does (`phrase`).
        let scans: Vec<_> = notes.iter().map(|(t, _)| context.scan(t)).collect();
        g.bench_function("context", |b| {
            b.iter(|| {
                for ((scan, d), tg) in scans.iter().zip(&docs).zip(&targets) {
                    black_box(context.assert(scan, d, tg));
                }
            })
        });
        g.bench_function("temporal", |b| {
            b.iter(|| {
                for (t, date) in &notes {
                    black_box(temporal.find(t, *date));
                }
            })
        });
        g.bench_function("determination", |b| {
            b.iter(|| {
                for a in &analyses {
                    for p in &a.case.request.procedures {
                        black_box(precert::determination::decide(a, p, 0.5));
                    }
                }
            })
        });
        g.bench_function("whole", |b| {
            b.iter(|| {
                for case in &cases {
                    black_box(pipeline.review(case));
                }
            })
        });
        g.finish();
    }
    c.final_summary();

    // notes/s and MB/s from criterion's medians (target/criterion/stages/<stage>/new/estimates.json).
    let dir = root.join("target/criterion/stages");
    println!(
        "\nsample: {} cases, {n_notes} notes, {:.2} MB of note text (one thread)",
        cases.len(),
        n_bytes as f64 / 1e6
    );
    println!(
        "{:<14} {:>12} {:>12} {:>10} {:>8}",
        "stage", "median ms", "notes/s", "MB/s", "share"
    );
    let median = |stage: &str| -> Option<f64> {
        let s = std::fs::read_to_string(dir.join(stage).join("new/estimates.json")).ok()?;
        let v: serde_json::Value = serde_json::from_str(&s).ok()?;
        v["median"]["point_estimate"].as_f64()
    };
    let whole = median("whole");
    for stage in STAGES {
        if let Some(ns) = median(stage) {
            let s = ns / 1e9;
            println!(
                "{:<14} {:>12.1} {:>12.0} {:>10.2} {:>7.0}%",
                stage,
                s * 1e3,
                n_notes as f64 / s,
                n_bytes as f64 / 1e6 / s,
                whole.map_or(0.0, |w| 100.0 * ns / w)
            );
        }
    }
}
