//! `precert review INPUT... [--format json|jsonl|csv|md|html] [--out DIR] [--rejects FILE] [--ordered] [--resume] [--jobs N]`
//!
//! Streams every input through [`precert::bulk`]: cases are read one at a time, reviewed by `--jobs`
//! rayon workers, rendered on the worker, and written by this thread as they complete (`--ordered`: in
//! input order). Every record ends as an output record or a reject (`--rejects FILE`, JSONL; else on
//! stderr). A summary line always ends the run on stderr, and a progress line runs above it when stderr is
//! a terminal. Exit code 1 when any record was rejected.

use super::{build_pipeline, Format, ReviewArgs};
use anyhow::{bail, Context, Result};
use precert::bulk::{self, Outcome};
use precert::ingest::{stream, Limits, Reject, TextOptions};
use precert::report::{self, html, markdown};
use precert::{Pipeline, Review};
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Seek, Write};
use std::path::{Path, PathBuf};

/// Rejects named on stderr when they also go to a `--rejects` file; the rest are only counted there.
const STDERR_REJECTS: usize = 10;

pub fn run(args: ReviewArgs) -> Result<i32> {
    if args.format == Format::Html && args.out.is_none() {
        bail!("--format html writes one page per case and an index.html: give --out DIR");
    }
    if args.resume && args.format == Format::Html {
        bail!("--resume works with jsonl, csv, json and md output (the html index lists one run)");
    }
    if args.resume && args.out.is_none() {
        bail!("--resume needs --out DIR (it skips the cases already written there)");
    }
    let pipeline = build_pipeline(args.lexicons.as_ref(), &args.evidence)?;
    let opts = TextOptions {
        cpts: args.cpt.clone(),
        date: args.date,
        limits: Limits {
            max_note_bytes: args.max_note_bytes,
            max_record_bytes: args.max_record_bytes,
        },
    };
    let records = stream(&args.inputs, &opts);
    let mut sink = Sink::open(&args)?;
    let mut rejects = match &args.rejects {
        Some(path) => {
            Some(BufWriter::new(File::create(path).with_context(|| {
                format!("cannot write {}", path.display())
            })?))
        }
        None => None,
    };
    let progress = Progress::start(&args, &records);
    let format = args.format;
    let work = |case: &precert::ingest::Case| render(&pipeline, format, case);
    let already = sink.done.take().unwrap_or_default();
    let skip = |case: &precert::ingest::Case| already.contains(&case.case_id);
    let mut named = 0usize;
    let summary = bulk::run(
        records,
        &bulk::Options::new(args.jobs.unwrap_or(0), args.ordered),
        &skip,
        &work,
        |outcome| -> Result<()> {
            progress.tick(&outcome);
            match outcome {
                Outcome::Done {
                    seq,
                    case_id,
                    output,
                    ..
                } => sink.write(seq, &case_id, output?),
                Outcome::Rejected { seq, reject } => {
                    if rejects.is_none() || named < STDERR_REJECTS {
                        progress.println(&format!("precert: rejected {reject}"));
                        named += 1;
                    }
                    if let Some(w) = &mut rejects {
                        write_reject(w, seq, &reject)?;
                    }
                    Ok(())
                }
                Outcome::Skipped { .. } => Ok(()),
            }
        },
    )?;
    sink.finish()?;
    if let Some(mut w) = rejects {
        w.flush()?;
    }
    progress.finish();
    if summary.rejected as usize > named {
        eprintln!(
            "precert: {} more rejects in {}",
            summary.rejected as usize - named,
            args.rejects
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string())
        );
    }
    eprintln!("precert: {summary}");
    if let Some(model) = pipeline.model() {
        let st = model.stats();
        eprintln!(
            "precert: mention model on {}: {} distinct inputs, {} answered from the cache, {} classified",
            model.backend_name(),
            st.asked,
            st.cached,
            st.classified
        );
    }
    Ok(if summary.rejected > 0 { 1 } else { 0 })
}

/// One reject as a JSONL line: record number (1-based, in input order), where, case id, reason.
fn write_reject(w: &mut impl Write, seq: u64, r: &Reject) -> Result<()> {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        record_number: u64,
        #[serde(flatten)]
        reject: &'a Reject,
    }
    serde_json::to_writer(
        &mut *w,
        &Line {
            record_number: seq + 1,
            reject: r,
        },
    )?;
    w.write_all(b"\n")?;
    Ok(())
}

