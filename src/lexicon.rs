//! Loading the data that drives precert: concept lexicons, ConText triggers, section headers, abbreviations.
//!
//! All vocabulary lives in `lexicons/` as tab-separated files with a header row and `#` comment lines, so a
//! clinician can read and change it without touching Rust. The files are embedded in the binary at compile
//! time (the defaults) and can be replaced at run time with `--lexicons DIR`. Every output records a
//! SHA-256 over the file names and contents actually used, so a determination can be traced to its data.
//!
//! Loading is strict: an unknown column, a missing required column, or an unparsable value is a
//! [`LexiconError`] naming the file and line — a bad lexicon is a build error, never a silent skip.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Declares the lexicon files once: their names ([`FILES`]) and their embedded contents.
macro_rules! lexicon_files {
    ($($name:literal),* $(,)?) => {
        /// The lexicon files precert reads, relative to the lexicon directory, in hashing order.
        pub const FILES: &[&str] = &[$($name),*];
        const EMBEDDED: &[(&str, &str)] = &[$(($name, include_str!(concat!("../lexicons/", $name)))),*];
    };
}

lexicon_files!(
    "sections.tsv",
    "text/abbreviations.tsv",
    "concepts/symptoms.tsv",
    "concepts/radicular.tsv",
    "concepts/functional.tsv",
    "concepts/conservative.tsv",
    "concepts/interventions.tsv",
    "concepts/surgery.tsv",
    "concepts/imaging.tsv",
    "concepts/red_flags.tsv",
    "concepts/regions.tsv",
    "context/triggers.tsv",
    "context/chronic.tsv",
    "context/trajectory.tsv",
    "model/cues.tsv",
);

/// A problem in a lexicon file: which file, which line, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconError {
    /// File name relative to the lexicon directory.
    pub file: String,
    /// 1-based line number, 0 when the problem is the file as a whole.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for LexiconError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "lexicon {}: {}", self.file, self.reason)
        } else {
            write!(f, "lexicon {}:{}: {}", self.file, self.line, self.reason)
        }
    }
}

impl std::error::Error for LexiconError {}

/// The set of lexicon files, as text, with their combined hash.
#[derive(Clone, Debug)]
pub struct Lexicons {
    files: BTreeMap<String, String>,
    hash: String,
}

impl Lexicons {
    /// The lexicons compiled into the binary.
    pub fn embedded() -> Lexicons {
        Lexicons::from_pairs(
            EMBEDDED
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
        )
    }

    /// Reads every file in [`FILES`] from `dir`.
    pub fn from_dir(dir: &Path) -> Result<Lexicons, LexiconError> {
        let mut pairs = Vec::new();
        for name in FILES {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|e| LexiconError {
                file: name.to_string(),
                line: 0,
                reason: format!("cannot read {}: {e}", path.display()),
            })?;
            pairs.push((name.to_string(), text));
        }
        Ok(Lexicons::from_pairs(pairs))
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Lexicons {
        let mut hasher = Sha256::new();
        for (name, text) in &pairs {
            hasher.update(name.as_bytes());
            hasher.update([0u8]);
            hasher.update(text.as_bytes());
            hasher.update([0u8]);
        }
        let hash = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Lexicons {
            files: pairs.into_iter().collect(),
            hash,
        }
    }

    /// SHA-256 (hex) over the names and contents of all lexicon files.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Parses one file as a table.
    pub fn table(&self, name: &str) -> Result<TsvTable, LexiconError> {
        let text = self.files.get(name).ok_or_else(|| LexiconError {
            file: name.to_string(),
            line: 0,
            reason: "no such lexicon file".into(),
        })?;
        TsvTable::parse(name, text)
    }
}

/// A parsed TSV file: a header and rows, with line numbers kept for error messages.
#[derive(Clone, Debug)]
pub struct TsvTable {
    file: String,
    columns: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl TsvTable {
    /// Parses `text`: blank lines and lines starting with `#` are skipped; the first other line is the header.
    pub fn parse(file: &str, text: &str) -> Result<TsvTable, LexiconError> {
        let mut columns: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cells: Vec<String> = line.split('\t').map(|c| c.trim().to_string()).collect();
            match &columns {
                None => columns = Some(cells),
                Some(cols) => {
                    if cells.len() > cols.len() {
                        return Err(LexiconError {
                            file: file.into(),
                            line: line_no,
                            reason: format!(
                                "{} cells but the header has {} columns",
                                cells.len(),
                                cols.len()
                            ),
                        });
                    }
                    rows.push((line_no, cells));
                }
            }
        }
        let columns = columns.ok_or_else(|| LexiconError {
            file: file.into(),
            line: 0,
            reason: "no header row".into(),
        })?;
        Ok(TsvTable {
            file: file.to_string(),
            columns,
            rows,
        })
    }

    /// Fails unless the header is exactly `expected` (in any order): unknown columns are mistakes.
    pub fn expect_columns(&self, expected: &[&str]) -> Result<(), LexiconError> {
        for c in &self.columns {
            if !expected.contains(&c.as_str()) {
                return Err(LexiconError {
                    file: self.file.clone(),
                    line: 0,
                    reason: format!("unknown column {c:?}"),
                });
            }
        }
        for e in expected {
            if !self.columns.iter().any(|c| c == e) {
                return Err(LexiconError {
                    file: self.file.clone(),
                    line: 0,
                    reason: format!("missing column {e:?}"),
                });
            }
        }
        Ok(())
    }

    /// The rows, in file order.
    pub fn rows(&self) -> impl Iterator<Item = TsvRow<'_>> {
        self.rows.iter().map(move |(line, cells)| TsvRow {
            table: self,
            line: *line,
            cells,
        })
    }
}

/// One row of a [`TsvTable`].
#[derive(Clone, Copy, Debug)]
pub struct TsvRow<'t> {
    table: &'t TsvTable,
    line: usize,
    cells: &'t [String],
}

impl<'t> TsvRow<'t> {
    /// The cell under `column`; an error when the column does not exist. Missing trailing cells read as "".
    pub fn get(&self, column: &str) -> Result<&'t str, LexiconError> {
        let idx = self
            .table
            .columns
            .iter()
            .position(|c| c == column)
            .ok_or_else(|| self.error(format!("missing column {column:?}")))?;
        Ok(self.cells.get(idx).map_or("", |s| s.as_str()))
    }

    /// The cell under `column`, or `None` when empty or `-`.
    pub fn opt(&self, column: &str) -> Result<Option<&'t str>, LexiconError> {
        let v = self.get(column)?;
        Ok((!v.is_empty() && v != "-").then_some(v))
    }

    /// An error about this row.
    pub fn error(&self, reason: String) -> LexiconError {
        LexiconError {
            file: self.table.file.clone(),
            line: self.line,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_parses() {
        let lex = Lexicons::embedded();
        for name in FILES {
            lex.table(name).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(lex.hash().len(), 64);
    }

    #[test]
    fn errors_name_file_and_line() {
        let t = TsvTable::parse("x.tsv", "# c\na\tb\n1\t2\t3\n").unwrap_err();
        assert_eq!(
            t.to_string(),
            "lexicon x.tsv:3: 3 cells but the header has 2 columns"
        );
        let t = TsvTable::parse("x.tsv", "a\tb\n").unwrap();
        assert!(t.expect_columns(&["a"]).is_err());
        assert!(t.expect_columns(&["a", "b", "c"]).is_err());
    }
}
