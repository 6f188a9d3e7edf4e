//! Ingest: case JSON/JSONL, CSV, and plain-text notes → [`Case`] or [`Reject`], streamed.
//!
//! Every input record yields exactly one of the two; a malformed record never aborts the run. A reject
//! names the record (file and line), the case id when known, and the reason. Archives are read as a
//! stream ([`stream`]): memory holds one record at a time, whatever the archive's size.
//!
//! * `.jsonl` / `.ndjson`: one case object per line.
//! * `.json`: one case object (or an array of them; the file is read whole, so use JSONL for archives).
//! * `.csv`: columns `case_id,note_id,date,kind,text,cpt` (others ignored); consecutive rows with the same
//!   `case_id` form one case; `cpt` may list several codes separated by `,` `;` or spaces, and the request
//!   takes the union. Quoted multi-line text is supported.
//! * `.txt` (or a directory of them): one case per file, the file stem as case id and note id, with the
//!   CPT codes and date given on the command line.
//! * Any of these gzip-compressed. Compression is recognised by content (the gzip magic bytes), not by
//!   name; `x.jsonl.gz` is read as JSONL. A file whose extension says nothing is sniffed: `{` starts
//!   JSONL, `[` a JSON array, a first line naming `case_id` a CSV, anything else a plain-text note.

mod case;
mod stream;

pub use case::{
    cpt_info, without_contrast_cpt, Case, Contrast, CptRegion, Note, Patient, Procedure, Request,
};
pub use stream::{stream, Records};

use chrono::NaiveDate;
use serde::Serialize;
use std::path::PathBuf;

/// A record that could not be turned into a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// Where: `file:line`, `file[index]`, or the file.
    pub record: String,
    /// The line (JSONL, CSV) where the record starts, when the input has lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The case id, when it could be read.
    pub case_id: Option<String>,
    /// Why.
    pub reason: String,
}

impl Reject {
    fn new(record: impl Into<String>, case_id: Option<String>, reason: impl Into<String>) -> Self {
        Reject {
            record: record.into(),
            line: None,
            case_id,
            reason: reason.into(),
        }
    }

    fn at_line(mut self, line: Option<u64>) -> Self {
        self.line = line;
        self
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.case_id {
            Some(id) => write!(f, "{} (case {id}): {}", self.record, self.reason),
            None => write!(f, "{}: {}", self.record, self.reason),
        }
    }
}

/// Size limits. A record beyond them is rejected with its size, never held in memory whole beyond
/// `max_record_bytes`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest note text accepted. The longest real discharge summaries run to a few hundred KB; a
    /// multi-megabyte "note" is a concatenated export or binary junk, and would cost seconds of rule time.
    pub max_note_bytes: usize,
    /// Largest JSONL line or plain-text file read; longer ones are skipped without being buffered.
    pub max_record_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_note_bytes: 2 << 20,
            max_record_bytes: 64 << 20,
        }
    }
}

/// Options for reading: the request for plain-text inputs, which carry none of their own, and limits.
#[derive(Clone, Debug, Default)]
pub struct TextOptions {
    /// CPT codes to request.
    pub cpts: Vec<String>,
    /// Date of the note and the request.
    pub date: Option<NaiveDate>,
    /// Size limits.
    pub limits: Limits,
}

/// Reads every input path into memory (tests and small inputs; bulk runs use [`stream`]).
pub fn read_inputs(paths: &[PathBuf], text_opts: &TextOptions) -> Vec<Result<Case, Reject>> {
    stream(paths, text_opts).collect()
}

/// Parses one case object and validates it.
pub fn parse_case(record: &str, json: &str) -> Result<Case, Reject> {
    parse_case_with(record, json, &Limits::default())
}

fn parse_case_with(record: &str, json: &str, limits: &Limits) -> Result<Case, Reject> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| Reject::new(record, None, format!("malformed JSON: {e}")))?;
    case_from_value(record, value, limits)
}

fn case_from_value(
    record: &str,
    value: serde_json::Value,
    limits: &Limits,
) -> Result<Case, Reject> {
    let case_id = value
        .get("case_id")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    if !value.is_object() {
        return Err(Reject::new(
            record,
            None,
            format!(
                "not a case: expected a JSON object, found {}",
                json_kind(&value)
            ),
        ));
    }
    let case: Case = serde_json::from_value(value)
        .map_err(|e| Reject::new(record, case_id, format!("not a case: {e}")))?;
    validate(record, case, limits)
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn validate(record: &str, case: Case, limits: &Limits) -> Result<Case, Reject> {
    let reject = |reason: String| Reject::new(record, Some(case.case_id.clone()), reason);
    if case.case_id.trim().is_empty() {
        return Err(Reject::new(record, None, "empty case_id"));
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
        if n.text.len() > limits.max_note_bytes {
            return Err(reject(format!(
                "note {:?} is {} bytes, over the {}-byte limit (--max-note-bytes)",
                n.note_id,
                n.text.len(),
                limits.max_note_bytes
            )));
        }
        if !seen.insert(n.note_id.as_str()) {
            return Err(reject(format!("note id {:?} appears twice", n.note_id)));
        }
    }
    Ok(case)
}

/// A one-note lumbar-MRI case for unit tests across the crate.
#[cfg(test)]
pub(crate) fn test_case(case_id: &str, text: &str, date: Option<NaiveDate>) -> Case {
    Case {
        case_id: case_id.into(),
        request: Request {
            date,
            procedures: vec![Procedure {
                cpt: "72148".into(),
                description: String::new(),
            }],
            diagnoses: vec![],
        },
        patient: Patient::default(),
        notes: vec![Note {
            note_id: "n".into(),
            date,
            kind: None,
            author_role: None,
            text: text.into(),
        }],
    }
}

fn split_cpts(cell: &str) -> Vec<String> {
    cell.split([',', ';', ' ', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
