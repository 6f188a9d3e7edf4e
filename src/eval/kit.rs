//! Sentence-level assertion kits: the NegEx test set (Chapman et al. 2001), the ConText test set (Harkema et
//! al. 2009), and precert's own sentence suite (the ConText columns plus `temporal` and `phenomenon`).
//!
//! Each row names one concept in one sentence. precert is given that concept as the only target (as the
//! published peers were measured) and asked for its assertion; the lexicons still give the concept its
//! category when they know it, so category-restricted triggers behave as they do in notes.
//!
//! Formats (tab-separated, an optional header line, extra columns ignored, a sentence may be wrapped in
//! double quotes; `#` lines are comments, and `# note_date: YYYY-MM-DD` sets the date relative
//! expressions resolve against):
//! * NegEx: `id, concept, sentence, Negated|Affirmed`.
//! * ConText: `id, concept, sentence, negation, temporality (Recent|Historical|Hypothetical|Not particular),
//!   experiencer (Patient|Other|Family member)`.
//! * precert suite: the ConText columns, then `temporal` (`TEXT => VALUE` or empty) and `phenomenon`.

use super::metrics::{ratio, Confusion};
use super::report::{f3, Section};
use super::temporal_value::{parse_value, same_value};
use crate::mentions::context::Qualifier;
use crate::text::Span;
use crate::Pipeline;
use anyhow::{bail, Context, Result};
use regex::RegexBuilder;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

/// Which kit a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KitFormat {
    /// Negation only.
    Negex,
    /// Negation, temporality, experiencer.
    Context,
    /// ConText columns plus temporal values and phenomenon tags.
    Suite,
}

/// One annotated row.
#[derive(Clone, Debug)]
struct Row {
    line: usize,
    id: String,
    concept: String,
    sentence: String,
    negation: String,
    temporality: Option<String>,
    experiencer: Option<String>,
    temporal: Option<(String, String)>,
    phenomenon: Option<String>,
}

/// Detects the kit format from a file's first lines.
pub fn detect(text: &str) -> Option<KitFormat> {
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))?;
    let cols: Vec<String> = first.split('\t').map(|c| c.trim().to_lowercase()).collect();
    let is_header = cols.len() >= 4 && !is_negation_label(&cols[3]);
    if is_header {
        if cols
            .iter()
            .any(|c| c.starts_with("phenomenon") || c == "temporal")
        {
            return Some(KitFormat::Suite);
        }
        if cols.iter().any(|c| c.starts_with("temporality")) {
            return Some(KitFormat::Context);
        }
        return (cols.len() >= 4).then_some(KitFormat::Negex);
    }
    match cols.len() {
        4 | 5 => Some(KitFormat::Negex),
        6 | 7 => Some(KitFormat::Context),
        n if n >= 8 => Some(KitFormat::Suite),
        _ => None,
    }
}

fn is_negation_label(s: &str) -> bool {
    matches!(
        s.trim().to_lowercase().as_str(),
        "negated" | "affirmed" | "possible"
    )
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        t[1..t.len() - 1].replace("\"\"", "\"")
    } else {
        t.to_string()
    }
}

