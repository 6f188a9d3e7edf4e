//! Ingest: case JSON/JSONL, CSV, and plain-text notes → [`Case`] or [`Reject`].
//!
//! Every input record yields exactly one of the two; a malformed record never aborts the run. A reject
//! names the record (file and line or row), the case id when known, and the reason.
//!
//! * `.json`: one case object (or an array of them).
//! * `.jsonl` / `.ndjson`: one case object per line.
//! * `.csv`: columns `case_id,note_id,date,kind,text,cpt` (others ignored); consecutive rows with the same
//!   `case_id` form one case; `cpt` may list several codes separated by `,` `;` or spaces, and the request
//!   takes the union. Quoted multi-line text is supported.
//! * `.txt` (or a directory of them): one case per file, the file stem as case id and note id, with the
//!   CPT codes and date given on the command line.

mod case;

pub use case::{
    cpt_info, without_contrast_cpt, Case, Contrast, CptRegion, Note, Patient, Procedure, Request,
};

use chrono::NaiveDate;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A record that could not be turned into a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// Where: `file:line`, `file:row N`, or the file.
    pub record: String,
    /// The case id, when it could be read.
    pub case_id: Option<String>,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.case_id {
            Some(id) => write!(f, "{} (case {id}): {}", self.record, self.reason),
            None => write!(f, "{}: {}", self.record, self.reason),
        }
    }
}

/// Options for plain-text inputs, which carry no request of their own.
#[derive(Clone, Debug, Default)]
pub struct TextOptions {
    /// CPT codes to request.
    pub cpts: Vec<String>,
    /// Date of the note and the request.
    pub date: Option<NaiveDate>,
}

/// Reads every input path. Directories are expanded to the `.txt`, `.json`, `.jsonl` and `.csv` files
/// they contain (sorted, not recursive).
pub fn read_inputs(paths: &[PathBuf], text_opts: &TextOptions) -> Vec<Result<Case, Reject>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut files: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file())
                    .collect(),
                Err(e) => {
                    out.push(Err(Reject {
                        record: path.display().to_string(),
                        case_id: None,
                        reason: format!("cannot read directory: {e}"),
                    }));
                    continue;
                }
            };
            files.sort();
            for f in files {
                if matches!(
                    extension(&f).as_str(),
                    "txt" | "json" | "jsonl" | "ndjson" | "csv"
                ) {
                    out.extend(read_file(&f, text_opts));
                }
            }
        } else {
            out.extend(read_file(path, text_opts));
        }
    }
    out
}

fn extension(p: &Path) -> String {
    p.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Reads one file according to its extension.
pub fn read_file(path: &Path, text_opts: &TextOptions) -> Vec<Result<Case, Reject>> {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return vec![Err(Reject {
                record: name,
                case_id: None,
                reason: format!("cannot read file: {e}"),
            })]
        }
    };
    match extension(path).as_str() {
        "jsonl" | "ndjson" => read_jsonl(&name, &bytes),
        "json" => read_json(&name, &bytes),
        "csv" => read_csv(&name, &bytes),
        _ => vec![read_txt(path, &name, &bytes, text_opts)],
    }
}

/// Parses one case object and validates it.
pub fn parse_case(record: &str, json: &str) -> Result<Case, Reject> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| Reject {
        record: record.into(),
        case_id: None,
        reason: format!("malformed JSON: {e}"),
    })?;
    case_from_value(record, value)
}

fn case_from_value(record: &str, value: serde_json::Value) -> Result<Case, Reject> {
    let case_id = value
        .get("case_id")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let case: Case = serde_json::from_value(value).map_err(|e| Reject {
        record: record.into(),
        case_id: case_id.clone(),
        reason: format!("not a case: {e}"),
    })?;
    validate(record, case)
}

