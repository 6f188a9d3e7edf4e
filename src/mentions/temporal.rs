//! Temporal expressions, normalised against the note date.
//!
//! Durations ("x 8 wks", "for the past 3 months", "six weeks of PT"), dates ("2026-08-03", "08/04/2026",
//! "since 8/4", "mid-August", "in March 2025"), relative expressions ("3 weeks ago", "12 weeks status post",
//! "since surgery", "before surgery", "2 days prior to surgery") and frequencies ("2x/week", "12 visits").
//! Each expression is found by one regex and normalised here; dates without a year take the latest year
//! that does not put them after the note date. Expressions anchored on a surgery keep the anchor
//! symbolic: the evidence step resolves it once the case's surgeries (and their dates) are known.
//!
//! Trajectory ("somewhat worse", "progressive", "resolved") is not a time point; it lives in
//! `lexicons/context/trajectory.tsv` and is matched by [`TrajectoryMatcher`].

use crate::lexicon::{LexiconError, Lexicons};
use crate::mentions::phrase::{PhraseMatcher, Scan};
use crate::text::regex::{lowercase, Hay, RuleRegex, Window};
use crate::text::Span;
use chrono::{Datelike, Duration, NaiveDate};
use rayon::prelude::*;
use regex::Captures;
use serde::{Deserialize, Serialize};

/// What a temporal expression means, normalised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TemporalValue {
    /// A length of time ("x 8 wks" = 56 days).
    Duration {
        /// Length in days.
        days: i64,
    },
    /// A point in time; `start` when the wording marks it as a beginning ("since 8/4", "started 8/3").
    Date {
        /// The date.
        date: NaiveDate,
        /// True for "since/from/started/beginning" dates.
        start: bool,
    },
    /// Relative to a surgery: `offset_days` before (negative) or after (positive) it; `since` for "since
    /// surgery" (from the surgery until the note).
    Surgery {
        /// Days relative to the surgery date, when stated.
        offset_days: Option<i64>,
        /// "since surgery": a span starting at the surgery.
        since: bool,
    },
    /// A treatment frequency ("2x/week").
    Frequency {
        /// Sessions per week.
        per_week: f64,
    },
    /// A count of treatment visits ("12 visits").
    Visits {
        /// Number of visits.
        count: u32,
    },
}

/// A temporal expression found in a note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemporalExpr {
    /// Where.
    pub span: Span,
    /// What it means.
    pub value: TemporalValue,
}

/// Compiled temporal patterns.
#[derive(Debug)]
pub struct TemporalMatcher {
    rules: Vec<(Rule, RuleRegex)>,
}

#[derive(Clone, Copy, Debug)]
enum Rule {
    SurgeryOffset,
    SinceSurgery,
    BeforeSurgery,
    Ago,
    PostOp,
    Duration,
    Iso,
    Slash,
    MonthDay,
    Year,
    Frequency,
    Visits,
}

const NUM: &str = r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|a few|several|a couple of|a couple|couple of|a|an)";
const UNIT: &str = r"(days?|d|weeks?|wks?|wk|w|months?|mos?|mo|years?|yrs?|yr)";
const MONTH: &str = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)";
const SURGERY_WORD: &str = r"(?:the\s+|his\s+|her\s+|their\s+)?(?:(?:cervical|lumbar|thoracic|spine|spinal|back|neck|index|last|prior|first)\s+)?(?:surgery|operation|procedure|fusion|ACDF|laminectomy|discectomy|microdiscectomy|decompression)";

