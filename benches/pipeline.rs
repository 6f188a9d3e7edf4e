//! Whole-pipeline throughput: `cargo bench --bench pipeline`.
//!
//! Start-up (compiling every lexicon) is timed apart from throughput. Throughput reviews every corpus case
//! (seed + corpus/cases/{train,dev,test}) repeatedly on one thread and reports the median of several rounds in notes/s and
//! MB/s; it also checks the decisions it produces against the corpus gold, so a fast-but-wrong pipeline
//! fails here too. Figures are machine-dependent: quote medians and ratios, not single runs.

use precert::ingest::{parse_case, Case};
use precert::Pipeline;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("corpus/seed-001.case.json")];
    let mut dir: Vec<_> = ["train", "dev", "test"]
        .iter()
        .flat_map(|split| std::fs::read_dir(root.join("corpus/cases").join(split)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    dir.sort();
    files.extend(dir);
    let mut cases: Vec<(Case, serde_json::Value)> = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        cases.push((
            parse_case(&f.display().to_string(), &text).unwrap(),
            serde_json::from_str(&text).unwrap(),
        ));
    }

    let builds: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let _p = Pipeline::new().unwrap();
            t.elapsed().as_secs_f64()
        })
        .collect();
    let pipeline = Pipeline::new().unwrap();

    // Correctness guard: speed means nothing on a pipeline that has stopped working. The cases the rules
    // were developed on (train, outside the blind batches) must all give their gold decision.
    let mut wrong = Vec::new();
    for (case, v) in &cases {
        let review = pipeline.review(case);
        let developed_on = !["pc-", "em-", "rh-", "sp-", "dx-"]
            .iter()
            .any(|p| case.case_id.starts_with(p));
        if let (true, Some(golds)) = (developed_on, v["gold"]["determinations"].as_array()) {
            for g in golds {
                let d = review
                    .determinations
                    .iter()
                    .find(|d| d.cpt == g["cpt"].as_str().unwrap())
                    .unwrap();
                if precert::report::name(&d.decision) != g["decision"].as_str().unwrap() {
                    wrong.push(case.case_id.clone());
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "bench refuses to time a pipeline that gets its development cases wrong: {wrong:?}"
    );

    let notes: usize = cases.iter().map(|(c, _)| c.notes.len()).sum();
    let bytes: usize = cases
        .iter()
        .map(|(c, _)| c.notes.iter().map(|n| n.text.len()).sum::<usize>())
        .sum();
    let reps = 20;
    let rounds: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                for (c, _) in &cases {
                    std::hint::black_box(pipeline.review(c));
                }
            }
            t.elapsed().as_secs_f64()
        })
        .collect();
    let secs = median(rounds);
    let n = (notes * reps) as f64;
    println!(
        "pipeline build (lexicons compiled): median {:.1} ms over 5",
        median(builds) * 1e3
    );
    println!(
        "review, 1 thread: {} cases / {} notes / {:.1} KB per round x{reps}: median {:.1} notes/s, {:.2} MB/s, {:.2} ms/note",
        cases.len(),
        notes,
        bytes as f64 / 1e3,
        n / secs,
        (bytes * reps) as f64 / secs / 1e6,
        secs / n * 1e3
    );
}
