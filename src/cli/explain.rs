//! `precert explain NOTE.txt [--date D]`: the note's mentions, one per line, with every layer visible —
//! section, category/concept, assertion and the cue that set it, temporal values, trajectory, region.

use super::{build_pipeline, ExplainArgs};
use anyhow::{Context, Result};
use precert::report::name;
use std::io::Write;

pub fn run(args: ExplainArgs) -> Result<i32> {
    let pipeline = build_pipeline(args.lexicons.as_ref(), &args.evidence)?;
    let bytes = std::fs::read(&args.note)
        .with_context(|| format!("cannot read {}", args.note.display()))?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{}: invalid UTF-8", args.note.display()))?;
    let (doc, mentions) = pipeline.analyze_text(&text, args.date);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(
        out,
        "# {} — {} sections, {} sentences, {} mentions",
        args.note.display(),
        doc.sections.len(),
        doc.sentences.len(),
        mentions.len()
    )?;
    writeln!(
        out,
        "{:<10} {:<15} {:<34} {:<32} {:<34} {:<26} {:<10} {:<30} region",
        "bytes",
        "section",
        "text",
        "concept",
        "assertion (cue)",
        "temporal",
        "source",
        "model (category, assertion)"
    )?;
    for m in &mentions {
        let label = m.assertion.label();
        let cue = m
            .assertion
            .cues
            .iter()
            .map(|c| format!("{}:{}", c.rule, one_line(&text[c.span])))
            .collect::<Vec<_>>()
            .join(",");
        let assertion = if cue.is_empty() {
            label.to_string()
        } else {
            format!("{label} ({cue})")
        };
        let mut temporal: Vec<String> = m
            .temporal
            .iter()
            .map(|t| {
                format!(
                    "{}={}",
                    one_line(&text[t.span]),
                    short(&serde_json::to_string(&t.value).unwrap_or_default())
                )
            })
            .collect();
        if let Some(t) = &m.trajectory {
            temporal.push(format!(
                "trajectory={}",
                precert::evidence::trajectory_label(t)
            ));
        }
        let regions = m.region_labels();
        let source = match m.score {
            Some(s) => format!("{} {s:.2}", m.source.as_str()),
            None => m.source.as_str().to_string(),
        };
        let model = m.model.as_ref().map_or(String::new(), |v| {
            format!(
                "{} {:.2}, {} {:.2}",
                v.category, v.p_category, v.assertion, v.p_assertion
            )
        });
        writeln!(
            out,
            "{:<10} {:<15} {:<34} {:<32} {:<34} {:<26} {:<10} {:<30} {}",
            format!("{}-{}", m.span.start, m.span.end),
            m.section.as_str(),
            truncate(&one_line(&text[m.span]), 34),
            format!("{}/{}", name(&m.category), m.concept),
            assertion,
            temporal.join("; "),
            source,
            model,
            regions.join(",")
        )?;
    }
    out.flush()?;
    Ok(0)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn short(s: &str) -> String {
    s.replace('"', "")
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}