impl TemporalMatcher {
    /// Compiles the patterns (they are code, not data: they are grammar, not vocabulary).
    pub fn new() -> TemporalMatcher {
        let start_cue = r"(since|from|starting|started|start|began|beginning|begun|initiated|commenced|dated|as of|on|through|thru|until|at (?:her|his|their|the)|at)";
        let rules = vec![
            (Rule::SurgeryOffset, format!(r"(?i)\b{NUM}\s*[- ]?\s*{UNIT}\s+(prior to|before|after|following|post)\s+{SURGERY_WORD}\b")),
            (Rule::SinceSurgery, format!(r"(?i)\b(since|after|following)\s+{SURGERY_WORD}\b")),
            (Rule::BeforeSurgery, format!(r"(?i)\b(before|prior to|preceding)\s+{SURGERY_WORD}\b")),
            (Rule::Ago, format!(r"(?i)\b{NUM}\s*[- ]?\s*{UNIT}\s+(ago|prior|previously|earlier|back)\b|\b(yesterday|last week|last month|last year)\b")),
            (Rule::PostOp, format!(r"(?i)\b{NUM}\s*[- ]?\s*{UNIT}\s+(status post|s/p|post[- ]?op(?:eratively)?|postoperative(?:ly)?|out from|from surgery|after surgery)")),
            // "x6 wks", "x 8 weeks": the clinical "times" sign, glued to the number or not.
            (Rule::Duration, format!(r"(?i)\bx\s*(\d+(?:\.\d+)?)\s*[- ]?\s*{UNIT}\b")),
            (Rule::Duration, format!(r"(?i)(?:\b(?:for|over|during|past|last|about|approximately|approx\.?|nearly|almost|at least|total of|x|times)\s*|×\s*|\bx)?(?:the\s+)?(?:past\s+|last\s+|previous\s+|prior\s+)?\b{NUM}\s*[- ]?\s*(?:\+\s*)?{UNIT}\b")),
            (Rule::Iso, r"\b(20\d\d|19\d\d)-(\d\d)-(\d\d)\b".to_string()),
            (Rule::Slash, format!(r"(?i)(?:\b{start_cue}\s+)?\b(\d{{1,2}})/(\d{{1,2}})(?:/(\d{{4}}|\d{{2}}))?\b")),
            (Rule::MonthDay, format!(r"(?:\b(?i:{start_cue})\s+)?(?:\b(?i:(early|mid|late|end of|beginning of))[- ]\s*)?\b{MONTH}\.?(?:\s+(\d{{1,2}})(?:st|nd|rd|th)?)?(?:,?\s+((?:19|20)\d\d))?\b")),
            (Rule::Year, r"(?i)\b(in|since|from|circa|back in|during)\s+((?:19|20)\d\d)\b".to_string()),
            (Rule::Frequency, r"(?i)\b(\d|once|twice|one|two|three|four|five)\s*(?:x|times|×)?\s*(?:/|a|per|each|every)?\s*(?:wk|week|weekly)\b|\b(biweekly|twice weekly|BIW|TIW)\b".to_string()),
            (Rule::Visits, r"(?i)\b(\d{1,3})\s+(?:PT\s+|therapy\s+|chiropractic\s+|physical therapy\s+)?(?:visits|sessions|treatments|appointments)\b".to_string()),
        ];
        TemporalMatcher {
            rules: rules
                .into_par_iter()
                .map(|(r, p)| (r, RuleRegex::new(&p).expect("temporal regex")))
                .collect(),
        }
    }

    /// Finds and normalises every temporal expression in `text`. `note_date` anchors relative forms;
    /// without it, only absolute dates, durations and frequencies are returned.
    pub fn find(&self, text: &str, note_date: Option<NaiveDate>) -> Vec<TemporalExpr> {
        let lower = lowercase(text);
        self.find_within(&Hay::new(text, &lower), note_date, &[Window::whole(text)])
    }

    /// The expressions that start inside `windows` (in text order, not overlapping). Each rule reads the
    /// windows in turn as one search of the whole text would, resuming after its last match, so within
    /// a window the expressions are those of the whole text (`mentions` searches only where an
    /// expression can reach a mention).
    /// `hay` is the note as the rule regexes read it (a [`Scan`] has it).
    pub fn find_within(
        &self,
        hay: &Hay,
        note_date: Option<NaiveDate>,
        windows: &[Window],
    ) -> Vec<TemporalExpr> {
        let text = hay.text();
        let mut out: Vec<TemporalExpr> = Vec::new();
        for (rule, re) in &self.rules {
            let mut resume = 0;
            for w in windows {
                if !re.may_match(hay, w.from, w.limit) {
                    continue; // no match can lie in this window, so none is consumed there either
                }
                let mut at = w.from.max(resume);
                while at < w.until {
                    let Some(caps) = re.captures_at(hay, at, w.limit) else {
                        break;
                    };
                    let m = caps.get(0).expect("group 0");
                    if m.start() >= w.until {
                        break;
                    }
                    // No rule matches the empty string; step past one anyway rather than loop.
                    resume = if m.end() > m.start() {
                        m.end()
                    } else {
                        m.end() + text[m.end()..].chars().next().map_or(1, char::len_utf8)
                    };
                    at = resume;
                    let span = Span::new(m.start(), m.end());
                    if out.iter().any(|e| e.span.overlaps(span)) {
                        continue; // earlier rules are more specific
                    }
                    if let Some(value) = normalise(*rule, &caps, note_date, text, span) {
                        out.push(TemporalExpr { span, value });
                    }
                }
            }
        }
        out.sort_by_key(|e| e.span.start);
        out
    }
}

