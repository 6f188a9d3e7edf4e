//! Streaming reader: input paths → one [`Case`] or [`Reject`] at a time.
//!
//! Memory holds the current record (a JSONL line, a CSV case's rows, a text file), never the archive:
//! files are opened one after another, gzip is decoded as it is read, and a JSONL line longer than
//! [`Limits::max_record_bytes`] is skipped without being buffered past that limit. A `.json` file is the
//! exception (a JSON array cannot be cut into records without parsing it): it is read whole, up to the
//! same limit.

use super::{
    case_from_value, parse_case_with, split_cpts, validate, Case, Limits, Note, Patient, Procedure,
    Reject, Request, TextOptions,
};
use chrono::NaiveDate;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Opens a stream over `paths`. Directories are expanded to the files they hold whose format is known
/// (`.txt .json .jsonl .ndjson .csv`, each optionally `.gz`), sorted by name, not recursively.
pub fn stream(paths: &[PathBuf], opts: &TextOptions) -> Records {
    Records {
        inputs: paths.iter().cloned().collect(),
        source: None,
        pending: VecDeque::new(),
        opts: opts.clone(),
        bytes_read: Arc::new(AtomicU64::new(0)),
        line: Vec::new(),
    }
}

/// The stream: an iterator of records, in input order.
pub struct Records {
    inputs: VecDeque<PathBuf>,
    source: Option<Source>,
    pending: VecDeque<Result<Case, Reject>>,
    opts: TextOptions,
    bytes_read: Arc<AtomicU64>,
    line: Vec<u8>,
}

impl Records {
    /// A counter of the input bytes read so far (compressed bytes for gzip files), shared with a progress
    /// display on another thread.
    pub fn bytes_read(&self) -> Arc<AtomicU64> {
        self.bytes_read.clone()
    }

    /// The total size of the inputs on disk (files, and the readable files of directories), for an ETA.
    pub fn total_bytes(&self) -> u64 {
        self.inputs
            .iter()
            .map(|p| {
                if p.is_dir() {
                    list_dir(p)
                        .map(|fs| fs.iter().map(|f| file_len(f)).sum())
                        .unwrap_or(0)
                } else {
                    file_len(p)
                }
            })
            .sum()
    }
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// The input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Jsonl,
    Json,
    Csv,
    Txt,
}

enum Source {
    Jsonl {
        name: String,
        reader: Box<dyn BufRead + Send>,
        line: u64,
    },
    Csv(Box<CsvSource>),
}

impl Iterator for Records {
    type Item = Result<Case, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Some(r);
            }
            match &mut self.source {
                Some(Source::Jsonl { name, reader, line }) => {
                    match next_jsonl(reader, name, line, &mut self.line, &self.opts.limits) {
                        Some(r) => return Some(r),
                        None => self.source = None,
                    }
                }
                Some(Source::Csv(csv)) => match csv.next(&self.opts.limits) {
                    Some(r) => return Some(r),
                    None => self.source = None,
                },
                None => {
                    let path = self.inputs.pop_front()?;
                    self.open(path);
                }
            }
        }
    }
}

impl Records {
    /// A file's reader (counting its bytes, gzip decoded when its first bytes say so) and its format (by
    /// name, else by its first decoded bytes).
    fn reader(&self, path: &Path) -> Result<(Box<dyn BufRead + Send>, Format), String> {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read file: {e}"))?;
        let counted = Counting {
            inner: file,
            count: self.bytes_read.clone(),
        };
        let mut reader: Box<dyn BufRead + Send> =
            Box::new(BufReader::with_capacity(1 << 16, counted));
        // Gzip by content: the two magic bytes, whatever the file is called.
        if let [0x1f, 0x8b, ..] = reader
            .fill_buf()
            .map_err(|e| format!("cannot read file: {e}"))?
        {
            reader = Box::new(BufReader::with_capacity(
                1 << 16,
                flate2::bufread::MultiGzDecoder::new(reader),
            ));
        }
        let format = match format_by_name(path) {
            Some(f) => f,
            None => sniff(
                reader
                    .fill_buf()
                    .map_err(|e| format!("cannot decompress: {e}"))?,
            ),
        };
        Ok((reader, format))
    }

