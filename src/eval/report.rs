//! An evaluation report: named metrics (for `--fail-under` and scripts), tables (for people) and the list
//! of errors (for whoever fixes them). One [`Section`] per evaluated input.

use super::metrics::{Confusion, Prf};
use serde::Serialize;
use std::fmt::Write as _;

/// The result of evaluating one input.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Section {
    /// Metric prefix: the input kind (`cases`, `brat`, `negex`, `context`, `i2b2`), made unique per run.
    pub name: String,
    /// What was evaluated (path).
    pub source: String,
    /// Named figures, in display order: `<name>.<metric>`.
    pub metrics: Vec<(String, f64)>,
    /// Tables for people.
    pub tables: Vec<Table>,
    /// Every disagreement with gold.
    pub errors: Vec<serde_json::Value>,
    /// Notes on the input (rows skipped and why).
    pub notes: Vec<String>,
}

/// A table with a title, a header and rows of cells.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Table {
    /// Title.
    pub title: String,
    /// Column names.
    pub header: Vec<String>,
    /// Cells.
    pub rows: Vec<Vec<String>>,
}

impl Section {
    /// A section for `kind` read from `source`.
    pub fn new(kind: &str, source: &str) -> Section {
        Section {
            name: kind.to_string(),
            source: source.to_string(),
            ..Section::default()
        }
    }

    /// Records a figure as `<section>.<metric>`.
    pub fn metric(&mut self, metric: &str, value: f64) {
        self.metrics.push((metric.to_string(), value));
    }

    /// Records P/R/F1 of a class as `<metric>.precision|recall|f1` and a table row.
    pub fn prf(&mut self, metric: &str, p: Prf) {
        self.metric(&format!("{metric}.precision"), p.precision());
        self.metric(&format!("{metric}.recall"), p.recall());
        self.metric(&format!("{metric}.f1"), p.f1());
    }

    /// Adds a P/R/F1 table.
    pub fn prf_table(&mut self, title: &str, rows: &[(String, Prf)]) {
        self.tables.push(Table {
            title: title.into(),
            header: ["", "TP", "FP", "FN", "P", "R", "F1"]
                .map(String::from)
                .to_vec(),
            rows: rows
                .iter()
                .map(|(label, p)| {
                    vec![
                        label.clone(),
                        p.tp.to_string(),
                        p.fp.to_string(),
                        p.fn_.to_string(),
                        f3(p.precision()),
                        f3(p.recall()),
                        f3(p.f1()),
                    ]
                })
                .collect(),
        });
    }

    /// Adds a confusion-matrix table (rows gold, columns predicted).
    pub fn confusion_table(&mut self, title: &str, c: &Confusion) {
        let mut header = vec!["gold \\ predicted".to_string()];
        header.extend(c.labels.iter().cloned());
        self.tables.push(Table {
            title: title.into(),
            header,
            rows: c
                .labels
                .iter()
                .map(|g| {
                    let mut row = vec![g.clone()];
                    row.extend(c.labels.iter().map(|p| c.get(g, p).to_string()));
                    row
                })
                .collect(),
        });
    }

    /// The value of a metric by its full name.
    pub fn get(&self, full_name: &str) -> Option<f64> {
        let rest = full_name.strip_prefix(&self.name)?.strip_prefix('.')?;
        self.metrics
            .iter()
            .find(|(n, _)| n == rest)
            .map(|(_, v)| *v)
    }

    /// Renders for a terminal: summary figures, tables, notes, errors.
    pub fn render(&self, max_errors: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "== {} ({})", self.name, self.source);
        let width = self
            .metrics
            .iter()
            .map(|(n, _)| n.len() + self.name.len() + 1)
            .max()
            .unwrap_or(0);
        for (n, v) in &self.metrics {
            let full = format!("{}.{n}", self.name);
            let _ = writeln!(out, "  {full:<width$}  {}", fmt_value(n, *v));
        }
        for t in &self.tables {
            let _ = writeln!(out, "\n  {}", t.title);
            out.push_str(&render_table(&t.header, &t.rows, "    "));
        }
        for n in &self.notes {
            let _ = writeln!(out, "  note: {n}");
        }
        if !self.errors.is_empty() {
            let _ = writeln!(out, "\n  errors ({}):", self.errors.len());
            for e in self.errors.iter().take(max_errors) {
                let _ = writeln!(out, "    {}", one_line(e));
            }
            if self.errors.len() > max_errors {
                let _ = writeln!(
                    out,
                    "    … {} more (all of them with --json, or --errors N)",
                    self.errors.len() - max_errors
                );
            }
        }
        out
    }
}

/// Three decimals: how the literature reports P/R/F1.
pub fn f3(v: f64) -> String {
    format!("{v:.3}")
}

fn fmt_value(name: &str, v: f64) -> String {
    if name.ends_with(".n") || name == "n" || name.ends_with("_count") || name.starts_with("n_") {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// Aligns cells in columns (text left, numbers right).
pub fn render_table(header: &[String], rows: &[Vec<String>], indent: &str) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from(indent);
        for (i, c) in cells.iter().enumerate().take(cols) {
            let numeric = i > 0 && c.parse::<f64>().is_ok();
            let w = widths[i];
            if numeric {
                let _ = write!(s, "{c:>w$}");
            } else {
                let _ = write!(s, "{c:<w$}");
            }
            if i + 1 < cols {
                s.push_str("  ");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header);
    out.push_str(indent);
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * cols.saturating_sub(1)));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

fn one_line(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join("  "),
        other => other.to_string(),
    }
}