impl Default for TemporalMatcher {
    fn default() -> Self {
        TemporalMatcher::new()
    }
}

fn number(s: &str) -> Option<f64> {
    let s = s.trim().to_ascii_lowercase();
    Some(match s.as_str() {
        "a" | "an" | "one" => 1.0,
        "two" | "a couple" | "a couple of" | "couple of" => 2.0,
        "three" | "a few" | "several" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "seven" => 7.0,
        "eight" => 8.0,
        "nine" => 9.0,
        "ten" => 10.0,
        "eleven" => 11.0,
        "twelve" => 12.0,
        "fifteen" => 15.0,
        "twenty" => 20.0,
        other => other.parse().ok()?,
    })
}

fn unit_days(u: &str) -> Option<f64> {
    let u = u.to_ascii_lowercase();
    Some(match u.chars().next()? {
        'd' => 1.0,
        'w' => 7.0,
        'm' => 30.4375,
        'y' => 365.25,
        _ => return None,
    })
}

/// The longest span of time a note can mean: 150 years. Anything longer ("99999999 wk post-op", a run of
/// digits from a scanned form) is not a clinical time and is no temporal expression.
const MAX_DAYS: i64 = 54_788;

fn days_of(n: &str, unit: &str) -> Option<i64> {
    // Bounded here, not only where dates are computed: an unbounded count (up to `i64::MAX` after the
    // saturating cast) made `Duration::days` panic (fuzzing, `fuzz/README.md`), and would otherwise reach
    // the output as a meaningless `Duration`.
    let days = (number(n)? * unit_days(unit)?).round();
    (days <= MAX_DAYS as f64).then_some(days as i64)
}

/// `date` less `days` days; `None` when that falls outside the calendar chrono can represent (a note dated
/// near year -262143 is valid input). Every date computed from a duration goes through here.
pub(crate) fn days_before(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    date.checked_sub_signed(Duration::try_days(days)?)
}

fn month_number(m: &str) -> Option<u32> {
    let m = m.to_ascii_lowercase();
    [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|p| m.starts_with(p))
    .map(|i| i as u32 + 1)
}

/// Resolves a month/day without a year against the note date. A start ("since 8/4") cannot be after the
/// note, so it takes the latest such date not after it; any other date ("f/u on 08/17") takes the year that
/// puts it nearest the note, so follow-up dates stay in the future.
fn resolve_year(
    month: u32,
    day: u32,
    year: Option<i32>,
    note: Option<NaiveDate>,
    start: bool,
) -> Option<NaiveDate> {
    if let Some(y) = year {
        return NaiveDate::from_ymd_opt(y, month, day);
    }
    let note = note?;
    let candidates: Vec<NaiveDate> = (-1..=1)
        .filter_map(|dy| NaiveDate::from_ymd_opt(note.year() + dy, month, day))
        .collect();
    if start {
        candidates.into_iter().filter(|d| *d <= note).max()
    } else {
        candidates
            .into_iter()
            .min_by_key(|d| (*d - note).num_days().abs())
    }
}

fn is_start_cue(s: Option<&str>) -> bool {
    s.is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        !matches!(c.as_str(), "on" | "dated" | "through" | "thru" | "until") && !c.starts_with("at")
    })
}