    /// Opens the next input: expands a directory, or starts reading a file (texts and JSON files yield
    /// their records at once into `pending`).
    fn open(&mut self, path: PathBuf) {
        let name = path.display().to_string();
        if path.is_dir() {
            match list_dir(&path) {
                Ok(files) => {
                    for f in files.into_iter().rev() {
                        self.inputs.push_front(f);
                    }
                }
                Err(e) => self.pending.push_back(Err(Reject::new(
                    name,
                    None,
                    format!("cannot read directory: {e}"),
                ))),
            }
            return;
        }
        let (reader, format) = match self.reader(&path) {
            Ok(r) => r,
            Err(reason) => {
                self.pending.push_back(Err(Reject::new(name, None, reason)));
                return;
            }
        };
        let limits = self.opts.limits;
        match format {
            Format::Jsonl => {
                self.source = Some(Source::Jsonl {
                    name,
                    reader,
                    line: 0,
                })
            }
            Format::Csv => self.source = Some(Source::Csv(Box::new(CsvSource::new(name, reader)))),
            Format::Json => match read_capped(reader, limits.max_record_bytes) {
                Ok(bytes) => self.pending.extend(read_json(&name, &bytes, &limits)),
                Err(reason) => self.pending.push_back(Err(Reject::new(name, None, reason))),
            },
            Format::Txt => {
                let r = read_capped(reader, limits.max_record_bytes)
                    .map_err(|reason| Reject::new(&name, Some(stem(&path)), reason))
                    .and_then(|bytes| read_txt(&path, &name, &bytes, &self.opts));
                self.pending.push_back(r);
            }
        }
    }
}

/// Counts the bytes read from a file into a shared counter (progress and MB/s).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn list_dir(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && format_by_name(p).is_some())
        .collect();
    files.sort();
    Ok(files)
}

/// The format a file name declares, looking through a `.gz` suffix.
fn format_by_name(p: &Path) -> Option<Format> {
    let name = p.file_name()?.to_str()?.to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let ext = name.rsplit_once('.')?.1;
    match ext {
        "jsonl" | "ndjson" => Some(Format::Jsonl),
        "json" => Some(Format::Json),
        "csv" => Some(Format::Csv),
        "txt" => Some(Format::Txt),
        _ => None,
    }
}

/// The format of an unnamed input, from its first bytes.
fn sniff(head: &[u8]) -> Format {
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(b"");
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Format::Jsonl,
        Some(b'[') => Format::Json,
        _ if first_line
            .windows(8)
            .any(|w| w.eq_ignore_ascii_case(b"case_id,"))
            || first_line.ends_with(b",case_id") =>
        {
            Format::Csv
        }
        _ => Format::Txt,
    }
}

/// Reads a whole input up to `cap` bytes; over it, says so (and stops reading).
fn read_capped(reader: impl Read, cap: usize) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(cap as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > cap {
        return Err(format!(
            "larger than the {cap}-byte record limit (--max-record-bytes)"
        ));
    }
    Ok(bytes)
}

fn stem(path: &Path) -> String {
    let name = path.file_name().and_then(|s| s.to_str()).unwrap_or("note");
    let name = name.strip_suffix(".gz").unwrap_or(name);
    Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("note")
        .to_string()
}

/// Reads one line into `buf`, keeping at most `cap` bytes of it. Returns the line's full length (without
/// the newline), or `None` at the end of input.
fn read_line_capped(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let avail = reader.fill_buf()?;
        if avail.is_empty() {
            return Ok(any.then_some(total));
        }
        any = true;
        let (take, newline) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (avail.len(), false),
        };
        let room = cap.saturating_sub(buf.len()).min(take);
        buf.extend_from_slice(&avail[..room]);
        total += take;
        reader.consume(take + usize::from(newline));
        if newline {
            return Ok(Some(total));
        }
    }
}

