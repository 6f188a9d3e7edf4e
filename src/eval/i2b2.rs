//! The i2b2/VA 2010 assertion task format (Uzuner et al. 2011, JAMIA 18:552), so that groups with access to
//! that corpus can score precert on it.
//!
//! A document is `<name>.txt` (one sentence per line, tokens separated by single spaces), `<name>.con`
//! (concepts) and `<name>.ast` (assertions): `c="text" LINE:TOKEN LINE:TOKEN||t="problem"||a="absent"`, lines
//! from 1, tokens from 0, both ends inclusive. The `.ast` file is the gold; each problem is handed to
//! precert as the only target, in its document. Classes: present, absent, possible, conditional,
//! hypothetical, associated_with_someone_else. precert has no `conditional` class and says `historical`
//! where i2b2 says `present`; the mapping is in [`to_i2b2`].

use super::metrics::Confusion;
use super::report::Section;
use crate::text::Span;
use crate::Pipeline;
use anyhow::{bail, Context, Result};
use regex::Regex;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The i2b2 2010 assertion classes.
pub const CLASSES: [&str; 6] = [
    "present",
    "absent",
    "possible",
    "conditional",
    "hypothetical",
    "associated_with_someone_else",
];

/// precert's assertion label in i2b2 terms.
pub fn to_i2b2(label: &str) -> &'static str {
    match label {
        "absent" => "absent",
        "possible" => "possible",
        "hypothetical" => "hypothetical",
        "family" => "associated_with_someone_else",
        _ => "present", // present, historical
    }
}

/// One gold assertion.
#[derive(Clone, Debug, PartialEq)]
pub struct AstEntry {
    /// Concept text as written in the file.
    pub text: String,
    /// 1-based line, 0-based token: start.
    pub start: (usize, usize),
    /// 1-based line, 0-based token: end (inclusive).
    pub end: (usize, usize),
    /// Assertion class.
    pub class: String,
}

/// Parses an `.ast` file.
pub fn parse_ast(s: &str, file: &str) -> Result<Vec<AstEntry>> {
    let re = Regex::new(r#"^c="(.*)" (\d+):(\d+) (\d+):(\d+)\|\|t="([^"]*)"\|\|a="([^"]*)"\s*$"#)
        .expect("static regex");
    let mut out = Vec::new();
    for (i, line) in s.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let c = re
            .captures(line)
            .with_context(|| format!("{file}:{}: not an i2b2 assertion line", i + 1))?;
        let n = |k: usize| c[k].parse::<usize>().expect("digits");
        out.push(AstEntry {
            text: c[1].to_string(),
            start: (n(2), n(3)),
            end: (n(4), n(5)),
            class: c[7].to_lowercase(),
        });
    }
    Ok(out)
}

/// The byte span of a (line, token)..=(line, token) range in a document.
pub fn token_span(text: &str, start: (usize, usize), end: (usize, usize)) -> Option<Span> {
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let token = |(line, tok): (usize, usize), want_end: bool| -> Option<usize> {
        let ls = *line_starts.get(line.checked_sub(1)?)?;
        let le = text[ls..].find('\n').map_or(text.len(), |i| ls + i);
        let mut k = 0;
        let mut pos = ls;
        for piece in text[ls..le].split(' ') {
            if !piece.is_empty() {
                if k == tok {
                    return Some(if want_end { pos + piece.len() } else { pos });
                }
                k += 1;
            }
            pos += piece.len() + 1;
        }
        None
    };
    let s = token(start, false)?;
    let e = token(end, true)?;
    (s < e).then(|| Span::new(s, e))
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    super::collect_files(p, &|f| f.extension().is_some_and(|e| e == "ast"), out)
}

/// Whether a path holds i2b2 assertion files.
pub fn looks_like_i2b2(p: &Path) -> bool {
    let mut v = Vec::new();
    collect(p, &mut v).is_ok() && !v.is_empty()
}

