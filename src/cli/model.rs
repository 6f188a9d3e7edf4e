//! `precert model examples …` writes the mention model's training rows; `precert model info` loads the
//! model and says what it is, where it runs and how long loading took.

use super::EvidenceArgs;
use anyhow::Result;
use precert::model::examples::ExampleSet;
use precert::Pipeline;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum ModelCommand {
    /// Write training examples (JSONL) for models/train/train.py.
    Examples {
        /// brat directories for the train split.
        #[arg(long = "train-brat")]
        train_brat: Vec<PathBuf>,
        /// Augmentation JSONL files or directories (train split only).
        #[arg(long)]
        augment: Vec<PathBuf>,
        /// brat directories for the dev split (reported during training, never trained on).
        #[arg(long = "dev-brat")]
        dev_brat: Vec<PathBuf>,
        /// Case inputs (files, directories, archives) whose model inputs are written unlabelled, split
        /// `unlabeled`: the transfer set for models/train/distill.py.
        #[arg(long)]
        unlabeled: Vec<PathBuf>,
        /// Output file.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Load the model and print its hash, backend and load time.
    Info {
        #[command(flatten)]
        evidence: EvidenceArgs,
    },
}

pub fn run(cmd: ModelCommand) -> Result<i32> {
    match cmd {
        ModelCommand::Examples {
            train_brat,
            augment,
            dev_brat,
            unlabeled,
            out,
        } => {
            // Candidates are what the lexicon layer proposes, so examples come from the rules-only pipeline.
            let pipeline = Pipeline::new()?;
            let mut set = ExampleSet::default();
            for d in &train_brat {
                set.add_brat(&pipeline, d, "train")?;
            }
            for a in &augment {
                set.add_augment(&pipeline, a, "train")?;
            }
            for d in &dev_brat {
                set.add_brat(&pipeline, d, "dev")?;
            }
            if !unlabeled.is_empty() {
                set.add_unlabeled(&pipeline, &unlabeled)?;
            }
            let mut w = std::io::BufWriter::new(std::fs::File::create(&out)?);
            for e in &set.examples {
                serde_json::to_writer(&mut w, e)?;
                writeln!(w)?;
            }
            w.flush()?;
            let n = |s: &str| set.examples.iter().filter(|e| e.split == s).count();
            eprintln!(
                "precert: {} examples (train {}, dev {}, unlabeled {}) → {}",
                set.examples.len(),
                n("train"),
                n("dev"),
                n("unlabeled"),
                out.display()
            );
            Ok(0)
        }
        ModelCommand::Info { evidence } => {
            let pipeline = super::build_pipeline(None, &evidence)?;
            let p = pipeline.provenance();
            let mut out = std::io::stdout().lock();
            match pipeline.model() {
                Some(m) => writeln!(
                    out,
                    "model sha256 {}\nbackend {}\nload_seconds {:.3}\nevidence {:?}\nthresholds {}",
                    m.sha256(),
                    m.backend_name(),
                    m.load_seconds,
                    p.evidence,
                    serde_json::to_string(pipeline.thresholds())?
                )?,
                None => writeln!(out, "no model in use (--evidence lexicon)")?,
            }
            Ok(0)
        }
    }
}
