//! Byte spans into a note's original text.
//!
//! Every fact precert reports points back to the note through a [`Span`]. Offsets are byte offsets into the
//! note text exactly as received (no normalisation, no CRLF rewriting), so `&text[span]` is the quoted
//! evidence. Constructors check `start <= end`; slicing additionally requires both ends to sit on UTF-8
//! character boundaries, which every producer in this crate guarantees (they only ever cut at ASCII bytes or
//! at boundaries reported by `regex`/`aho-corasick` over `&str`).

use serde::{Deserialize, Serialize};
use std::ops::Index;

/// A half-open byte range `[start, end)` into a note's text.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// Creates a span.
    ///
    /// # Panics
    /// When `start > end`: that is a bug in the producer, never a property of the input.
    pub fn new(start: usize, end: usize) -> Span {
        assert!(start <= end, "invalid span: start {start} > end {end}");
        Span { start, end }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// True when `other` lies entirely inside `self`.
    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// True when the two spans share at least one byte.
    pub fn overlaps(&self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// The smallest span covering both.
    pub fn cover(&self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl Index<Span> for str {
    type Output = str;
    fn index(&self, span: Span) -> &str {
        &self[span.start..span.end]
    }
}

impl Index<Span> for String {
    type Output = str;
    fn index(&self, span: Span) -> &str {
        &self.as_str()[span.start..span.end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_slices_bytes() {
        let text = "No fever. Back pain.";
        assert_eq!(&text[Span::new(3, 8)], "fever");
    }

    #[test]
    fn overlap_and_contains() {
        let a = Span::new(0, 5);
        assert!(a.overlaps(Span::new(4, 9)));
        assert!(!a.overlaps(Span::new(5, 9)));
        assert!(a.contains(Span::new(1, 5)));
        assert_eq!(a.cover(Span::new(7, 9)), Span::new(0, 9));
    }

    #[test]
    #[should_panic]
    fn reversed_span_panics() {
        let _ = Span::new(5, 4);
    }
}