/// Evaluates every `.ast` under the paths. The `.txt` is found beside it (same stem) or in a sibling `txt/`
/// directory (the layout the 2010 release used: `txt/`, `concept/`, `ast/`).
pub fn evaluate(pipeline: &Pipeline, paths: &[PathBuf], name: &str) -> Result<Section> {
    let mut asts = Vec::new();
    for p in paths {
        collect(p, &mut asts)?;
    }
    asts.sort();
    if asts.is_empty() {
        bail!("no .ast files under {paths:?}");
    }
    let source = super::describe(paths);
    let mut s = Section::new(name, &source);
    let mut conf = Confusion::new(&CLASSES);
    for ast in &asts {
        let beside = ast.with_extension("txt");
        let sibling = ast.parent().and_then(|d| d.parent()).map(|d| {
            d.join("txt")
                .join(ast.with_extension("txt").file_name().unwrap_or_default())
        });
        let txt = if beside.exists() {
            beside
        } else {
            match sibling.filter(|p| p.exists()) {
                Some(p) => p,
                None => {
                    s.notes
                        .push(format!("{}: no .txt beside it, skipped", ast.display()));
                    continue;
                }
            }
        };
        let text = std::fs::read_to_string(&txt)
            .with_context(|| format!("cannot read {}", txt.display()))?;
        let file = ast.display().to_string();
        let entries = parse_ast(&std::fs::read_to_string(ast)?, &file)?;
        let mut spans = Vec::new();
        let mut kept = Vec::new();
        for e in entries {
            match token_span(&text, e.start, e.end) {
                Some(sp) => {
                    spans.push(sp);
                    kept.push(e);
                }
                None => s.notes.push(format!(
                    "{file}: concept {:?} at {}:{} is outside the text, skipped",
                    e.text, e.start.0, e.start.1
                )),
            }
        }
        let predictions = pipeline.assert_spans(&text, &spans);
        for ((e, sp), m) in kept.iter().zip(&spans).zip(&predictions) {
            let got = to_i2b2(m.assertion.label());
            conf.add(&e.class, got);
            if got != e.class {
                s.errors.push(json!({
                    "doc": ast.file_stem().map(|x| x.to_string_lossy().to_string()),
                    "at": format!("{}:{}", e.start.0, e.start.1),
                    "concept": text[sp.start..sp.end].to_string(),
                    "expected": e.class, "got": got,
                    "cues": m.assertion.cues.iter().map(|c| c.rule.clone()).collect::<Vec<_>>().join(","),
                }));
            }
        }
    }
    s.metric("documents_count", asts.len() as f64);
    s.metric("n", conf.total() as f64);
    // Every concept gets exactly one class, so micro-averaged F1 equals accuracy (as in the 2010 task).
    s.metric("micro_f1", conf.accuracy());
    s.metric("macro_f1", conf.macro_f1());
    let rows: Vec<(String, super::metrics::Prf)> = CLASSES
        .iter()
        .map(|c| (c.to_string(), conf.prf(c)))
        .collect();
    for (c, p) in &rows {
        s.prf(c, *p);
    }
    s.prf_table("per class (one vs rest)", &rows);
    s.confusion_table("assertion (rows gold, columns precert)", &conf);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_finds_token_spans() {
        let text = "HISTORY OF PRESENT ILLNESS :\nShe denies fever or chills .\n";
        let ast = "c=\"fever\" 2:2 2:2||t=\"problem\"||a=\"absent\"\n\
                   c=\"fever or chills\" 2:2 2:4||t=\"problem\"||a=\"absent\"\n";
        let e = parse_ast(ast, "x.ast").unwrap();
        assert_eq!(e[0].class, "absent");
        let sp = token_span(text, e[0].start, e[0].end).unwrap();
        assert_eq!(&text[sp.start..sp.end], "fever");
        let sp = token_span(text, e[1].start, e[1].end).unwrap();
        assert_eq!(&text[sp.start..sp.end], "fever or chills");
        assert!(token_span(text, (9, 0), (9, 0)).is_none());
        assert!(parse_ast("c=\"x\" 1:0||a=\"absent\"", "x.ast").is_err());
    }
}