fn next_jsonl(
    reader: &mut Box<dyn BufRead + Send>,
    name: &str,
    line: &mut u64,
    buf: &mut Vec<u8>,
    limits: &Limits,
) -> Option<Result<Case, Reject>> {
    loop {
        *line += 1;
        let record = format!("{name}:{line}");
        let len = match read_line_capped(reader.as_mut(), buf, limits.max_record_bytes) {
            Ok(Some(len)) => len,
            Ok(None) => return None,
            Err(e) => {
                // A read error (a truncated or corrupt gzip stream, say) ends this file: the rest of it
                // cannot be found again. The reject names the line where it happened.
                *reader = Box::new(std::io::empty());
                return Some(Err(Reject::new(
                    record,
                    None,
                    format!("cannot read past this line: {e}"),
                )
                .at_line(Some(*line))));
            }
        };
        if len > limits.max_record_bytes {
            return Some(Err(Reject::new(
                record,
                None,
                format!(
                    "line is {len} bytes, over the {}-byte record limit (--max-record-bytes)",
                    limits.max_record_bytes
                ),
            )
            .at_line(Some(*line))));
        }
        let bytes = buf.strip_suffix(b"\r").unwrap_or(buf);
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let r = match std::str::from_utf8(bytes) {
            Ok(text) => parse_case_with(&record, text, limits),
            Err(e) => Err(Reject::new(&record, None, format!("invalid UTF-8: {e}"))),
        };
        return Some(r.map_err(|e| e.at_line(Some(*line))));
    }
}

fn read_json(name: &str, bytes: &[u8], limits: &Limits) -> Vec<Result<Case, Reject>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return vec![Err(Reject::new(name, None, format!("invalid UTF-8: {e}")))],
    };
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| case_from_value(&format!("{name}[{i}]"), v, limits))
            .collect(),
        Ok(v) => vec![case_from_value(name, v, limits)],
        Err(e) => vec![Err(Reject::new(name, None, format!("malformed JSON: {e}")))],
    }
}

fn read_txt(path: &Path, name: &str, bytes: &[u8], opts: &TextOptions) -> Result<Case, Reject> {
    let stem = stem(path);
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Reject::new(name, Some(stem.clone()), format!("invalid UTF-8: {e}")))?;
    if opts.cpts.is_empty() {
        return Err(Reject::new(
            name,
            Some(stem),
            "a plain-text note needs --cpt",
        ));
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
    validate(name, case, &opts.limits)
}

/// Column positions of a CSV archive.
struct Columns {
    case: usize,
    note: usize,
    text: usize,
    cpt: usize,
    date: Option<usize>,
    kind: Option<usize>,
}

/// The case being assembled from consecutive rows: the case, where it started, and the first bad row's
/// reason (a case with a bad row is rejected whole: a review on part of its notes would be wrong).
struct Building {
    case: Case,
    record: String,
    line: u64,
    bad: Option<String>,
}

struct CsvSource {
    name: String,
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    columns: Option<Columns>,
    header_done: bool,
    current: Option<Building>,
    row: csv::ByteRecord,
    /// A bad row read while a case was in progress: it follows that case out.
    queued: Option<Reject>,
    done: bool,
}

impl CsvSource {
    fn new(name: String, reader: Box<dyn BufRead + Send>) -> Self {
        CsvSource {
            name,
            reader: csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(false)
                .from_reader(reader),
            columns: None,
            header_done: false,
            current: None,
            row: csv::ByteRecord::new(),
            queued: None,
            done: false,
        }
    }

    fn finish(&mut self, limits: &Limits) -> Option<Result<Case, Reject>> {
        finish(&mut self.current, limits)
    }

