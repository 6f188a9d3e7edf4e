//! Bytes → the case parsers. Never a panic: every record is a `Case` or a `Reject`.
//!
//! * `parse_case` on the input as UTF-8 (one case object).
//! * `ingest::stream` on the input written to a temporary `.json`, `.jsonl` and `.csv` file (the JSON-array,
//!   JSONL and CSV readers are private to `ingest`; `stream` is their public entry point; gzip too).
//!
//! Every case accepted is then reviewed and checked like the `review` target does: what ingest accepts,
//! the pipeline must handle.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use precert::ingest::{self, Case, Reject, TextOptions};
use std::path::PathBuf;
use std::sync::OnceLock;

/// A per-process scratch directory (on tmpfs when there is one).
fn scratch() -> &'static PathBuf {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("precert-fuzz-ingest-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch dir");
        d
    })
}

fn check(results: Vec<Result<Case, Reject>>) {
    for r in results {
        match r {
            Ok(case) => {
                assert!(!case.notes.is_empty());
                assert!(case.notes.iter().all(|n| !n.text.trim().is_empty()));
                common::review_and_check(&case);
            }
            Err(reject) => {
                let _ = reject.to_string();
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(vec![ingest::parse_case("fuzz", text)]);
    }
    let opts = TextOptions {
        cpts: vec!["72148".into()],
        date: common::date(2026, 10, 1),
        ..TextOptions::default()
    };
    for ext in ["json", "jsonl", "csv", "txt"] {
        let path = scratch().join(format!("input.{ext}"));
        std::fs::write(&path, data).expect("write scratch file");
        check(ingest::stream(&[path.clone()], &opts).collect());
    }
});
