//! Counting: precision/recall/F1 for one class, confusion matrices, mean absolute error.
//!
//! Conventions follow the clinical-NLP literature the figures are compared with (NegEx, ConText, i2b2
//! 2010): P = TP/(TP+FP), R = TP/(TP+FN), F1 their harmonic mean; an empty denominator gives 0 and the
//! raw counts are always reported beside the ratio so a reader can tell "0 of 0" from "0 of 40".

use serde::Serialize;
use std::collections::BTreeMap;

/// True positives, false positives and false negatives of one class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Prf {
    /// Predicted and gold.
    pub tp: usize,
    /// Predicted, not gold.
    pub fp: usize,
    /// Gold, not predicted.
    #[serde(rename = "fn")]
    pub fn_: usize,
}

impl Prf {
    /// Counts one (gold, predicted) pair of booleans.
    pub fn add(&mut self, gold: bool, predicted: bool) {
        match (gold, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => {}
        }
    }

    /// Adds another count.
    pub fn merge(&mut self, other: Prf) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }

    /// TP / (TP + FP), 0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// TP / (TP + FN), 0 when there is no gold.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Gold count (support).
    pub fn support(&self) -> usize {
        self.tp + self.fn_
    }
}

/// `a / b`, 0 when `b` is 0.
pub fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// A confusion matrix over string labels, gold × predicted.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Confusion {
    /// The labels, in display order.
    pub labels: Vec<String>,
    /// `counts[gold][predicted]`.
    pub counts: BTreeMap<String, BTreeMap<String, usize>>,
}

impl Confusion {
    /// A matrix over these labels (others seen later are appended).
    pub fn new(labels: &[&str]) -> Confusion {
        Confusion {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            counts: BTreeMap::new(),
        }
    }

    /// Counts one pair.
    pub fn add(&mut self, gold: &str, predicted: &str) {
        for l in [gold, predicted] {
            if !self.labels.iter().any(|x| x == l) {
                self.labels.push(l.to_string());
            }
        }
        *self
            .counts
            .entry(gold.to_string())
            .or_default()
            .entry(predicted.to_string())
            .or_default() += 1;
    }

    /// Count of (gold, predicted).
    pub fn get(&self, gold: &str, predicted: &str) -> usize {
        self.counts
            .get(gold)
            .and_then(|r| r.get(predicted))
            .copied()
            .unwrap_or(0)
    }

    /// All pairs counted.
    pub fn total(&self) -> usize {
        self.counts.values().flat_map(|r| r.values()).sum()
    }

    /// Pairs on the diagonal.
    pub fn correct(&self) -> usize {
        self.labels.iter().map(|l| self.get(l, l)).sum()
    }

    /// Diagonal / total.
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct(), self.total())
    }

    /// One label against the rest.
    pub fn prf(&self, label: &str) -> Prf {
        let tp = self.get(label, label);
        let predicted: usize = self.labels.iter().map(|g| self.get(g, label)).sum();
        let gold: usize = self.labels.iter().map(|p| self.get(label, p)).sum();
        Prf {
            tp,
            fp: predicted - tp,
            fn_: gold - tp,
        }
    }

    /// Unweighted mean F1 over the labels that occur in gold.
    pub fn macro_f1(&self) -> f64 {
        let present: Vec<&String> = self
            .labels
            .iter()
            .filter(|l| self.prf(l).support() > 0)
            .collect();
        if present.is_empty() {
            return 0.0;
        }
        present.iter().map(|l| self.prf(l).f1()).sum::<f64>() / present.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prf_by_hand() {
        let mut p = Prf::default();
        for (g, q) in [
            (true, true),
            (true, true),
            (true, false),
            (false, true),
            (false, false),
        ] {
            p.add(g, q);
        }
        assert_eq!((p.tp, p.fp, p.fn_), (2, 1, 1));
        assert!((p.precision() - 2.0 / 3.0).abs() < 1e-12);
        assert!((p.recall() - 2.0 / 3.0).abs() < 1e-12);
        assert!((p.f1() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(Prf::default().f1(), 0.0);
    }

    #[test]
    fn confusion_one_vs_rest() {
        let mut c = Confusion::new(&["approve", "deny", "pend"]);
        for (g, p) in [
            ("approve", "approve"),
            ("approve", "pend"),
            ("deny", "deny"),
            ("pend", "deny"),
        ] {
            c.add(g, p);
        }
        assert_eq!(c.total(), 4);
        assert_eq!(c.correct(), 2);
        let deny = c.prf("deny");
        assert_eq!((deny.tp, deny.fp, deny.fn_), (1, 1, 0));
        let pend = c.prf("pend");
        assert_eq!((pend.tp, pend.fp, pend.fn_), (0, 1, 1));
        // approve F1 = 2/3 (P 1, R 1/2), deny F1 = 2/3, pend 0 → macro 4/9.
        assert!((c.macro_f1() - 4.0 / 9.0).abs() < 1e-12);
    }
}