/// A case rendered on the worker thread: the body, and for html its row in the index.
struct Rendered {
    body: Vec<u8>,
    index: Option<html::IndexRow>,
}

/// Reviews a case and renders it in the output format, on the worker thread.
fn render(pipeline: &Pipeline, format: Format, case: &precert::ingest::Case) -> Result<Rendered> {
    if format == Format::Html {
        // The worksheet highlights every mention of the notes: it needs the analysis behind the review.
        let (review, analysis) = pipeline.review_with_analysis(case);
        return Ok(Rendered {
            body: html::worksheet(&review, &analysis).into_bytes(),
            index: Some(html::IndexRow::new(&review)),
        });
    }
    let review = pipeline.review(case);
    let body = match format {
        Format::Json => serde_json::to_vec_pretty(&review)?,
        Format::Jsonl => {
            let mut v = serde_json::to_vec(&review)?;
            v.push(b'\n');
            v
        }
        Format::Csv => csv_rows(&review)?,
        Format::Md => markdown::worksheet(&review).into_bytes(),
        Format::Html => unreachable!("html is rendered above"),
    };
    Ok(Rendered { body, index: None })
}

fn csv_rows(review: &Review) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for row in report::csv_rows(review) {
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn csv_header() -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(report::CSV_HEADER)?;
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// A case id made safe as a file name.
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

/// Where rendered reviews go.
struct Sink {
    format: Format,
    target: Target,
    /// Case ids already in the output (`--resume`), handed to the skip test.
    done: Option<HashSet<String>>,
    /// Stdout JSON: the first review is held back, so a single case prints as an object and several
    /// as an array.
    json_items: usize,
    held: Option<Vec<u8>>,
    /// `--format html`: the index rows, written to index.html at the end.
    index: Vec<(u64, html::IndexRow)>,
}

enum Target {
    Stdout(BufWriter<std::io::Stdout>),
    /// One stream file (reviews.jsonl / reviews.csv).
    Stream(BufWriter<File>),
    /// One file per case (json, md).
    Files(PathBuf),
}

impl Sink {
    fn open(args: &ReviewArgs) -> Result<Sink> {
        let format = args.format;
        let mut done = None;
        let target = match &args.out {
            None => {
                let mut out = BufWriter::new(std::io::stdout());
                if format == Format::Csv {
                    out.write_all(&csv_header()?)?;
                }
                Target::Stdout(out)
            }
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                match format {
                    Format::Jsonl | Format::Csv => {
                        let path = dir.join(if format == Format::Jsonl {
                            "reviews.jsonl"
                        } else {
                            "reviews.csv"
                        });
                        let (file, ids) = if args.resume {
                            resume_stream(&path, format)?
                        } else {
                            (File::create(&path), HashSet::new())
                        };
                        let mut file = BufWriter::new(
                            file.with_context(|| format!("cannot write {}", path.display()))?,
                        );
                        if format == Format::Csv && file.get_ref().metadata()?.len() == 0 {
                            file.write_all(&csv_header()?)?;
                        }
                        if args.resume {
                            done = Some(ids);
                        }
                        Target::Stream(file)
                    }
                    Format::Json | Format::Md | Format::Html => {
                        if args.resume {
                            done = Some(resume_files(dir, format)?);
                        }
                        Target::Files(dir.clone())
                    }
                }
            }
        };
        Ok(Sink {
            format,
            target,
            done,
            json_items: 0,
            held: None,
            index: Vec::new(),
        })
    }

    fn write(&mut self, seq: u64, case_id: &str, rendered: Rendered) -> Result<()> {
        let body = rendered.body;
        match &mut self.target {
            Target::Stream(w) => w.write_all(&body)?,
            Target::Files(dir) => {
                let (ext, path) = match (self.format, rendered.index) {
                    (Format::Html, Some(row)) => {
                        let path = dir.join(&row.file);
                        self.index.push((seq, row));
                        ("html", path)
                    }
                    (Format::Json, _) => ("json", dir.join(file_name(case_id, "json"))),
                    _ => ("md", dir.join(file_name(case_id, "md"))),
                };
                // Write then rename: an interrupted run never leaves a half file that --resume would
                // take for a finished case.
                let tmp = path.with_extension(format!("{ext}.part"));
                std::fs::write(&tmp, &body)
                    .and_then(|_| std::fs::rename(&tmp, &path))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Target::Stdout(out) => match self.format {
                Format::Json => {
                    self.json_items += 1;
                    match self.json_items {
                        1 => self.held = Some(body),
                        2 => {
                            out.write_all(b"[\n")?;
                            out.write_all(&self.held.take().unwrap_or_default())?;
                            out.write_all(b",\n")?;
                            out.write_all(&body)?;
                        }
                        _ => {
                            out.write_all(b",\n")?;
                            out.write_all(&body)?;
                        }
                    }
                }
                Format::Md => {
                    if self.json_items > 0 {
                        out.write_all(b"\n---\n\n")?;
                    }
                    self.json_items += 1;
                    out.write_all(&body)?;
                }
                _ => out.write_all(&body)?,
            },
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        match &mut self.target {
            Target::Stdout(out) => {
                if self.format == Format::Json {
                    match self.json_items {
                        0 => out.write_all(b"[]\n")?,
                        1 => {
                            out.write_all(&self.held.take().unwrap_or_default())?;
                            out.write_all(b"\n")?;
                        }
                        _ => out.write_all(b"\n]\n")?,
                    }
                }
                out.flush()?;
            }
            Target::Stream(w) => w.flush()?,
            Target::Files(dir) => {
                if self.format == Format::Html {
                    // In input order, whatever order the pages were written in.
                    let mut rows = std::mem::take(&mut self.index);
                    rows.sort_by_key(|(seq, _)| *seq);
                    html::write_index(dir, &rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>())
                        .with_context(|| format!("cannot write {}/index.html", dir.display()))?;
                }
            }
        }
        Ok(())
    }
}

/// Opens an interrupted run's stream output for appending: reads the case ids of its complete lines
/// (or CSV rows) and cuts off a last line that was cut short.
fn resume_stream(path: &Path, format: Format) -> Result<(std::io::Result<File>, HashSet<String>)> {
    let mut ids = HashSet::new();
    if !path.exists() {
        return Ok((File::create(path), ids));
    }
    let mut complete = 0u64;
    {
        let mut reader = BufReader::new(File::open(path)?);
        let mut line = Vec::new();
        let mut first = true;
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            let is_header = first && format == Format::Csv;
            first = false;
            let id = if is_header {
                None
            } else if format == Format::Jsonl {
                serde_json::from_slice::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v.get("case_id")?.as_str().map(str::to_string))
            } else {
                csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(&line[..])
                    .records()
                    .next()
                    .and_then(|r| r.ok())
                    .and_then(|r| r.get(0).map(str::to_string))
            };
            if !is_header && id.is_none() {
                // A line that does not parse is where the last run was cut: keep what precedes it.
                break;
            }
            ids.extend(id);
            complete += n as u64;
        }
    }
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.set_len(complete)?;
    file.seek(std::io::SeekFrom::End(0))?;
    Ok((Ok(file), ids))
}

