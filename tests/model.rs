//! The shipped ONNX mention model: both backends load it and agree, and its predictions behave.

use precert::model::backend::{find_onnxruntime, BackendChoice};
use precert::model::{MentionModel, ASSERTIONS};

fn inputs() -> Vec<String> {
    [
        "Patient denies [E]fever[/E], chills or night sweats.",
        "Return to the ED if you develop [E]saddle numbness[/E] or trouble urinating.",
        "Mother with [E]breast cancer[/E].",
        "She has [E]not been able to return to work[/E] since the injury in August.",
        "Sharp [E]pain shooting down the left leg[/E] to the foot, worse with sitting.",
        "[E]MRI[/E]",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// When CI sets PRECERT_REQUIRE_ORT=1 a missing ONNX Runtime is a failure, elsewhere a skip.
fn onnxruntime_model() -> Option<MentionModel> {
    if find_onnxruntime().is_none() {
        assert!(
            std::env::var_os("PRECERT_REQUIRE_ORT").is_none(),
            "PRECERT_REQUIRE_ORT is set but ONNX Runtime was not found"
        );
        eprintln!("skipping: ONNX Runtime not installed (models/runtime/install-onnxruntime.sh)");
        return None;
    }
    Some(MentionModel::embedded(BackendChoice::Onnxruntime, 2).expect("onnxruntime loads"))
}

#[test]
fn tract_loads_the_shipped_model_and_gives_distributions() {
    let m = MentionModel::embedded(BackendChoice::Tract, 1).unwrap();
    assert_eq!(m.backend_name(), "tract");
    let preds = m.classify(&inputs()).unwrap();
    assert_eq!(preds.len(), inputs().len());
    for p in &preds {
        let sa: f32 = p.assertion.iter().sum();
        let sc: f32 = p.category.iter().sum();
        assert!((sa - 1.0).abs() < 1e-3 && (sc - 1.0).abs() < 1e-3, "{p:?}");
    }
}

#[test]
fn both_backends_agree_on_the_shipped_model() {
    let Some(ort) = onnxruntime_model() else {
        return;
    };
    assert_eq!(ort.backend_name(), "onnxruntime");
    let tract = MentionModel::embedded(BackendChoice::Tract, 1).unwrap();
    assert_eq!(ort.sha256(), tract.sha256());
    let (a, b) = (
        ort.classify(&inputs()).unwrap(),
        tract.classify(&inputs()).unwrap(),
    );
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.top_assertion().0, y.top_assertion().0);
        assert_eq!(x.top_category().0, y.top_category().0);
        for (p, q) in x.assertion.iter().zip(&y.assertion) {
            assert!(
                (p - q).abs() < 1e-4,
                "assertion probs differ: {x:?} vs {y:?}"
            );
        }
        for (p, q) in x.category.iter().zip(&y.category) {
            assert!(
                (p - q).abs() < 1e-4,
                "category probs differ: {x:?} vs {y:?}"
            );
        }
    }
}

/// Both engines compute the same float graph (int8 weights dequantized once), so they agree to rounding.
/// A looser bound once hid ONNX Runtime fusing the weights' DequantizeLinear into kernels that quantize
/// activations per call: probabilities then moved by up to 0.035 and depended on the rest of the batch.
#[test]
fn batching_and_duplicates_do_not_change_predictions() {
    batching_does_not_change(&MentionModel::embedded(BackendChoice::Tract, 1).unwrap());
    if let Some(m) = onnxruntime_model() {
        batching_does_not_change(&m);
    }
}

fn batching_does_not_change(m: &MentionModel) {
    let one: Vec<_> = inputs()
        .iter()
        .map(|s| m.classify(std::slice::from_ref(s)).unwrap().remove(0))
        .collect();
    let mut doubled = inputs();
    doubled.extend(inputs());
    let all = m.classify(&doubled).unwrap();
    for (i, p) in all.iter().enumerate() {
        let q = &one[i % one.len()];
        for (x, y) in p.assertion.iter().zip(&q.assertion) {
            assert!(
                (x - y).abs() < 1e-4,
                "{}: padding changed a prediction: {x} vs {y} (row {i})",
                m.backend_name()
            );
        }
    }
    assert_eq!(ASSERTIONS.len(), all[0].assertion.len());
}

