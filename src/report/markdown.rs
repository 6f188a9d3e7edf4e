//! The reviewer worksheet in Markdown: what a utilization-review nurse or physician reads.
//!
//! Layout (one worksheet per case): header with provenance and the notes received; then per procedure the
//! recommendation and pathway, the rationale, the four criteria with their quotes, post-surgical context,
//! pitfalls found, the red-flag checklist, the documentation that would be required, and a reviewer
//! block left for the human. Every quote is numbered and listed under "Citations" with its note id and
//! byte offsets, so a claim can be checked against the note text.

use super::{headline, name, non_indication_text};
use crate::determination::Determination;
use crate::evidence::criteria::{Criterion, Status};
use crate::evidence::red_flags::FlagStatus;
use crate::evidence::Evidence;
use crate::Review;
use std::fmt::Write;

/// Numbered citations shared by the whole worksheet.
#[derive(Default)]
struct Citations {
    list: Vec<Evidence>,
}

impl Citations {
    fn cite(&mut self, e: &Evidence) -> usize {
        if let Some(i) = self
            .list
            .iter()
            .position(|x| x.note_id == e.note_id && x.start == e.start && x.end == e.end)
        {
            return i + 1;
        }
        self.list.push(e.clone());
        self.list.len()
    }

    /// `"quote" [3]; "quote" [4]` for up to `max` quotes.
    fn quotes(&mut self, ev: &[Evidence], max: usize) -> String {
        ev.iter()
            .take(max)
            .map(|e| {
                let n = self.cite(e);
                let mut notes: Vec<String> = Vec::new();
                if e.assertion != "present" {
                    notes.push(e.assertion.clone());
                }
                if let Some(t) = e.temporal.as_ref().and_then(|t| t.trajectory.as_ref()) {
                    notes.push(t.clone());
                }
                let assertion = if notes.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", notes.join(", "))
                };
                format!("\u{201c}{}\u{201d}{assertion} [{n}]", one_line(&e.text))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Met => "MET",
        Status::NotMet => "NOT MET",
        Status::Unclear => "UNCLEAR",
    }
}

fn flag_word(s: FlagStatus) -> &'static str {
    match s {
        FlagStatus::Present => "PRESENT",
        FlagStatus::Absent => "ABSENT (negated)",
        FlagStatus::NotDocumented => "not documented",
        FlagStatus::Unclear => "UNCLEAR",
    }
}

/// Renders the worksheet for one review.
pub fn worksheet(review: &Review) -> String {
    let mut c = Citations::default();
    let mut out = String::new();
    let p = &review.provenance;
    let _ = writeln!(
        out,
        "# Medical-necessity worksheet — case {}\n",
        review.case_id
    );
    let _ = writeln!(out, "> precert recommends; a clinician decides. Every statement below cites the note text it rests on.\n");
    let _ = writeln!(
        out,
        "- Request date: {}\n- Patient: {}{}\n- Guideline: {} v{}\n- precert {} · lexicons sha256 `{}` · model: {}",
        review.request_date.map_or("not given".into(), |d| d.to_string()),
        review.patient.age.map_or("age not given".into(), |a| format!("{a}-year-old")),
        review.patient.sex.as_deref().map_or(String::new(), |s| format!(" {s}")),
        p.guideline.id,
        p.guideline.version,
        p.precert_version,
        &p.lexicon_sha256[..16.min(p.lexicon_sha256.len())],
        p.model_sha256.as_deref().unwrap_or("none (rules and lexicons only)"),
    );
    let _ = writeln!(
        out,
        "\n**Notes received**\n\n| Note | Date | Kind | Author |\n|---|---|---|---|"
    );
    for n in &review.notes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            n.note_id,
            n.date.map_or("—".into(), |d| d.to_string()),
            n.kind.as_deref().unwrap_or("—"),
            n.author_role.as_deref().unwrap_or("—")
        );
    }
    for d in &review.determinations {
        procedure_section(&mut out, &mut c, d);
    }
    let _ = writeln!(out, "\n## Reviewer\n\n- [ ] I agree with the recommendation  - [ ] I override it — reason: ______________________\n- Reviewer name and credentials: ______________________  Date: __________\n- [ ] I personally reviewed the records submitted.");
    let _ = writeln!(out, "\n## Citations\n");
    for (i, e) in c.list.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {} [{}..{}] ({}, {}): \u{201c}{}\u{201d}",
            i + 1,
            e.note_id,
            e.start,
            e.end,
            e.section,
            e.assertion,
            one_line(&e.text)
        );
    }
    out
}

