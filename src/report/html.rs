//! The reviewer worksheet as a self-contained web page, and an index of many worksheets.
//!
//! One page per case, readable from disk and offline: inline CSS, one small inline script (allowed by its
//! hash in the page's Content-Security-Policy, which forbids every remote load), no fonts, images or
//! requests. It says what the Markdown worksheet says, from the same [`Review`]: header and provenance,
//! per procedure the recommendation and its pathway, the four criteria, the red flags, post-surgical
//! context and non-indications with status badges (text and icon, never colour alone) and their quotes,
//! and the documentation that would be required. Below come the notes, verbatim, with every mention of
//! the [`CaseAnalysis`] the review was decided from highlighted by category and assertion; each quote
//! links to its span in the note (`#ev-N`, one element per cited span, whose text is the quote). Last, a
//! reviewer section left for the human, on its own page when printed.
//!
//! Nothing here computes a clinical fact. Note text and case fields are untrusted: everything goes
//! through [`escape`].

use super::{headline, name, non_indication_text};
use crate::determination::guideline::{Decision, Pathway};
use crate::determination::Determination;
use crate::evidence::criteria::{Criterion, Status};
use crate::evidence::red_flags::{self, FlagStatus};
use crate::evidence::{trajectory_label, AnalyzedNote, CaseAnalysis, Evidence};
use crate::ingest::CptRegion;
use crate::mentions::temporal::TemporalValue;
use crate::mentions::Mention;
use crate::Review;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The file a case's worksheet is written to: the case id with anything but `[A-Za-z0-9._-]` replaced by
/// `_` (and never `index.html`, which is the index's).
pub fn file_name(case_id: &str) -> String {
    let safe: String = case_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() || safe == "index" {
        format!("case-{safe}.html")
    } else {
        format!("{safe}.html")
    }
}

/// Writes `review`'s worksheet to `dir/<case>.html`; returns the case's row for the index.
pub fn write_case(
    dir: &Path,
    review: &Review,
    analysis: &CaseAnalysis<'_>,
) -> std::io::Result<IndexRow> {
    let row = IndexRow::new(review);
    std::fs::write(dir.join(&row.file), worksheet(review, analysis))?;
    Ok(row)
}

/// Writes `dir/index.html` listing `rows` (in the order given); returns its path.
pub fn write_index(dir: &Path, rows: &[IndexRow]) -> std::io::Result<PathBuf> {
    let path = dir.join("index.html");
    std::fs::write(&path, index(rows))?;
    Ok(path)
}

/// One case in the index: what it needs from a [`Review`], so that a batch need not keep the reviews.
#[derive(Clone, Debug)]
pub struct IndexRow {
    /// Case id.
    pub case_id: String,
    /// The worksheet's file name, relative to the index.
    pub file: String,
    /// Request date.
    pub request_date: Option<chrono::NaiveDate>,
    /// Per requested procedure: CPT, description, region, decision, pathway.
    pub procedures: Vec<IndexProcedure>,
}

/// One requested procedure in the index.
#[derive(Clone, Debug)]
pub struct IndexProcedure {
    /// CPT code.
    pub cpt: String,
    /// Description as submitted.
    pub procedure: String,
    /// Region imaged.
    pub region: CptRegion,
    /// The decision.
    pub decision: Decision,
    /// The pathway, when approved.
    pub pathway: Option<Pathway>,
    /// The recommendation in words ([`headline`]).
    pub headline: String,
}

