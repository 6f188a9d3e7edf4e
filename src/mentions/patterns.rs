//! Measured values that lexicons cannot list: strength grades, pain scores, disability scales, labs.
//!
//! Thresholds are typed code with their source, not vocabulary:
//! * Strength: MRC scale 0-5; below 5/5 is weakness.
//! * ODI: Fairbank & Pynsent 2000 — 0-20% minimal disability, 21-40% moderate, >40% severe; NDI likewise
//!   (Vernon 1991, percent form). Above 20% counts as a functional limitation.
//! * ESR > 20 mm/h, CRP > 10 mg/L (1.0 mg/dL), WBC > 11 K/uL: elevated (ACR LBP 2021 variant 3 cites
//!   elevated inflammatory markers as suspicion of infection; reference ranges per common lab practice).

use crate::text::Span;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// A measured value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Value {
    /// MRC muscle strength grade (4+ = 4.5, 4- = 3.75).
    Strength {
        /// The grade.
        grade: f64,
    },
    /// Numeric pain rating 0-10.
    PainScore {
        /// The score.
        score: f64,
    },
    /// A disability questionnaire in percent.
    Disability {
        /// "ODI", "NDI".
        scale: String,
        /// Percent.
        percent: f64,
    },
    /// An inflammatory lab value.
    Lab {
        /// "ESR", "CRP", "WBC".
        test: String,
        /// The number as written.
        value: f64,
        /// The unit as written, if any.
        unit: Option<String>,
        /// Above the reference threshold.
        elevated: bool,
    },
}

/// A value found in text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Where.
    pub span: Span,
    /// What.
    pub value: Value,
    /// The pattern that found it.
    pub rule: &'static str,
}

/// Compiled value patterns.
#[derive(Debug)]
pub struct PatternMatcher {
    strength: Regex,
    pain: Regex,
    disability: Regex,
    lab: Regex,
}

impl Default for PatternMatcher {
    fn default() -> Self {
        PatternMatcher::new()
    }
}

/// "N/5" is a muscle grade only beside motor words ("EHL 4/5", "4/5 strength", "hip flex 5/5 B"): alone it
/// is as often a date ("ED 1/5"), a count ("Waddell signs 1/5") or a score.
fn is_strength_context(text: &str, start: usize, end: usize) -> bool {
    let after = text[end..].trim_start_matches([' ', '\t']);
    if after.starts_with('/') && after[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return false; // a date: 1/5/2026
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let lo = text[..start]
        .char_indices()
        .rev()
        .nth(40)
        .map_or(0, |(i, _)| i)
        .max(line_start);
    let hi = text[end..]
        .char_indices()
        .nth(40)
        .map_or(text.len(), |(i, _)| end + i)
        .min(line_end);
    let window = text[lo..hi].to_ascii_lowercase();
    if window.contains("waddell") {
        return false;
    }
    MOTOR_WORDS.is_match(&window)
}

static MOTOR_WORDS: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    crate::text::regex::compile(
        r"\b(?:strength|strong|weak\w*|motor|mmt|power|flex\w*|ext(?:ension|ensor|ensors)?|dorsi\w*|plantar\w*|df|pf|ehl|ta|tib\w*|gastroc\w*|quad\w*|hamstring\w*|hip|knee|ankle|toe|great toe|iliopsoas|ip|abduct\w*|adduct\w*|glut\w*|evers\w*|invers\w*|grip|deltoid|biceps|triceps|wrist|finger|interossei|l[1-5]|s1|myotom\w*|bilat\w*|b/l|ble|lle|rle|bue|\(?[lr]\)?)\b",
    )
    .expect("motor words")
});