fn normalise(
    rule: Rule,
    caps: &Captures,
    note: Option<NaiveDate>,
    text: &str,
    span: Span,
) -> Option<TemporalValue> {
    // Group text from the note itself: a folded rule's captures point into the lowercased copy.
    let g = |i: usize| caps.get(i).map(|m| &text[m.range()]);
    match rule {
        Rule::SurgeryOffset => {
            let days = days_of(g(1)?, g(2)?)?;
            let rel = g(3)?.to_ascii_lowercase();
            let sign = if rel.starts_with("prior") || rel.starts_with("before") {
                -1
            } else {
                1
            };
            Some(TemporalValue::Surgery {
                offset_days: Some(sign * days),
                since: false,
            })
        }
        Rule::SinceSurgery => Some(TemporalValue::Surgery {
            offset_days: None,
            since: true,
        }),
        Rule::BeforeSurgery => Some(TemporalValue::Surgery {
            offset_days: Some(-1),
            since: false,
        }),
        Rule::Ago => {
            let note = note?;
            let days = if let Some(word) = g(5) {
                match word.to_ascii_lowercase().as_str() {
                    "yesterday" => 1,
                    "last week" => 7,
                    "last month" => 30,
                    _ => 365,
                }
            } else {
                days_of(g(1)?, g(2)?)?
            };
            Some(TemporalValue::Date {
                date: days_before(note, days)?,
                start: true,
            })
        }
        Rule::PostOp => {
            // "12 weeks status post ACDF": the surgery was that long before the note.
            let note = note?;
            let days = days_of(g(1)?, g(2)?)?;
            Some(TemporalValue::Date {
                date: days_before(note, days)?,
                start: true,
            })
        }
        Rule::Duration => {
            let days = days_of(g(1)?, g(2)?)?;
            // "5 days" and "8 wks" are durations; a bare "a d" or "a w" is noise.
            let unit = g(2)?.to_ascii_lowercase();
            if (unit == "d" || unit == "w")
                && !text[span].to_ascii_lowercase().starts_with('x')
                && !g(1)?.chars().all(|c| c.is_ascii_digit())
            {
                return None;
            }
            // "09/28 w/o relief": a single-letter unit followed by '/' is an abbreviation, not a unit.
            if unit.len() == 1 && text[span.end..].starts_with('/') {
                return None;
            }
            // "58-year-old" is an age, not a duration.
            if text[span.end..].starts_with("-old") || text[span.end..].starts_with(" old") {
                return None;
            }
            (days > 0).then_some(TemporalValue::Duration { days })
        }
        Rule::Iso => {
            let date = NaiveDate::from_ymd_opt(
                g(1)?.parse().ok()?,
                g(2)?.parse().ok()?,
                g(3)?.parse().ok()?,
            )?;
            let before = text[..span.start].to_ascii_lowercase();
            let start = [
                "since ",
                "from ",
                "started ",
                "starting ",
                "began ",
                "beginning ",
                "initiated ",
                "start ",
            ]
            .iter()
            .any(|c| before.trim_end().ends_with(c.trim_end()));
            Some(TemporalValue::Date { date, start })
        }
        Rule::Slash => {
            let (a, b) = (g(2)?.parse::<u32>().ok()?, g(3)?.parse::<u32>().ok()?);
            let year = match g(4) {
                Some(y) if y.len() == 2 => Some(2000 + y.parse::<i32>().ok()?),
                Some(y) => Some(y.parse().ok()?),
                None => None,
            };
            // "5/5", "7/10", "4+/5": grades and scores, not dates. Without a year, require a date cue.
            if year.is_none() && g(1).is_none() {
                return None;
            }
            if b == 5 && year.is_none() || b == 10 && year.is_none() {
                return None;
            }
            let start = is_start_cue(g(1));
            let date = resolve_year(a, b, year, note, start)?;
            Some(TemporalValue::Date { date, start })
        }
        Rule::MonthDay => {
            let month_text = g(3)?;
            // "May", "March", "Mar" are also words; require a capital and a day, year, part-of-month or cue.
            if !month_text.starts_with(|c: char| c.is_ascii_uppercase()) {
                return None;
            }
            if g(1).is_none() && g(2).is_none() && g(4).is_none() && g(5).is_none() {
                let before = text[..span.start].trim_end().to_ascii_lowercase();
                if !(before.ends_with(" in")
                    || before.ends_with(" of")
                    || before.ends_with(" since"))
                {
                    return None;
                }
            }
            let month = month_number(month_text)?;
            let day = match (g(4), g(2).map(|p| p.to_ascii_lowercase())) {
                (Some(d), _) => d.parse().ok()?,
                (None, Some(p)) if p == "early" || p == "beginning of" => 5,
                (None, Some(p)) if p == "mid" => 15,
                (None, Some(p)) if p == "late" || p == "end of" => 25,
                _ => 1,
            };
            let year = g(5).and_then(|y| y.parse().ok());
            let before = text[..span.start].trim_end().to_ascii_lowercase();
            let start = is_start_cue(g(1)) || before.ends_with("since");
            let date = resolve_year(month, day, year, note, start || g(1).is_none())?;
            Some(TemporalValue::Date { date, start })
        }
        Rule::Year => {
            let year: i32 = g(2)?.parse().ok()?;
            let cue = g(1)?.to_ascii_lowercase();
            Some(TemporalValue::Date {
                date: NaiveDate::from_ymd_opt(year, 7, 1)?,
                start: cue == "since" || cue == "from",
            })
        }
        Rule::Frequency => {
            let per_week = match g(1).or(g(2))?.to_ascii_lowercase().as_str() {
                "once" | "one" => 1.0,
                "twice" | "two" | "biweekly" | "twice weekly" | "biw" => 2.0,
                "three" | "tiw" => 3.0,
                "four" => 4.0,
                "five" => 5.0,
                n => n.parse().ok()?,
            };
            Some(TemporalValue::Frequency { per_week })
        }
        Rule::Visits => Some(TemporalValue::Visits {
            count: g(1)?.parse().ok()?,
        }),
    }
}