fn validate(record: &str, case: Case) -> Result<Case, Reject> {
    let reject = |reason: String| Reject {
        record: record.into(),
        case_id: Some(case.case_id.clone()),
        reason,
    };
    if case.case_id.trim().is_empty() {
        return Err(Reject {
            record: record.into(),
            case_id: None,
            reason: "empty case_id".into(),
        });
    }
    if case.request.procedures.is_empty() {
        return Err(reject("the request lists no procedure".into()));
    }
    for p in &case.request.procedures {
        if cpt_info(&p.cpt).is_none() {
            return Err(reject(format!(
                "CPT {:?} is not an MRI spine code (72141-72158)",
                p.cpt
            )));
        }
    }
    if case.notes.is_empty() {
        return Err(reject("the case has no notes".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for n in &case.notes {
        if n.text.trim().is_empty() {
            return Err(reject(format!("note {:?} has empty text", n.note_id)));
        }
        if !seen.insert(n.note_id.as_str()) {
            return Err(reject(format!("note id {:?} appears twice", n.note_id)));
        }
    }
    Ok(case)
}

fn read_json(name: &str, bytes: &[u8]) -> Vec<Result<Case, Reject>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return vec![Err(Reject {
                record: name.into(),
                case_id: None,
                reason: format!("invalid UTF-8: {e}"),
            })]
        }
    };
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| case_from_value(&format!("{name}[{i}]"), v))
            .collect(),
        Ok(v) => vec![case_from_value(name, v)],
        Err(e) => vec![Err(Reject {
            record: name.into(),
            case_id: None,
            reason: format!("malformed JSON: {e}"),
        })],
    }
}

fn read_jsonl(name: &str, bytes: &[u8]) -> Vec<Result<Case, Reject>> {
    let mut out = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let record = format!("{name}:{}", i + 1);
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(text) => out.push(parse_case(&record, text)),
            Err(e) => out.push(Err(Reject {
                record,
                case_id: None,
                reason: format!("invalid UTF-8: {e}"),
            })),
        }
    }
    out
}

fn split_cpts(cell: &str) -> Vec<String> {
    cell.split([',', ';', ' ', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn read_csv(name: &str, bytes: &[u8]) -> Vec<Result<Case, Reject>> {
    let mut out = Vec::new();
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return vec![Err(Reject {
                record: name.into(),
                case_id: None,
                reason: format!("cannot read CSV header: {e}"),
            })]
        }
    };
    let col = |n: &str| {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(n.as_bytes()))
    };
    let (Some(c_case), Some(c_note), Some(c_text), Some(c_cpt)) =
        (col("case_id"), col("note_id"), col("text"), col("cpt"))
    else {
        return vec![Err(Reject {
            record: name.into(),
            case_id: None,
            reason: "CSV needs columns case_id, note_id, text, cpt (and optionally date, kind)"
                .into(),
        })];
    };
    let (c_date, c_kind) = (col("date"), col("kind"));
    // The case being built, its first record name, and whether one of its rows was bad.
    let mut current: Option<(Case, String, Option<String>)> = None;
    let flush = |cur: Option<(Case, String, Option<String>)>,
                 out: &mut Vec<Result<Case, Reject>>| {
        if let Some((case, record, bad)) = cur {
            out.push(match bad {
                Some(reason) => Err(Reject {
                    record,
                    case_id: Some(case.case_id),
                    reason,
                }),
                None => validate(&record, case),
            });
        }
    };
    for (i, row) in reader.byte_records().enumerate() {
        let record = format!("{name}:row {}", i + 2);
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                flush(current.take(), &mut out);
                out.push(Err(Reject {
                    record,
                    case_id: None,
                    reason: format!("bad CSV row: {e}"),
                }));
                continue;
            }
        };
        let field = |c: usize| -> Result<String, String> {
            let b = row.get(c).unwrap_or(b"");
            std::str::from_utf8(b)
                .map(str::to_string)
                .map_err(|e| format!("invalid UTF-8 in column {}: {e}", c + 1))
        };
        let case_id = field(c_case).unwrap_or_default();
        let same = current
            .as_ref()
            .is_some_and(|(c, _, _)| c.case_id == case_id);
        if !same {
            flush(current.take(), &mut out);
            current = Some((
                Case {
                    case_id: case_id.clone(),
                    request: Request::default(),
                    patient: Patient::default(),
                    notes: vec![],
                },
                record.clone(),
                None,
            ));
        }
        let (case, _, bad) = current.as_mut().expect("current case");
        let parsed = (|| -> Result<Note, String> {
            let text = field(c_text)?;
            let date = match c_date
                .map(field)
                .transpose()?
                .filter(|d| !d.trim().is_empty())
            {
                Some(d) => Some(
                    NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                        .map_err(|_| format!("bad date {d:?} (want YYYY-MM-DD)"))?,
                ),
                None => None,
            };
            for cpt in split_cpts(&field(c_cpt)?) {
                if !case.request.procedures.iter().any(|p| p.cpt == cpt) {
                    case.request.procedures.push(Procedure {
                        cpt,
                        description: String::new(),
                    });
                }
            }
            if date > case.request.date {
                case.request.date = date;
            }
            Ok(Note {
                note_id: field(c_note)?,
                date,
                kind: c_kind.map(field).transpose()?,
                author_role: None,
                text,
            })
        })();
        match parsed {
            Ok(note) => case.notes.push(note),
            Err(reason) => {
                if bad.is_none() {
                    *bad = Some(format!("{record}: {reason}"));
                }
            }
        }
    }
    flush(current.take(), &mut out);
    out
}

