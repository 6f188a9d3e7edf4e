#!/usr/bin/env python3
"""Validates hand-written corpus cases: input schema plus the `gold` block.

Usage: python3 corpus/tools/check_cases.py FILE_OR_DIR...
Prints one line per problem and exits 1 when there is any; silent and 0 when all is well.
"""
import datetime
import json
import pathlib
import sys

CPT = {"72146", "72147", "72148", "72149", "72156", "72157", "72158", "72141", "72142", "72156"}
DECISIONS = {"approve", "deny", "pend"}
PATHWAYS = {"red_flag", "post_surgical", "conservative_failure", None}
STATUS = {"met", "not_met", "unclear"}
CRITERIA = {"conservative_care", "radiculopathy", "functional_impairment", "intervention_candidate"}
FLAGS = {"progressive_neuro_deficit", "cauda_equina", "infection", "malignancy", "trauma"}
SPLITS = {"train", "dev", "test"}


def date(s, where, problems):
    try:
        datetime.date.fromisoformat(s)
    except (TypeError, ValueError):
        problems.append(f"{where}: not an ISO date: {s!r}")


def check(path):
    problems = []
    try:
        case = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"{path}: {e}"]
    p = lambda msg: problems.append(f"{path}: {msg}")
    if not isinstance(case.get("case_id"), str) or not case["case_id"]:
        p("case_id missing")
    elif case["case_id"] != path.name.removesuffix(".case.json"):
        p(f"case_id {case['case_id']!r} differs from the file name")
    req = case.get("request") or {}
    date(req.get("date"), f"{path}: request.date", problems)
    procs = req.get("procedures") or []
    if not procs:
        p("request.procedures empty")
    for proc in procs:
        if proc.get("cpt") not in CPT:
            p(f"unexpected cpt {proc.get('cpt')!r}")
        if not proc.get("description"):
            p("procedure without description")
    pat = case.get("patient") or {}
    if not isinstance(pat.get("age"), int) or pat.get("sex") not in ("M", "F"):
        p("patient needs integer age and sex M|F")
    notes = case.get("notes") or []
    if not notes:
        p("no notes")
    ids = set()
    for n in notes:
        for k in ("note_id", "date", "kind", "author_role", "text"):
            if not n.get(k):
                p(f"note {n.get('note_id')!r}: missing {k}")
        if n.get("note_id") in ids:
            p(f"duplicate note_id {n.get('note_id')!r}")
        ids.add(n.get("note_id"))
        date(n.get("date"), f"{path}: note {n.get('note_id')} date", problems)
        if n.get("date", "") > req.get("date", "9999"):
            p(f"note {n.get('note_id')} is dated after the request")
    gold = case.get("gold") or {}
    if not gold.get("rationale"):
        p("gold.rationale missing")
    dets = gold.get("determinations") or []
    if sorted(d.get("cpt") for d in dets) != sorted(x.get("cpt") for x in procs):
        p("gold.determinations must have exactly one entry per requested cpt")
    for d in dets:
        w = f"gold {d.get('cpt')}"
        if d.get("decision") not in DECISIONS:
            p(f"{w}: decision {d.get('decision')!r}")
        if d.get("pathway") not in PATHWAYS:
            p(f"{w}: pathway {d.get('pathway')!r}")
        if (d.get("decision") == "approve") != (d.get("pathway") is not None):
            p(f"{w}: approve needs a pathway, deny/pend need null")
        crit = d.get("criteria") or {}
        if set(crit) != CRITERIA or any(v not in STATUS for v in crit.values()):
            p(f"{w}: criteria must give all four as met|not_met|unclear")
        flags = d.get("red_flags_present")
        if not isinstance(flags, list) or any(f not in FLAGS for f in flags):
            p(f"{w}: red_flags_present must list names from {sorted(FLAGS)}")
        if d.get("post_surgical") not in STATUS:
            p(f"{w}: post_surgical {d.get('post_surgical')!r}")
        wk = d.get("conservative_weeks", "missing")
        if not (wk is None or isinstance(wk, int)):
            p(f"{w}: conservative_weeks must be an integer or null")
    split = case.get("split")
    if split is not None and split not in SPLITS:
        p(f"split {split!r}")
    return problems


def main():
    files = []
    for a in sys.argv[1:] or ["corpus/cases"]:
        q = pathlib.Path(a)
        files += sorted(q.rglob("*.case.json")) if q.is_dir() else [q]
    problems = [x for f in files for x in check(f)]
    print("\n".join(problems)) if problems else None
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
