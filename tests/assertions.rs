//! Context, temporal and region attribution on tricky sentences (table-driven), and cross-note durations.

use crate::util::*;
use chrono::NaiveDate;
use precert::ingest::{Case, Note, Patient, Procedure, Request};
use precert::mentions::concepts::Region;
use precert::mentions::temporal::TemporalValue;
use precert::mentions::Mention;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn mentions(text: &str) -> Vec<Mention> {
    pipeline().analyze_text(text, Some(d("2026-10-14"))).1
}

/// The mention whose text is `phrase` (case-insensitive).
fn find<'a>(text: &str, ms: &'a [Mention], phrase: &str) -> &'a Mention {
    ms.iter()
        .find(|m| text[m.span.start..m.span.end].eq_ignore_ascii_case(phrase))
        .unwrap_or_else(|| {
            panic!(
                "no mention {phrase:?} in {text:?}; found {:?}",
                ms.iter()
                    .map(|m| &text[m.span.start..m.span.end])
                    .collect::<Vec<_>>()
            )
        })
}

macro_rules! assertion_cases {
    ($($name:ident: $text:expr => [$($phrase:expr => $label:expr),+ $(,)?];)*) => {$(
        #[test]
        fn $name() {
            let text = $text;
            let ms = mentions(text);
            $(
                let m = find(text, &ms, $phrase);
                assert_eq!(m.assertion.label(), $label, "{:?} in {:?}: cues {:?}", $phrase, text, m.assertion.cues);
            )+
        }
    )*};
}

assertion_cases! {
    negation_scope_stops_at_but:
        "Denies fever but reports saddle numbness." => ["fever" => "absent", "saddle numbness" => "present"];
    negation_scope_stops_at_however:
        "No leg weakness, however he has new urinary retention." => ["weakness" => "absent", "urinary retention" => "present"];
    pseudo_negation_no_improvement:
        "No improvement in his sciatica despite PT." => ["sciatica" => "present"];
    pseudo_negation_not_only:
        "Not only back pain but sciatica as well." => ["sciatica" => "present"];
    ros_list_negates_every_item:
        "ROS: Negative for fever, chills, night sweats, weight loss, urinary retention, bowel incontinence, saddle anesthesia." =>
        ["fever" => "absent", "night sweats" => "absent", "urinary retention" => "absent", "saddle anesthesia" => "absent"];
    denies_list_negates_every_item:
        "He denies fever, chills, weight loss, saddle numbness, trouble starting urine, or incontinence of bowel or bladder." =>
        ["saddle numbness" => "absent", "bowel or bladder" => "absent"];
    checklist_answers_negate_their_own_item:
        "Saddle anesthesia: none\nFever: yes, chills: no" => ["saddle anesthesia" => "absent", "fever" => "present", "chills" => "absent"];
    checklist_question_answer:
        "Radiating pain to the left leg? no" => ["Radiating pain to the left leg" => "absent"];
    return_precautions_are_hypothetical:
        "Return to the ED if you develop saddle numbness, urinary retention, or new leg weakness." =>
        ["saddle numbness" => "hypothetical", "urinary retention" => "hypothetical"];
    patient_education_asserts_nothing:
        "Reviewed red-flag symptoms such as saddle numbness and bowel incontinence with the patient." =>
        ["saddle numbness" => "hypothetical", "bowel incontinence" => "hypothetical"];
    family_history_is_someone_else:
        "Mother with breast cancer. Family history of colon cancer in his father." => ["breast cancer" => "family", "colon cancer" => "family"];
    family_history_section:
        "FAMILY HISTORY: Father with lymphoma.\nSOCIAL HISTORY: Nonsmoker." => ["lymphoma" => "family"];
    before_surgery_is_historical:
        "He has burning in his low back, which he had before surgery." => ["burning in his low back" => "historical"];
    history_of_is_historical:
        "History of L4-5 laminectomy in 2019. h/o breast cancer." => ["laminectomy" => "historical", "breast cancer" => "historical"];
    uncertainty:
        "Rule out epidural abscess. Cannot exclude cauda equina." => ["epidural abscess" => "possible", "cauda equina" => "possible"];
    planned_injection_is_hypothetical:
        "Will schedule L5-S1 transforaminal epidural steroid injection." => ["epidural steroid injection" => "hypothetical"];
    declined_injection_is_negated:
        "Declines ESI and declines spine surgery consult." => ["ESI" => "absent"];
    zero_pain_score_negates:
        "Leg pain 0/10, back pain 2/10." => ["Leg pain" => "absent", "back pain" => "present"];
    template_check_boxes:
        "GU: [-] retention [-] incontinence\nMSK: [+] back pain" => ["retention" => "absent", "incontinence" => "absent", "back pain" => "present"];
    scope_counts_words_not_commas:
        "She has no leg pain, numbness, tingling, or weakness." => ["weakness" => "absent"];
    post_negation_right_after_item:
        "Bowel/bladder normal. Sensation intact." => ["Bowel/bladder" => "absent"];
    benign_tumor_is_not_malignancy:
        "Lipoma excised 2019, pathology benign (fatty tumor)." => ["tumor" => "absent"];
    lowercase_pt_is_the_patient:
        "Pt reports PT 2x/week helps." => ["PT" => "present"];
}

