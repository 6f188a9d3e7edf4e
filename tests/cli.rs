//! The real binary, run in a temp dir: formats, rejects, exit codes, determinism across thread counts.

use crate::util::*;

fn tmp(name: &str) -> TmpDir {
    tmp_dir(name)
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_precert(args)
}

#[test]
fn review_seed_json_has_the_output_contract() {
    let (code, out, err) = run(&["review", "corpus/seed-001.case.json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["case_id"], "seed-001");
    assert!(v["precert_version"].is_string());
    assert!(v["guideline"]["id"].is_string() && v["guideline"]["version"].is_string());
    assert_eq!(
        v["provenance"]["lexicon_sha256"].as_str().unwrap().len(),
        64
    );
    let d = &v["determinations"][0];
    for key in [
        "cpt",
        "procedure",
        "region",
        "decision",
        "pathway",
        "criteria",
        "red_flags",
        "post_surgical",
        "non_indications",
        "rationale",
        "missing_documentation",
    ] {
        assert!(d.get(key).is_some(), "missing {key}");
    }
    for c in [
        "conservative_care",
        "radiculopathy",
        "functional_impairment",
        "intervention_candidate",
    ] {
        assert!(
            d["criteria"][c]["status"].is_string()
                && d["criteria"][c]["evidence"].is_array()
                && d["criteria"][c]["missing"].is_array()
        );
    }
    assert!(d["criteria"]["conservative_care"].get("weeks").is_some());
    for f in [
        "progressive_neuro_deficit",
        "cauda_equina",
        "infection",
        "malignancy",
        "trauma",
    ] {
        assert!(d["red_flags"][f]["status"].is_string());
    }
    let ev = &d["red_flags"]["cauda_equina"]["evidence"][0];
    for key in [
        "note_id",
        "start",
        "end",
        "text",
        "concept",
        "assertion",
        "temporal",
    ] {
        assert!(ev.get(key).is_some(), "evidence lacks {key}");
    }
}

#[test]
fn rejects_are_named_and_nothing_else_is_lost() {
    let dir = tmp("rejects");
    let good = std::fs::read_to_string(root().join("corpus/seed-001.case.json")).unwrap();
    let good_line =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&good).unwrap()).unwrap();
    let bad_cpt = good_line.replace("72148", "70551");
    let no_notes = r#"{"case_id":"empty","request":{"procedures":[{"cpt":"72148"}]},"notes":[]}"#;
    let input = format!("{good_line}\n{{broken\n{bad_cpt}\n{no_notes}\n{good_line}\n");
    let path = dir.join("cases.jsonl");
    std::fs::write(&path, input).unwrap();
    let (code, out, err) = run(&["review", "--format", "jsonl", path.to_str().unwrap()]);
    assert_eq!(code, 1, "exit code 1 when something was rejected");
    assert_eq!(out.lines().count(), 2, "both good records reviewed");
    assert!(
        err.contains("cases.jsonl:2") && err.contains("malformed JSON"),
        "{err}"
    );
    assert!(
        err.contains("cases.jsonl:3") && err.contains("70551"),
        "{err}"
    );
    assert!(
        err.contains("cases.jsonl:4") && err.contains("no notes"),
        "{err}"
    );
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("precert: rejected "))
            .count(),
        3
    );
    assert!(
        err.contains("precert: 2 cases, ") && err.contains("; 3 rejected"),
        "summary line: {err}"
    );
}