/// How a symptom is changing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Trajectory {
    /// Worse (definite or vague).
    Worse,
    /// Progressive.
    Progressive,
    /// Newly appeared.
    New,
    /// Came back.
    Recurrent,
    /// Improved.
    Improved,
    /// Gone.
    Resolved,
    /// Unchanged.
    Stable,
    /// Persisting despite treatment.
    Persistent,
    /// Long-standing / pre-existing.
    Chronic,
}

/// A trajectory cue with its strength.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrajectoryCue {
    /// Where.
    pub span: Span,
    /// Which way.
    pub trajectory: Trajectory,
    /// "vague" for "somewhat worse" and the like.
    pub vague: bool,
    /// The lexicon row.
    pub rule: String,
}

/// Trajectory phrases from `lexicons/context/trajectory.tsv`.
#[derive(Debug)]
pub struct TrajectoryMatcher {
    rows: Vec<(String, Trajectory, bool)>,
    matcher: PhraseMatcher,
}

impl TrajectoryMatcher {
    /// Loads the trajectory lexicon.
    pub fn build(lex: &Lexicons) -> Result<TrajectoryMatcher, LexiconError> {
        let file = "context/trajectory.tsv";
        let table = lex.table(file)?;
        table.expect_columns(&["id", "match", "trajectory", "strength", "source"])?;
        let mut rows = Vec::new();
        let mut cells = Vec::new();
        for row in table.rows() {
            let t = row.get("trajectory")?;
            let trajectory: Trajectory =
                serde_json::from_value(serde_json::Value::String(t.into()))
                    .map_err(|_| row.error(format!("unknown trajectory {t:?}")))?;
            let vague = match row.get("strength")? {
                "vague" => true,
                "definite" => false,
                s => return Err(row.error(format!("unknown strength {s:?}"))),
            };
            cells.push((rows.len(), row.get("match")?.to_string()));
            rows.push((row.get("id")?.to_string(), trajectory, vague));
        }
        let matcher =
            PhraseMatcher::build(cells.iter().map(|(i, c)| (*i, c.as_str())), |_, reason| {
                LexiconError {
                    file: file.into(),
                    line: 0,
                    reason,
                }
            })?;
        Ok(TrajectoryMatcher { rows, matcher })
    }

    /// The phrase matcher, for sharing its scanner with the other layers.
    pub(crate) fn phrases_mut(&mut self) -> &mut PhraseMatcher {
        &mut self.matcher
    }