#[test]
fn lowercase_pt_is_not_physical_therapy() {
    let text = "pt states pain is worse.";
    assert!(mentions(text)
        .iter()
        .all(|m| m.concept != "physical_therapy"));
}

#[test]
fn temporal_values_normalise_against_the_note_date() {
    let text = "Doing PT 2x/week since 8/4. Meloxicam x 8 wks. Symptoms since mid-August.";
    let ms = mentions(text);
    let pt = find(text, &ms, "PT");
    assert!(
        pt.temporal.iter().any(|t| t.value
            == TemporalValue::Date {
                date: d("2026-08-04"),
                start: true
            }),
        "{:?}",
        pt.temporal
    );
    assert!(pt
        .temporal
        .iter()
        .any(|t| t.value == TemporalValue::Frequency { per_week: 2.0 }));
    let mel = find(text, &ms, "Meloxicam");
    assert_eq!(mel.temporal[0].value, TemporalValue::Duration { days: 56 });
}

#[test]
fn trajectory_attaches_to_its_own_clause() {
    let text = "The burning pain in his arms has resolved, and the numbness in his toes has significantly improved. The low back pain has gotten somewhat worse.";
    let ms = mentions(text);
    let t = |p: &str| {
        find(text, &ms, p)
            .trajectory
            .as_ref()
            .map(precert::evidence::trajectory_label)
    };
    assert_eq!(t("numbness in his toes").as_deref(), Some("improved"));
    assert_eq!(t("low back pain").as_deref(), Some("worse (vague)"));
}

#[test]
fn region_attribution() {
    let text = "S/p C5-C6 ACDF. Mid back pain. Low back pain. Numbness in both arms. Pain radiating down the left leg to the foot. Prior L4-5 laminectomy.";
    let ms = mentions(text);
    let r = |p: &str| find(text, &ms, p).regions.clone();
    assert_eq!(r("ACDF"), vec![Region::Cervical]);
    assert_eq!(r("Mid back pain"), vec![Region::Thoracic]);
    assert_eq!(r("Low back pain"), vec![Region::Lumbar]);
    assert_eq!(r("Numbness"), vec![Region::Cervical]);
    assert!(r("laminectomy").contains(&Region::Lumbar));
    let rad = ms
        .iter()
        .find(|m| m.concept == "radiating_pain")
        .expect("radiating pain");
    assert_eq!(rad.regions, vec![Region::Lumbar]);
}

fn case(notes: Vec<(&str, &str, &str, &str)>, request: &str, cpt: &str) -> Case {
    Case {
        case_id: "t".into(),
        request: Request {
            date: Some(d(request)),
            procedures: vec![Procedure {
                cpt: cpt.into(),
                description: String::new(),
            }],
            diagnoses: vec![],
        },
        patient: Patient::default(),
        notes: notes
            .into_iter()
            .map(|(id, date, kind, text)| Note {
                note_id: id.into(),
                date: Some(d(date)),
                kind: Some(kind.into()),
                author_role: None,
                text: text.into(),
            })
            .collect(),
    }
}

