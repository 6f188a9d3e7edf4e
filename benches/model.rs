//! Throughput with and without the mention model: `cargo bench --bench model`.
//!
//! Each configuration runs in its own child process (this binary re-executed with `--config NAME`), so that
//! its peak RSS (VmHWM) is its own: lexicon only, then the fused model on ONNX Runtime and on tract. Every
//! configuration reviews the seed and the dev cases (corpus/cases/dev) with rayon on all cores,
//! three rounds after one warm-up (each model configuration with a fresh pipeline, so that the model's
//! prediction cache starts empty), and reports the median notes/s and MB/s, the model load time, and the
//! peak RSS. ONNX Runtime is skipped (and said so) when its library is not found
//! (models/runtime/install-onnxruntime.sh). Figures are machine-dependent: quote medians and ratios.

use precert::ingest::{parse_case, Case};
use precert::mentions::fusion::EvidenceMode;
use precert::model::backend::{find_onnxruntime, BackendChoice};
use precert::model::MentionModel;
use precert::Pipeline;
use rayon::prelude::*;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn cases() -> Vec<Case> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("corpus/seed-001.case.json")];
    let mut dir: Vec<_> = ["dev"]
        .iter()
        .flat_map(|split| std::fs::read_dir(root.join("corpus/cases").join(split)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    dir.sort();
    files.extend(dir);
    files
        .iter()
        .map(|f| {
            parse_case(
                &f.display().to_string(),
                &std::fs::read_to_string(f).unwrap(),
            )
            .unwrap()
        })
        .collect()
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn run_config(name: &str) {
    let threads = rayon::current_num_threads();
    let cases = cases();
    let choice = match name {
        "lexicon" => None,
        "onnxruntime" => Some(BackendChoice::Onnxruntime),
        _ => Some(BackendChoice::Tract),
    };
    // A fresh pipeline per round: the model's run-wide prediction cache would otherwise answer every
    // round after the first from memory, and the figure would time the cache, not the encoder.
    let pipeline = || match choice {
        None => (Pipeline::new().unwrap(), 0.0),
        Some(choice) => {
            let model = MentionModel::embedded(choice, threads).unwrap();
            let load = model.load_seconds;
            (
                Pipeline::new()
                    .unwrap()
                    .with_model(model, EvidenceMode::Both),
                load,
            )
        }
    };
    let notes: usize = cases.iter().map(|c| c.notes.len()).sum();
    let bytes: usize = cases
        .iter()
        .map(|c| c.notes.iter().map(|n| n.text.len()).sum::<usize>())
        .sum();
    let mut loads = Vec::new();
    let rules_only = Pipeline::new().unwrap();
    let mut round = || {
        let fresh = choice.map(|_| pipeline());
        let pipeline = match &fresh {
            Some((p, load)) => {
                loads.push(*load);
                p
            }
            None => &rules_only,
        };
        let t = Instant::now();
        let n: usize = cases
            .par_iter()
            .map(|c| {
                std::hint::black_box(pipeline.review(c))
                    .determinations
                    .len()
            })
            .sum();
        assert!(n > 0);
        t.elapsed().as_secs_f64()
    };
    round();
    let secs = median((0..3).map(|_| round()).collect());
    let load = if loads.is_empty() { 0.0 } else { median(loads) };
    println!(
        "{name:<12} {threads} threads  {notes} notes, {:.0} KB/round  median {:>8.1} notes/s  {:>6.2} MB/s  load {:>6.3} s  peak RSS {:>6.1} MB",
        bytes as f64 / 1e3,
        notes as f64 / secs,
        bytes as f64 / secs / 1e6,
        load,
        peak_rss_mb()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--config") {
        run_config(&args[i + 1]);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for config in ["lexicon", "onnxruntime", "tract"] {
        if config == "onnxruntime" && find_onnxruntime().is_none() {
            println!(
                "onnxruntime  skipped: library not found (models/runtime/install-onnxruntime.sh)"
            );
            continue;
        }
        let status = std::process::Command::new(&exe)
            .args(["--config", config])
            .status()
            .unwrap();
        assert!(status.success(), "{config} failed");
    }
}
