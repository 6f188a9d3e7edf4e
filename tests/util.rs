//! Helpers shared by the integration tests.

use precert::ingest::Case;
use precert::{Pipeline, Review};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| Pipeline::new().expect("embedded lexicons build"))
}

pub fn load_case(path: &Path) -> (Case, serde_json::Value) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let case = precert::ingest::parse_case(&path.display().to_string(), &text)
        .unwrap_or_else(|r| panic!("{r}"));
    (case, value)
}

pub fn seed() -> (Case, Review) {
    let (case, _) = load_case(&root().join("corpus/seed-001.case.json"));
    let review = pipeline().review(&case);
    (case, review)
}

/// Every evidence record in a review, as JSON values (so the test does not depend on where it sits).
pub fn all_evidence(review: &Review) -> Vec<serde_json::Value> {
    fn walk(v: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        match v {
            serde_json::Value::Object(m) => {
                if m.contains_key("note_id")
                    && m.contains_key("start")
                    && m.contains_key("end")
                    && m.contains_key("text")
                {
                    out.push(v.clone());
                }
                for x in m.values() {
                    walk(x, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&serde_json::to_value(review).unwrap(), &mut out);
    out
}

/// Asserts that every evidence record slices its note at its offsets.
pub fn assert_offsets(case: &Case, review: &Review) {
    for e in all_evidence(review) {
        let note = case
            .notes
            .iter()
            .find(|n| n.note_id == e["note_id"])
            .expect("evidence names a note of the case");
        let (s, t) = (
            e["start"].as_u64().unwrap() as usize,
            e["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            &note.text[s..t],
            e["text"].as_str().unwrap(),
            "case {} evidence {e}",
            case.case_id
        );
    }
}

pub fn precert_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_precert"))
}

/// Runs the binary from the repository root: (exit code, stdout, stderr).
pub fn run_precert(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(precert_bin())
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The first `n` lines where a golden file and a fresh rendering differ, for a failure message.
pub fn first_differences(want: &str, got: &str, n: usize) -> String {
    want.lines()
        .zip(got.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .take(n)
        .map(|(i, (a, b))| format!("line {}:\n  expected: {a}\n  got:      {b}", i + 1))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A fresh, empty scratch directory for one test, removed when the test is done with it (kept when
/// `PRECERT_KEEP_TMP` is set, for looking at a failure).
pub fn tmp_dir(name: &str) -> TmpDir {
    let dir = std::env::temp_dir().join(format!("precert-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TmpDir(dir)
}

/// A scratch directory that removes itself on drop.
pub struct TmpDir(PathBuf);

impl std::ops::Deref for TmpDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TmpDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        if std::env::var_os("PRECERT_KEEP_TMP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
