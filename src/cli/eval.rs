//! `precert eval INPUT... [--kind K] [--json] [--fail-under METRIC=VALUE]... [--fail-over METRIC=VALUE]...`
//!
//! Evaluates each input (kind detected from its contents unless `--kind` says), prints an aligned report
//! (or `--json`), then checks thresholds: exit 0 when all hold, 1 when one fails (each named on stderr),
//! 2 on unreadable input or an unknown metric name.

use super::{build_pipeline, EvalArgs};
use anyhow::{bail, Result};
use precert::eval::{self, InputKind, Threshold};
use std::io::Write;

pub fn run(args: EvalArgs) -> Result<i32> {
    let pipeline = build_pipeline(args.lexicons.as_ref(), &args.evidence)?;
    let kind = match &args.kind {
        Some(k) => match InputKind::parse(k) {
            Some(k) => Some(k),
            None => bail!("unknown --kind {k:?} (cases, brat, negex, context, sentences, i2b2)"),
        },
        None => None,
    };
    let mut thresholds = Vec::new();
    for t in &args.fail_under {
        thresholds.push(Threshold::parse(t, false)?);
    }
    for t in &args.fail_over {
        thresholds.push(Threshold::parse(t, true)?);
    }
    let sections = eval::evaluate_all(&pipeline, &args.inputs, kind)?;
    let failures = eval::check_thresholds(&sections, &thresholds)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &eval::to_json(&pipeline, &sections))?;
        writeln!(out)?;
    } else {
        let p = pipeline.provenance();
        writeln!(
            out,
            "precert {} · guideline {} {} · lexicons {} · evidence {}{}",
            p.precert_version,
            p.guideline.id,
            p.guideline.version,
            &p.lexicon_sha256[..12.min(p.lexicon_sha256.len())],
            serde_json::to_value(p.evidence)?.as_str().unwrap_or("?"),
            match (&p.model_sha256, &p.model_backend) {
                (Some(h), Some(b)) => format!(" · model {} on {b}", &h[..12.min(h.len())]),
                _ => String::new(),
            }
        )?;
        for s in &sections {
            writeln!(out)?;
            write!(out, "{}", s.render(args.errors))?;
        }
    }
    out.flush()?;
    for f in &failures {
        eprintln!("precert: FAIL {f}");
    }
    Ok(if failures.is_empty() { 0 } else { 1 })
}