#[test]
fn cross_note_duration_from_note_dates() {
    // PT started 2026-08-03, request 2026-10-01: 8 weeks, computed from the dates alone.
    let c = case(
        vec![
            ("pt-ie", "2026-08-03", "pt_eval", "PHYSICAL THERAPY INITIAL EVALUATION\nLow back pain radiating down the right leg. Plan: PT 2x/week."),
            ("pcp", "2026-09-28", "progress", "Still has right leg pain despite PT. Unable to work. Will refer for L5-S1 epidural steroid injection."),
        ],
        "2026-10-01",
        "72148",
    );
    let r = pipeline().review(&c);
    let cc = &r.determinations[0].criteria.conservative_care;
    assert_eq!(cc.weeks, Some(Some(8)), "{}", cc.reason);
    assert_eq!(
        precert::report::name(&r.determinations[0].decision),
        "approve"
    );
    assert_offsets(&c, &r);
}

#[test]
fn stated_duration_without_dates_of_notes() {
    let c = case(
        vec![(
            "n",
            "2026-09-30",
            "progress",
            "Completed 4 weeks of physical therapy without relief.",
        )],
        "2026-10-01",
        "72148",
    );
    let r = pipeline().review(&c);
    assert_eq!(
        r.determinations[0].criteria.conservative_care.weeks,
        Some(Some(4))
    );
}

#[test]
fn cervical_fusion_is_not_a_lumbar_surgery_but_lumbar_laminectomy_is() {
    let cervical = case(
        vec![(
            "n",
            "2026-09-30",
            "progress",
            "S/p C5-6 ACDF in 2024. Now new left leg pain radiating to the foot since last week.",
        )],
        "2026-10-01",
        "72148",
    );
    let r = pipeline().review(&cervical);
    assert_eq!(
        precert::report::name(&r.determinations[0].post_surgical.status),
        "not_met"
    );
    let lumbar = case(vec![("n", "2026-09-30", "progress", "S/p L4-5 laminectomy in 2024. Now new left leg pain radiating to the foot since last week.")], "2026-10-01", "72148");
    let r = pipeline().review(&lumbar);
    assert_eq!(
        precert::report::name(&r.determinations[0].post_surgical.status),
        "met",
        "{:?}",
        r.determinations[0].post_surgical
    );
    assert_eq!(
        precert::report::name(&r.determinations[0].pathway),
        "post_surgical"
    );
}

#[test]
fn contrast_request_on_conservative_pathway_recommends_without_contrast() {
    let c = case(
        vec![("n", "2026-09-30", "progress", "Sciatica down the left leg with positive SLR. Failed 8 weeks of PT and naproxen. Unable to work. Plan L5-S1 epidural steroid injection.")],
        "2026-10-01",
        "72158",
    );
    let r = pipeline().review(&c);
    let d = &r.determinations[0];
    assert_eq!(
        precert::report::name(&d.pathway),
        "conservative_failure",
        "{:?}",
        d.rationale
    );
    assert!(d
        .recommended_modification
        .as_deref()
        .unwrap_or("")
        .contains("72148"));
}

#[test]
fn cervical_request_is_pended_as_out_of_scope() {
    let c = case(
        vec![(
            "n",
            "2026-09-30",
            "progress",
            "Neck pain radiating to the right arm.",
        )],
        "2026-10-01",
        "72141",
    );
    let d = &pipeline().review(&c).determinations[0];
    assert_eq!(precert::report::name(&d.decision), "pend");
    assert!(d.rationale[0].contains("cervical"));
}

fn flag_status(notes: Vec<(&str, &str, &str, &str)>) -> (String, String) {
    let c = case(notes, "2026-09-22", "72148");
    let d = &pipeline().review(&c).determinations[0];
    (
        precert::report::name(&d.red_flags.cauda_equina.status),
        precert::report::name(&d.decision),
    )
}