/// The case ids of a per-case output directory (json / md files, not `.part` leftovers).
fn resume_files(dir: &Path, format: Format) -> Result<HashSet<String>> {
    let ext = if format == Format::Json { "json" } else { "md" };
    let mut ids = HashSet::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some(ext) {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                ids.insert(stem.to_string());
            }
        }
    }
    Ok(ids)
}

/// The progress line (indicatif) when stderr is a terminal; silent otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    done: std::cell::Cell<u64>,
    rejected: std::cell::Cell<u64>,
}

impl Progress {
    fn start(args: &ReviewArgs, records: &precert::ingest::Records) -> Progress {
        if args.quiet || !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                done: Default::default(),
                rejected: Default::default(),
            };
        }
        let total = records.total_bytes();
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, ETA {eta}) {msg}",
            )
            .expect("progress template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        let counter = records.bytes_read();
        let b = bar.clone();
        // The input position is read by a small thread, so the bar moves even between results.
        std::thread::spawn(move || {
            while !b.is_finished() {
                b.set_position(counter.load(std::sync::atomic::Ordering::Relaxed));
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        Progress {
            bar: Some(bar),
            done: Default::default(),
            rejected: Default::default(),
        }
    }

    fn tick<R>(&self, o: &Outcome<R>) {
        if let Some(bar) = &self.bar {
            match o {
                Outcome::Rejected { .. } => self.rejected.set(self.rejected.get() + 1),
                _ => self.done.set(self.done.get() + 1),
            }
            let (done, rejected) = (self.done.get(), self.rejected.get());
            if (done + rejected) % 64 == 0 {
                let secs = bar.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(format!(
                    "{done} cases ({:.0}/s), {rejected} rejected",
                    done as f64 / secs
                ));
            }
        }
    }

    fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