fn procedure_section(out: &mut String, c: &mut Citations, d: &Determination) {
    let desc = if d.procedure.is_empty() {
        String::new()
    } else {
        format!(" — {}", d.procedure)
    };
    let _ = writeln!(
        out,
        "\n## CPT {}{} ({} spine)\n",
        d.cpt,
        desc,
        name(&d.region)
    );
    let _ = writeln!(out, "### Recommendation: {}\n", headline(d));
    if let Some(m) = &d.recommended_modification {
        let _ = writeln!(out, "**Recommended modification:** {m}\n");
    }
    let _ = writeln!(out, "**Rationale**\n");
    for r in &d.rationale {
        let _ = writeln!(out, "- {r}");
    }
    if d.region == crate::ingest::CptRegion::Cervical {
        return;
    }
    let _ = writeln!(
        out,
        "\n### Criteria (ACR LBP variant 5: failed conservative management)\n"
    );
    let _ = writeln!(
        out,
        "| Criterion | Status | Finding | Notes say |\n|---|---|---|---|"
    );
    let rows: [(&str, &Criterion); 4] = [
        ("Conservative care ≥ 6 weeks", &d.criteria.conservative_care),
        ("Radiculopathy", &d.criteria.radiculopathy),
        ("Functional impairment", &d.criteria.functional_impairment),
        ("Intervention candidate", &d.criteria.intervention_candidate),
    ];
    for (label, cr) in rows {
        let weeks = super::weeks_phrase(cr.weeks);
        let _ = writeln!(
            out,
            "| {label} | **{}** | {}{weeks} | {} |",
            status_word(cr.status),
            one_line(&cr.reason),
            c.quotes(&cr.evidence, 4)
        );
    }
    if d.region == crate::ingest::CptRegion::Thoracic {
        let q = if d.thoracic_pain.is_empty() {
            "none documented".to_string()
        } else {
            c.quotes(&d.thoracic_pain, 3)
        };
        let _ = writeln!(out, "| Pain localised to the thoracic spine (stands in for radiculopathy) | **{}** | | {q} |", if d.thoracic_pain.is_empty() { "NO" } else { "YES" });
    }

    let ps = &d.post_surgical;
    let _ = writeln!(
        out,
        "\n### Post-surgical context (ACR LBP variant 6): **{}**\n\n{}",
        status_word(ps.status),
        ps.reason
    );
    for s in &ps.surgeries {
        let _ = writeln!(
            out,
            "- Prior surgery: {} — region {}{}{} — {}",
            s.procedure.replace('_', " "),
            s.region.map_or("not stated", |r| r.as_str()),
            if s.levels.is_empty() {
                String::new()
            } else {
                format!(", levels {}", s.levels.join(", "))
            },
            s.date.map_or(String::new(), |d| format!(", about {d}")),
            c.quotes(&s.evidence, 2)
        );
    }
    if !ps.evidence.is_empty() && ps.status != Status::NotMet {
        let _ = writeln!(out, "- Findings: {}", c.quotes(&ps.evidence, 4));
    }

    let _ = writeln!(out, "\n### Common pitfalls found\n");
    if d.non_indications.is_empty() {
        let _ = writeln!(out, "None found.");
    }
    for n in &d.non_indications {
        let what = non_indication_text(&n.id);
        let _ = writeln!(out, "- **{}**: {what} {}", n.id, c.quotes(&n.evidence, 3));
    }

    let _ = writeln!(
        out,
        "\n### Red-flag checklist (any one present makes MRI appropriate now)\n"
    );
    let _ = writeln!(out, "| Red flag | Status | Notes say |\n|---|---|---|");
    for (id, f) in d.red_flags.iter() {
        let q = if f.evidence.is_empty() {
            "—".to_string()
        } else {
            c.quotes(&f.evidence, 3)
        };
        let _ = writeln!(
            out,
            "| {} | **{}** | {q} |",
            id.replace('_', " "),
            flag_word(f.status)
        );
    }
    if !d.missing_documentation.is_empty() {
        let _ = writeln!(
            out,
            "\n### Documentation that would be required to meet criteria\n"
        );
        for m in &d.missing_documentation {
            let _ = writeln!(out, "- [ ] {m}");
        }
    }
}
