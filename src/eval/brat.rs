//! Mention-level evaluation against brat standoff annotation (`.txt` + `.ann`; corpus/brat/annotation.conf
//! declares the types and attributes, corpus/README.md the guideline).
//!
//! precert's mentions are mapped onto the annotation types (a lexicon category is a type; "afebrile"-like
//! absence words are `RedFlag` with an absent assertion; strength grades below 5 are `Deficit`, ODI/NDI
//! `Functional`, inflammatory labs `RedFlag`; temporal expressions linked to a mention are `Temporal`). Spans
//! are compared in Unicode characters, brat's unit. Matching is one-to-one, same type, either exact (same
//! start and end) or overlapping (any shared character); assertion accuracy is measured on overlap matches.
//!
//! Note dates, needed to resolve relative temporal values, come from an optional `note_dates.tsv` in the
//! directory (`name<TAB>YYYY-MM-DD`, name without extension).

use super::metrics::{ratio, Confusion, Prf};
use super::report::Section;
use super::temporal_value::{parse_value, same_value};
use crate::mentions::concepts::Category;
use crate::mentions::patterns::Value;
use crate::mentions::temporal::TemporalValue;
use crate::Pipeline;
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The annotation types, in display order.
pub const TYPES: [&str; 12] = [
    "Symptom",
    "Radicular",
    "Deficit",
    "Functional",
    "Conservative",
    "Injection",
    "Intervention",
    "Surgery",
    "Complication",
    "Imaging",
    "RedFlag",
    "Temporal",
];
/// Assertion labels, by precedence (family > absent > hypothetical > possible > historical > present).
/// The same six labels the mention model's assertion head predicts.
pub const LABELS: [&str; 6] = crate::model::ASSERTIONS;

/// One entity, gold or predicted, in character offsets.
#[derive(Clone, Debug)]
pub struct Entity {
    /// Annotation type.
    pub kind: String,
    /// First character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The text.
    pub text: String,
    /// Assertion label (see [`LABELS`]); "present" for Temporal.
    pub label: String,
    /// Temporal value as written in the corpus syntax (gold) or precert's value (predicted).
    pub value: Option<String>,
    tvalue: Option<TemporalValue>,
}

/// The assertion label of a set of brat attributes, by precedence.
pub fn label_of(attrs: &[String]) -> &'static str {
    let has = |a: &str| attrs.iter().any(|x| x == a);
    if has("Family") {
        "family"
    } else if has("Negated") {
        "absent"
    } else if has("Hypothetical") {
        "hypothetical"
    } else if has("Possible") {
        "possible"
    } else if has("Historical") {
        "historical"
    } else {
        "present"
    }
}

