#!/usr/bin/env python3
"""Writes note_dates.tsv beside brat documents named <case_id>__<note_id>.txt, from the corpus case files.

Usage: python3 corpus/tools/brat_dates.py corpus/brat/train [more dirs]
precert eval reads it to resolve relative temporal expressions ("3 weeks ago") against the note's date.
"""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[1]
dates = {}
for f in root.glob("cases/*/*.case.json"):
    case = json.loads(f.read_text())
    for n in case["notes"]:
        dates[f"{case['case_id']}__{n['note_id']}"] = n["date"]
for d in sys.argv[1:]:
    d = pathlib.Path(d)
    rows = [f"{t.stem}\t{dates[t.stem]}" for t in sorted(d.glob("*.txt")) if t.stem in dates]
    (d / "note_dates.tsv").write_text("\n".join(rows) + "\n")
    print(d, len(rows))