impl IndexRow {
    /// The index row of a review.
    pub fn new(review: &Review) -> IndexRow {
        IndexRow {
            case_id: review.case_id.clone(),
            file: file_name(&review.case_id),
            request_date: review.request_date,
            procedures: review
                .determinations
                .iter()
                .map(|d| IndexProcedure {
                    cpt: d.cpt.clone(),
                    procedure: d.procedure.clone(),
                    region: d.region,
                    decision: d.decision,
                    pathway: d.pathway,
                    headline: headline(d),
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Page frame: CSP, style, script.

const STYLE: &str = r##"
:root{--ink:#1b1b1b;--muted:#4a4a4a;--line:#c8c8c8;--link:#0645ad;--bg:#fff;--panel:#f6f7f9}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--ink)}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.4em .8em;border:2px solid var(--link)}
.skip:focus{left:.5em;z-index:10}
header.page,main,footer.page{max-width:64rem;margin:0 auto;padding:0 1.25rem}
header.page{padding-top:1rem;border-bottom:2px solid var(--ink)}
h1{font-size:1.55rem;margin:.3em 0 .2em}
h2{font-size:1.25rem;margin:1.6em 0 .5em;padding-bottom:.15em;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.3em 0 .4em}
a{color:var(--link)}
a:focus-visible,[tabindex]:focus-visible,button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #1a56c4;outline-offset:2px}
.tagline{color:var(--muted);margin:.2em 0 .8em}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.6em 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
code,.hash{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}
th,td{border:1px solid var(--line);padding:.35em .5em;text-align:left;vertical-align:top}
thead th{background:var(--panel)}
table.checklist th:nth-child(1){width:21%}
table.checklist th:nth-child(2){width:13%}
table.checklist th:nth-child(3){width:31%}
nav.toc ul{display:flex;flex-wrap:wrap;gap:.3em 1.2em;list-style:none;padding:0;margin:.6em 0}
.rec{border:2px solid var(--ink);border-radius:6px;padding:.6em .9em;margin:.6em 0 1em;background:var(--panel)}
.rec-head{font-size:1.1rem;font-weight:700;margin:0 0 .3em}
.rec p{margin:.25em 0}
.rec-deny{border-color:#8a1111}
.rec-approve{border-color:#0b5a1f}
.rec-pend{border-color:#6b4700;border-style:dashed}
.badge{display:inline-block;white-space:nowrap;font-weight:700;font-size:.85em;padding:.05em .5em;border:2px solid;line-height:1.4;print-color-adjust:exact;-webkit-print-color-adjust:exact}
.badge .icon{display:inline-block;min-width:1em;text-align:center}
.b-met{color:#0b5a1f;background:#e3f4e6;border-radius:1em}
.b-not-met{color:#8a1111;background:#fde8e8;border-radius:0}
.b-unclear{color:#6b4700;background:#fff4d6;border-style:dashed;border-radius:3px}
.b-not-documented{color:#3d3d3d;background:#f0f0f0;border-style:dotted;border-radius:3px}
.b-negated{color:#1f3f7a;background:#e6eefb;border-style:double;border-width:3px;border-radius:3px}
.b-present{color:#ffffff;background:#a40000;border-color:#a40000;border-radius:0}
.b-found{color:#6b4700;background:#fff4d6;border-radius:0 .8em .8em 0}
ul.quotes{list-style:none;margin:0;padding:0}
ul.quotes li{margin:0 0 .25em}
a.q{font-style:italic}
.qmeta,.muted{color:var(--muted);font-size:.88em}
.none{color:var(--muted)}
ul.todo{list-style:none;padding-left:.2em;margin:.1em 0 .6em}
ul.plain{list-style:none;padding:0;margin:0}
caption{text-align:left}
ul.todo li::before{content:"\2610\00a0";font-size:1.05em}
.group-h{font-weight:700;margin:.6em 0 .1em}
.legend{display:flex;flex-wrap:wrap;gap:.35em .6em;align-items:center;margin:.5em 0 1em;padding:.5em .7em;background:var(--panel);border:1px solid var(--line)}
.legend-h{font-weight:700}
section.note{margin:1.2em 0}
pre.note-text{white-space:pre-wrap;overflow-wrap:anywhere;font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.92em;line-height:1.85;border:1px solid var(--line);padding:.8em 1em;background:#fff;margin:.4em 0}
mark.m{color:var(--ink);background:#eee;border-bottom:3px solid #555;padding:0 .05em;position:relative;-webkit-box-decoration-break:clone;box-decoration-break:clone}
mark.c-symptom{background:#fde2c8;border-color:#b35c00}
mark.c-radicular{background:#e6dcfb;border-color:#5b3cc4}
mark.c-deficit{background:#fbd5dc;border-color:#b0123a}
mark.c-functional{background:#d6f0f5;border-color:#0b6e80}
mark.c-conservative{background:#dcf3d6;border-color:#2f7d1f}
mark.c-injection{background:#d9ecff;border-color:#1f5fb0}
mark.c-intervention{background:#cfe3ff;border-color:#1747a6}
mark.c-surgery{background:#efd9f7;border-color:#7a2a99}
mark.c-complication{background:#ffd6d6;border-color:#a40000}
mark.c-imaging{background:#e8e8e8;border-color:#555}
mark.c-red_flag{background:#ffd0d0;border-color:#a40000}
mark.c-red_flag_absent{background:#e6eefb;border-color:#1f3f7a}
mark.c-measurement{background:#fff1b8;border-color:#7a5c00}
mark.a-absent{text-decoration:line-through 2px;border-bottom-style:solid}
mark.a-historical{font-style:italic;border-bottom-style:dotted}
mark.a-hypothetical{border-bottom-style:dashed;outline:1px dashed #555;outline-offset:-1px}
mark.a-possible{text-decoration:underline wavy 1px;text-underline-offset:3px;border-bottom-style:dashed}
mark.a-family{border-bottom-style:double;border-bottom-width:4px}
.legend mark.m{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.9em}
mark.m[data-tip]:hover::after,mark.m[data-tip]:focus::after{content:attr(data-tip);position:absolute;left:0;top:100%;z-index:5;margin-top:4px;min-width:16em;max-width:30em;width:max-content;white-space:pre-line;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;font-style:normal;text-decoration:none;background:#1b1b1b;color:#ffffff;padding:.4em .6em;border-radius:4px;box-shadow:0 2px 8px rgba(0,0,0,.3)}
mark.m:has(mark.m:hover)::after{display:none}
.ev{scroll-margin:30vh 0;border-radius:2px;background:#fff6cc}
.ev::after{content:"[" attr(data-cite) "]";font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;font-size:.72em;font-weight:700;color:#0645ad;vertical-align:super;line-height:0;margin-left:1px}
.ev:target,.ev.active{outline:3px solid #8a1111;outline-offset:2px;background:#fff38a}
.ev:target mark.m,.ev.active mark.m{background:#fff38a}
.reviewer fieldset{border:1px solid var(--line);margin:0 0 1em;padding:.5em .8em}
.reviewer legend{font-weight:700;padding:0 .3em}
.reviewer td,.reviewer th{vertical-align:middle}
.reviewer input[type=text],.reviewer input[type=date],.reviewer textarea{font:inherit;width:100%;border:1px solid #767676;padding:.25em .35em}
.reviewer label.block{display:block;font-weight:600;margin:.7em 0 .15em}
.attest{margin:1em 0;font-weight:600}
.prefill-note{font-size:.9em}
footer.page{color:var(--muted);font-size:.85em;margin-top:2em;padding-bottom:2em;border-top:1px solid var(--line)}
#cases td:nth-child(-n+3){white-space:nowrap}
button.sort{white-space:nowrap;font:inherit;font-weight:700;background:none;border:0;padding:0;cursor:pointer;color:var(--ink)}
button.sort::after{content:" \2195";color:var(--muted)}
th[aria-sort=ascending] button.sort::after{content:" \25B2"}
th[aria-sort=descending] button.sort::after{content:" \25BC"}
@media print{
 body{font-size:10.5pt}
 header.page,main,footer.page{max-width:none;padding:0}
 .skip,nav.toc,.no-print{display:none}
 a{color:inherit;text-decoration:none}
 a.q{text-decoration:underline dotted}
 h2,h3{break-after:avoid}
 tr,li,.rec,.legend,.reviewer fieldset{break-inside:avoid}
 pre.note-text{border:0;padding:0;line-height:1.9}
 mark.m{background:none !important;border-bottom-width:2px}
 mark.m::after{display:none !important}
 .ev:target,.ev.active{outline:none;background:none}
 .ev{background:none}
 *:focus,*:focus-visible{outline:none !important}
 .ev::after{color:inherit}
 section.reviewer{break-before:page}
 .reviewer input[type=text],.reviewer input[type=date]{border:0;border-bottom:1px solid #000}
 .reviewer textarea{border:1px solid #000;resize:none}
}
"##;

const WORKSHEET_SCRIPT: &str = r##"(function(){
function mark(id){var t=document.getElementById(id);if(!t||!t.classList.contains('ev'))return;
document.querySelectorAll('.ev.active').forEach(function(x){x.classList.remove('active');});
t.classList.add('active');t.focus({preventScroll:true});}
document.addEventListener('click',function(e){var a=e.target.closest?e.target.closest('a[href^="#ev-"]'):null;
if(a){var id=a.getAttribute('href').slice(1);setTimeout(function(){mark(id);},0);}});
window.addEventListener('hashchange',function(){mark(location.hash.slice(1));});
if(location.hash)mark(location.hash.slice(1));
})();"##;

const INDEX_SCRIPT: &str = r##"(function(){
var table=document.getElementById('cases');if(!table)return;
var heads=table.querySelectorAll('thead th');
heads.forEach(function(th,col){var b=th.querySelector('button.sort');if(!b)return;
b.addEventListener('click',function(){var asc=th.getAttribute('aria-sort')!=='ascending';
heads.forEach(function(h){h.removeAttribute('aria-sort');});th.setAttribute('aria-sort',asc?'ascending':'descending');
var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=a.cells[col].getAttribute('data-sort')||a.cells[col].textContent;
var y=b.cells[col].getAttribute('data-sort')||b.cells[col].textContent;
var c=x.localeCompare(y,undefined,{numeric:true});return asc?c:-c;});
rows.forEach(function(r){body.appendChild(r);});});});
})();"##;

/// Standard base64 (for CSP hashes).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `'sha256-…'` of an inline script or style, as a CSP source.
fn csp_hash(s: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(s.as_bytes())))
}

/// The page's Content-Security-Policy: nothing may load from anywhere; only this page's own style and
/// script (by hash) run; images only as data: URIs; no form submission, no `<base>`.
fn csp(script: &str) -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; form-action 'none'; base-uri 'none'",
        csp_hash(STYLE),
        csp_hash(script)
    )
}

fn page_start(out: &mut String, title: &str, script: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"precert {}\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">Skip to main content</a>\n",
        escape(&csp(script)),
        escape(crate::VERSION),
        escape(title)
    );
}

fn page_end(out: &mut String, script: &str) {
    let _ = write!(out, "<script>{script}</script>\n</body>\n</html>\n");
}

// ---------------------------------------------------------------------------------------------------------
// Words and badges.

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// An assertion label in a reviewer's words.
fn assertion_words(label: &str) -> &str {
    match label {
        "absent" => "negated",
        "family" => "family member",
        other => other,
    }
}

fn badge(kind: &str, icon: &str, text: &str) -> String {
    format!(
        "<span class=\"badge b-{kind}\"><span class=\"icon\" aria-hidden=\"true\">{icon}</span> {text}</span>"
    )
}

fn status_badge(s: Status) -> String {
    match s {
        Status::Met => badge("met", "\u{2713}", "Met"),
        Status::NotMet => badge("not-met", "\u{2717}", "Not met"),
        Status::Unclear => badge("unclear", "?", "Unclear"),
    }
}

fn flag_badge(s: FlagStatus) -> String {
    match s {
        FlagStatus::Present => badge("present", "!", "Present"),
        FlagStatus::Absent => badge("negated", "\u{2298}", "Negated (absent)"),
        FlagStatus::NotDocumented => badge("not-documented", "\u{2013}", "Not documented"),
        FlagStatus::Unclear => badge("unclear", "?", "Unclear"),
    }
}

/// What the pathway of an approval means, or what a deny or pend asks of the reviewer.
fn pathway_words(d: &Determination) -> &'static str {
    match (d.decision, d.pathway) {
        (Decision::Approve, Some(Pathway::RedFlag)) => "A red flag is documented: MRI is appropriate now, whatever the course of conservative care (ACR Low Back Pain, variants 2, 3, 4 and 7).",
        (Decision::Approve, Some(Pathway::PostSurgical)) => "Prior spine surgery in the requested region, with new or progressive findings or a suspected complication (ACR Low Back Pain, variant 6).",
        (Decision::Approve, _) => "At least 6 weeks of conservative care failed, with radicular findings (or, for the thoracic spine, localised thoracic pain), functional impairment and a planned intervention (ACR Low Back Pain, variant 5).",
        (Decision::Deny, _) => "No red flag is documented, the post-surgical pathway does not apply and the conservative-failure criteria are not all met. This is a recommendation for physician review, not a denial: only a physician may issue an adverse determination.",
        (Decision::Pend, _) => "precert cannot recommend either way; a physician reviewer must look. What is needed:",
    }
}

fn temporal_words(v: &TemporalValue) -> String {
    match v {
        TemporalValue::Duration { days } if *days % 7 == 0 => {
            format!("{} weeks ({days} days)", days / 7)
        }
        TemporalValue::Duration { days } => format!("{days} days"),
        TemporalValue::Date { date, start: true } => format!("from {date}"),
        TemporalValue::Date { date, start: false } => date.to_string(),
        TemporalValue::Surgery { since: true, .. } => "since surgery".into(),
        TemporalValue::Surgery {
            offset_days: Some(d),
            ..
        } if *d < 0 => format!("{} days before surgery", -d),
        TemporalValue::Surgery {
            offset_days: Some(d),
            ..
        } => format!("{d} days after surgery"),
        TemporalValue::Surgery { .. } => "relative to surgery".into(),
        TemporalValue::Frequency { per_week } => format!("{per_week}\u{d7}/week"),
        TemporalValue::Visits { count } => format!("{count} visits"),
    }
}

/// The hover/focus text of a mention: concept, category, assertion and the cue that set it, temporal
/// values, trajectory, region, source.
fn mention_tip(text: &str, m: &Mention) -> String {
    let quote = |s: crate::text::Span| one_line(text.get(s.start..s.end).unwrap_or(""));
    let mut lines = vec![format!(
        "{} \u{b7} {}",
        m.concept.replace('_', " "),
        name(&m.category).replace('_', " ")
    )];
    lines.push(format!(
        "assertion: {}",
        assertion_words(m.assertion.label())
    ));
    for c in &m.assertion.cues {
        lines.push(format!(
            "cue: \u{201c}{}\u{201d} \u{2192} {} ({})",
            quote(c.span),
            assertion_words(c.qualifier_label()),
            c.rule
        ));
    }
    for t in &m.temporal {
        lines.push(format!(
            "temporal: \u{201c}{}\u{201d} = {}",
            quote(t.span),
            temporal_words(&t.value)
        ));
    }
    if let Some(t) = &m.trajectory {
        lines.push(format!("trajectory: {}", trajectory_label(t)));
    }
    if !m.regions.is_empty() || !m.levels.is_empty() {
        lines.push(format!("region: {}", m.region_labels().join(", ")));
    }
    lines.push(match m.score {
        Some(s) => format!("source: {} ({s:.2})", m.source.as_str()),
        None => format!("source: {}", m.source.as_str()),
    });
    lines.join("\n")
}

// ---------------------------------------------------------------------------------------------------------
// Citations: each distinct quoted span gets one number and one target element in its note.

#[derive(Default)]
struct Cites {
    index: HashMap<(String, usize, usize), usize>,
    list: Vec<Evidence>,
}

impl Cites {
    fn cite(&mut self, e: &Evidence) -> usize {
        let key = (e.note_id.clone(), e.start, e.end);
        if let Some(&n) = self.index.get(&key) {
            return n;
        }
        self.list.push(e.clone());
        self.index.insert(key, self.list.len());
        self.list.len()
    }

    /// A list of quotes, each a link to its span in the note.
    fn quotes(&mut self, ev: &[Evidence]) -> String {
        if ev.is_empty() {
            return "<span class=\"none\">No quote.</span>".into();
        }
        let mut out = String::from("<ul class=\"quotes\">");
        for e in ev {
            let n = self.cite(e);
            let mut meta = vec![escape(&e.note_id)];
            if e.source != "lexicon" {
                let source = if e.source == "both" {
                    "rules + model"
                } else {
                    e.source.as_str()
                };
                meta.insert(
                    0,
                    match e.score {
                        Some(p) => format!("{} {p:.2}", escape(source)),
                        None => escape(source),
                    },
                );
            }
            if e.assertion != "present" {
                meta.insert(0, escape(assertion_words(&e.assertion)));
            }
            if let Some(t) = e.temporal.as_ref().and_then(|t| t.trajectory.as_ref()) {
                meta.insert(0, escape(t));
            }
            let _ = write!(
                out,
                "<li><a class=\"q\" href=\"#ev-{n}\">\u{201c}{}\u{201d}</a> <span class=\"qmeta\">[{n}] {}</span></li>",
                escape(&one_line(&e.text)),
                meta.join(" \u{b7} ")
            );
        }
        out.push_str("</ul>");
        out
    }
}

// ---------------------------------------------------------------------------------------------------------
// The worksheet.

/// Renders the worksheet of one review. `analysis` must be the one the review was decided from
/// ([`crate::Pipeline::review_with_analysis`]): it supplies the note text and the mentions to highlight.
pub fn worksheet(review: &Review, analysis: &CaseAnalysis<'_>) -> String {
    let mut cites = Cites::default();
    let mut body = String::new();
    for (i, d) in review.determinations.iter().enumerate() {
        procedure_section(&mut body, &mut cites, i, d);
    }

    let mut out = String::new();
    let title = format!(
        "Worksheet \u{2014} case {} \u{2014} precert",
        review.case_id
    );
    page_start(&mut out, &title, WORKSHEET_SCRIPT);
    header(&mut out, review, analysis);
    out.push_str("<main id=\"main\">\n");
    out.push_str(&body);
    notes_section(&mut out, &cites, analysis);
    reviewer_section(&mut out, review);
    out.push_str("</main>\n");
    let _ = writeln!(
        out,
        "<footer class=\"page\"><p>Generated by precert {} for case {}. precert recommends; a clinician decides. Every statement cites the note text it rests on.</p></footer>",
        escape(&review.provenance.precert_version),
        escape(&review.case_id)
    );
    page_end(&mut out, WORKSHEET_SCRIPT);
    out
}

fn header(out: &mut String, review: &Review, analysis: &CaseAnalysis<'_>) {
    let p = &review.provenance;
    let _ = writeln!(
        out,
        "<header class=\"page\">\n<h1>Medical-necessity worksheet \u{2014} case <span id=\"case-id\">{}</span></h1>\n\
         <p class=\"tagline\">precert recommends; a clinician decides. Every statement below cites the note text it rests on; select a quote to see it in the note.</p>",
        escape(&review.case_id)
    );
    out.push_str("<dl class=\"facts\">\n");
    let _ = writeln!(
        out,
        "<dt>Request date</dt><dd>{}</dd>",
        review
            .request_date
            .map_or("not given".into(), |d| d.to_string())
    );
    let procs: Vec<String> = review
        .determinations
        .iter()
        .map(|d| {
            let desc = if d.procedure.is_empty() {
                String::new()
            } else {
                format!(" \u{2014} {}", escape(&d.procedure))
            };
            format!(
                "<li>CPT <strong>{}</strong>{desc} ({} spine)</li>",
                escape(&d.cpt),
                escape(&name(&d.region))
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "<dt>Procedures requested</dt><dd><ul class=\"plain\">{}</ul></dd>",
        procs.join("")
    );
    let dx = &analysis.case.request.diagnoses;
    if !dx.is_empty() {
        let _ = writeln!(
            out,
            "<dt>Diagnoses submitted</dt><dd>{}</dd>",
            escape(&dx.join(", "))
        );
    }
    let _ = writeln!(
        out,
        "<dt>Patient</dt><dd>{}{}</dd>",
        review
            .patient
            .age
            .map_or("age not given".into(), |a| format!("{a}-year-old")),
        review
            .patient
            .sex
            .as_deref()
            .map_or(String::new(), |s| format!(" {}", escape(s)))
    );
    let _ = writeln!(
        out,
        "<dt>Guideline</dt><dd>{} v{}</dd>",
        escape(&p.guideline.id),
        escape(&p.guideline.version)
    );
    let _ = writeln!(
        out,
        "<dt>precert</dt><dd>{} \u{b7} evidence: {}</dd>",
        escape(&p.precert_version),
        escape(&name(&p.evidence))
    );
    let _ = writeln!(
        out,
        "<dt>Lexicons sha256</dt><dd class=\"hash\" id=\"lexicon-hash\">{}</dd>",
        escape(&p.lexicon_sha256)
    );
    let model = match &p.model_sha256 {
        Some(h) => format!(
            "<span class=\"hash\">{}</span> ({})",
            escape(h),
            escape(p.model_backend.as_deref().unwrap_or("backend not recorded"))
        ),
        None => "none (rules and lexicons only)".into(),
    };
    let _ = writeln!(out, "<dt>Mention model</dt><dd>{model}</dd>\n</dl>");

    out.push_str("<table class=\"notes-received\"><caption class=\"group-h\">Notes received</caption>\n<thead><tr><th scope=\"col\">Note</th><th scope=\"col\">Date</th><th scope=\"col\">Kind</th><th scope=\"col\">Author</th></tr></thead><tbody>\n");
    for (i, n) in review.notes.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#note-{i}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&n.note_id),
            n.date.map_or("\u{2014}".into(), |d| d.to_string()),
            escape(n.kind.as_deref().unwrap_or("\u{2014}")),
            escape(n.author_role.as_deref().unwrap_or("\u{2014}"))
        );
    }
    out.push_str("</tbody></table>\n<nav class=\"toc\" aria-label=\"Contents\"><ul>");
    for (i, d) in review.determinations.iter().enumerate() {
        let _ = write!(
            out,
            "<li><a href=\"#proc-{i}\">CPT {} ({})</a></li>",
            escape(&d.cpt),
            escape(&name(&d.region))
        );
    }
    out.push_str("<li><a href=\"#notes\">Notes</a></li><li><a href=\"#reviewer\">Reviewer</a></li></ul></nav>\n</header>\n");
}

const CRITERIA: [(&str, &str); 4] = [
    ("conservative_care", "Conservative care \u{2265} 6 weeks"),
    ("radiculopathy", "Radiculopathy"),
    ("functional_impairment", "Functional impairment"),
    ("intervention_candidate", "Intervention candidate"),
];

/// Required-documentation groups, in the seed determination's terms.
const MISSING_GROUPS: [(&str, &str); 4] = [
    ("conservative_care", "Conservative treatment specifics"),
    ("radiculopathy", "Radicular features if present"),
    ("functional_impairment", "Functional impairment"),
    (
        "intervention_candidate",
        "Surgical/interventional consideration",
    ),
];

fn criteria_of(d: &Determination) -> [(&'static str, &'static str, &Criterion); 4] {
    let c = &d.criteria;
    let crs = [
        &c.conservative_care,
        &c.radiculopathy,
        &c.functional_impairment,
        &c.intervention_candidate,
    ];
    let mut i = 0;
    crs.map(|cr| {
        let (id, label) = CRITERIA[i];
        i += 1;
        (id, label, cr)
    })
}

fn procedure_section(out: &mut String, c: &mut Cites, i: usize, d: &Determination) {
    let desc = if d.procedure.is_empty() {
        String::new()
    } else {
        format!(" \u{2014} {}", escape(&d.procedure))
    };
    let decision = name(&d.decision);
    let _ = writeln!(
        out,
        "<section class=\"procedure\" id=\"proc-{i}\" aria-labelledby=\"proc-{i}-h\" data-cpt=\"{}\" data-decision=\"{decision}\" data-pathway=\"{}\">\n\
         <h2 id=\"proc-{i}-h\">CPT {}{desc} ({} spine)</h2>",
        escape(&d.cpt),
        d.pathway.map(|p| name(&p)).unwrap_or_default(),
        escape(&d.cpt),
        escape(&name(&d.region))
    );
    let (icon, kind) = match d.decision {
        Decision::Approve => ("\u{2713}", "approve"),
        Decision::Deny => ("\u{2717}", "deny"),
        Decision::Pend => ("?", "pend"),
    };
    let _ = write!(
        out,
        "<div class=\"rec rec-{kind}\">\n<p class=\"rec-head\"><span aria-hidden=\"true\">{icon}</span> Recommendation: {}</p>\n<p>{}</p>\n",
        escape(&headline(d)),
        escape(pathway_words(d))
    );
    if d.decision == Decision::Pend {
        out.push_str("<ul class=\"needed\">");
        for r in &d.rationale {
            let _ = write!(out, "<li>{}</li>", escape(r));
        }
        out.push_str("</ul>\n");
    }
    if let Some(m) = &d.recommended_modification {
        let _ = writeln!(
            out,
            "<p><strong>Recommended modification:</strong> {}</p>",
            escape(m)
        );
    }
    out.push_str("</div>\n");
    if d.decision != Decision::Pend {
        let _ = write!(out, "<h3>Rationale</h3>\n<ul class=\"rationale\">");
        for r in &d.rationale {
            let _ = write!(out, "<li>{}</li>", escape(r));
        }
        out.push_str("</ul>\n");
    }
    if d.region == CptRegion::Cervical {
        out.push_str("<p class=\"muted\">The ACR low back / thoracic criteria do not cover the cervical spine: no checklist is applied to this request.</p>\n</section>\n");
        return;
    }

    // The four criteria.
    let _ = write!(
        out,
        "<h3>Criteria (ACR Low Back Pain variant 5: failed conservative management)</h3>\n\
         <table class=\"checklist criteria\"><thead><tr><th scope=\"col\">Criterion</th><th scope=\"col\">Status</th><th scope=\"col\">Finding</th><th scope=\"col\">Notes say</th></tr></thead><tbody>\n"
    );
    for (id, label, cr) in criteria_of(d) {
        let weeks = super::weeks_phrase(cr.weeks);
        let _ = writeln!(
            out,
            "<tr data-criterion=\"{id}\" data-status=\"{}\"><th scope=\"row\">{label}</th><td>{}</td><td>{}{weeks}</td><td>{}</td></tr>",
            name(&cr.status),
            status_badge(cr.status),
            escape(&cr.reason),
            c.quotes(&cr.evidence)
        );
    }
    if d.region == CptRegion::Thoracic {
        let (status, b) = if d.thoracic_pain.is_empty() {
            (
                "not_documented",
                badge("not-documented", "\u{2013}", "Not documented"),
            )
        } else {
            ("documented", badge("met", "\u{2713}", "Documented"))
        };
        let _ = writeln!(
            out,
            "<tr data-criterion=\"thoracic_pain\" data-status=\"{status}\"><th scope=\"row\">Pain localised to the thoracic spine</th><td>{b}</td><td>Stands in for radiculopathy on a thoracic request.</td><td>{}</td></tr>",
            c.quotes(&d.thoracic_pain)
        );
    }
    out.push_str("</tbody></table>\n");

    // Red flags.
    out.push_str("<h3>Red flags (any one present makes MRI appropriate now)</h3>\n\
        <table class=\"checklist red-flags\"><thead><tr><th scope=\"col\">Red flag</th><th scope=\"col\">Status</th><th scope=\"col\">Finding</th><th scope=\"col\">Notes say</th></tr></thead><tbody>\n");
    for (id, f) in d.red_flags.iter() {
        let q = if f.evidence.is_empty() {
            "<span class=\"none\">\u{2014}</span>".to_string()
        } else {
            c.quotes(&f.evidence)
        };
        let _ = writeln!(
            out,
            "<tr data-flag=\"{id}\" data-status=\"{}\"><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{q}</td></tr>",
            name(&f.status),
            escape(&capitalise(&red_flags::human(id))),
            flag_badge(f.status),
            escape(&f.reason)
        );
    }
    out.push_str("</tbody></table>\n");

    // Post-surgical context.
    let ps = &d.post_surgical;
    let _ = writeln!(
        out,
        "<h3>Post-surgical context (ACR Low Back Pain variant 6)</h3>\n<div class=\"check\" data-check=\"post_surgical\" data-status=\"{}\"><p>{} {}</p>",
        name(&ps.status),
        status_badge(ps.status),
        escape(&ps.reason)
    );
    if !ps.surgeries.is_empty() {
        out.push_str("<ul class=\"surgeries\">");
        for s in &ps.surgeries {
            let _ = write!(
                out,
                "<li>Prior surgery: {} \u{2014} region {}{}{} {}</li>",
                escape(&s.procedure.replace('_', " ")),
                s.region.map_or("not stated", |r| r.as_str()),
                if s.levels.is_empty() {
                    String::new()
                } else {
                    format!(", levels {}", escape(&s.levels.join(", ")))
                },
                s.date.map_or(String::new(), |d| format!(", about {d}")),
                c.quotes(&s.evidence)
            );
        }
        out.push_str("</ul>");
    }
    if !ps.evidence.is_empty() {
        let _ = write!(
            out,
            "<p class=\"group-h\">Findings cited</p>{}",
            c.quotes(&ps.evidence)
        );
    }
    out.push_str("</div>\n");

    // Non-indications.
    out.push_str("<h3>Common pitfalls found (non-indications)</h3>\n");
    if d.non_indications.is_empty() {
        out.push_str("<p class=\"none\">None found.</p>\n");
    } else {
        out.push_str("<ul class=\"non-indications\">");
        for n in &d.non_indications {
            let _ = write!(
                out,
                "<li data-non-indication=\"{}\">{} <strong>{}</strong>: {} {}</li>",
                escape(&n.id),
                badge("found", "\u{26a0}", "Found"),
                escape(&n.id.replace('_', " ")),
                escape(non_indication_text(&n.id)),
                c.quotes(&n.evidence)
            );
        }
        out.push_str("</ul>\n");
    }

    // Required documentation, grouped by the criterion that asks for it.
    out.push_str("<h3>Required documentation to meet criteria</h3>\n");
    if d.missing_documentation.is_empty() {
        out.push_str("<p class=\"none\">Nothing further: the determination lists no missing documentation.</p>\n");
    } else {
        out.push_str("<div class=\"missing\">");
        let mut shown: Vec<&String> = Vec::new();
        let crs = criteria_of(d);
        for ((id, group), (_, _, cr)) in MISSING_GROUPS.iter().zip(crs.iter()) {
            let items: Vec<&String> = d
                .missing_documentation
                .iter()
                .filter(|m| cr.missing.contains(m) && !shown.contains(m))
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                "<p class=\"group-h\">{group}:</p><ul class=\"todo\" data-group=\"{id}\">"
            );
            for m in items {
                let _ = write!(out, "<li>{}</li>", escape(m));
                shown.push(m);
            }
            out.push_str("</ul>");
        }
        let rest: Vec<&String> = d
            .missing_documentation
            .iter()
            .filter(|m| !shown.contains(m))
            .collect();
        if !rest.is_empty() {
            out.push_str("<p class=\"group-h\">Other:</p><ul class=\"todo\" data-group=\"other\">");
            for m in rest {
                let _ = write!(out, "<li>{}</li>", escape(m));
            }
            out.push_str("</ul>");
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

// ---------------------------------------------------------------------------------------------------------
// Notes, verbatim, with their mentions and cited spans.

/// A span to wrap in markup. `first` opens the element; `rest` opens any further piece when the span has
/// to be split so that elements nest.
struct Markup {
    start: usize,
    end: usize,
    /// 0 for cited spans (outermost when spans coincide), 1 for mentions.
    rank: u8,
    first: String,
    rest: String,
    close: &'static str,
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Escapes `text` with `items` wrapped around their spans. Items earlier in `items` are kept whole; a later
/// item that crosses an earlier one is split at the earlier one's edge, so the elements always nest (an
/// overlapping mention never breaks a cited span). Offsets are bytes; an offset inside a UTF-8 character
/// is widened to the character's edge.
fn render_marked(text: &str, items: Vec<Markup>) -> String {
    struct Piece {
        start: usize,
        end: usize,
        rank: u8,
        seq: usize,
        open: String,
        close: &'static str,
    }
    let mut pieces: Vec<Piece> = Vec::new();
    for it in items {
        let (s, e) = (floor_boundary(text, it.start), ceil_boundary(text, it.end));
        if it.start >= it.end || s >= e {
            continue;
        }
        let mut cuts: Vec<usize> = pieces
            .iter()
            .flat_map(|p| {
                let crosses_in = p.start < s && s < p.end && p.end < e;
                let crosses_out = s < p.start && p.start < e && e < p.end;
                [crosses_in.then_some(p.end), crosses_out.then_some(p.start)]
            })
            .flatten()
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut from = s;
        for (k, to) in cuts.into_iter().chain([e]).enumerate() {
            let seq = pieces.len();
            pieces.push(Piece {
                start: from,
                end: to,
                rank: it.rank,
                seq,
                open: if k == 0 {
                    it.first.clone()
                } else {
                    it.rest.clone()
                },
                close: it.close,
            });
            from = to;
        }
    }
    pieces.sort_by_key(|p| (p.start, std::cmp::Reverse(p.end), p.rank, p.seq));
    let mut out = String::with_capacity(text.len() * 2);
    let mut pos = 0;
    let mut stack: Vec<(usize, &'static str)> = Vec::new();
    for p in &pieces {
        while let Some(&(end, close)) = stack.last() {
            if end > p.start {
                debug_assert!(p.end <= end, "pieces nest");
                break;
            }
            out.push_str(&escape(&text[pos..end]));
            out.push_str(close);
            pos = end;
            stack.pop();
        }
        out.push_str(&escape(&text[pos..p.start]));
        pos = p.start;
        out.push_str(&p.open);
        stack.push((p.end, p.close));
    }
    while let Some((end, close)) = stack.pop() {
        out.push_str(&escape(&text[pos..end]));
        out.push_str(close);
        pos = end;
    }
    out.push_str(&escape(&text[pos..]));
    out
}

/// The markup of one note: its cited spans (targets of the quote links) and its mentions.
fn note_markup(note: &AnalyzedNote<'_>, note_index: usize, cites: &Cites) -> Vec<Markup> {
    let text = &note.note.text;
    let mut cited: Vec<(usize, &Evidence)> = cites
        .list
        .iter()
        .enumerate()
        .filter(|(_, e)| e.note_id == note.note.note_id)
        .map(|(i, e)| (i + 1, e))
        .collect();
    cited.sort_by_key(|(_, e)| (e.start, std::cmp::Reverse(e.end)));
    let mut items: Vec<Markup> = cited
        .into_iter()
        .map(|(n, e)| {
            let data = format!(
                "data-cite=\"{n}\" data-note=\"{}\" data-start=\"{}\" data-end=\"{}\"",
                escape(&e.note_id),
                e.start,
                e.end
            );
            Markup {
                start: e.start,
                end: e.end,
                rank: 0,
                first: format!("<span class=\"ev\" id=\"ev-{n}\" tabindex=\"-1\" {data}>"),
                rest: "<span class=\"ev ev-cont\">".into(),
                close: "</span>",
            }
        })
        .collect();
    let mut mentions: Vec<(usize, &Mention)> = note.mentions.iter().enumerate().collect();
    mentions.sort_by_key(|(_, m)| (m.span.start, std::cmp::Reverse(m.span.end)));
    for (mi, m) in mentions {
        let label = m.assertion.label();
        let class = format!(
            "m c-{} a-{label}{}",
            name(&m.category),
            if m.source.as_str() == "model" {
                " s-model"
            } else {
                ""
            }
        );
        let tip = escape(&mention_tip(text, m));
        items.push(Markup {
            start: m.span.start,
            end: m.span.end,
            rank: 1,
            first: format!(
                "<mark class=\"{class}\" data-m=\"{note_index}-{mi}\" tabindex=\"0\" data-tip=\"{tip}\">"
            ),
            rest: format!("<mark class=\"{class} m-cont\" data-tip=\"{tip}\">"),
            close: "</mark>",
        });
    }
    items
}

fn legend() -> String {
    let mut out = String::from("<div class=\"legend\" aria-label=\"Legend\" role=\"group\"><span class=\"legend-h\">Categories:</span>");
    for (cat, words) in [
        ("symptom", "symptom"),
        ("radicular", "radicular"),
        ("deficit", "deficit"),
        ("functional", "functional"),
        ("conservative", "conservative care"),
        ("injection", "injection"),
        ("intervention", "intervention"),
        ("surgery", "surgery"),
        ("complication", "complication"),
        ("imaging", "imaging"),
        ("red_flag", "red flag"),
        ("red_flag_absent", "red flag absent"),
        ("measurement", "measurement"),
    ] {
        let _ = write!(out, "<mark class=\"m c-{cat} a-present\">{words}</mark>");
    }
    out.push_str("<span class=\"legend-h\">Assertions:</span>");
    for (a, words) in [
        ("present", "present"),
        ("absent", "negated"),
        ("possible", "possible"),
        ("hypothetical", "hypothetical"),
        ("historical", "historical"),
        ("family", "family member"),
    ] {
        let _ = write!(out, "<mark class=\"m c-imaging a-{a}\">{words}</mark>");
    }
    out.push_str("<span class=\"muted\">Hover or focus a highlight for its concept, assertion, cue and dates; <span class=\"ev\" data-cite=\"n\">cited spans</span> carry their citation number.</span></div>\n");
    out
}

fn notes_section(out: &mut String, cites: &Cites, analysis: &CaseAnalysis<'_>) {
    out.push_str("<section class=\"notes\" id=\"notes\" aria-labelledby=\"notes-h\">\n<h2 id=\"notes-h\">Notes, verbatim</h2>\n");
    out.push_str(&legend());
    for (i, note) in analysis.notes.iter().enumerate() {
        let n = note.note;
        let _ = writeln!(
            out,
            "<section class=\"note\" id=\"note-{i}\" aria-labelledby=\"note-{i}-h\" data-note=\"{}\">\n<h3 id=\"note-{i}-h\">Note {} <span class=\"muted\">\u{2014} {} \u{b7} {} \u{b7} {}</span></h3>",
            escape(&n.note_id),
            escape(&n.note_id),
            n.date.map_or("no date".into(), |d| d.to_string()),
            escape(n.kind.as_deref().unwrap_or("kind not given")),
            escape(n.author_role.as_deref().unwrap_or("author not given"))
        );
        let _ = writeln!(
            out,
            "<pre class=\"note-text\">{}</pre>\n</section>",
            render_marked(&n.text, note_markup(note, i, cites))
        );
    }
    out.push_str("</section>\n");
}

// ---------------------------------------------------------------------------------------------------------
// The reviewer's section.

fn review_row(out: &mut String, key: &str, label: &str, found: &str, known: bool) {
    let label_e = escape(label);
    let _ = writeln!(
        out,
        "<tr data-review=\"{key}\" data-prefilled=\"{}\"><th scope=\"row\">{label_e}</th><td>{found}</td>\
         <td><input type=\"radio\" name=\"{key}\" value=\"agree\" aria-label=\"Agree: {label_e}\"{}></td>\
         <td><input type=\"radio\" name=\"{key}\" value=\"override\" aria-label=\"Override: {label_e}\"></td>\
         <td><input type=\"text\" name=\"{key}-reason\" aria-label=\"Override reason: {label_e}\"></td></tr>",
        if known { "agree" } else { "" },
        if known { " checked" } else { "" }
    );
}

fn reviewer_section(out: &mut String, review: &Review) {
    out.push_str("<section class=\"reviewer\" id=\"reviewer\" aria-labelledby=\"reviewer-h\">\n<h2 id=\"reviewer-h\">Reviewer</h2>\n\
        <p class=\"prefill-note\">For the utilization-review nurse or physician reviewer. Where precert reached a definite finding, <em>Agree</em> is pre-selected: change it to <em>Override</em> and give a reason wherever you disagree. Rows left blank are those precert could not decide. The recommendation itself, your name, the attestation and the date are always left to you.</p>\n");
    for (i, d) in review.determinations.iter().enumerate() {
        let _ = writeln!(
            out,
            "<fieldset><legend>CPT {} ({} spine)</legend>\n<table class=\"review\"><thead><tr><th scope=\"col\">Item</th><th scope=\"col\">precert found</th><th scope=\"col\">Agree</th><th scope=\"col\">Override</th><th scope=\"col\">Override reason</th></tr></thead><tbody>",
            escape(&d.cpt),
            escape(&name(&d.region))
        );
        review_row(
            out,
            &format!("p{i}-recommendation"),
            "Recommendation",
            &escape(&headline(d)),
            false,
        );
        if d.region != CptRegion::Cervical {
            for (id, label, cr) in criteria_of(d) {
                review_row(
                    out,
                    &format!("p{i}-{id}"),
                    label,
                    &status_badge(cr.status),
                    cr.status != Status::Unclear,
                );
            }
            review_row(
                out,
                &format!("p{i}-post_surgical"),
                "Post-surgical pathway",
                &status_badge(d.post_surgical.status),
                d.post_surgical.status != Status::Unclear,
            );
            for (id, f) in d.red_flags.iter() {
                review_row(
                    out,
                    &format!("p{i}-{id}"),
                    &format!("Red flag: {}", id.replace('_', " ")),
                    &flag_badge(f.status),
                    f.status != FlagStatus::Unclear,
                );
            }
        }
        out.push_str("</tbody></table></fieldset>\n");
    }
    out.push_str(
        "<label class=\"block\" for=\"rv-note\">Reviewer's note</label>\n<textarea id=\"rv-note\" name=\"note\" rows=\"5\"></textarea>\n\
         <label class=\"block\" for=\"rv-name\">Reviewer name and credentials</label>\n<input type=\"text\" id=\"rv-name\" name=\"reviewer\" autocomplete=\"name\">\n\
         <p class=\"attest\"><input type=\"checkbox\" id=\"rv-attest\" name=\"attest\"> <label for=\"rv-attest\">I personally reviewed the records submitted for this case.</label></p>\n\
         <label class=\"block\" for=\"rv-date\">Date</label>\n<input type=\"date\" id=\"rv-date\" name=\"date\">\n\
         <label class=\"block\" for=\"rv-signature\">Signature</label>\n<input type=\"text\" id=\"rv-signature\" name=\"signature\">\n</section>\n",
    );
}

// ---------------------------------------------------------------------------------------------------------
// The index.

/// Renders the index of a batch: one row per case and procedure, sortable, each linking to its worksheet.
pub fn index(rows: &[IndexRow]) -> String {
    let mut out = String::new();
    page_start(&mut out, "precert worksheets \u{2014} index", INDEX_SCRIPT);
    let n_proc: usize = rows.iter().map(|r| r.procedures.len()).sum();
    let count = |d: Decision| {
        rows.iter()
            .flat_map(|r| &r.procedures)
            .filter(|p| p.decision == d)
            .count()
    };
    let _ = writeln!(
        out,
        "<header class=\"page\"><h1>Reviewer worksheets</h1>\n<p class=\"tagline\">{} cases, {n_proc} procedures: {} recommend approval, {} criteria not met (refer to physician reviewer), {} pend. Select a column heading to sort.</p></header>",
        rows.len(),
        count(Decision::Approve),
        count(Decision::Deny),
        count(Decision::Pend)
    );
    out.push_str("<main id=\"main\">\n<table id=\"cases\"><caption class=\"group-h\">Cases and requested procedures</caption><thead><tr>");
    for h in [
        "Case",
        "Request date",
        "CPT",
        "Procedure",
        "Recommendation",
        "Pathway",
    ] {
        let _ = write!(
            out,
            "<th scope=\"col\"><button type=\"button\" class=\"sort\">{h}</button></th>"
        );
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in rows {
        for p in &r.procedures {
            let (b, order) = match p.decision {
                Decision::Approve => (badge("met", "\u{2713}", "Recommend approval"), "1"),
                Decision::Pend => (badge("unclear", "?", "Pend for physician review"), "2"),
                Decision::Deny => (
                    badge(
                        "not-met",
                        "\u{2717}",
                        "Criteria not met \u{2014} physician review",
                    ),
                    "3",
                ),
            };
            let pathway = p.pathway.map(|x| name(&x)).unwrap_or_default();
            let date = r.request_date.map(|d| d.to_string()).unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr data-case=\"{}\" data-cpt=\"{}\" data-decision=\"{}\"><td data-sort=\"{}\"><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{} ({} spine)</td><td data-sort=\"{order}\" title=\"{}\">{b}</td><td>{}</td></tr>",
                escape(&r.case_id),
                escape(&p.cpt),
                name(&p.decision),
                escape(&r.case_id),
                escape(&r.file),
                escape(&r.case_id),
                if date.is_empty() { "\u{2014}".into() } else { date },
                escape(&p.cpt),
                escape(&p.procedure),
                escape(&name(&p.region)),
                escape(&p.headline),
                if pathway.is_empty() { "\u{2014}".into() } else { escape(&pathway.replace('_', " ")) }
            );
        }
    }
    out.push_str("</tbody></table>\n</main>\n");
    page_end(&mut out, INDEX_SCRIPT);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markup_inert() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            escape("<img src=x onerror=\"window.__pwned=1\">"),
            "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;"
        );
        assert_eq!(escape("</textarea>"), "&lt;/textarea&gt;");
        assert_eq!(
            escape("a & b 'c' \"d\""),
            "a &amp; b &#39;c&#39; &quot;d&quot;"
        );
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("naïve — ok"), "naïve — ok");
    }

    #[test]
    fn base64_and_csp_hash() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }

    fn luminance(hex: &str) -> f64 {
        let c: Vec<f64> = (0..3)
            .map(|i| u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap() as f64 / 255.0)
            .map(|x| {
                if x <= 0.03928 {
                    x / 12.92
                } else {
                    ((x + 0.055) / 1.055).powf(2.4)
                }
            })
            .collect();
        0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    }

    /// WCAG AA: every text colour the stylesheet sets against its background is at least 4.5:1 (mentions
    /// and cited spans: the page's ink on their highlight colour).
    #[test]
    fn text_colours_meet_wcag_aa() {
        let hex = regex::Regex::new(r"(?:^|;)(color|background):(#[0-9a-fA-F]{6})").unwrap();
        let rule = regex::Regex::new(r"([^{}]+)\{([^{}]*)\}").unwrap();
        let mut checked = 0;
        for r in rule.captures_iter(STYLE) {
            let (selector, body) = (r[1].trim(), &r[2]);
            let mut fg = None;
            let mut bg = None;
            for c in hex.captures_iter(body) {
                match &c[1] {
                    "color" => fg = Some(c[2].to_string()),
                    _ => bg = Some(c[2].to_string()),
                }
            }
            let fg = fg.or_else(|| {
                (selector.starts_with("mark") || selector.starts_with(".ev"))
                    .then(|| "#1b1b1b".into())
            });
            let bg = bg.or_else(|| fg.is_some().then(|| "#ffffff".into()));
            if let (Some(f), Some(b)) = (fg, bg) {
                let (l1, l2) = (luminance(&f), luminance(&b));
                let ratio = (l1.max(l2) + 0.05) / (l1.min(l2) + 0.05);
                assert!(ratio >= 4.5, "{selector}: {f} on {b} is {ratio:.2}:1");
                checked += 1;
            }
        }
        assert!(checked >= 20, "{checked} colour pairs checked");
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name("seed-001"), "seed-001.html");
        assert_eq!(file_name("../x<y>"), "___x_y_.html");
        assert_eq!(file_name("index"), "case-index.html");
        assert_eq!(file_name(""), "case-.html");
    }

    fn m(start: usize, end: usize, rank: u8, tag: &str) -> Markup {
        Markup {
            start,
            end,
            rank,
            first: format!("<{tag}>"),
            rest: format!("<{tag}+>"),
            close: "</>",
        }
    }

    #[test]
    fn nested_and_equal_spans_nest() {
        // "abcdef": a cited span [1,5) with a mention on the same span and one inside it.
        let s = render_marked(
            "abcdef",
            vec![m(1, 5, 0, "e"), m(1, 5, 1, "m"), m(2, 3, 1, "n")],
        );
        assert_eq!(s, "a<e><m>b<n>c</>de</></>f");
    }

    #[test]
    fn crossing_spans_split_the_later_item_only() {
        // Cited [0,4) kept whole; a mention [2,6) crossing it is split at 4.
        let s = render_marked("abcdefgh", vec![m(0, 4, 0, "e"), m(2, 6, 1, "m")]);
        assert_eq!(s, "<e>ab<m>cd</></><m+>ef</>gh");
        // Crossing the other way.
        let s = render_marked("abcdefgh", vec![m(3, 7, 0, "e"), m(1, 5, 1, "m")]);
        assert_eq!(s, "a<m>bc</><e><m+>de</>fg</>h");
    }

    #[test]
    fn text_is_escaped_and_utf8_boundaries_respected() {
        let text = "é<b>ü";
        // 'é' is 2 bytes; offset 1 falls inside it and is widened; an empty span is dropped.
        let s = render_marked(text, vec![m(1, 3, 1, "m"), m(6, 6, 1, "z")]);
        assert_eq!(s, "<m>é&lt;</>b&gt;ü");
        let s = render_marked(text, vec![m(5, 6, 1, "m")]);
        assert_eq!(s, "é&lt;b&gt;<m>ü</>");
        // Out-of-range offsets are clamped.
        let s = render_marked("ab", vec![m(1, 99, 1, "m")]);
        assert_eq!(s, "a<m>b</>");
    }

    proptest::proptest! {
        /// Any spans over any text: the markup nests, and without it the text comes back escaped, whole.
        #[test]
        fn any_spans_nest_and_keep_the_text(
            text in "\\PC{0,40}",
            spans in proptest::collection::vec((0usize..130, 0usize..130, 0u8..2), 0..12),
        ) {
            let items = spans.iter().map(|&(a, b, r)| m(a.min(b), a.max(b), r, "x")).collect();
            let out = render_marked(&text, items);
            let mut depth = 0i32;
            let mut rest = out.as_str();
            while let Some(i) = rest.find('<') {
                rest = &rest[i..];
                if rest.starts_with("</>") { depth -= 1; rest = &rest[3..]; }
                else if rest.starts_with("<x+>") { depth += 1; rest = &rest[4..]; }
                else { proptest::prop_assert!(rest.starts_with("<x>")); depth += 1; rest = &rest[3..]; }
                proptest::prop_assert!(depth >= 0);
            }
            proptest::prop_assert_eq!(depth, 0);
            let plain = out.replace("<x>", "").replace("<x+>", "").replace("</>", "");
            proptest::prop_assert_eq!(plain, escape(&text));
        }
    }

    #[test]
    fn many_overlaps_always_nest() {
        // Every pair of spans over a short text: the output must be balanced.
        let text = "αβγ δεζ ηθι";
        let n = text.len();
        let mut items = Vec::new();
        for s in 0..n {
            for e in (s + 1..=n).step_by(3) {
                items.push(m(s, e, (s % 2) as u8, "x"));
            }
        }
        let out = render_marked(text, items);
        let opens = out.matches("<x>").count() + out.matches("<x+>").count();
        assert_eq!(opens, out.matches("</>").count());
        let plain = out
            .replace("<x>", "")
            .replace("<x+>", "")
            .replace("</>", "");
        assert_eq!(plain, text);
    }
}
