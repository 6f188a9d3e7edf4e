//! Fusion of the two evidence sources for each mention: the lexicon layer (concept tables + ConText
//! triggers) and the mention model ([`crate::model`]).
//!
//! Per mention the lexicon proposes a target and an assertion; the model reads the same span in its
//! sentence and gives a distribution over assertions and categories. The rules below say who wins; every
//! mention records `source` (lexicon / model / both) and `score` (the model's probability for the label
//! the mention ends up with), so a reviewer and the determination step can see what a fact rests on.
//!
//! * agree → `both`, score = the model's probability.
//! * disagree on the assertion → the model wins only when it is confident (≥ [`Thresholds::override_assertion`]),
//!   the rules' cue lies in the sentence it read (not a section header), the rules did not find and rank the
//!   model's reading themselves, and the change would not assert a red flag; otherwise the lexicon label
//!   stands, with the model's (low) probability for it as its score.
//! * the model is confident the span is no evidence at all (category `none` ≥ [`Thresholds::veto`]) →
//!   the mention is dropped ("fell asleep" is not a fall).
//! * a cue word (`lexicons/model/cues.tsv`) in a sentence without a lexicon mention of that category → the
//!   model may add a mention of one of the cue's categories when confident (≥ [`Thresholds::add`]).
//!
//! In `model` mode (the ablation) the model's top label always wins and it vetoes at its top category.

use super::context::{Assertion, Cue, Qualifier};
use super::Mention;
use crate::model::Prediction;
use crate::text::Span;
use serde::Serialize;

/// Which evidence sources decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceMode {
    /// Lexicons and ConText rules only; the model is not loaded.
    Lexicon,
    /// Lexicon candidates, every label from the model.
    Model,
    /// Both, fused by the rules of this module.
    Both,
}

/// What produced a mention's final labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Rules only (the model did not run, or was not confident enough to overrule them).
    Lexicon,
    /// The model (it added the mention or overruled the rules).
    Model,
    /// Rules and model agree.
    Both,
}

impl Source {
    /// "lexicon" | "model" | "both".
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Lexicon => "lexicon",
            Source::Model => "model",
            Source::Both => "both",
        }
    }
}

/// The model's view of a mention, kept for `explain` and the worksheet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelView {
    /// Its top assertion.
    pub assertion: &'static str,
    /// Probability of that assertion.
    pub p_assertion: f32,
    /// Its top category.
    pub category: &'static str,
    /// Probability of that category.
    pub p_category: f32,
    /// The rules' assertion before fusion.
    pub lexicon_assertion: &'static str,
}

/// Fusion thresholds. Chosen on the dev split (brat dev assertion macro-F1 and case decisions; see
/// models/README.md, "Fusion"), never on test.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Thresholds {
    /// The model overrules the rules' assertion at or above this probability.
    pub override_assertion: f32,
    /// The model drops a lexicon mention when it gives category `none` at or above this probability.
    pub veto: f32,
    /// The model adds a mention from a cue word at or above this category probability.
    pub add: f32,
    /// Evidence whose score is below this is low-confidence: a deciding fact resting only on such evidence
    /// makes the determination pend.
    pub low_confidence: f32,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            override_assertion: 0.95,
            veto: 0.97,
            add: 0.97,
            low_confidence: 0.50,
        }
    }
}

impl Thresholds {
    /// Overrides from `name=value,...` (names: override, veto, add, low).
    pub fn with_spec(mut self, spec: &str) -> anyhow::Result<Thresholds> {
        for part in spec.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("fusion threshold {part:?}: expected name=value"))?;
            let v: f32 = v.trim().parse()?;
            match k.trim() {
                "override" => self.override_assertion = v,
                "veto" => self.veto = v,
                "add" => self.add = v,
                "low" => self.low_confidence = v,
                other => {
                    anyhow::bail!("unknown fusion threshold {other:?} (override, veto, add, low)")
                }
            }
        }
        Ok(self)
    }
}

