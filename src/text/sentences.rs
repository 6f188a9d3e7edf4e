//! Sentence splitting for clinical text.
//!
//! General-purpose splitters break on every period and so cut "Dr. Lee", "pt. states" and "approx. 3 wks"
//! in two; they also join the lines of templates ("Fever: no\nChills: no") into one run-on sentence. ConText
//! scopes stop at sentence ends, so both mistakes change assertions. The rules here:
//!
//! * a blank line always ends a sentence; a single line break ends one unless the line is wrapped prose
//!   (the line ends in a lowercase letter, digit or comma and the next begins in lowercase);
//! * `.`, `!`, `?` end a sentence when followed by whitespace and then an uppercase letter, a digit, or a
//!   bracket/quote — unless the word before the period is a title-like abbreviation that never ends a
//!   sentence (`lexicons/text/abbreviations.tsv`: "Dr.", "vs.", "approx.", "e.g.") or a single letter;
//! * decimal points, "L4-5", "5/5" and the like are inside tokens and never split.
//!
//! Sentences never cross section boundaries and exclude leading/trailing whitespace.

use crate::text::Span;
use std::collections::HashSet;

/// Splits `text[within]` into sentence spans (absolute offsets), skipping whitespace-only pieces.
pub fn split_sentences(text: &str, within: Span, no_split_abbrevs: &HashSet<String>) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = within.start;
    let mut i = within.start;
    while i < within.end {
        let b = bytes[i];
        let mut cut: Option<(usize, usize)> = None; // (sentence end, next start)
        if b == b'\n' {
            if is_blank_line_break(bytes, i, within.end) || !is_wrapped_prose(bytes, i, within) {
                cut = Some((i, i + 1));
            }
        } else if (b == b'.' || b == b'!' || b == b'?')
            && ends_sentence(text, i, within, no_split_abbrevs)
        {
            cut = Some((i + 1, i + 1));
        }
        if let Some((end, next)) = cut {
            push_trimmed(text, start, end, &mut out);
            start = next;
            i = next;
        } else {
            i += 1;
        }
    }
    push_trimmed(text, start, within.end, &mut out);
    out
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead + trail < piece.len() {
        out.push(Span::new(start + lead, end - trail));
    }
}

/// True when the newline at `i` is followed (after spaces) by another newline.
fn is_blank_line_break(bytes: &[u8], i: usize, end: usize) -> bool {
    let mut j = i + 1;
    while j < end && (bytes[j] == b' ' || bytes[j] == b'\t' || bytes[j] == b'\r') {
        j += 1;
    }
    j < end && bytes[j] == b'\n'
}

/// True when the line break at `i` only wraps a running sentence.
fn is_wrapped_prose(bytes: &[u8], i: usize, within: Span) -> bool {
    let mut p = i;
    while p > within.start && matches!(bytes[p - 1], b' ' | b'\t' | b'\r') {
        p -= 1;
    }
    let mut n = i + 1;
    while n < within.end && matches!(bytes[n], b' ' | b'\t') {
        n += 1;
    }
    if p == within.start || n >= within.end {
        return false;
    }
    let prev = bytes[p - 1];
    let next = bytes[n];
    (prev.is_ascii_lowercase() || prev.is_ascii_digit() || prev == b',')
        && next.is_ascii_lowercase()
}

fn ends_sentence(text: &str, i: usize, within: Span, no_split: &HashSet<String>) -> bool {
    let bytes = text.as_bytes();
    // What follows: whitespace, then something that can open a sentence (or the end of the section).
    let mut n = i + 1;
    if n < within.end && !bytes[n].is_ascii_whitespace() {
        // "2.5", "e.g.x", "...": not a sentence end (runs of periods are handled at the last one).
        return false;
    }
    while n < within.end && bytes[n].is_ascii_whitespace() {
        n += 1;
    }
    if n >= within.end {
        return true;
    }
    let next = bytes[n];
    // Lowercase clinical openers with a slash ("h/o", "s/p", "c/o", "f/u") start sentences too.
    let next_word: &str = text[n..within.end].split_whitespace().next().unwrap_or("");
    let slash_opener = next.is_ascii_lowercase()
        && next_word.len() <= 4
        && next_word.as_bytes().get(1) == Some(&b'/');
    let opens = slash_opener
        || next.is_ascii_uppercase()
        || next.is_ascii_digit()
        || matches!(next, b'(' | b'[' | b'"' | b'\'' | b'*' | b'-' | b'#');
    if !opens {
        return false;
    }
    if bytes[i] == b'?' {
        // "Fever? No." / "Radiating pain? none": a checklist question and its answer are one statement.
        let answer: String = text[n..within.end]
            .chars()
            .take_while(|c| c.is_alphabetic())
            .collect();
        return !matches!(
            answer.to_ascii_lowercase().as_str(),
            "no" | "yes" | "none" | "neg" | "negative" | "denies" | "positive" | "y" | "n"
        );
    }
    if bytes[i] != b'.' {
        return true;
    }
    // The word before the period.
    let mut w = i;
    while w > within.start && !bytes[w - 1].is_ascii_whitespace() && bytes[w - 1] != b'(' {
        w -= 1;
    }
    let word = text[w..i]
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_ascii_lowercase();
    if word.len() == 1 && word.chars().all(|c| c.is_ascii_alphabetic()) {
        return false; // an initial: "J. Smith"
    }
    !no_split.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        let abbrevs: HashSet<String> = ["dr", "vs", "approx", "e.g", "i.e", "mr", "mrs", "ms"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        split_sentences(text, Span::new(0, text.len()), &abbrevs)
            .into_iter()
            .map(|s| &text[s])
            .collect()
    }

    #[test]
    fn clinical_abbreviations_do_not_split() {
        assert_eq!(
            split(
                "Seen by Dr. Lee for LBP x6 wks. Pt. denies fever. Strength 5/5 at L4-5. h/o HNP."
            ),
            vec![
                "Seen by Dr. Lee for LBP x6 wks.",
                "Pt. denies fever.",
                "Strength 5/5 at L4-5.",
                "h/o HNP."
            ]
        );
    }

    #[test]
    fn lowercase_after_period_continues() {
        assert_eq!(
            split("Discussed with pt. and wife. Agrees."),
            vec!["Discussed with pt. and wife.", "Agrees."]
        );
    }

    #[test]
    fn template_lines_split_and_wrapped_prose_joins() {
        assert_eq!(
            split(
                "Fever: no\nSaddle anesthesia: none\nHe reports pain that\nradiates to the calf."
            ),
            vec![
                "Fever: no",
                "Saddle anesthesia: none",
                "He reports pain that\nradiates to the calf."
            ]
        );
    }

    #[test]
    fn decimals_and_questions() {
        assert_eq!(
            split("CRP 2.5 mg/dL. Fever? No. Why? Unclear."),
            vec!["CRP 2.5 mg/dL.", "Fever? No.", "Why?", "Unclear."]
        );
    }
}
