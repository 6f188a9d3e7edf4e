#!/usr/bin/env python3
"""Checks brat standoff files (.txt + .ann) against corpus/brat/annotation.conf.

Usage: python3 corpus/tools/brat_check.py DIR_OR_ANN...
Every T line's offsets (Unicode character offsets, brat's convention) must slice the .txt to the quoted text;
types and attributes must be declared; A lines must point at existing T ids; AnnotatorNotes on Temporal
entities must hold a value in the corpus syntax (duration:<days> | date:<YYYY-MM-DD> | since:<YYYY-MM-DD> |
surgery:<offset days> | surgery:since | frequency:<per week> | visits:<count>).
Prints one line per problem; exit 1 when there is any.
"""
import pathlib
import re
import sys

ENTITIES = {"Symptom", "Radicular", "Deficit", "Functional", "Conservative", "Injection", "Intervention",
            "Surgery", "Complication", "Imaging", "RedFlag", "Temporal"}
ATTRIBUTES = {"Negated", "Possible", "Hypothetical", "Historical", "Family"}
VALUE = re.compile(r"^(duration:\d+|date:\d{4}-\d\d-\d\d|since:\d{4}-\d\d-\d\d|surgery:-?\d+|surgery:since|"
                   r"frequency:\d+(\.\d+)?|visits:\d+)$")


def check(ann):
    out = []
    txt = ann.with_suffix(".txt")
    if not txt.exists():
        return [f"{ann}: no {txt.name}"]
    text = txt.read_text(encoding="utf-8")
    ids = {}
    for n, line in enumerate(ann.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{ann}:{n}"
        if not line.strip():
            continue
        parts = line.split("\t")
        if line.startswith("T"):
            if len(parts) != 3:
                out.append(f"{where}: T line needs 3 tab-separated fields")
                continue
            kind, *frags = parts[1].split(" ", 1)
            if kind not in ENTITIES:
                out.append(f"{where}: unknown entity type {kind}")
            try:
                pieces = [tuple(map(int, f.split())) for f in frags[0].split(";")]
            except (ValueError, IndexError):
                out.append(f"{where}: bad offsets")
                continue
            got = " ".join(text[s:e] for s, e in pieces)
            if got != parts[2]:
                out.append(f"{where}: offsets give {got!r}, line says {parts[2]!r}")
            ids[parts[0]] = kind
        elif line.startswith("A"):
            f = parts[1].split() if len(parts) > 1 else []
            if len(f) != 2 or f[0] not in ATTRIBUTES:
                out.append(f"{where}: attribute line must be 'A<n>\\t<Attribute> T<n>' with a known attribute")
            elif f[1] not in ids:
                out.append(f"{where}: attribute on unknown/later entity {f[1]}")
        elif line.startswith("#"):
            f = parts[1].split() if len(parts) > 1 else []
            if len(f) != 2 or f[0] != "AnnotatorNotes" or f[1] not in ids:
                out.append(f"{where}: note line must be '#<n>\\tAnnotatorNotes T<n>\\t<value>'")
            elif ids[f[1]] == "Temporal" and (len(parts) < 3 or not VALUE.match(parts[2].strip())):
                out.append(f"{where}: Temporal value {parts[2:] !r} is not in the corpus syntax")
        else:
            out.append(f"{where}: unsupported line")
    return out


def main():
    anns = []
    for a in sys.argv[1:] or ["corpus/brat"]:
        p = pathlib.Path(a)
        anns += sorted(p.rglob("*.ann")) if p.is_dir() else [p]
    problems = [x for a in anns for x in check(a)]
    if problems:
        print("\n".join(problems))
    print(f"{len(anns)} documents checked, {len(problems)} problems", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
