//! Section detection.
//!
//! Clinical notes are organised by headers ("HISTORY OF PRESENT ILLNESS:", "ROS:", "PLAN", "S:/O:/A:/P:").
//! The section a mention sits in changes what it means: a condition under FAMILY HISTORY is about someone
//! else, a procedure under PLAN is proposed rather than done, a list under ROS is a template. Header labels
//! and their section kinds are data (`lexicons/sections.tsv`); this module only finds header-shaped text.
//!
//! A header is recognised when a known label (case-insensitive) stands at the start of a line (or after the
//! ", " that replaced line breaks in scraped transcriptions) and is followed by `:` or ends its line. Unknown
//! labels are *not* headers, whatever their case: checklist answers ("Saddle anesthesia: none") and template
//! sub-headings ("GU:", "SLR:") must stay inside their section, or a review of systems would be cut up.

use crate::lexicon::{LexiconError, TsvTable};
use crate::text::Span;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a section of a note is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum SectionKind {
    /// Text before any recognised header.
    Preamble,
    ChiefComplaint,
    Hpi,
    Ros,
    Exam,
    Imaging,
    Labs,
    Assessment,
    Plan,
    Medications,
    Allergies,
    Pmh,
    Psh,
    FamilyHistory,
    SocialHistory,
    /// Patient instructions and return precautions.
    Education,
    /// A header we recognise as a header but not as one of the kinds above.
    Other,
}

impl SectionKind {
    /// Parses the snake_case name used in `lexicons/sections.tsv`.
    pub fn parse(name: &str) -> Option<SectionKind> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SectionKind::Preamble => "preamble",
            SectionKind::ChiefComplaint => "chief_complaint",
            SectionKind::Hpi => "hpi",
            SectionKind::Ros => "ros",
            SectionKind::Exam => "exam",
            SectionKind::Imaging => "imaging",
            SectionKind::Labs => "labs",
            SectionKind::Assessment => "assessment",
            SectionKind::Plan => "plan",
            SectionKind::Medications => "medications",
            SectionKind::Allergies => "allergies",
            SectionKind::Pmh => "pmh",
            SectionKind::Psh => "psh",
            SectionKind::FamilyHistory => "family_history",
            SectionKind::SocialHistory => "social_history",
            SectionKind::Education => "education",
            SectionKind::Other => "other",
        }
    }
}

/// One section: its header (if any) and its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    /// The kind of section.
    pub kind: SectionKind,
    /// The header text including its colon, when there is a header.
    pub header: Option<Span>,
    /// The body: from just after the header to the next header or the end of the note.
    pub body: Span,
}

/// Compiled section-header rules.
#[derive(Debug)]
pub struct Sectionizer {
    labels: HashMap<String, SectionKind>,
    candidate: Regex,
}

impl Sectionizer {
    /// Builds the sectionizer from `sections.tsv` (`header`, `section`, `source`).
    pub fn from_table(table: &TsvTable) -> Result<Sectionizer, LexiconError> {
        let mut labels = HashMap::new();
        for row in table.rows() {
            let header = row.get("header")?;
            let kind_name = row.get("section")?;
            let kind = SectionKind::parse(kind_name)
                .ok_or_else(|| row.error(format!("unknown section kind {kind_name:?}")))?;
            labels.insert(normalise_label(header), kind);
        }
        // A label: up to 6 words of letters, spaces, '/', '&', '(', ')' and '-', at a line start or after the
        // ",  " that scraped transcriptions put where line breaks were; then ':' or end of line.
        let candidate = Regex::new(
            r"(?m)(?:^|[.,]\s{1,3})[ \t]*([A-Za-z][A-Za-z/&() \-]{0,48}?)[ \t]*(?::[ \t]*,?|[ \t]*$)",
        )
        .expect("section regex");
        Ok(Sectionizer { labels, candidate })
    }

