#!/usr/bin/env python3
"""Assigns newly written cases to train/dev/test, stratified by outcome, and moves them into corpus/cases/<split>/.

Usage: python3 corpus/tools/assign_split.py SRC_DIR DEV_N TEST_N
Cases are grouped by (decision, pathway) of their first gold determination; each group gives dev and test
their proportional share, taking cases in SHA-1 order of the file name (a fixed, content-blind shuffle). Run once per batch; the split is then a fact of the file layout.
"""
import hashlib
import json
import pathlib
import sys

src, dev_n, test_n = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
root = pathlib.Path(__file__).resolve().parents[1] / "cases"
groups = {}
for f in sorted(src.glob("*.case.json")):
    g = json.loads(f.read_text())["gold"]["determinations"][0]
    groups.setdefault((g["decision"], str(g["pathway"])), []).append(f)
# Each outcome group gives dev and test their share of it (largest remainders settle the rounding), so every
# outcome reaches every split in proportion.
total = sum(len(v) for v in groups.values())
keys = sorted(groups)
out = {"dev": [], "test": [], "train": []}
share = {}
for split, n in (("dev", dev_n), ("test", test_n)):
    exact = {k: len(groups[k]) * n / total for k in keys}
    take = {k: int(exact[k]) for k in keys}
    for k in sorted(keys, key=lambda k: exact[k] - take[k], reverse=True)[: n - sum(take.values())]:
        take[k] += 1
    share[split] = take
for k in keys:
    files = sorted(groups[k], key=lambda f: hashlib.sha1(f.name.encode()).hexdigest())
    d, t = share["dev"][k], share["test"][k]
    out["dev"] += files[:d]
    out["test"] += files[d : d + t]
    out["train"] += files[d + t :]
for split, files in out.items():
    (root / split).mkdir(parents=True, exist_ok=True)
    for f in files:
        f.rename(root / split / f.name)
    print(split, len(files))