/// Parses one `.ann` file (T, A and AnnotatorNotes lines; others are ignored).
pub fn parse_ann(ann: &str, text: &str, file: &str) -> Result<Vec<Entity>> {
    let chars: Vec<char> = text.chars().collect();
    let mut ents: Vec<(String, Entity, Vec<String>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (n, line) in ann.lines().enumerate() {
        let where_ = || format!("{file}:{}", n + 1);
        let parts: Vec<&str> = line.split('\t').collect();
        if line.starts_with('T') {
            if parts.len() < 3 {
                bail!("{}: a T line needs id, type+offsets and text", where_());
            }
            let (kind, offs) = parts[1]
                .split_once(' ')
                .with_context(|| format!("{}: no offsets", where_()))?;
            // Discontinuous spans ("0 5;9 14") are scored by their outer extent.
            let nums: Vec<usize> = offs
                .split([' ', ';'])
                .map(|x| x.parse::<usize>())
                .collect::<Result<_, _>>()
                .with_context(|| format!("{}: bad offsets {offs:?}", where_()))?;
            let (start, end) = (
                *nums.iter().min().unwrap_or(&0),
                *nums.iter().max().unwrap_or(&0),
            );
            if end > chars.len() || start > end {
                bail!("{}: offsets {start}..{end} outside the text", where_());
            }
            index.insert(parts[0].to_string(), ents.len());
            ents.push((
                parts[0].to_string(),
                Entity {
                    kind: kind.to_string(),
                    start,
                    end,
                    text: chars[start..end].iter().collect(),
                    label: String::new(),
                    value: None,
                    tvalue: None,
                },
                vec![],
            ));
        } else if line.starts_with('A') || line.starts_with('M') {
            let f: Vec<&str> = parts
                .get(1)
                .map_or(vec![], |s| s.split_whitespace().collect());
            if let (Some(attr), Some(id)) = (f.first(), f.get(1)) {
                let i = *index
                    .get(*id)
                    .with_context(|| format!("{}: attribute on unknown entity {id}", where_()))?;
                ents[i].2.push(attr.to_string());
            }
        } else if line.starts_with('#') {
            let f: Vec<&str> = parts
                .get(1)
                .map_or(vec![], |s| s.split_whitespace().collect());
            if let (Some(&"AnnotatorNotes"), Some(id), Some(v)) =
                (f.first(), f.get(1), parts.get(2))
            {
                if let Some(&i) = index.get(*id) {
                    ents[i].1.value = Some(v.trim().to_string());
                }
            }
        }
    }
    Ok(ents
        .into_iter()
        .map(|(_, mut e, attrs)| {
            e.label = if e.kind == "Temporal" {
                "present".into()
            } else {
                label_of(&attrs).into()
            };
            e
        })
        .collect())
}

/// precert's mentions of a note as annotation entities.
pub fn predict(pipeline: &Pipeline, text: &str, date: Option<chrono::NaiveDate>) -> Vec<Entity> {
    let (_, mentions) = pipeline.analyze_text(text, date);
    let to_char = char_index(text);
    let mut out = Vec::new();
    let mut temporal_seen = std::collections::HashSet::new();
    for m in &mentions {
        let kind = match (m.category, &m.value) {
            (Category::Symptom, _) => "Symptom",
            (Category::Radicular, _) => "Radicular",
            (Category::Deficit, _) => "Deficit",
            (Category::Functional, _) => "Functional",
            (Category::Conservative, _) => "Conservative",
            (Category::Injection, _) => "Injection",
            (Category::Intervention, _) => "Intervention",
            (Category::Surgery, _) => "Surgery",
            (Category::Complication, _) => "Complication",
            (Category::Imaging, _) => "Imaging",
            (Category::RedFlag | Category::RedFlagAbsent, _) => "RedFlag",
            (Category::Measurement, Some(Value::Strength { grade })) if *grade < 5.0 => "Deficit",
            (Category::Measurement, Some(Value::Disability { .. })) => "Functional",
            (Category::Measurement, Some(Value::Lab { .. })) => "RedFlag",
            _ => "",
        };
        if !kind.is_empty() {
            // A mention whose words state the normal finding ("afebrile", "SLR neg", "neuro intact") is the
            // finding negated in the annotation guideline's terms.
            let label = match m.assertion.label() {
                "present" if crate::mentions::fusion::polarity_in_word(m) => "absent",
                l => l,
            };
            out.push(Entity {
                kind: kind.into(),
                start: to_char[m.span.start],
                end: to_char[m.span.end],
                text: text[m.span.start..m.span.end].to_string(),
                label: label.into(),
                value: None,
                tvalue: None,
            });
        }
        for t in &m.temporal {
            if temporal_seen.insert((t.span.start, t.span.end)) {
                out.push(Entity {
                    kind: "Temporal".into(),
                    start: to_char[t.span.start],
                    end: to_char[t.span.end],
                    text: text[t.span.start..t.span.end].to_string(),
                    label: "present".into(),
                    value: serde_json::to_string(&t.value).ok(),
                    tvalue: Some(t.value.clone()),
                });
            }
        }
    }
    out
}

/// Byte offset → character offset, for every byte boundary (len + 1 entries).
fn char_index(text: &str) -> Vec<usize> {
    let mut map = vec![0; text.len() + 1];
    let mut c = 0;
    for (b, ch) in text.char_indices() {
        for k in 0..ch.len_utf8() {
            map[b + k] = c;
        }
        c += 1;
    }
    map[text.len()] = c;
    map
}

/// One-to-one matching of same-type entities: exact pairs first, then overlapping pairs by largest overlap.
fn match_entities(gold: &[Entity], pred: &[Entity], exact: bool) -> Vec<(usize, usize)> {
    let mut cands = Vec::new();
    for (gi, g) in gold.iter().enumerate() {
        for (pi, p) in pred.iter().enumerate() {
            if g.kind != p.kind {
                continue;
            }
            let overlap = g.end.min(p.end).saturating_sub(g.start.max(p.start));
            let same = g.start == p.start && g.end == p.end;
            if same || (!exact && overlap > 0) {
                cands.push((!same, std::cmp::Reverse(overlap), gi, pi));
            }
        }
    }
    cands.sort();
    let (mut gu, mut pu) = (vec![false; gold.len()], vec![false; pred.len()]);
    let mut out = Vec::new();
    for (_, _, gi, pi) in cands {
        if !gu[gi] && !pu[pi] {
            gu[gi] = true;
            pu[pi] = true;
            out.push((gi, pi));
        }
    }
    out
}

fn read_dates(dir: &Path) -> BTreeMap<String, chrono::NaiveDate> {
    std::fs::read_to_string(dir.join("note_dates.tsv"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (n, d) = l.split_once('\t')?;
            Some((n.trim().to_string(), d.trim().parse().ok()?))
        })
        .collect()
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    super::collect_files(p, &|f| f.extension().is_some_and(|e| e == "ann"), out)
}

/// Whether a path holds brat annotation.
pub fn looks_like_brat(p: &Path) -> bool {
    let mut v = Vec::new();
    collect(p, &mut v).is_ok() && !v.is_empty()
}

/// Evaluates every annotated document under `paths`.
pub fn evaluate(pipeline: &Pipeline, paths: &[PathBuf], name: &str) -> Result<Section> {
    let mut anns = Vec::new();
    for p in paths {
        collect(p, &mut anns)?;
    }
    anns.sort();
    if anns.is_empty() {
        bail!("no .ann files under {paths:?}");
    }
    let source = super::describe(paths);
    let mut s = Section::new(name, &source);
    let mut exact: BTreeMap<&str, Prf> = TYPES.iter().map(|t| (*t, Prf::default())).collect();
    let mut overlap = exact.clone();
    let mut assertion = Confusion::new(&LABELS);
    let (mut tv_pairs, mut tv_ok) = (0usize, 0usize);
    let mut dates_cache: HashMap<PathBuf, BTreeMap<String, chrono::NaiveDate>> = HashMap::new();
    for ann_path in &anns {
        let txt_path = ann_path.with_extension("txt");
        let text = std::fs::read_to_string(&txt_path)
            .with_context(|| format!("cannot read {}", txt_path.display()))?;
        let ann = std::fs::read_to_string(ann_path)?;
        let file = ann_path.display().to_string();
        let gold: Vec<Entity> = parse_ann(&ann, &text, &file)?
            .into_iter()
            .filter(|e| TYPES.contains(&e.kind.as_str()))
            .collect();
        let dir = ann_path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let dates = dates_cache
            .entry(dir.clone())
            .or_insert_with(|| read_dates(&dir));
        let stem = ann_path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let date = dates.get(&stem).copied();
        let pred = predict(pipeline, &text, date);

        let ex = match_entities(&gold, &pred, true);
        let ov = match_entities(&gold, &pred, false);
        for t in TYPES {
            let g = gold.iter().filter(|e| e.kind == t).count();
            let p = pred.iter().filter(|e| e.kind == t).count();
            for (m, counts) in [(&ex, &mut exact), (&ov, &mut overlap)] {
                let tp = m.iter().filter(|(gi, _)| gold[*gi].kind == t).count();
                counts.get_mut(t).expect("type").merge(Prf {
                    tp,
                    fp: p - tp,
                    fn_: g - tp,
                });
            }
        }
        let (mut gm, mut pm) = (vec![false; gold.len()], vec![false; pred.len()]);
        for &(gi, pi) in &ov {
            gm[gi] = true;
            pm[pi] = true;
            let (g, p) = (&gold[gi], &pred[pi]);
            if g.kind == "Temporal" {
                if let (Some(gv), Some(pv)) = (g.value.as_deref().and_then(parse_value), &p.tvalue)
                {
                    tv_pairs += 1;
                    if same_value(pv, &gv) {
                        tv_ok += 1;
                    } else {
                        s.errors.push(
                            json!({"doc": stem, "kind": "temporal_value", "text": g.text,
                            "expected": g.value, "got": p.value}),
                        );
                    }
                }
                continue;
            }
            assertion.add(&g.label, &p.label);
            if g.label != p.label {
                s.errors
                    .push(json!({"doc": stem, "kind": "assertion", "type": g.kind,
                    "at": g.start, "text": g.text, "expected": g.label, "got": p.label}));
            }
        }
        for (_, g) in gold.iter().enumerate().filter(|(i, _)| !gm[*i]) {
            s.errors.push(
                json!({"doc": stem, "kind": "missed", "type": g.kind, "at": g.start,
                "text": g.text}),
            );
        }
        for (_, p) in pred.iter().enumerate().filter(|(i, _)| !pm[*i]) {
            s.errors.push(
                json!({"doc": stem, "kind": "spurious", "type": p.kind, "at": p.start,
                "text": p.text}),
            );
        }
    }
    let micro = |m: &BTreeMap<&str, Prf>| {
        let mut t = Prf::default();
        m.values().for_each(|p| t.merge(*p));
        t
    };
    s.metric("documents_count", anns.len() as f64);
    s.metric("gold_mentions_count", micro(&exact).support() as f64);
    s.prf("mention.exact", micro(&exact));
    s.prf("mention.overlap", micro(&overlap));
    s.metric("assertion.n", assertion.total() as f64);
    s.metric("assertion.accuracy", assertion.accuracy());
    s.metric("assertion.macro_f1", assertion.macro_f1());
    for l in LABELS {
        s.prf(&format!("assertion.{l}"), assertion.prf(l));
    }
    if tv_pairs > 0 {
        s.metric("temporal.value_accuracy", ratio(tv_ok, tv_pairs));
    }
    let mut rows = Vec::new();
    for t in TYPES {
        rows.push((format!("{t} (exact)"), exact[t]));
        rows.push((format!("{t} (overlap)"), overlap[t]));
    }
    rows.push(("all (exact)".into(), micro(&exact)));
    rows.push(("all (overlap)".into(), micro(&overlap)));
    s.prf_table("mentions by type", &rows);
    let rows: Vec<(String, Prf)> = LABELS
        .iter()
        .map(|l| (l.to_string(), assertion.prf(l)))
        .collect();
    s.prf_table("assertion on overlap-matched mentions (one vs rest)", &rows);
    s.confusion_table("assertion (rows gold, columns precert)", &assertion);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entities_attributes_and_notes_in_characters() {
        let text = "Pt – denies fever. LBP x 8 wks.";
        let ann = "T1\tRedFlag 12 17\tfever\nA1\tNegated T1\nT2\tSymptom 19 22\tLBP\n\
                   T3\tTemporal 23 30\tx 8 wks\n#1\tAnnotatorNotes T3\tduration:56\n";
        let e = parse_ann(ann, text, "t.ann").unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(
            (e[0].text.as_str(), e[0].label.as_str()),
            ("fever", "absent")
        );
        assert_eq!(
            (e[1].text.as_str(), e[1].label.as_str()),
            ("LBP", "present")
        );
        assert_eq!(e[2].value.as_deref(), Some("duration:56"));
        assert!(parse_ann("T1\tSymptom 0 99\tx\n", text, "t.ann").is_err());
        assert!(parse_ann("A1\tNegated T9\n", text, "t.ann").is_err());
    }

    #[test]
    fn matching_is_one_to_one_and_typed() {
        let e = |kind: &str, start, end| Entity {
            kind: kind.into(),
            start,
            end,
            text: String::new(),
            label: "present".into(),
            value: None,
            tvalue: None,
        };
        let gold = vec![e("Symptom", 0, 10), e("RedFlag", 20, 25)];
        let pred = vec![
            e("Symptom", 4, 10),
            e("Symptom", 0, 3),
            e("Deficit", 20, 25),
        ];
        assert!(match_entities(&gold, &pred, true).is_empty());
        let ov = match_entities(&gold, &pred, false);
        assert_eq!(ov, vec![(0, 0)]);
    }

    #[test]
    fn char_index_maps_multibyte() {
        let m = char_index("a–b");
        assert_eq!(m[0], 0);
        assert_eq!(m[1], 1);
        assert_eq!(m[4], 2);
        assert_eq!(m[5], 3);
    }
}