fn read_txt(path: &Path, name: &str, bytes: &[u8], opts: &TextOptions) -> Result<Case, Reject> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("note")
        .to_string();
    let text = std::str::from_utf8(bytes).map_err(|e| Reject {
        record: name.into(),
        case_id: Some(stem.clone()),
        reason: format!("invalid UTF-8: {e}"),
    })?;
    if opts.cpts.is_empty() {
        return Err(Reject {
            record: name.into(),
            case_id: Some(stem),
            reason: "a plain-text note needs --cpt".into(),
        });
    }
    let case = Case {
        case_id: stem.clone(),
        request: Request {
            date: opts.date,
            procedures: opts
                .cpts
                .iter()
                .map(|c| Procedure {
                    cpt: c.clone(),
                    description: String::new(),
                })
                .collect(),
            diagnoses: vec![],
        },
        patient: Patient::default(),
        notes: vec![Note {
            note_id: stem,
            date: opts.date,
            kind: None,
            author_role: None,
            text: text.to_string(),
        }],
    };
    validate(name, case)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_rejects_are_per_line() {
        let good = r#"{"case_id":"a","request":{"date":"2026-10-01","procedures":[{"cpt":"72148"}]},"notes":[{"note_id":"n","text":"LBP","extra":1}],"gold":{}}"#;
        let input = format!("{good}\n{{not json\n\n{}\n", good.replace("72148", "70551"));
        let got = read_jsonl("x.jsonl", input.as_bytes());
        assert_eq!(got.len(), 3);
        assert!(got[0].is_ok());
        let e1 = got[1].clone().unwrap_err();
        assert_eq!(e1.record, "x.jsonl:2");
        assert!(e1.reason.starts_with("malformed JSON"));
        let e2 = got[2].clone().unwrap_err();
        assert_eq!(e2.case_id.as_deref(), Some("a"));
        assert!(e2.reason.contains("70551"));
    }

    #[test]
    fn csv_groups_rows_and_keeps_multiline_text() {
        let csv = "case_id,note_id,date,kind,text,cpt\nc1,n1,2026-08-03,pt,\"line one\nline two\",72148\nc1,n2,2026-09-28,progress,second,\"72148,72146\"\nc2,n1,bad-date,x,t,72148\n";
        let got = read_csv("x.csv", csv.as_bytes());
        assert_eq!(got.len(), 2);
        let c1 = got[0].clone().unwrap();
        assert_eq!(c1.notes.len(), 2);
        assert_eq!(c1.notes[0].text, "line one\nline two");
        assert_eq!(c1.request.procedures.len(), 2);
        assert_eq!(c1.request.date, NaiveDate::from_ymd_opt(2026, 9, 28));
        let r = got[1].clone().unwrap_err();
        assert!(r.reason.contains("bad date"), "{r}");
    }
}
