//! `precert review INPUT... [--cpt ...] [--date D] [--format json|jsonl|csv|md|html] [--out DIR]`
//!
//! Reads every input, reviews the cases in parallel (rayon; output order is input order, whatever the
//! thread count), writes the reports, and names each rejected record on stderr. Exit code 1 when any
//! record was rejected.

use super::{build_pipeline, Format, ReviewArgs};
use anyhow::{Context, Result};
use precert::ingest::{read_inputs, TextOptions};
use precert::report::{self, markdown};
use precert::Review;
use rayon::prelude::*;
use std::io::Write;

pub fn run(args: ReviewArgs) -> Result<i32> {
    if args.format == Format::Html && args.out.is_none() {
        anyhow::bail!("--format html writes one page per case and an index.html: give --out DIR");
    }
    let pipeline = build_pipeline(args.lexicons.as_ref(), &args.evidence)?;
    if let Some(n) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .ok();
    }
    let opts = TextOptions {
        cpts: args.cpt.clone(),
        date: args.date,
    };
    let records = read_inputs(&args.inputs, &opts);
    let mut rejected = 0usize;
    let mut cases = Vec::new();
    for r in records {
        match r {
            Ok(c) => cases.push(c),
            Err(rej) => {
                rejected += 1;
                eprintln!("precert: {rej}");
            }
        }
    }
    if let (Format::Html, Some(dir)) = (args.format, &args.out) {
        write_html(&pipeline, &cases, dir)?;
        return Ok(if rejected > 0 { 1 } else { 0 });
    }
    let reviews: Vec<Review> = cases.par_iter().map(|c| pipeline.review(c)).collect();
    write(&args, &reviews)?;
    Ok(if rejected > 0 { 1 } else { 0 })
}

fn file_name(case_id: &str, ext: &str) -> String {
    let safe: String = case_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.{ext}")
}

fn write(args: &ReviewArgs, reviews: &[Review]) -> Result<()> {
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            match args.format {
                Format::Json | Format::Md => {
                    for r in reviews {
                        let (ext, body) = if args.format == Format::Json {
                            ("json", serde_json::to_string_pretty(r)? + "\n")
                        } else {
                            ("md", markdown::worksheet(r))
                        };
                        let path = dir.join(file_name(&r.case_id, ext));
                        std::fs::write(&path, body)
                            .with_context(|| format!("cannot write {}", path.display()))?;
                    }
                }
                Format::Jsonl => {
                    let path = dir.join("reviews.jsonl");
                    let mut f = std::io::BufWriter::new(
                        std::fs::File::create(&path)
                            .with_context(|| format!("cannot write {}", path.display()))?,
                    );
                    write_jsonl(&mut f, reviews)?;
                }
                Format::Csv => {
                    let path = dir.join("reviews.csv");
                    let f = std::fs::File::create(&path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    write_csv(f, reviews)?;
                }
                Format::Html => unreachable!("html is written by write_html"),
            }
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            match args.format {
                Format::Json if reviews.len() == 1 => {
                    writeln!(out, "{}", serde_json::to_string_pretty(&reviews[0])?)?
                }
                Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(reviews)?)?,
                Format::Jsonl => write_jsonl(&mut out, reviews)?,
                Format::Csv => write_csv(out, reviews)?,
                Format::Md => {
                    for (i, r) in reviews.iter().enumerate() {
                        if i > 0 {
                            writeln!(out, "\n---\n")?;
                        }
                        write!(out, "{}", markdown::worksheet(r))?;
                    }
                }
                Format::Html => unreachable!("html needs --out, checked in run"),
            }
        }
    }
    Ok(())
}

/// `--format html`: each case reviewed with its analysis (the notes' mentions are highlighted), written to
/// `DIR/<case>.html`, then `DIR/index.html` listing them all.
fn write_html(
    pipeline: &precert::Pipeline,
    cases: &[precert::ingest::Case],
    dir: &std::path::Path,
) -> Result<()> {
    use precert::report::html;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let rows = cases
        .par_iter()
        .map(|c| {
            let (review, analysis) = pipeline.review_with_analysis(c);
            html::write_case(dir, &review, &analysis)
                .with_context(|| format!("cannot write the worksheet of case {}", c.case_id))
        })
        .collect::<Result<Vec<html::IndexRow>>>()?;
    html::write_index(dir, &rows)
        .with_context(|| format!("cannot write {}/index.html", dir.display()))?;
    Ok(())
}

fn write_jsonl(out: &mut impl Write, reviews: &[Review]) -> Result<()> {
    for r in reviews {
        serde_json::to_writer(&mut *out, r)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn write_csv(out: impl Write, reviews: &[Review]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(report::CSV_HEADER)?;
    for r in reviews {
        for row in report::csv_rows(r) {
            w.write_record(&row)?;
        }
    }
    w.flush()?;
    Ok(())
}
