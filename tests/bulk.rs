//! Bulk mode through the real binary: an archive with every kind of bad record mixed among good ones,
//! in every input format, plain and gzip. Counts in = out + rejected, each reject names its record and
//! reason, and an interrupted run resumes to the same output.

use crate::util::*;
use std::io::Write;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> TmpDir {
    tmp_dir(name)
}

/// (exit code, stderr): bulk output goes to files.
fn precert(args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = run_precert(args);
    (code, stderr)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A good case as one JSON line, with its id replaced.
fn good(id: &str) -> String {
    let seed = std::fs::read_to_string(root().join("corpus/seed-001.case.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&seed).unwrap();
    v["case_id"] = id.into();
    serde_json::to_string(&v).unwrap()
}

/// The expected rejects: (a substring of the record name, a substring of the reason).
type Expect = Vec<(String, &'static str)>;

/// Writes the archive; returns the inputs, the number of input records, and the expected rejects.
fn archive(dir: &Path) -> (Vec<PathBuf>, usize, Expect) {
    let mut expect: Expect = Vec::new();
    let mut records = 0;

    // JSONL: good lines among malformed JSON, a missing field, an unknown CPT, an empty note, a 20 MB
    // note, invalid UTF-8, a non-object, and a blank line (not a record).
    let mut jsonl: Vec<u8> = Vec::new();
    let line = |bytes: &[u8], jsonl: &mut Vec<u8>| {
        jsonl.extend_from_slice(bytes);
        jsonl.push(b'\n');
    };
    line(good("j1").as_bytes(), &mut jsonl);
    line(b"{\"case_id\": \"broken\", ", &mut jsonl);
    expect.push(("cases.jsonl:2".into(), "malformed JSON"));
    line(
        good("nonotes").replace("\"notes\"", "\"notas\"").as_bytes(),
        &mut jsonl,
    );
    expect.push(("cases.jsonl:3".into(), "missing field `notes`"));
    line(good("cpt").replace("72148", "70551").as_bytes(), &mut jsonl);
    expect.push(("cases.jsonl:4".into(), "70551"));
    line(b"", &mut jsonl);
    let mut empty: serde_json::Value = serde_json::from_str(&good("empty")).unwrap();
    empty["notes"][0]["text"] = "   ".into();
    line(empty.to_string().as_bytes(), &mut jsonl);
    expect.push(("cases.jsonl:6".into(), "empty text"));
    let mut huge: serde_json::Value = serde_json::from_str(&good("huge")).unwrap();
    huge["notes"][0]["text"] = "back pain ".repeat(2_000_000).into();
    line(huge.to_string().as_bytes(), &mut jsonl);
    expect.push(("cases.jsonl:7".into(), "over the 2097152-byte limit"));
    let mut bad_utf8 = good("utf8").into_bytes();
    let at = bad_utf8.len() / 2;
    bad_utf8.insert(at, 0xff);
    line(&bad_utf8, &mut jsonl);
    expect.push(("cases.jsonl:8".into(), "invalid UTF-8"));
    line(b"[1, 2, 3]", &mut jsonl);
    expect.push(("cases.jsonl:9".into(), "expected a JSON object"));
    line(good("j2").as_bytes(), &mut jsonl);
    records += 9;
    let p_jsonl = dir.join("cases.jsonl");
    std::fs::write(&p_jsonl, &jsonl).unwrap();

    // The same JSONL gzip-compressed under a name that does not say so: decoded by content. Its rejects
    // repeat under its own name.
    let p_gz = dir.join("archive-blob");
    let renamed: Vec<u8> = String::from_utf8_lossy(&jsonl)
        .replace("\"j1\"", "\"g1\"")
        .replace("\"j2\"", "\"g2\"")
        .into_bytes();
    // (from_utf8_lossy replaced the invalid byte; put it back so that line is still invalid UTF-8.)
    let mut renamed = renamed;
    let pos = renamed
        .windows(3)
        .position(|w| w == "\u{fffd}".as_bytes())
        .unwrap();
    renamed.splice(pos..pos + 3, [0xff]);
    std::fs::write(&p_gz, gzip(&renamed)).unwrap();
    records += 9;
    for (rec, reason) in expect.clone() {
        expect.push((rec.replace("cases.jsonl", "archive-blob"), reason));
    }

    // CSV: a good two-row case, a bad date, a short row, invalid UTF-8 in a text cell, a good case.
    let mut csv: Vec<u8> = b"case_id,note_id,date,kind,text,cpt\n".to_vec();
    csv.extend_from_slice(
        b"k1,a,2026-08-03,pt,\"PT eval.\nLBP radiating to the left leg.\",72148\n",
    );
    csv.extend_from_slice(b"k1,b,2026-09-28,progress,Still in pain.,72148\n");
    csv.extend_from_slice(b"k2,a,03/08/2026,pt,Back pain.,72148\n");
    expect.push(("cases.csv:5".into(), "bad date"));
    csv.extend_from_slice(b"k3,a,2026-08-03\n");
    expect.push(("cases.csv:6".into(), "row has 3 fields"));
    csv.extend_from_slice(b"k4,a,2026-08-03,pt,Back \xfe pain.,72148\n");
    expect.push(("cases.csv:7".into(), "invalid UTF-8 in column 5"));
    csv.extend_from_slice(b"k5,a,2026-08-03,pt,Back pain x 8 weeks despite PT.,72148\n");
    records += 5;
    std::fs::write(dir.join("cases.csv"), &csv).unwrap();

    // A directory of plain-text notes: two good, one empty, one not UTF-8; a .json file with an array.
    let notes = dir.join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(notes.join("t1.txt"), "LBP x 7 weeks, failed PT.").unwrap();
    std::fs::write(
        notes.join("t2.txt.gz"),
        gzip(b"Low back pain radiating down the leg."),
    )
    .unwrap();
    std::fs::write(notes.join("t3.txt"), "\n\n").unwrap();
    expect.push(("t3.txt".into(), "empty text"));
    std::fs::write(notes.join("t4.txt"), b"pain \xc3\x28").unwrap();
    expect.push(("t4.txt".into(), "invalid UTF-8"));
    std::fs::write(
        notes.join("more.json"),
        format!("[{}, {{\"case_id\": 7}}]", good("a1")),
    )
    .unwrap();
    expect.push(("more.json[1]".into(), "not a case"));
    records += 6;

    (
        vec![p_jsonl, p_gz, dir.join("cases.csv"), notes],
        records,
        expect,
    )
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn review(inputs: &[PathBuf], out: &Path, rejects: &Path, extra: &[&str]) -> (i32, String) {
    let mut args: Vec<String> = [
        "review",
        "--evidence",
        "lexicon",
        "--cpt",
        "72148",
        "--date",
        "2026-10-01",
        "--format",
        "jsonl",
        "--jobs",
        "3",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(["--out".into(), out.display().to_string()]);
    args.extend(["--rejects".into(), rejects.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    precert(&refs)
}

#[test]
fn every_record_is_reviewed_or_rejected_with_its_reason() {
    let dir = tmp("mixed");
    let (inputs, records, expect) = archive(&dir);
    let out = dir.join("out");
    let rejects = dir.join("rejects.jsonl");
    let (code, err) = review(&inputs, &out, &rejects, &[]);
    assert_eq!(code, 1, "exit 1 when anything was rejected\n{err}");
    let reviewed = lines(&out.join("reviews.jsonl"));
    let rejected = lines(&rejects);
    assert_eq!(
        reviewed.len() + rejected.len(),
        records,
        "in = out + rejected\n{err}"
    );
    let mut ids: Vec<&str> = reviewed
        .iter()
        .map(|r| r["case_id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        ["a1", "g1", "g2", "j1", "j2", "k1", "k5", "t1", "t2"],
        "the good records"
    );
    assert_eq!(rejected.len(), expect.len(), "{rejected:#?}");
    for (record, reason) in &expect {
        assert!(
            rejected.iter().any(|r| {
                r["record"].as_str().unwrap().ends_with(record.as_str())
                    && r["reason"].as_str().unwrap().contains(reason)
            }),
            "no reject for {record} with {reason:?}: {rejected:#?}"
        );
    }
    // Every reject has a record number; JSONL and CSV rejects name their line; a case id when known.
    for r in &rejected {
        assert!(r["record_number"].as_u64().unwrap() >= 1);
        let rec = r["record"].as_str().unwrap();
        if rec.contains(".jsonl:") || rec.contains(".csv:") {
            assert!(r["line"].as_u64().is_some(), "{r}");
        }
    }
    let cpt = rejected
        .iter()
        .find(|r| r["reason"].as_str().unwrap().contains("70551"))
        .unwrap();
    assert_eq!(cpt["case_id"], "cpt");
    assert!(
        err.contains(&format!("{} cases, ", reviewed.len()))
            && err.contains(&format!("; {} rejected", rejected.len())),
        "summary line: {err}"
    );
    // The CSV case with two rows is one case with both notes.
    let k1 = reviewed.iter().find(|r| r["case_id"] == "k1").unwrap();
    assert_eq!(k1["notes"].as_array().unwrap().len(), 2);
}

#[test]
fn an_interrupted_run_resumes_to_the_same_output() {
    let dir = tmp("resume");
    let (inputs, records, _) = archive(&dir);
    let full = dir.join("full");
    let (code, _) = review(&inputs, &full, &dir.join("r1.jsonl"), &["--ordered"]);
    assert_eq!(code, 1);
    let all = std::fs::read_to_string(full.join("reviews.jsonl")).unwrap();
    let n = all.lines().count();
    assert!(n >= 9);

    // An interrupted run: the first four reviews written and the fifth cut mid-line.
    let cut = dir.join("cut");
    std::fs::create_dir_all(&cut).unwrap();
    let mut partial: String = all.lines().take(4).map(|l| format!("{l}\n")).collect();
    let fifth = all.lines().nth(4).unwrap();
    partial.push_str(&fifth[..fifth.len() / 2]);
    std::fs::write(cut.join("reviews.jsonl"), &partial).unwrap();
    let rejects = dir.join("r2.jsonl");
    let (code, err) = review(&inputs, &cut, &rejects, &["--resume", "--ordered"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("4 skipped"), "{err}");
    let resumed = std::fs::read_to_string(cut.join("reviews.jsonl")).unwrap();
    let mut a: Vec<&str> = all.lines().collect();
    let mut b: Vec<&str> = resumed.lines().collect();
    assert_eq!(b.len(), n, "no case twice, none lost");
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(lines(&rejects).len() + n, records);
}

#[test]
fn csv_output_streams_with_one_header() {
    let dir = tmp("csv");
    let (inputs, _, _) = archive(&dir);
    let out = dir.join("out");
    let mut args = vec![
        "review".to_string(),
        "--evidence".into(),
        "lexicon".into(),
        "--cpt".into(),
        "72148".into(),
        "--format".into(),
        "csv".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _) = precert(&refs);
    assert_eq!(code, 1);
    let csv = std::fs::read_to_string(out.join("reviews.csv")).unwrap();
    assert_eq!(csv.lines().filter(|l| l.starts_with("case_id,")).count(), 1);
    // One row per reviewed case and procedure: every good case asks for 72148 only, except the seed
    // copies (72148 and 72146).
    assert!(csv.lines().count() > 9, "{csv}");
}