    /// Splits `text` into sections, in order. Text before the first header is a `Preamble` section.
    pub fn sections(&self, text: &str) -> Vec<Section> {
        let mut headers: Vec<(SectionKind, Span)> = Vec::new();
        for caps in self.candidate.captures_iter(text) {
            let label = caps.get(1).expect("group 1");
            let whole = caps.get(0).expect("group 0");
            let label_text = label.as_str();
            let has_colon = whole.as_str()[label.end() - whole.start()..].contains(':');
            let key = normalise_label(label_text);
            // Only known labels start a section. Unknown "GU:", "SLR:", "Saddle anesthesia:" lines are
            // sub-headings or checklist items inside the current section (a review of systems stays one).
            let Some(&kind) = self.labels.get(&key) else {
                continue;
            };
            // Mid-line headers (after ", ") only count when written in capitals, as scraped transcriptions do;
            // a lowercase "plan:" mid-sentence is prose.
            let at_line_start = text[..label.start()]
                .rfind('\n')
                .map_or(text[..label.start()].trim().is_empty(), |nl| {
                    text[nl + 1..label.start()].trim().is_empty()
                });
            if !at_line_start && label_text.chars().any(|c| c.is_lowercase()) {
                continue;
            }
            // Without a colon, only a line that is nothing but a known label is a header ("PLAN" alone).
            if !has_colon && label_text.len() < 2 {
                continue;
            }
            headers.push((kind, Span::new(label.start(), whole.end())));
        }
        let mut sections = Vec::with_capacity(headers.len() + 1);
        let first_start = headers.first().map_or(text.len(), |h| h.1.start);
        if first_start > 0 || headers.is_empty() {
            sections.push(Section {
                kind: SectionKind::Preamble,
                header: None,
                body: Span::new(0, first_start),
            });
        }
        for (i, (kind, header)) in headers.iter().enumerate() {
            let end = headers.get(i + 1).map_or(text.len(), |next| next.1.start);
            sections.push(Section {
                kind: *kind,
                header: Some(*header),
                body: Span::new(header.end, end),
            });
        }
        sections
    }
}

/// Lowercases and collapses whitespace so "History of  Present Illness" matches "history of present illness".
fn normalise_label(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::Lexicons;

    fn kinds(text: &str) -> Vec<(SectionKind, String)> {
        let lex = Lexicons::embedded();
        let s = Sectionizer::from_table(&lex.table("sections.tsv").unwrap()).unwrap();
        s.sections(text)
            .iter()
            .map(|s| (s.kind, text[s.body].trim().to_string()))
            .collect()
    }

    #[test]
    fn caps_and_label_headers() {
        let got = kinds("CHIEF COMPLAINT: back pain\n\nHistory of Present Illness: pain x 8 wks.\nROS: Negative for fever.\nPLAN\nPT referral.");
        assert_eq!(
            got,
            vec![
                (SectionKind::ChiefComplaint, "back pain".into()),
                (SectionKind::Hpi, "pain x 8 wks.".into()),
                (SectionKind::Ros, "Negative for fever.".into()),
                (SectionKind::Plan, "PT referral.".into()),
            ]
        );
    }

    #[test]
    fn checklist_answers_are_not_headers() {
        let got = kinds("ROS:\nSaddle anesthesia: none\nFever: no");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, SectionKind::Ros);
    }

    #[test]
    fn soap_letters_and_scraped_commas() {
        let got = kinds("S: LBP x 3 wks\nO: SLR neg\nA: lumbago\nP: PT");
        let k: Vec<_> = got.iter().map(|g| g.0).collect();
        assert_eq!(
            k,
            vec![
                SectionKind::Hpi,
                SectionKind::Exam,
                SectionKind::Assessment,
                SectionKind::Plan
            ]
        );
        let got =
            kinds("SUBJECTIVE:,  This 23-year-old has pain.,  PHYSICAL EXAMINATION:,  Normal.");
        let k: Vec<_> = got.iter().map(|g| g.0).collect();
        assert_eq!(k, vec![SectionKind::Hpi, SectionKind::Exam]);
    }

    #[test]
    fn preamble_before_first_header() {
        let got = kinds("Utilization review intake: request.\nPLAN: MRI");
        assert_eq!(got[0].0, SectionKind::Preamble);
        assert_eq!(got[1].0, SectionKind::Plan);
    }
}