fn parse(
    text: &str,
    format: KitFormat,
    notes: &mut Vec<String>,
) -> (Vec<Row>, Option<chrono::NaiveDate>) {
    let mut rows = Vec::new();
    let mut date = None;
    let mut header_seen = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim_end_matches('\r');
        if l.trim().is_empty() {
            continue;
        }
        if let Some(c) = l.strip_prefix('#') {
            if let Some(d) = c.trim().strip_prefix("note_date:") {
                match d.trim().parse() {
                    Ok(d) => date = Some(d),
                    Err(_) => notes.push(format!("line {line}: bad note_date {:?}", d.trim())),
                }
            }
            continue;
        }
        let cols: Vec<&str> = l.split('\t').collect();
        if !header_seen && cols.len() >= 4 && !is_negation_label(cols[3]) {
            header_seen = true;
            continue;
        }
        header_seen = true;
        let need = match format {
            KitFormat::Negex => 4,
            KitFormat::Context => 6,
            KitFormat::Suite => 6,
        };
        if cols.len() < need {
            notes.push(format!(
                "line {line}: skipped, {} columns where {need} are needed",
                cols.len()
            ));
            continue;
        }
        let negation = cols[3].trim().to_string();
        if !is_negation_label(&negation) {
            notes.push(format!("line {line}: skipped, negation label {negation:?}"));
            continue;
        }
        let temporal = match (format, cols.get(6).map(|s| s.trim())) {
            (KitFormat::Suite, Some(t)) if !t.is_empty() => match t.split_once("=>") {
                Some((text, value)) => Some((text.trim().to_string(), value.trim().to_string())),
                None => {
                    notes.push(format!(
                        "line {line}: temporal column without '=>', ignored"
                    ));
                    None
                }
            },
            _ => None,
        };
        rows.push(Row {
            line,
            id: cols[0].trim().to_string(),
            concept: unquote(cols[1]),
            sentence: unquote(cols[2]),
            negation,
            temporality: (format != KitFormat::Negex).then(|| normalise_temporality(cols[4])),
            experiencer: (format != KitFormat::Negex).then(|| normalise_experiencer(cols[5])),
            temporal,
            phenomenon: (format == KitFormat::Suite)
                .then(|| cols.get(7).map(|s| s.trim().to_string()))
                .flatten()
                .filter(|s| !s.is_empty()),
        });
    }
    (rows, date)
}

/// The ConText kit calls its hypothetical class "Not particular".
fn normalise_temporality(s: &str) -> String {
    match s.trim().to_lowercase().as_str() {
        "historical" => "Historical",
        "hypothetical" | "not particular" => "Hypothetical",
        _ => "Recent",
    }
    .to_string()
}

fn normalise_experiencer(s: &str) -> String {
    match s.trim().to_lowercase().as_str() {
        "patient" => "Patient",
        _ => "Other",
    }
    .to_string()
}