impl PatternMatcher {
    /// Compiles the patterns.
    pub fn new() -> PatternMatcher {
        PatternMatcher {
            strength: crate::text::regex::compile(r"\b([0-5])\s*([+-])?\s*/\s*5\b").expect("strength"),
            pain: crate::text::regex::compile(r"\b(10|[0-9](?:\.5)?)\s*/\s*10\b").expect("pain"),
            disability: crate::text::regex::compile(
                r"(?i)\b(ODI|Oswestry(?:\s+Disability\s+Index)?(?:\s+score)?|NDI|Neck Disability Index)\b[^.;\n%]{0,25}?(\d{1,3}(?:\.\d+)?)\s*%",
            )
            .expect("disability"),
            lab: crate::text::regex::compile(
                r"(?i)\b(ESR|sed(?:imentation)? rate|CRP|C-reactive protein|WBC|white (?:blood )?(?:cell )?count)\b[^.;\n\d]{0,15}(\d+(?:\.\d+)?)\s*(mg/dL|mg/L|mm/hr?|K/uL|K/mm3|x\s?10\^?9/L)?",
            )
            .expect("lab"),
        }
    }

    /// Every value in `text`, in order.
    pub fn find(&self, text: &str) -> Vec<Measurement> {
        let mut out = Vec::new();
        for c in self.strength.captures_iter(text) {
            let m = c.get(0).expect("0");
            if !is_strength_context(text, m.start(), m.end()) {
                continue;
            }
            let base: f64 = c[1].parse().unwrap_or(5.0);
            let grade = match c.get(2).map(|s| s.as_str()) {
                Some("+") => base + 0.5,
                Some("-") => base - 0.25,
                _ => base,
            };
            out.push(Measurement {
                span: Span::new(m.start(), m.end()),
                value: Value::Strength { grade },
                rule: "pat-strength",
            });
        }
        for c in self.pain.captures_iter(text) {
            let m = c.get(0).expect("0");
            let score: f64 = c[1].parse().unwrap_or(0.0);
            out.push(Measurement {
                span: Span::new(m.start(), m.end()),
                value: Value::PainScore { score },
                rule: "pat-pain-score",
            });
        }
        for c in self.disability.captures_iter(text) {
            let m = c.get(0).expect("0");
            let name = c[1].to_ascii_uppercase();
            let scale = if name.starts_with('N') { "NDI" } else { "ODI" }.to_string();
            let percent: f64 = c[2].parse().unwrap_or(0.0);
            out.push(Measurement {
                span: Span::new(m.start(), m.end()),
                value: Value::Disability { scale, percent },
                rule: "pat-disability",
            });
        }
        for c in self.lab.captures_iter(text) {
            let m = c.get(0).expect("0");
            let name = c[1].to_ascii_lowercase();
            let test = if name.starts_with("esr") || name.starts_with("sed") {
                "ESR"
            } else if name.starts_with("crp") || name.starts_with("c-") {
                "CRP"
            } else {
                "WBC"
            };
            let value: f64 = c[2].parse().unwrap_or(0.0);
            let unit = c.get(3).map(|u| u.as_str().to_string());
            let elevated = match test {
                "ESR" => value > 20.0,
                // mg/dL when the unit says so or when the number is small; mg/L otherwise.
                "CRP" => match unit.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    Some("mg/dl") => value > 1.0,
                    Some("mg/l") => value > 10.0,
                    _ => {
                        value > 10.0
                            || (value > 1.0
                                && value < 10.0
                                && text[m.start()..m.end()].contains('.'))
                    }
                },
                _ => value > 11.0 && value < 100.0,
            };
            out.push(Measurement {
                span: Span::new(m.start(), m.end()),
                value: Value::Lab {
                    test: test.to_string(),
                    value,
                    unit,
                    elevated,
                },
                rule: "pat-lab",
            });
        }
        out.sort_by_key(|m| m.span.start);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let p = PatternMatcher::new();
        let got: Vec<Value> = p
            .find("EHL 4+/5, pain 7/10, ODI 44%, ESR 88, CRP 12.4 mg/dL, WBC 9.1")
            .into_iter()
            .map(|m| m.value)
            .collect();
        assert_eq!(got[0], Value::Strength { grade: 4.5 });
        assert_eq!(got[1], Value::PainScore { score: 7.0 });
        assert_eq!(
            got[2],
            Value::Disability {
                scale: "ODI".into(),
                percent: 44.0
            }
        );
        assert!(matches!(got[3], Value::Lab { elevated: true, .. }));
        assert!(matches!(got[4], Value::Lab { elevated: true, .. }));
        assert!(matches!(
            got[5],
            Value::Lab {
                elevated: false,
                ..
            }
        ));
    }
}