    /// Non-overlapping trajectory cues in the scanned note.
    pub fn find(&self, scan: &Scan) -> Vec<TrajectoryCue> {
        self.matcher
            .find(scan)
            .into_iter()
            .map(|h| {
                let (rule, trajectory, vague) = &self.rows[h.row];
                TrajectoryCue {
                    span: h.span,
                    trajectory: *trajectory,
                    vague: *vague,
                    rule: rule.clone(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn find(text: &str) -> Vec<(String, TemporalValue)> {
        let note = Some(d("2026-10-14"));
        TemporalMatcher::new()
            .find(text, note)
            .into_iter()
            .map(|e| (text[e.span].to_string(), e.value))
            .collect()
    }

    #[test]
    fn windows_find_what_the_whole_text_has_there() {
        let text =
            "Seen 3 weeks ago. Pain since 8/4, PT 2x/week x 6 wks.\nNo fever. Injection 2 days \
                    prior to surgery; mid-August flare. Onset in 2019.";
        let note = Some(d("2026-10-14"));
        let tm = TemporalMatcher::new();
        let lower = lowercase(text);
        let whole = tm.find(text, note);
        assert!(whole.len() >= 6, "{whole:?}");
        let second = text.find("Pain").unwrap();
        let fourth = text.find("Injection").unwrap();
        for (from, until) in [
            (0, text.len()),
            (second, fourth),
            (fourth, text.len()),
            (5, 40),
        ] {
            let w = Window::new(text, from, until, until);
            let got = tm.find_within(&Hay::new(text, &lower), note, &[w]);
            let want: Vec<_> = whole
                .iter()
                .filter(|e| e.span.start >= from && e.span.start < until)
                .cloned()
                .collect();
            assert_eq!(got, want, "window {from}..{until}");
        }
        // Two windows read in one pass give both windows' expressions.
        let w1 = Window::new(text, 0, second, second);
        let w2 = Window::new(text, fourth, text.len(), text.len());
        let both = tm.find_within(&Hay::new(text, &lower), note, &[w1, w2]);
        assert_eq!(
            both,
            whole
                .iter()
                .filter(|e| e.span.start < second || e.span.start >= fourth)
                .cloned()
                .collect::<Vec<_>>()
        );
    }

    /// Found by fuzzing (`fuzz/README.md`, review target): an unbounded count made `Duration::days` panic
    /// ("TimeDelta::days out of bounds"), and a count within its range but past the calendar made
    /// `NaiveDate - Duration` panic; so did any duration before a note dated at chrono's first day.
    #[test]
    fn absurd_counts_and_calendar_edges_are_no_dates() {
        assert!(find("99999999999999999999 days ago").is_empty());
        assert!(find("99999999wk postop").is_empty());
        assert!(find("PT x 99999 years").is_empty());
        let at_min = TemporalMatcher::new().find("5 weeks ago", Some(NaiveDate::MIN));
        // No date (the duration "5 weeks" alone remains).
        assert_eq!(at_min.len(), 1);
        assert_eq!(at_min[0].value, TemporalValue::Duration { days: 35 });
        assert_eq!(days_before(NaiveDate::MIN, 1), None);
        // Ordinary counts are unchanged.
        assert_eq!(
            find("x 150 years")[0].1,
            TemporalValue::Duration { days: 54788 }
        );
        assert_eq!(
            find("6 weeks post-op")[0].1,
            TemporalValue::Date {
                date: d("2026-09-02"),
                start: true
            }
        );
    }

    #[test]
    fn durations() {
        assert_eq!(
            find("PT x 8 wks")[0].1,
            TemporalValue::Duration { days: 56 }
        );
        assert_eq!(
            find("for the past 3 months")[0].1,
            TemporalValue::Duration { days: 91 }
        );
        assert_eq!(
            find("six weeks of therapy")[0].1,
            TemporalValue::Duration { days: 42 }
        );
        assert_eq!(
            find("LBP x6 wks")[0].1,
            TemporalValue::Duration { days: 42 }
        );
        assert!(find("58-year-old male").is_empty());
    }

    #[test]
    fn dates_resolve_against_note_date() {
        assert_eq!(
            find("PT 2x/week since 8/4")[1].1,
            TemporalValue::Date {
                date: d("2026-08-04"),
                start: true
            }
        );
        assert_eq!(
            find("since mid-August")[0].1,
            TemporalValue::Date {
                date: d("2026-08-15"),
                start: true
            }
        );
        assert_eq!(
            find("seen 08/04/2026")[0].1,
            TemporalValue::Date {
                date: d("2026-08-04"),
                start: false
            }
        );
        assert_eq!(
            find("started 2026-08-03")[0].1,
            TemporalValue::Date {
                date: d("2026-08-03"),
                start: true
            }
        );
        // November is after the October note date: it was last year's.
        assert_eq!(
            find("since November 3")[0].1,
            TemporalValue::Date {
                date: d("2025-11-03"),
                start: true
            }
        );
        assert_eq!(
            find("3 weeks ago")[0].1,
            TemporalValue::Date {
                date: d("2026-09-23"),
                start: true
            }
        );
    }

    #[test]
    fn grades_and_scores_are_not_dates() {
        assert!(find("Strength 5/5, pain 7/10").is_empty());
        assert!(find("He may return").is_empty());
    }

    #[test]
    fn surgery_relative_and_frequency() {
        assert_eq!(
            find("12 weeks status post ACDF")[0].1,
            TemporalValue::Date {
                date: d("2026-07-22"),
                start: true
            }
        );
        assert_eq!(
            find("since the cervical surgery")[0].1,
            TemporalValue::Surgery {
                offset_days: None,
                since: true
            }
        );
        assert_eq!(
            find("2 days prior to surgery")[0].1,
            TemporalValue::Surgery {
                offset_days: Some(-2),
                since: false
            }
        );
        assert_eq!(
            find("PT 2x/week")[0].1,
            TemporalValue::Frequency { per_week: 2.0 }
        );
        assert_eq!(
            find("completed 12 visits")[0].1,
            TemporalValue::Visits { count: 12 }
        );
    }
}
