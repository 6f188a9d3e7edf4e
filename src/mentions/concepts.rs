//! Concept lexicons → target mentions (the "targets" layer of ConText, kept separate from modifiers).

use crate::lexicon::{LexiconError, Lexicons};
use crate::mentions::phrase::{PhraseMatcher, Scan};
use crate::text::Span;
use serde::{Deserialize, Serialize};

/// What kind of clinical thing a mention is. Each category feeds particular criteria.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Back/neck pain and other spine symptoms.
    Symptom,
    /// Radiating pain, dermatomal symptoms, provocative tests, reflex changes.
    Radicular,
    /// Motor or sensory deficit.
    Deficit,
    /// Limits on work, mobility, self-care, sleep; functional scales.
    Functional,
    /// Conservative (non-operative) treatment.
    Conservative,
    /// A spinal injection: conservative care when received, a planned intervention when proposed.
    Injection,
    /// Candidacy for / referral to an intervention.
    Intervention,
    /// A spinal surgical procedure (prior or planned).
    Surgery,
    /// A suspected post-operative complication.
    Complication,
    /// An imaging study.
    Imaging,
    /// A red-flag finding.
    RedFlag,
    /// A finding that documents a red flag's absence ("afebrile").
    RedFlagAbsent,
    /// A measured value from the pattern layer (strength grade, pain score, lab value).
    Measurement,
    /// A stop phrase: matched so that it wins the longest-match contest ("fell asleep" is not a fall),
    /// then dropped.
    Ignore,
}

impl Category {
    /// Parses the snake_case name used in lexicon files.
    pub fn parse(s: &str) -> Option<Category> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

/// A spinal region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// C1-C7, neck, arms.
    Cervical,
    /// T1-T12, mid back, chest wall.
    Thoracic,
    /// L1-L5, low back, legs.
    Lumbar,
    /// Sacrum, coccyx, SI joints.
    Sacral,
}

impl Region {
    /// Parses a lexicon region cell.
    pub fn parse(s: &str) -> Option<Region> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }

    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Region::Cervical => "cervical",
            Region::Thoracic => "thoracic",
            Region::Lumbar => "lumbar",
            Region::Sacral => "sacral",
        }
    }
}

/// One concept lexicon row.
#[derive(Clone, Debug)]
pub struct ConceptEntry {
    /// Row id ("rf-002"): recorded on every mention it produces.
    pub id: String,
    /// Canonical concept name ("saddle_anesthesia").
    pub concept: String,
    /// Category.
    pub category: Category,
    /// Sub-group (modality, red-flag id, functional domain…).
    pub group: String,
    /// Region the term itself implies.
    pub region: Option<Region>,
}

/// A raw lexicon hit, before context.
#[derive(Clone, Copy, Debug)]
pub struct ConceptHit {
    /// Where.
    pub span: Span,
    /// Index into [`ConceptMatcher::entries`].
    pub entry: usize,
}

/// All concept lexicons compiled into one matcher.
#[derive(Debug)]
pub struct ConceptMatcher {
    entries: Vec<ConceptEntry>,
    matcher: PhraseMatcher,
}

/// Concept files, in load order. Region words are loaded separately (see `region`).
pub const CONCEPT_FILES: &[&str] = &[
    "concepts/symptoms.tsv",
    "concepts/radicular.tsv",
    "concepts/functional.tsv",
    "concepts/conservative.tsv",
    "concepts/interventions.tsv",
    "concepts/surgery.tsv",
    "concepts/imaging.tsv",
    "concepts/red_flags.tsv",
];

/// Columns every concept file must have, and no others.
pub const CONCEPT_COLUMNS: &[&str] = &[
    "id", "concept", "category", "group", "term", "region", "source",
];

impl ConceptMatcher {
    /// Loads and compiles every concept file.
    pub fn build(lex: &Lexicons) -> Result<ConceptMatcher, LexiconError> {
        let mut entries = Vec::new();
        let mut cells: Vec<(usize, String)> = Vec::new();
        let mut errors_at: Vec<(String, usize)> = Vec::new();
        for file in CONCEPT_FILES {
            let table = lex.table(file)?;
            table.expect_columns(CONCEPT_COLUMNS)?;
            for row in table.rows() {
                let category_name = row.get("category")?;
                let category = Category::parse(category_name)
                    .ok_or_else(|| row.error(format!("unknown category {category_name:?}")))?;
                let region = match row.opt("region")? {
                    Some(r) => Some(
                        Region::parse(r)
                            .ok_or_else(|| row.error(format!("unknown region {r:?}")))?,
                    ),
                    None => None,
                };
                let term = row.get("term")?;
                if term.is_empty() {
                    return Err(row.error("empty term".into()));
                }
                cells.push((entries.len(), term.to_string()));
                errors_at.push((file.to_string(), 0));
                entries.push(ConceptEntry {
                    id: row.get("id")?.to_string(),
                    concept: row.get("concept")?.to_string(),
                    category,
                    group: row.get("group")?.to_string(),
                    region,
                });
            }
        }
        let matcher = PhraseMatcher::build(
            cells.iter().map(|(i, c)| (*i, c.as_str())),
            |row, reason| LexiconError {
                file: errors_at.get(row).map_or_else(String::new, |e| e.0.clone()),
                line: 0,
                reason: format!(
                    "row {}: {reason}",
                    entries.get(row).map_or("?", |e| e.id.as_str())
                ),
            },
        )?;
        Ok(ConceptMatcher { entries, matcher })
    }

    /// The rows.
    pub fn entries(&self) -> &[ConceptEntry] {
        &self.entries
    }

    /// Reads `text` for this layer's phrases (and those of every layer sharing its scanner).
    pub fn scan<'t>(&self, text: &'t str) -> Scan<'t> {
        self.matcher.scan(text)
    }

    /// The phrase matcher, for sharing its scanner with the other layers.
    pub(crate) fn phrases_mut(&mut self) -> &mut PhraseMatcher {
        &mut self.matcher
    }

    /// Non-overlapping concept hits in the scanned note, in order (one per span: the first row listing
    /// the phrase).
    pub fn find(&self, scan: &Scan) -> Vec<ConceptHit> {
        let mut hits: Vec<ConceptHit> = self
            .matcher
            .find(scan)
            .into_iter()
            .map(|h| ConceptHit {
                span: h.span,
                entry: h.row,
            })
            .collect();
        hits.sort_by_key(|h| (h.span.start, h.span.end, h.entry));
        hits.dedup_by_key(|h| h.span);
        hits
    }
}