    fn next(&mut self, limits: &Limits) -> Option<Result<Case, Reject>> {
        if let Some(r) = self.queued.take() {
            return Some(Err(r));
        }
        if self.done {
            return None;
        }
        if !self.header_done {
            self.header_done = true;
            match self.reader.read_byte_record(&mut self.row) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return Some(Err(Reject::new(&self.name, None, "empty CSV file")));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(Reject::new(
                        &self.name,
                        None,
                        format!("cannot read CSV header: {e}"),
                    )));
                }
            }
            let col = |n: &str| {
                self.row
                    .iter()
                    .position(|h| h.trim_ascii().eq_ignore_ascii_case(n.as_bytes()))
            };
            match (col("case_id"), col("note_id"), col("text"), col("cpt")) {
                (Some(case), Some(note), Some(text), Some(cpt)) => {
                    self.columns = Some(Columns {
                        case,
                        note,
                        text,
                        cpt,
                        date: col("date"),
                        kind: col("kind"),
                    })
                }
                _ => {
                    self.done = true;
                    return Some(Err(Reject::new(
                        &self.name,
                        None,
                        "CSV needs columns case_id, note_id, text, cpt (and optionally date, kind)",
                    )));
                }
            }
        }
        loop {
            let read = self.reader.read_byte_record(&mut self.row);
            let line = self.row.position().map_or(0, |p| p.line());
            let record = format!("{}:{line}", self.name);
            match read {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return self.finish(limits);
                }
                Err(e) => {
                    // The csv reader goes on after a bad row; this one becomes its own reject, after the
                    // case in progress (which it cannot belong to: its case id is unreadable).
                    let reject = Reject::new(record, None, format!("bad CSV row: {e}"))
                        .at_line(e.position().map(|p| p.line()));
                    return match self.finish(limits) {
                        Some(finished) => {
                            self.queued = Some(reject);
                            Some(finished)
                        }
                        None => Some(Err(reject)),
                    };
                }
            }
            let cols = self.columns.as_ref().expect("header read");
            let needed = [cols.case, cols.note, cols.text, cols.cpt]
                .into_iter()
                .chain(cols.date)
                .chain(cols.kind)
                .max()
                .unwrap_or(0);
            let field = |c: usize| -> Result<String, String> {
                let b = self.row.get(c).ok_or_else(|| {
                    format!(
                        "row has {} fields, the header names {}",
                        self.row.len(),
                        needed + 1
                    )
                })?;
                std::str::from_utf8(b)
                    .map(str::to_string)
                    .map_err(|e| format!("invalid UTF-8 in column {}: {e}", c + 1))
            };
            let case_id = field(cols.case).unwrap_or_default();
            let same = self
                .current
                .as_ref()
                .is_some_and(|b| b.case.case_id == case_id);
            let mut finished = None;
            if !same {
                finished = finish(&mut self.current, limits);
                self.current = Some(Building {
                    case: empty_case(case_id),
                    record: record.clone(),
                    line,
                    bad: None,
                });
            }
            let parsed = parse_row(
                cols,
                &field,
                &mut self.current.as_mut().expect("current").case,
            );
            let b = self.current.as_mut().expect("current");
            match parsed {
                Ok(note) => b.case.notes.push(note),
                Err(reason) => {
                    if b.bad.is_none() {
                        b.bad = Some(format!("{record}: {reason}"));
                    }
                }
            }
            if finished.is_some() {
                return finished;
            }
        }
    }
}

/// The case in progress, validated (or rejected for its first bad row).
fn finish(current: &mut Option<Building>, limits: &Limits) -> Option<Result<Case, Reject>> {
    let b = current.take()?;
    Some(
        match b.bad {
            Some(reason) => Err(Reject::new(b.record, Some(b.case.case_id), reason)),
            None => validate(&b.record, b.case, limits),
        }
        .map_err(|e| e.at_line(Some(b.line))),
    )
}

fn empty_case(case_id: String) -> Case {
    Case {
        case_id,
        request: Request::default(),
        patient: Patient::default(),
        notes: vec![],
    }
}