#[test]
fn later_denial_without_resolution_is_a_conflict_and_pends() {
    let got = flag_status(vec![
        (
            "ed",
            "2026-09-02",
            "ed",
            "New urinary incontinence since yesterday with low back pain. Left AMA before imaging.",
        ),
        (
            "pcp",
            "2026-09-20",
            "progress",
            "Follow-up of low back pain. Denies any bowel or bladder incontinence.",
        ),
    ]);
    assert_eq!(got, ("unclear".to_string(), "pend".to_string()));
}

#[test]
fn later_resolution_is_an_update_not_a_conflict() {
    let got = flag_status(vec![
        (
            "ed",
            "2026-09-02",
            "ed",
            "Low back pain. Urinary retention today, catheterized.",
        ),
        (
            "pcp",
            "2026-09-20",
            "progress",
            "Urinary retention resolved by 9/4 (UTI, treated). Low back pain, no leg symptoms.",
        ),
    ]);
    assert_eq!(got.0, "absent");
}

/// The assertion of a span given from outside (as evaluation kits give their concept).
fn span_label(text: &str, phrase: &str) -> (String, Vec<String>) {
    let start = text.find(phrase).unwrap();
    let m = pipeline().assert_span(text, precert::text::Span::new(start, start + phrase.len()));
    let classes = m
        .assertion
        .cues
        .iter()
        .map(|c| format!("{:?}", c.qualifier).to_lowercase())
        .collect();
    (m.assertion.label().to_string(), classes)
}

#[test]
fn given_targets_take_general_context_rules() {
    // "no history of": absent, and about the past (both classes, as ConText annotates it).
    let (label, classes) = span_label("No history of seizure disorder.", "seizure disorder");
    assert_eq!(label, "absent");
    assert!(classes.contains(&"historical".to_string()), "{classes:?}");
    // A chronic condition is historical by nature; an acute qualifier makes it a current event.
    assert!(span_label("HYPERTENSION.", "HYPERTENSION")
        .1
        .contains(&"historical".to_string()));
    assert_eq!(
        span_label("COPD exacerbation today.", "COPD exacerbation").0,
        "present"
    );
    // "two-day history of" is the current illness, not a past history.
    assert_eq!(
        span_label("A two-day history of fever.", "fever").0,
        "present"
    );
    // An upper-case label inside a sentence ends the previous item's negation.
    assert_eq!(
        span_label(
            "COMPLICATIONS: None  POSTOPERATIVE DIAGNOSIS: hiatal hernia",
            "hiatal hernia"
        )
        .0,
        "present"
    );
}

assertion_cases! {
    checkbox_answers_negate_their_own_item:
        "Fever/chills: [ ] yes [x] no\nSaddle anesthesia: [x] yes [ ] no" =>
        ["Fever" => "absent", "chills" => "absent", "Saddle anesthesia" => "present"];
    checklist_answer_covers_a_comma_list_item:
        "- Hx cancer, wt loss: denies (lifting only)" => ["cancer" => "absent", "wt loss" => "absent"];
    return_precaution_shorthand_is_hypothetical:
        "RTC 4-6 wks, sooner w/ weakness or bowel/bladder change." => ["weakness" => "hypothetical", "bowel/bladder" => "hypothetical"];
    a_spouse_is_someone_else:
        "Husband is being treated for lung cancer." => ["lung cancer" => "family"];
}

/// lexicons/context/chronic.tsv promises that none of precert's own concept terms is "historical by
/// nature": the red-flag rules decide osteoporosis, immunosuppression, cancer and the rest.
#[test]
fn no_concept_term_is_taken_for_a_chronic_condition() {
    let dir = root().join("lexicons/concepts");
    let mut hits = Vec::new();
    for f in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("id\t"))
        {
            let Some(term) = line.split('\t').nth(4) else {
                continue;
            };
            for t in term
                .split(" | ")
                .filter(|t| !t.starts_with("re:") && !t.is_empty())
            {
                let m = pipeline().assert_span(t, precert::text::Span::new(0, t.len()));
                if m.assertion.cues.iter().any(|c| c.rule.starts_with("chr-")) {
                    hits.push(t.to_string());
                }
            }
        }
    }
    assert!(hits.is_empty(), "concept terms marked chronic: {hits:?}");
}
