//! The corpus's written form of a normalised temporal value (`duration:56`, `since:2026-08-04`, …; see
//! corpus/README.md) and its comparison with what precert's temporal layer produced.

use crate::mentions::temporal::TemporalValue;
use chrono::NaiveDate;

/// A gold temporal value.
#[derive(Clone, Debug, PartialEq)]
pub enum GoldValue {
    /// `duration:<days>`.
    Duration(i64),
    /// `date:<YYYY-MM-DD>` (start false) or `since:<YYYY-MM-DD>` (start true).
    Date(NaiveDate, bool),
    /// `surgery:<offset days>`.
    SurgeryOffset(i64),
    /// `surgery:since`.
    SinceSurgery,
    /// `frequency:<per week>`.
    Frequency(f64),
    /// `visits:<count>`.
    Visits(u32),
}

/// Parses the written form; `None` when it is not one.
pub fn parse_value(s: &str) -> Option<GoldValue> {
    let (kind, v) = s.trim().split_once(':')?;
    Some(match kind {
        "duration" => GoldValue::Duration(v.parse().ok()?),
        "date" => GoldValue::Date(v.parse().ok()?, false),
        "since" => GoldValue::Date(v.parse().ok()?, true),
        "surgery" if v == "since" => GoldValue::SinceSurgery,
        "surgery" => GoldValue::SurgeryOffset(v.parse().ok()?),
        "frequency" => GoldValue::Frequency(v.parse().ok()?),
        "visits" => GoldValue::Visits(v.parse().ok()?),
        _ => return None,
    })
}

/// True when precert's value means the gold value. Durations may differ by one day per month of length
/// ("3 months" is 90 days to one annotator, 91 to another); a start date must be marked as a start.
pub fn same_value(got: &TemporalValue, gold: &GoldValue) -> bool {
    match (got, gold) {
        (TemporalValue::Duration { days }, GoldValue::Duration(g)) => {
            (days - g).abs() <= (g / 30).max(0)
        }
        (TemporalValue::Date { date, start }, GoldValue::Date(g, gs)) => date == g && start == gs,
        (
            TemporalValue::Surgery {
                offset_days: Some(d),
                since: false,
            },
            GoldValue::SurgeryOffset(g),
        ) => d == g,
        (TemporalValue::Surgery { since: true, .. }, GoldValue::SinceSurgery) => true,
        (TemporalValue::Frequency { per_week }, GoldValue::Frequency(g)) => {
            (per_week - g).abs() < 1e-6
        }
        (TemporalValue::Visits { count }, GoldValue::Visits(g)) => count == g,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_compares() {
        assert_eq!(parse_value("duration:56"), Some(GoldValue::Duration(56)));
        assert_eq!(parse_value("surgery:since"), Some(GoldValue::SinceSurgery));
        assert_eq!(
            parse_value("surgery:-2"),
            Some(GoldValue::SurgeryOffset(-2))
        );
        assert_eq!(parse_value("weeks:3"), None);
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(same_value(
            &TemporalValue::Duration { days: 91 },
            &GoldValue::Duration(90)
        ));
        assert!(!same_value(
            &TemporalValue::Duration { days: 63 },
            &GoldValue::Duration(56)
        ));
        assert!(same_value(
            &TemporalValue::Date {
                date: d("2026-08-04"),
                start: true
            },
            &parse_value("since:2026-08-04").unwrap()
        ));
        assert!(!same_value(
            &TemporalValue::Date {
                date: d("2026-08-04"),
                start: false
            },
            &parse_value("since:2026-08-04").unwrap()
        ));
    }
}
