//! Note text → determination, rules only (no mention model).
//!
//! The input, read as UTF-8 (lossily: invalid bytes become U+FFFD, so multi-byte characters are
//! exercised), is split on the first 0x1E byte (ASCII record separator) into up to two notes of one case
//! requesting 72148 and 72146. Inputs whose length is a multiple of 3 are reviewed with no dates at all
//! (no note date, no request date: the fallbacks of temporal normalisation); the others with dated notes
//! and a request date. See `common::check_review` for the invariants.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

/// Splits one input into two notes.
const SEPARATOR: u8 = 0x1e;

fuzz_target!(|data: &[u8]| {
    let dated = data.len() % 3 != 0;
    let texts: Vec<String> = match data.iter().position(|&b| b == SEPARATOR) {
        Some(i) => vec![
            String::from_utf8_lossy(&data[..i]).into_owned(),
            String::from_utf8_lossy(&data[i + 1..]).into_owned(),
        ],
        None => vec![String::from_utf8_lossy(data).into_owned()],
    };
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    if let Some(case) = common::case_of(&texts, dated) {
        common::review_and_check(&case);
    }
});
