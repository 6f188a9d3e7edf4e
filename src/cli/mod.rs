//! Flags and dispatch.

mod eval;
mod explain;
mod model;
mod review;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use precert::lexicon::Lexicons;
use precert::Pipeline;
use std::path::PathBuf;

/// precert — reads clinical notes and pre-fills medical-necessity reviews for spine MRI.
#[derive(Parser, Debug)]
#[command(name = "precert", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Review cases: determination and reviewer worksheet per requested procedure.
    Review(ReviewArgs),
    /// Print one note's mentions with section, assertion, temporal value and region.
    Explain(ExplainArgs),
    /// Measure precert against annotated corpora: gold cases, brat, NegEx/ConText kits, i2b2 2010.
    Eval(EvalArgs),
    /// The mention model: write training examples, or describe the loaded model.
    #[command(subcommand)]
    Model(model::ModelCommand),
}

/// How evidence is read: which sources decide, and which engine runs the model.
#[derive(clap::Args, Debug, Clone)]
pub struct EvidenceArgs {
    /// Evidence sources: lexicon (rules only), model (lexicon candidates, model labels), or both (fused).
    #[arg(long, value_enum, default_value = "both")]
    evidence: precert::mentions::fusion::EvidenceMode,
    /// Engine for the model: auto prefers ONNX Runtime when its library is found, else tract.
    #[arg(long, value_enum, default_value = "auto")]
    backend: precert::model::backend::BackendChoice,
    /// Load precert-mention.onnx and tokenizer.json from this directory instead of the embedded model.
    #[arg(long)]
    model_dir: Option<PathBuf>,
    /// Fusion thresholds, for tuning on dev: e.g. override=0.95,veto=0.97,add=0.95,low=0.5.
    #[arg(long)]
    fusion: Option<String>,
}

/// Output formats of `review`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per case (an array when there are several), pretty-printed.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// One row per case and procedure.
    Csv,
    /// The reviewer worksheet.
    Md,
    /// The reviewer worksheet as a self-contained web page per case, with index.html (needs --out DIR).
    Html,
}

#[derive(clap::Args, Debug)]
pub struct ReviewArgs {
    /// Case JSON/JSONL, CSV, .txt notes, or directories of them.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// CPT codes for plain-text notes (e.g. 72148,72146).
    #[arg(long, value_delimiter = ',')]
    cpt: Vec<String>,
    /// Note and request date for plain-text notes (YYYY-MM-DD).
    #[arg(long)]
    date: Option<chrono::NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Write into this directory (one file per case for json/md/html, plus index.html for html;
    /// reviews.jsonl / reviews.csv otherwise).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Use the lexicons in this directory instead of the embedded ones.
    #[arg(long)]
    lexicons: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Write results in input order (default: as they complete).
    #[arg(long)]
    ordered: bool,
    /// Write every rejected record here, one JSON object per line (record number, where, case id,
    /// reason). Without it, rejects are named on stderr.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Continue an interrupted run: skip the cases already in --out (reviews.jsonl / reviews.csv, or
    /// per-case files), cutting off a last line left half-written.
    #[arg(long)]
    resume: bool,
    /// Reject notes longer than this many bytes.
    #[arg(long, default_value_t = precert::ingest::Limits::default().max_note_bytes)]
    max_note_bytes: usize,
    /// Reject JSONL lines, text files and JSON files longer than this many bytes (read no further).
    #[arg(long, default_value_t = precert::ingest::Limits::default().max_record_bytes)]
    max_record_bytes: usize,
    /// No progress line, even on a terminal (the final summary line is always printed).
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    evidence: EvidenceArgs,
}

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A plain-text note.
    note: PathBuf,
    /// The note's date, to normalise relative dates.
    #[arg(long)]
    date: Option<chrono::NaiveDate>,
    /// Use the lexicons in this directory instead of the embedded ones.
    #[arg(long)]
    lexicons: Option<PathBuf>,
    #[command(flatten)]
    evidence: EvidenceArgs,
}

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Gold cases (*.case.json, or a directory such as corpus/cases/dev), a brat directory, a NegEx or
    /// ConText kit / sentence-suite TSV, or an i2b2 2010 directory (.txt + .con + .ast).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Treat every input as this kind instead of detecting it: cases, brat, negex, context, sentences, i2b2.
    #[arg(long)]
    kind: Option<String>,
    /// Print JSON (every metric, table and error) instead of the report.
    #[arg(long)]
    json: bool,
    /// Exit 1 unless METRIC >= VALUE (e.g. cases.decision.accuracy=0.8). Repeatable.
    #[arg(long, value_name = "METRIC=VALUE")]
    fail_under: Vec<String>,
    /// Exit 1 unless METRIC <= VALUE (e.g. cases.conservative_weeks.mae=1.0). Repeatable.
    #[arg(long, value_name = "METRIC=VALUE")]
    fail_over: Vec<String>,
    /// Errors listed per section in the report (all of them are in --json).
    #[arg(long, default_value_t = 25)]
    errors: usize,
    /// Use the lexicons in this directory instead of the embedded ones.
    #[arg(long)]
    lexicons: Option<PathBuf>,
    #[command(flatten)]
    evidence: EvidenceArgs,
}

fn build_pipeline(lexicons: Option<&PathBuf>, ev: &EvidenceArgs) -> Result<Pipeline> {
    use precert::mentions::fusion::EvidenceMode;
    use precert::model::MentionModel;
    let lex = match lexicons {
        Some(dir) => Lexicons::from_dir(dir)?,
        None => Lexicons::embedded(),
    };
    let pipeline = Pipeline::from_lexicons(&lex).context("cannot build the pipeline")?;
    if ev.evidence == EvidenceMode::Lexicon {
        return Ok(pipeline);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = match &ev.model_dir {
        Some(dir) => MentionModel::from_dir(dir, ev.backend, threads),
        None => MentionModel::embedded(ev.backend, threads),
    }
    .context("cannot load the mention model")?;
    if ev.backend == precert::model::backend::BackendChoice::Auto {
        eprintln!(
            "precert (info): mention model on {} (loaded in {:.2} s)",
            model.backend_name(),
            model.load_seconds
        );
    }
    let mut t = precert::mentions::fusion::Thresholds::default();
    if let Some(spec) = &ev.fusion {
        t = t.with_spec(spec)?;
    }
    Ok(pipeline.with_model(model, ev.evidence).with_thresholds(t))
}

/// Parses the command line and runs it; returns the exit code.
pub fn run() -> Result<i32> {
    let cli = Cli::parse();
    match cli.command {
        Command::Review(args) => review::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Model(cmd) => model::run(cmd),
    }
}