/// The model's category name for a lexicon category, or `None` where the model has no opinion
/// (measurements from the pattern layer).
pub fn model_category(m: &Mention) -> Option<&'static str> {
    use super::concepts::Category::*;
    Some(match m.category {
        Symptom => "symptom",
        Radicular => "radicular",
        Deficit => "deficit",
        Functional => "functional",
        Conservative => "conservative",
        Injection => "injection",
        Intervention => "intervention",
        Surgery => "surgery",
        Complication => "complication",
        Imaging => "imaging",
        RedFlag | RedFlagAbsent => "red_flag",
        Measurement | Ignore => return None,
    })
}

/// The group of a target span that an evaluation kit names and no concept lexicon recognises ("neck
/// supple", "extremities without edema"): outside the model's training domain (spine evidence, marked
/// as the shortest phrase without its cue), so the model's reading of it is recorded but never decides.
pub const UNKNOWN_TARGET: &str = "unknown_target";

/// True for a lexicon mention whose words state a normal or absent finding (category `red_flag_absent`,
/// groups `normal` and `provocative_negative` in lexicons/concepts).
pub fn polarity_in_word(m: &Mention) -> bool {
    m.category == super::concepts::Category::RedFlagAbsent
        || matches!(m.group.as_str(), "normal" | "provocative_negative")
}

/// The qualifier an assertion label sets (none for "present").
fn qualifier_of(label: &str) -> Option<Qualifier> {
    Some(match label {
        "absent" => Qualifier::Negated,
        "possible" => Qualifier::Possible,
        "hypothetical" => Qualifier::Hypothetical,
        "historical" => Qualifier::Historical,
        "family" => Qualifier::Family,
        _ => return None,
    })
}

/// An assertion set by the model: one cue on the mention itself, rule `model`.
pub fn model_assertion(label: &str, m: &Mention) -> Assertion {
    Assertion {
        cues: qualifier_of(label)
            .map(|q| Cue {
                qualifier: q,
                span: m.span,
                rule: "model".into(),
            })
            .into_iter()
            .collect(),
    }
}

