//! Benchmark archives: N cases recombined from the project's corpus notes — for measuring speed and
//! memory only, never accuracy (a recombined case has no gold answer).
//!
//! Each case takes 1 to 4 notes drawn (seeded, reproducible) from the corpus note pool, dated a few weeks
//! apart and requested as lumbar and/or thoracic MRI, which gives cases of the corpus's realistic size
//! and note mix. Notes repeat across the archive, as templated and copied-forward notes do in real ones;
//! a measurement of the model's cache should say so (precert's README quotes the model on MTSamples,
//! where they do not).

use crate::ingest::{Case, Note, Patient, Procedure, Request};
use chrono::{Duration, NaiveDate};

/// A small, seeded PRNG (xorshift64*): reproducible archives without a dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeds it (0 is mapped to a fixed non-zero state).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// The note texts of every `*.case.json` under `dirs` (recursively), in path order.
pub fn corpus_notes(dirs: &[std::path::PathBuf]) -> std::io::Result<Vec<String>> {
    let mut files = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = dirs.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p)? {
                stack.push(e?.path());
            }
        } else if p.to_string_lossy().ends_with(".case.json") {
            files.push(p);
        }
    }
    files.sort();
    let mut notes = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        if let Ok(case) = crate::ingest::parse_case(&f.display().to_string(), &text) {
            notes.extend(case.notes.into_iter().map(|n| n.text));
        }
    }
    Ok(notes)
}

/// The `i`-th case of the archive seeded with `seed`, built from `pool`.
pub fn case(pool: &[String], seed: u64, i: usize) -> Case {
    let mut rng = Rng::new(seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let n_notes = 1 + rng.below(4);
    let request =
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + Duration::days(rng.below(300) as i64);
    let notes: Vec<Note> = (0..n_notes)
        .map(|k| Note {
            note_id: format!("n{}", k + 1),
            date: Some(request - Duration::days(((n_notes - k) * 14 + rng.below(7)) as i64)),
            kind: Some(["progress", "pt", "ed", "consult"][rng.below(4)].to_string()),
            author_role: None,
            text: pool[rng.below(pool.len())].clone(),
        })
        .collect();
    let cpts: &[&str] = match rng.below(4) {
        0 => &["72148", "72146"],
        1 => &["72146"],
        _ => &["72148"],
    };
    Case {
        case_id: format!("synth-{i:07}"),
        request: Request {
            date: Some(request),
            procedures: cpts
                .iter()
                .map(|c| Procedure {
                    cpt: c.to_string(),
                    description: String::new(),
                })
                .collect(),
            diagnoses: vec![],
        },
        patient: Patient {
            age: Some(25 + rng.below(60) as u32),
            sex: Some(["F", "M"][rng.below(2)].to_string()),
        },
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_are_reproducible_and_valid() {
        let pool: Vec<String> = (0..10)
            .map(|i| format!("Low back pain note {i}."))
            .collect();
        let a: Vec<Case> = (0..50).map(|i| case(&pool, 7, i)).collect();
        let b: Vec<Case> = (0..50).map(|i| case(&pool, 7, i)).collect();
        assert_eq!(a, b);
        assert_ne!(a, (0..50).map(|i| case(&pool, 8, i)).collect::<Vec<_>>());
        for c in &a {
            let json = serde_json::to_string(c).unwrap();
            assert!(crate::ingest::parse_case("synth", &json).is_ok(), "{json}");
            assert!((1..=4).contains(&c.notes.len()));
        }
    }
}