fn capitalise(s: &str) -> String {
    let l = s.trim().to_lowercase();
    let mut c = l.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Finds the concept in the sentence: case-insensitive, any run of whitespace for a space, whole words.
/// When it occurs more than once, the NegEx kit marks the annotated occurrence by upper-casing it; prefer
/// that one, else the first.
pub fn locate(sentence: &str, concept: &str) -> Option<Span> {
    let words: Vec<String> = concept.split_whitespace().map(regex::escape).collect();
    if words.is_empty() {
        return None;
    }
    let body = words.join(r"\s+");
    let pattern = body;
    let re = RegexBuilder::new(&pattern)
        .case_insensitive(true)
        .build()
        .ok()?;
    let word = |c: char| c.is_alphanumeric();
    let bounded = |s: usize, e: usize| {
        let before = sentence[..s].chars().next_back();
        let after = sentence[e..].chars().next();
        let first = sentence[s..e].chars().next();
        let last = sentence[s..e].chars().next_back();
        let joined_before = before.is_some_and(word) && first.is_some_and(word);
        let joined_after = after.is_some_and(word) && last.is_some_and(word);
        !(joined_before || joined_after)
    };
    let hits: Vec<Span> = re
        .find_iter(sentence)
        .filter(|m| bounded(m.start(), m.end()))
        .map(|m| Span::new(m.start(), m.end()))
        .collect();
    let upper = |s: &Span| {
        let t = &sentence[s.start..s.end];
        t.chars().any(|c| c.is_alphabetic()) && !t.chars().any(|c| c.is_lowercase())
    };
    hits.iter()
        .find(|s| upper(s) && hits.len() > 1)
        .or(hits.first())
        .copied()
}

/// Evaluates one kit file.
pub fn evaluate(pipeline: &Pipeline, path: &Path, name: &str) -> Result<Section> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let Some(format) = detect(&text) else {
        bail!(
            "{}: not a NegEx/ConText kit file (expected at least 4 tab-separated columns)",
            path.display()
        );
    };
    let mut section = Section::new(name, &path.display().to_string());
    let (rows, date) = parse(&text, format, &mut section.notes);
    if rows.is_empty() {
        bail!("{}: no annotated rows", path.display());
    }
    let mut negation = if format == KitFormat::Suite {
        Confusion::new(&["Affirmed", "Negated", "Possible"])
    } else {
        Confusion::new(&["Affirmed", "Negated"])
    };
    let mut temporality = Confusion::new(&["Recent", "Historical", "Hypothetical"]);
    let mut experiencer = Confusion::new(&["Patient", "Other"]);
    let mut all_correct = 0usize;
    let mut unmatched = 0usize;
    let mut by_phenomenon: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut temporal_gold, mut temporal_found, mut temporal_value_ok) = (0usize, 0usize, 0usize);

    for row in &rows {
        let predicted = match locate(&row.sentence, &row.concept) {
            Some(span) => {
                let m = pipeline.assert_span(&row.sentence, span);
                let a = &m.assertion;
                let neg = if a.has(Qualifier::Negated) {
                    "Negated"
                } else if a.has(Qualifier::Possible) && format == KitFormat::Suite {
                    "Possible"
                } else {
                    "Affirmed"
                };
                let tmp = if a.has(Qualifier::Hypothetical) {
                    "Hypothetical"
                } else if a.has(Qualifier::Historical) {
                    "Historical"
                } else {
                    "Recent"
                };
                let exp = if a.has(Qualifier::Family) {
                    "Other"
                } else {
                    "Patient"
                };
                let cues: Vec<String> = a
                    .cues
                    .iter()
                    .map(|c| {
                        let cue = row.sentence.get(c.span.start..c.span.end).unwrap_or("");
                        format!("{:?}:{}:{cue:?}", c.qualifier, c.rule)
                    })
                    .collect();
                (neg, tmp, exp, cues, true)
            }
            None => {
                unmatched += 1;
                ("Affirmed", "Recent", "Patient", vec![], false)
            }
        };
        let (neg, tmp, exp, cues, found) = predicted;
        // The NegEx kit has two classes; a gold "Possible" only exists in the suite.
        let gold_neg = if format == KitFormat::Suite {
            capitalise(&row.negation)
        } else if row.negation.eq_ignore_ascii_case("negated") {
            "Negated".to_string()
        } else {
            "Affirmed".to_string()
        };
        negation.add(&gold_neg, neg);
        let mut ok = gold_neg == neg;
        if let Some(t) = &row.temporality {
            temporality.add(t, tmp);
            ok &= t == tmp;
        }
        if let Some(e) = &row.experiencer {
            experiencer.add(e, exp);
            ok &= e == exp;
        }
        let mut temporal_note = None;
        if let Some((ttext, tvalue)) = &row.temporal {
            temporal_gold += 1;
            let exprs = pipeline.temporal(&row.sentence, date);
            let gold_span = row
                .sentence
                .find(ttext.as_str())
                .map(|s| Span::new(s, s + ttext.len()));
            let hit = gold_span.and_then(|g| exprs.iter().find(|e| e.span.overlaps(g)));
            let value_ok = match (hit, parse_value(tvalue)) {
                (Some(e), Some(v)) => same_value(&e.value, &v),
                _ => false,
            };
            if hit.is_some() {
                temporal_found += 1;
            }
            if value_ok {
                temporal_value_ok += 1;
            } else {
                ok = false;
                temporal_note = Some(json!({
                    "gold": format!("{ttext} => {tvalue}"),
                    "got": hit.map(|e| format!("{} => {}", &row.sentence[e.span.start..e.span.end],
                        serde_json::to_string(&e.value).unwrap_or_default())),
                }));
            }
        }
        if ok {
            all_correct += 1;
        } else {
            let gold_all = [
                gold_neg.as_str(),
                row.temporality.as_deref().unwrap_or("-"),
                row.experiencer.as_deref().unwrap_or("-"),
            ]
            .join("/");
            let got_all = [neg, tmp, exp].join("/");
            let mut e = json!({
                "line": row.line,
                "id": row.id,
                "concept": row.concept,
                "gold": gold_all,
                "got": got_all,
                "cues": cues.join(","),
                "sentence": row.sentence.chars().take(160).collect::<String>(),
            });
            if !found {
                e["note"] = json!("concept not found in sentence");
            }
            if let Some(t) = temporal_note {
                e["temporal"] = t;
            }
            section.errors.push(e);
        }
        if let Some(p) = &row.phenomenon {
            let entry = by_phenomenon.entry(p.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(ok);
        }
    }

    section.metric("n", rows.len() as f64);
    let negated = negation.prf("Negated");
    section.prf("negated", negated);
    section.metric("negation.accuracy", negation.accuracy());
    let mut table = vec![("Negated".to_string(), negated)];
    if format == KitFormat::Suite {
        let possible = negation.prf("Possible");
        section.prf("possible", possible);
        table.push(("Possible".into(), possible));
    }
    if format != KitFormat::Negex {
        for (label, metric) in [
            ("Historical", "historical"),
            ("Hypothetical", "hypothetical"),
        ] {
            let p = temporality.prf(label);
            section.prf(metric, p);
            table.push((label.to_string(), p));
        }
        section.metric("temporality.accuracy", temporality.accuracy());
        let other = experiencer.prf("Other");
        section.prf("other", other);
        table.push(("Other (experiencer)".into(), other));
        section.metric("experiencer.accuracy", experiencer.accuracy());
        section.metric("all_columns.accuracy", ratio(all_correct, rows.len()));
    }
    if temporal_gold > 0 {
        section.metric("temporal.found", ratio(temporal_found, temporal_gold));
        section.metric(
            "temporal.value_accuracy",
            ratio(temporal_value_ok, temporal_gold),
        );
    }
    section.prf_table("per class (one vs rest)", &table);
    section.confusion_table("negation", &negation);
    if format != KitFormat::Negex {
        section.confusion_table("temporality", &temporality);
    }
    if !by_phenomenon.is_empty() {
        section.tables.push(super::report::Table {
            title: "rows with every column right, by phenomenon".into(),
            header: vec![
                "phenomenon".into(),
                "n".into(),
                "correct".into(),
                "accuracy".into(),
            ],
            rows: by_phenomenon
                .iter()
                .map(|(p, (n, c))| vec![p.clone(), n.to_string(), c.to_string(), f3(ratio(*c, *n))])
                .collect(),
        });
    }
    if unmatched > 0 {
        section.notes.push(format!(
            "{unmatched} row(s): concept not found in its sentence; scored as Affirmed/Recent/Patient"
        ));
    }
    Ok(section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_prefers_the_upper_cased_occurrence() {
        let s = "No edema today; prior EDEMA resolved.";
        let span = locate(s, "edema").unwrap();
        assert_eq!(&s[span.start..span.end], "EDEMA");
        let s = "complaints of SHORTNESS OF  BREATH";
        let span = locate(s, "shortness of breath").unwrap();
        assert_eq!(&s[span.start..span.end], "SHORTNESS OF  BREATH");
        assert!(locate("pains", "pain").is_none());
        assert!(locate("(+) SLR", "SLR").is_some());
    }

    #[test]
    fn detects_formats() {
        assert_eq!(
            detect("Report No.\tConcept\tSentence\tNegation\n"),
            Some(KitFormat::Negex)
        );
        assert_eq!(
            detect("line\tCondition\tsentence\tnegation_status\ttemporality (historical)\texperiencer\n"),
            Some(KitFormat::Context)
        );
        assert_eq!(
            detect(
                "id\tconcept\tsentence\tnegation\ttemporality\texperiencer\ttemporal\tphenomenon\n"
            ),
            Some(KitFormat::Suite)
        );
        assert_eq!(
            detect("1\tfever\tNo fever.\tNegated\n"),
            Some(KitFormat::Negex)
        );
        assert_eq!(detect("just text\n"), None);
    }
}