/// Fuses one lexicon mention with the model's prediction for it; `window` is the text the model read
/// (the mention's sentence). Returns false when the mention should be dropped.
pub fn fuse(
    m: &mut Mention,
    p: &Prediction,
    window: Span,
    mode: EvidenceMode,
    t: &Thresholds,
) -> bool {
    let lexicon_label = m.assertion.label();
    let (top_a, p_a) = p.top_assertion();
    let (top_c, p_c) = p.top_category();
    m.model = Some(ModelView {
        assertion: top_a,
        p_assertion: p_a,
        category: top_c,
        p_category: p_c,
        lexicon_assertion: lexicon_label,
    });
    let veto_at = match mode {
        EvidenceMode::Model => 0.0,
        _ => t.veto,
    };
    if top_c == "none" && p_c >= veto_at {
        return false;
    }
    // Some lexicon concepts carry their polarity in the word ("afebrile", "SLR neg", "no limitations",
    // "neuro intact"): the rules call the mention present (the normal finding is documented), the model,
    // trained on the annotation guideline, calls the finding absent. Compare on the same scale, and never
    // let the model flip such a mention into a double negative.
    if polarity_in_word(m) {
        let p_same = p.p_assertion("absent");
        m.source = if top_a == "absent" && lexicon_label == "present" {
            Source::Both
        } else {
            Source::Lexicon
        };
        m.score = Some(if lexicon_label == "present" {
            p_same
        } else {
            p.p_assertion(lexicon_label)
        });
        return true;
    }
    // For candidacy evidence (interventions and injections), a stated candidacy and a plan are the same
    // fact (ACR LBP variant 5: "surgery or intervention candidate"); the annotation guideline calls plans
    // hypothetical, the rules may call the candidacy present. Not a disagreement.
    let candidacy = matches!(
        m.category,
        super::concepts::Category::Intervention | super::concepts::Category::Injection
    );
    let same = |a: &str, b: &str| {
        a == b
            || (candidacy
                && matches!(a, "present" | "hypothetical")
                && matches!(b, "present" | "hypothetical"))
    };
    // The model reads one sentence. A rule reading set by a cue it cannot see (a section header, a
    // "copied for reference" banner over a pasted block) stands.
    let unseen_cue = m
        .assertion
        .cues
        .iter()
        .any(|c| c.qualifier_label() == lexicon_label && !window.contains(c.span));
    // The rules found the model's reading too and ranked another above it by design ("could be cancer if
    // it persists": possible and hypothetical, hypothetical wins). The model does not re-rank qualifiers.
    let ranked_by_rules = qualifier_of(top_a).is_some_and(|q| m.assertion.has(q));
    // A red flag approves a study on its own. The model may withdraw one the rules assert (a confident
    // "negated" or "historical"), but not assert one the rules read otherwise: as with cue words
    // (lexicons/model/cues.tsv), a red flag never rests on the model's word alone.
    let asserts_red_flag = m.category == super::concepts::Category::RedFlag && top_a == "present";
    // The model judges the assertion only of what it recognises as evidence: on a span it reads as no
    // evidence category at all (a general finding such as "edema" in an evaluation kit), it is out of
    // its training domain and its assertion is not trusted over the rules.
    let out_of_domain = top_c == "none" || m.group == UNKNOWN_TARGET;
    let model_wins = match mode {
        EvidenceMode::Model => true,
        _ => {
            !same(top_a, lexicon_label)
                && p_a >= t.override_assertion
                && !unseen_cue
                && !ranked_by_rules
                && !asserts_red_flag
                && !out_of_domain
        }
    };
    if same(top_a, lexicon_label) {
        m.source = Source::Both;
        m.score = Some(if top_a == lexicon_label {
            p_a
        } else {
            p.p_assertion("present") + p.p_assertion("hypothetical")
        });
    } else if model_wins {
        m.assertion = model_assertion(top_a, m);
        m.source = Source::Model;
        m.score = Some(p_a);
    } else {
        m.source = Source::Lexicon;
        m.score = Some(p.p_assertion(lexicon_label));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentions::concepts::Category;
    use crate::model::ASSERTIONS;
    use crate::text::{SectionKind, Span};

    const W: Span = Span { start: 0, end: 100 };

    fn mention(category: Category, assertion: Assertion) -> Mention {
        Mention {
            span: Span::new(7, 12),
            concept: "fever".into(),
            category,
            group: "infection".into(),
            rule: "rf-x".into(),
            section: SectionKind::Other,
            sentence: 0,
            regions: vec![],
            levels: vec![],
            value: None,
            assertion,
            temporal: vec![],
            trajectory: None,
            source: Source::Lexicon,
            score: None,
            model: None,
        }
    }

    fn pred(a: &str, pa: f32, c: &str, pc: f32) -> Prediction {
        let mut p = Prediction {
            assertion: [(1.0 - pa) / 5.0; 6],
            category: [(1.0 - pc) / 11.0; 12],
        };
        p.assertion[ASSERTIONS.iter().position(|x| *x == a).unwrap()] = pa;
        p.category[crate::model::CATEGORIES
            .iter()
            .position(|x| *x == c)
            .unwrap()] = pc;
        p
    }

    #[test]
    fn agreement_is_both_with_the_model_probability() {
        let mut m = mention(Category::RedFlag, Assertion::default());
        let t = Thresholds::default();
        assert!(fuse(
            &mut m,
            &pred("present", 0.8, "red_flag", 0.9),
            W,
            EvidenceMode::Both,
            &t
        ));
        assert_eq!((m.source, m.score), (Source::Both, Some(0.8)));
    }

    #[test]
    fn a_confident_model_overrules_and_an_unsure_one_does_not() {
        let t = Thresholds::default();
        let mut m = mention(Category::RedFlag, Assertion::default());
        fuse(
            &mut m,
            &pred("absent", 0.95, "red_flag", 0.9),
            W,
            EvidenceMode::Both,
            &t,
        );
        assert_eq!((m.assertion.label(), m.source), ("absent", Source::Model));
        let mut m = mention(Category::RedFlag, Assertion::default());
        fuse(
            &mut m,
            &pred("absent", 0.6, "red_flag", 0.9),
            W,
            EvidenceMode::Both,
            &t,
        );
        assert_eq!(
            (m.assertion.label(), m.source),
            ("present", Source::Lexicon)
        );
        // The score is the model's probability for the label kept: low, so visibly contested.
        assert!(m.score.unwrap() < 0.2);
        // In model mode the model always decides.
        let mut m = mention(Category::RedFlag, Assertion::default());
        fuse(
            &mut m,
            &pred("absent", 0.6, "red_flag", 0.9),
            W,
            EvidenceMode::Model,
            &t,
        );
        assert_eq!(m.assertion.label(), "absent");
    }

    #[test]
    fn cues_outside_the_sentence_are_not_overruled() {
        let t = Thresholds::default();
        let cue = |at: usize, q: Qualifier| Cue {
            qualifier: q,
            span: Span::new(at, at + 3),
            rule: "section:past_history".into(),
        };
        let window = Span::new(50, 100);
        let mut m = mention(
            Category::Radicular,
            Assertion {
                cues: vec![cue(0, Qualifier::Historical)],
            },
        );
        fuse(
            &mut m,
            &pred("present", 0.99, "radicular", 0.9),
            window,
            EvidenceMode::Both,
            &t,
        );
        assert_eq!(m.assertion.label(), "historical");
        // The same cue inside the sentence the model read: overruled.
        let mut m = mention(
            Category::Radicular,
            Assertion {
                cues: vec![cue(60, Qualifier::Historical)],
            },
        );
        fuse(
            &mut m,
            &pred("present", 0.99, "radicular", 0.9),
            window,
            EvidenceMode::Both,
            &t,
        );
        assert_eq!(m.assertion.label(), "present");
    }

    #[test]
    fn the_model_does_not_rerank_qualifiers_the_rules_found() {
        let t = Thresholds::default();
        let cue = |q: Qualifier| Cue {
            qualifier: q,
            span: Span::new(60, 63),
            rule: "x".into(),
        };
        let a = Assertion {
            cues: vec![cue(Qualifier::Possible), cue(Qualifier::Hypothetical)],
        };
        let mut m = mention(Category::RedFlag, a);
        fuse(
            &mut m,
            &pred("possible", 0.99, "red_flag", 0.9),
            W,
            EvidenceMode::Both,
            &t,
        );
        assert_eq!(
            (m.assertion.label(), m.source),
            ("hypothetical", Source::Lexicon)
        );
    }

    #[test]
    fn the_model_never_asserts_a_red_flag_alone() {
        let t = Thresholds::default();
        let neg = Assertion {
            cues: vec![Cue {
                qualifier: Qualifier::Negated,
                span: Span::new(0, 2),
                rule: "neg-001".into(),
            }],
        };
        let mut m = mention(Category::RedFlag, neg.clone());
        fuse(
            &mut m,
            &pred("present", 0.99, "red_flag", 0.9),
            W,
            EvidenceMode::Both,
            &t,
        );
        assert_eq!(m.assertion.label(), "absent");
        // A radicular finding, by contrast, can be restored.
        let mut m = mention(Category::Radicular, neg);
        fuse(
            &mut m,
            &pred("present", 0.99, "radicular", 0.9),
            W,
            EvidenceMode::Both,
            &t,
        );
        assert_eq!(m.assertion.label(), "present");
    }

    #[test]
    fn confident_none_vetoes() {
        let t = Thresholds::default();
        let mut m = mention(Category::RedFlag, Assertion::default());
        assert!(!fuse(
            &mut m,
            &pred("present", 0.9, "none", 0.99),
            W,
            EvidenceMode::Both,
            &t
        ));
        let mut m = mention(Category::RedFlag, Assertion::default());
        assert!(fuse(
            &mut m,
            &pred("present", 0.9, "none", 0.6),
            W,
            EvidenceMode::Both,
            &t
        ));
    }
}