#[test]
fn plain_text_needs_a_cpt_and_csv_groups_rows() {
    let dir = tmp("txt");
    let note = dir.join("note-1.txt");
    std::fs::write(&note, "Low back pain x 3 days. Denies saddle anesthesia.").unwrap();
    let (code, _, err) = run(&["review", note.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("--cpt"), "{err}");
    let (code, out, err) = run(&[
        "review",
        "--cpt",
        "72148,72146",
        "--date",
        "2026-10-01",
        "--format",
        "csv",
        note.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().count(),
        3,
        "header + one row per procedure:\n{out}"
    );
    let csv = dir.join("cases.csv");
    std::fs::write(&csv, "case_id,note_id,date,kind,text,cpt\nc1,a,2026-08-03,pt,\"PT eval.\nLBP radiating to the left leg.\",72148\nc1,b,2026-09-28,progress,Still in pain.,72148\nc2,a,2026-09-01,ed,Saddle anesthesia and urinary retention.,72148\n").unwrap();
    let (code, out, err) = run(&[
        "review",
        "--ordered",
        "--format",
        "jsonl",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let ids: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["case_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, vec!["c1", "c2"]);
}

#[test]
fn usage_error_exits_2() {
    let (code, _, _) = run(&["review"]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["review", "--format", "pdf", "x.json"]);
    assert_eq!(code, 2);
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let (c1, one, _) = run(&[
        "review",
        "--ordered",
        "--jobs",
        "1",
        "--format",
        "jsonl",
        "corpus/cases/train",
        "corpus/seed-001.case.json",
    ]);
    let (c2, many, _) = run(&[
        "review",
        "--ordered",
        "--jobs",
        "4",
        "--format",
        "jsonl",
        "corpus/cases/train",
        "corpus/seed-001.case.json",
    ]);
    // Without --ordered, results come as they complete: the same lines, in any order.
    let (c3, unordered, _) = run(&[
        "review",
        "--jobs",
        "4",
        "--format",
        "jsonl",
        "corpus/cases/train",
        "corpus/seed-001.case.json",
    ]);
    assert_eq!((c1, c2, c3), (0, 0, 0));
    assert!(one.lines().count() >= 13);
    assert_eq!(one, many);
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&one), sorted(&unordered));
}

#[test]
fn out_dir_writes_one_worksheet_per_case() {
    let dir = tmp("out");
    let (code, _, err) = run(&[
        "review",
        "--format",
        "md",
        "--out",
        dir.to_str().unwrap(),
        "corpus/seed-001.case.json",
    ]);
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(dir.join("seed-001.md")).unwrap();
    assert!(md.starts_with("# Medical-necessity worksheet — case seed-001"));
}

#[test]
fn explain_prints_layers() {
    let dir = tmp("explain");
    let note = dir.join("n.txt");
    std::fs::write(&note, "HPI: Denies bowel or bladder changes. PT 2x/week since 8/4.\nFAMILY HISTORY: mother with breast cancer.").unwrap();
    let (code, out, err) = run(&["explain", "--date", "2026-10-14", note.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("absent (neg-010:Denies)"), "{out}");
    assert!(out.contains("family"), "{out}");
    assert!(out.contains("2026-08-04"), "{out}");
}

#[test]
fn eval_reads_i2b2_and_reports_json_metrics() {
    let (code, out, err) = run(&["eval", "corpus/i2b2-sample", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let m = &v["sections"][0]["metrics"];
    assert_eq!(m["i2b2.n"], 26.0);
    let micro = m["i2b2.micro_f1"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&micro));
    assert!(v["lexicon_sha256"].as_str().unwrap().len() == 64);
}

#[test]
fn eval_thresholds_set_the_exit_code() {
    let (code, _, err) = run(&[
        "eval",
        "corpus/i2b2-sample",
        "--fail-under",
        "i2b2.micro_f1=1.01",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("FAIL i2b2.micro_f1"), "{err}");
    let (code, _, _) = run(&[
        "eval",
        "corpus/i2b2-sample",
        "--fail-under",
        "i2b2.micro_f1=0.0",
        "--fail-over",
        "i2b2.micro_f1=1.0",
    ]);
    assert_eq!(code, 0);
    // A misspelt metric must not pass silently.
    let (code, _, err) = run(&[
        "eval",
        "corpus/i2b2-sample",
        "--fail-under",
        "i2b2.micro=0.5",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown metric"), "{err}");
    let (code, _, err) = run(&["eval", "no/such/dir"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/dir"), "{err}");
}

#[test]
fn eval_scores_cases_brat_and_the_sentence_suite_in_one_run() {
    let (code, out, err) = run(&[
        "eval",
        "corpus/cases/dev",
        "corpus/brat/train",
        "corpus/sentences/dev.tsv",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cases", "brat", "sentences"]);
    let cases = &v["sections"][0];
    assert!(cases["metrics"]["cases.procedures_count"].as_f64().unwrap() >= 25.0);
    // Every error names the case, field, expectation and what precert found.
    for e in cases["errors"].as_array().unwrap() {
        for k in ["case", "cpt", "field", "expected", "got", "evidence"] {
            assert!(e.get(k).is_some(), "error without {k}: {e}");
        }
    }
    assert!(v["sections"][2]["metrics"]["sentences.n"].as_f64().unwrap() >= 200.0);
}

/// The public NegEx/ConText kit (development half) lives outside the repository; skip when absent.
#[test]
fn negex_kit_dev_half_meets_the_issue_targets() {
    let kit = root().join("../shared/ext/negex");
    if !kit.join("negex-dev.tsv").exists() {
        eprintln!("skipped: {} not present", kit.display());
        return;
    }
    let (code, _, err) = run(&[
        "eval",
        "../shared/ext/negex/negex-dev.tsv",
        "../shared/ext/negex/context-dev.tsv",
        "--fail-under",
        "negex.negated.f1=0.96",
        "--fail-under",
        "context.hypothetical.f1=0.90",
    ]);
    assert_eq!(code, 0, "{err}");
}