fn parse_row(
    cols: &Columns,
    field: &dyn Fn(usize) -> Result<String, String>,
    case: &mut Case,
) -> Result<Note, String> {
    let text = field(cols.text)?;
    let date = match cols
        .date
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
    for cpt in split_cpts(&field(cols.cpt)?) {
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
        note_id: field(cols.note)?,
        date,
        kind: cols.kind.map(field).transpose()?,
        author_role: None,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn records(name: &str, bytes: &[u8]) -> Vec<Result<Case, Reject>> {
        let dir = std::env::temp_dir().join(format!(
            "precert-stream-{}-{}",
            std::process::id(),
            name.replace('.', "_")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let opts = TextOptions {
            cpts: vec!["72148".into()],
            ..TextOptions::default()
        };
        let out: Vec<_> = stream(&[path], &opts).collect();
        std::fs::remove_dir_all(&dir).ok();
        out
    }

    const GOOD: &str = r#"{"case_id":"a","request":{"date":"2026-10-01","procedures":[{"cpt":"72148"}]},"notes":[{"note_id":"n","text":"LBP","extra":1}],"gold":{}}"#;

    #[test]
    fn jsonl_rejects_are_per_line() {
        let input = format!("{GOOD}\n{{not json\n\n{}\n", GOOD.replace("72148", "70551"));
        let got = records("x.jsonl", input.as_bytes());
        assert_eq!(got.len(), 3);
        assert!(got[0].is_ok());
        let e1 = got[1].clone().unwrap_err();
        assert!(e1.record.ends_with("x.jsonl:2"), "{}", e1.record);
        assert_eq!(e1.line, Some(2));
        assert!(e1.reason.starts_with("malformed JSON"));
        let e2 = got[2].clone().unwrap_err();
        assert_eq!(e2.case_id.as_deref(), Some("a"));
        assert_eq!(e2.line, Some(4));
        assert!(e2.reason.contains("70551"));
    }

    #[test]
    fn gzip_is_recognised_by_content_not_name() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(format!("{GOOD}\n{GOOD}\n").as_bytes())
            .unwrap();
        let bytes = gz.finish().unwrap();
        // Named .jsonl (no .gz), and with no extension at all: both are decoded and read as JSONL.
        assert_eq!(
            records("a.jsonl", &bytes)
                .iter()
                .filter(|r| r.is_ok())
                .count(),
            2
        );
        assert_eq!(
            records("archive", &bytes)
                .iter()
                .filter(|r| r.is_ok())
                .count(),
            2
        );
        assert_eq!(
            records("a.jsonl.gz", &bytes)
                .iter()
                .filter(|r| r.is_ok())
                .count(),
            2
        );
    }

    #[test]
    fn corrupt_gzip_is_one_reject_not_a_panic() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for _ in 0..200 {
            gz.write_all(format!("{GOOD}\n").as_bytes()).unwrap();
        }
        let mut bytes = gz.finish().unwrap();
        let n = bytes.len();
        bytes.truncate(n / 2);
        let got = records("c.jsonl.gz", &bytes);
        let rejects: Vec<_> = got.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(rejects.len(), 1, "{rejects:?}");
        assert!(rejects[0].reason.contains("cannot read"), "{}", rejects[0]);
    }

    #[test]
    fn long_lines_are_skipped_without_buffering() {
        let mut r: &[u8] = b"abcdefghij\nxy\n";
        let mut buf = Vec::new();
        assert_eq!(read_line_capped(&mut r, &mut buf, 4).unwrap(), Some(10));
        assert_eq!(buf, b"abcd");
        assert_eq!(read_line_capped(&mut r, &mut buf, 4).unwrap(), Some(2));
        assert_eq!(buf, b"xy");
        assert_eq!(read_line_capped(&mut r, &mut buf, 4).unwrap(), None);
    }

    #[test]
    fn csv_groups_rows_and_keeps_multiline_text() {
        let csv = "case_id,note_id,date,kind,text,cpt\nc1,n1,2026-08-03,pt,\"line one\nline two\",72148\nc1,n2,2026-09-28,progress,second,\"72148,72146\"\nc2,n1,bad-date,x,t,72148\nc3,n1,,x\n";
        let got = records("x.csv", csv.as_bytes());
        assert_eq!(got.len(), 3);
        let c1 = got[0].clone().unwrap();
        assert_eq!(c1.notes.len(), 2);
        assert_eq!(c1.notes[0].text, "line one\nline two");
        assert_eq!(c1.request.procedures.len(), 2);
        assert_eq!(c1.request.date, NaiveDate::from_ymd_opt(2026, 9, 28));
        let r = got[1].clone().unwrap_err();
        assert!(r.reason.contains("bad date"), "{r}");
        assert_eq!(r.line, Some(5));
        let r = got[2].clone().unwrap_err();
        assert!(r.reason.contains("row has 4 fields"), "{r}");
    }

    #[test]
    fn formats_are_sniffed_when_the_name_says_nothing() {
        assert_eq!(sniff(b"  {\"case_id\""), Format::Jsonl);
        assert_eq!(sniff(b"[{"), Format::Json);
        assert_eq!(sniff(b"case_id,note_id,text,cpt\n"), Format::Csv);
        assert_eq!(sniff(b"HPI: low back pain"), Format::Txt);
    }
}