/// `precert model examples --unlabeled` writes `Pipeline::model_inputs`; the model must be asked exactly
/// those inputs in a review, or a distilled model would learn from inputs inference never sends.
#[test]
fn model_inputs_are_what_a_review_asks_the_model() {
    let (case, _) = crate::util::load_case(&crate::util::root().join("corpus/seed-001.case.json"));
    let rules = precert::Pipeline::new().unwrap();
    let expected: u64 = case
        .notes
        .iter()
        .map(|n| {
            let inputs = rules.model_inputs(&n.text, n.date);
            let distinct: std::collections::HashSet<_> = inputs.iter().collect();
            assert!(inputs.iter().all(|i| i.matches("[E]").count() == 1));
            distinct.len() as u64
        })
        .sum();
    assert!(expected > 10, "the seed has model candidates: {expected}");
    let p = fused_pipeline(None);
    p.review(&case);
    assert_eq!(p.model().unwrap().stats().asked, expected);
}

fn fused_pipeline(thresholds: Option<&str>) -> precert::Pipeline {
    use precert::mentions::fusion::{EvidenceMode, Thresholds};
    let model = MentionModel::embedded(BackendChoice::Tract, 2).unwrap();
    let mut t = Thresholds::default();
    if let Some(spec) = thresholds {
        t = t.with_spec(spec).unwrap();
    }
    precert::Pipeline::new()
        .unwrap()
        .with_model(model, EvidenceMode::Both)
        .with_thresholds(t)
}

fn case(text: &str) -> precert::ingest::Case {
    serde_json::from_value(serde_json::json!({
        "case_id": "t", "request": {"date": "2026-10-01", "procedures": [{"cpt": "72148"}]},
        "notes": [{"note_id": "n1", "date": "2026-09-30", "text": text}]
    }))
    .unwrap()
}

#[test]
fn seed_keeps_its_determination_with_the_model_and_records_it() {
    let (case, _) = crate::util::load_case(&crate::util::root().join("corpus/seed-001.case.json"));
    let p = fused_pipeline(None);
    let review = p.review(&case);
    for d in &review.determinations {
        assert_eq!(precert::report::name(&d.decision), "deny", "{}", d.cpt);
    }
    let prov = &review.provenance;
    assert_eq!(
        prov.model_sha256.as_deref(),
        Some(p.model().unwrap().sha256())
    );
    assert_eq!(prov.model_backend.as_deref(), Some("tract"));
    let ev = crate::util::all_evidence(&review);
    assert!(ev.iter().any(|e| e["source"] == "both"));
    for e in &ev {
        assert!(
            matches!(e["source"].as_str(), Some("lexicon" | "model" | "both")),
            "{e}"
        );
        if let Some(s) = e["score"].as_f64() {
            assert!((0.0..=1.0).contains(&s), "{e}");
        }
    }
}

const PARAPHRASE: &str = "Low back pain for 9 weeks after lifting at work. Completed 8 weeks of physical \
therapy and naproxen without relief. Pain radiates down the left leg to the foot; SLR positive on the \
left at 40 degrees. She had to quit her bowling league and can no longer pick up her grandchildren. \
Plan: refer for L5-S1 transforaminal epidural steroid injection.";

#[test]
fn the_model_adds_a_paraphrased_functional_limit_with_its_quote() {
    let c = case(PARAPHRASE);
    let p = fused_pipeline(None);
    let review = p.review(&c);
    let f = &review.determinations[0].criteria.functional_impairment;
    let added: Vec<_> = f.evidence.iter().filter(|e| e.source == "model").collect();
    assert!(!added.is_empty(), "{f:?}");
    for e in added {
        assert_eq!(&PARAPHRASE[e.start..e.end], e.text);
        assert!(e.score.is_some());
    }
    // The rules alone do not see it.
    let lexicon = crate::util::pipeline().review(&c);
    assert!(lexicon.determinations[0]
        .criteria
        .functional_impairment
        .evidence
        .iter()
        .all(|e| e.source == "lexicon"));
}

#[test]
fn an_approval_resting_on_a_low_confidence_model_reading_pends() {
    let c = case(PARAPHRASE);
    let normal = fused_pipeline(None).review(&c);
    // Declare every model reading low-confidence: a fact that rests only on model readings cannot carry
    // the approval any more.
    let strict = fused_pipeline(Some("low=1.01")).review(&c);
    let (d0, d1) = (&normal.determinations[0], &strict.determinations[0]);
    let only_model = d0
        .criteria
        .functional_impairment
        .evidence
        .iter()
        .all(|e| e.source == "model");
    if precert::report::name(&d0.decision) == "approve" && only_model {
        assert_eq!(precert::report::name(&d1.decision), "pend");
        assert!(d1
            .rationale
            .iter()
            .any(|r| r.contains("functional_impairment rests only on low-confidence")));
    } else {
        panic!(
            "test premise changed: decision {:?}, functional evidence {:?}",
            d0.decision, d0.criteria.functional_impairment.evidence
        );
    }
}
