#!/usr/bin/env python3
"""Peer measurement: medspaCy's ConText on the NegEx / ConText annotation kits.

Reads one kit file (negex-*.tsv or context-*.tsv; the format is detected from the header line),
runs medspaCy's default pipeline (``medspacy.load()``: medspaCy tokenizer, PyRuSH sentence splitter,
ConText with its default English rule set) over each row's sentence with the row's concept as the
ONLY target entity, and scores the predictions against the gold columns.

Target handling: the concept is located in the sentence as precert's kit reader does it
(case-insensitive, whitespace-flexible, whole words; of several hits the upper-cased one, which is how
the kit marks the annotated occurrence, else the first). The match is snapped to token boundaries
(``alignment_mode="expand"``) and becomes the document's only entity, set after the sentence splitter
and before ConText. A concept that cannot be found counts as "unmatched" and is predicted
Affirmed / Recent / Patient.

Predictions: Negated = span._.is_negated; Historical = span._.is_historical;
Hypothetical = span._.is_hypothetical; experiencer Other = span._.is_family.

Gold mapping (ConText kit): temporality "Not particular" (and "Hypothetical") -> Hypothetical;
experiencer anything other than "Patient" (e.g. "Family member", "Other") -> Other.

Usage: medspacy_kit.py KIT.tsv [--json OUT.json] [--repeat N] [--whole-row-sentence] [--errors N]
"""

import argparse
import json
import platform
import re
import sys
import time
from datetime import datetime, timezone

LABEL = "CONDITION"


def unquote(field):
    """Undo spreadsheet-style quoting: "a ""b"" c" -> a "b" c."""
    if len(field) >= 2 and field.startswith('"') and field.endswith('"'):
        return field[1:-1].replace('""', '"')
    return field


def read_kit(path):
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    if not lines:
        raise SystemExit(f"{path}: empty file")
    header = [h.strip().lower() for h in lines[0].split("\t")]
    if header[0].startswith("report no") and len(header) >= 4:
        kind = "negex"
    elif header[0].startswith("line number") and len(header) >= 6:
        kind = "context"
    else:
        raise SystemExit(f"{path}: unrecognised header {lines[0]!r}")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cols = [unquote(c) for c in line.split("\t")]
        if kind == "negex":
            if len(cols) < 4:
                raise SystemExit(f"{path}:{n}: expected 4 columns, got {len(cols)}")
            rows.append(
                {
                    "id": cols[0],
                    "concept": cols[1],
                    "sentence": cols[2],
                    "negated": norm_neg(cols[3], path, n),
                }
            )
        else:
            if len(cols) < 6:
                raise SystemExit(f"{path}:{n}: expected 6 columns, got {len(cols)}")
            rows.append(
                {
                    "id": cols[0],
                    "concept": cols[1],
                    "sentence": cols[2],
                    "negated": norm_neg(cols[3], path, n),
                    "temporality": norm_temp(cols[4], path, n),
                    "experiencer": norm_exp(cols[5]),
                }
            )
    return kind, rows


def norm_neg(value, path, n):
    v = value.strip().lower()
    if v == "negated":
        return True
    if v in ("affirmed", "possible"):
        return False
    raise SystemExit(f"{path}:{n}: unknown negation value {value!r}")


def norm_temp(value, path, n):
    v = value.strip().lower()
    if v == "historical":
        return "Historical"
    if v == "recent":
        return "Recent"
    if v in ("not particular", "hypothetical"):
        return "Hypothetical"
    raise SystemExit(f"{path}:{n}: unknown temporality value {value!r}")


def norm_exp(value):
    return "Patient" if value.strip().lower() == "patient" else "Other"


def find_concept(sentence, concept):
    """Return (start, end, how) of the annotated occurrence, or None.

    Same rule as precert's kit reader (src/eval/kit.rs, `locate`), so both tools get the same target:
    case-insensitive, any run of whitespace for a space, whole words only (a hit may not glue onto a
    letter or digit on either side). When there is more than one hit, the kit marks the annotated
    occurrence by upper-casing it: take the first all-upper-case hit, else the first hit.
    """
    words = concept.split()
    if not words:
        return None
    rx = re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)

    def bounded(a, b):
        joined_before = a > 0 and sentence[a - 1].isalnum() and sentence[a].isalnum()
        joined_after = b < len(sentence) and sentence[b].isalnum() and sentence[b - 1].isalnum()
        return not (joined_before or joined_after)

    hits = [(m.start(), m.end()) for m in rx.finditer(sentence) if bounded(m.start(), m.end())]
    if not hits:
        return None

    def upper(h):
        t = sentence[h[0] : h[1]]
        return any(c.isalpha() for c in t) and not any(c.islower() for c in t)

    if len(hits) > 1:
        for h in hits:
            if upper(h):
                return h[0], h[1], "upper"
        return hits[0][0], hits[0][1], "first"
    return hits[0][0], hits[0][1], "only"


class Counts:
    def __init__(self):
        self.tp = self.fp = self.fn = self.tn = 0

    def add(self, gold, pred):
        if gold and pred:
            self.tp += 1
        elif pred:
            self.fp += 1
        elif gold:
            self.fn += 1
        else:
            self.tn += 1

    def as_dict(self):
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        n = self.tp + self.fp + self.fn + self.tn
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "gold": self.tp + self.fn,
            "predicted": self.tp + self.fp,
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "accuracy": round((self.tp + self.tn) / n, 4) if n else 0.0,
        }


def predict(nlp, components, rows, whole_row_sentence):
    """One timed pass over the kit. Returns (per-row predictions, seconds per component)."""
    comp_s = {"tokenizer": 0.0}
    comp_s.update({n: 0.0 for n, _ in components})
    out = []
    for row in rows:
        sent_text = row["sentence"]
        tc = time.perf_counter()
        doc = nlp.make_doc(sent_text)
        comp_s["tokenizer"] += time.perf_counter() - tc
        span = None
        how = None
        crossing = False
        for name, proc in components:
            if name == "medspacy_context":
                loc = find_concept(sent_text, row["concept"])
                if loc is not None:
                    span = doc.char_span(loc[0], loc[1], label=LABEL, alignment_mode="expand")
                if span is None or len(span) == 0:
                    span = None
                    doc.ents = []
                else:
                    how = loc[2]
                    doc.ents = [span]
                    if whole_row_sentence:
                        for i, tok in enumerate(doc):
                            tok.is_sent_start = i == 0
                    else:
                        crossing = any(doc[i].is_sent_start for i in range(span.start + 1, span.end))
            tc = time.perf_counter()
            doc = proc(doc)
            comp_s[name] += time.perf_counter() - tc
        pr = {"how": how, "crossing": crossing, "neg": False, "hist": False, "hyp": False, "fam": False, "inside": []}
        if span is not None:
            ent = doc.ents[0]
            pr["neg"] = bool(ent._.is_negated)
            pr["hist"] = bool(ent._.is_historical)
            pr["hyp"] = bool(ent._.is_hypothetical)
            pr["fam"] = bool(ent._.is_family)
            # Diagnostic: medspaCy 1.3.1's overlap test (medspacy.util.tuple_overlaps) only asks whether
            # the target's start or end falls inside the cue, so a cue lying strictly inside a multi-word
            # target ("LUNGS SHOW NO AIRSPACE OPACITIES") still modifies it. Record categories that rest
            # only on such cues.
            for cat in ("NEGATED_EXISTENCE", "HISTORICAL", "HYPOTHETICAL", "FAMILY"):
                mods = [m for m in ent._.modifiers if m.category == cat]
                if mods and all(ent.start <= m.modifier_span[0] and m.modifier_span[1] <= ent.end for m in mods):
                    pr["inside"].append(cat)
        out.append(pr)
    return out, comp_s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kit", help="negex-*.tsv or context-*.tsv")
    ap.add_argument("--json", metavar="FILE", help="write results as JSON")
    ap.add_argument(
        "--whole-row-sentence",
        action="store_true",
        help="diagnostic: treat each row as one sentence instead of using PyRuSH's boundaries",
    )
    ap.add_argument("--repeat", type=int, default=3, metavar="N", help="timed passes; the median is reported (default 3)")
    ap.add_argument("--errors", type=int, default=0, metavar="N", help="print up to N misclassified rows per class")
    args = ap.parse_args()

    kind, rows = read_kit(args.kit)

    t_load = time.perf_counter()
    # PyRuSH 1.0.13 logs every sentence decision at DEBUG level through loguru's default
    # stderr handler; keep warnings and errors only so the timing is not dominated by logging.
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    import medspacy
    import spacy

    nlp = medspacy.load()
    load_s = time.perf_counter() - t_load
    pipe_names = list(nlp.pipe_names)
    # The target matcher has no rules; we set the entity ourselves between the sentence
    # splitter and ConText.
    components = [(n, p) for n, p in nlp.pipeline if n != "medspacy_target_matcher"]
    ctx_rules = len(nlp.get_pipe("medspacy_context").rules)

    walls = []
    comp_runs = []
    preds = None
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        out, comp_s = predict(nlp, components, rows, args.whole_row_sentence)
        walls.append(time.perf_counter() - t0)
        comp_runs.append(comp_s)
        if preds is None:
            preds = out
    order = sorted(range(len(walls)), key=walls.__getitem__)
    mid = order[len(order) // 2]
    wall, comp_s = walls[mid], comp_runs[mid]

    neg = Counts()
    hist = Counts()
    hyp = Counts()
    other = Counts()
    temp_ok = exp_ok = all_ok = 0
    found = {"only": 0, "upper": 0, "first": 0}
    unmatched = []
    crossing = 0  # concept span straddles a PyRuSH sentence boundary
    both_hist_hyp = 0
    errors = {"negated": [], "historical": [], "hypothetical": [], "other": []}
    inside = {"NEGATED_EXISTENCE": 0, "HISTORICAL": 0, "HYPOTHETICAL": 0, "FAMILY": 0}
    inside_neg_wrong = 0

    for row, pr in zip(rows, preds):
        sent_text = row["sentence"]
        if pr["how"] is None:
            # Row ids only: kit text stays out of the JSON (results are kept in the repo).
            unmatched.append(row["id"])
        else:
            found[pr["how"]] += 1
            crossing += pr["crossing"]
            for cat in pr["inside"]:
                inside[cat] += 1
                if cat == "NEGATED_EXISTENCE" and not row["negated"]:
                    inside_neg_wrong += 1
        p_neg, p_hist, p_hyp, p_fam = pr["neg"], pr["hist"], pr["hyp"], pr["fam"]

        def note(key, gold, pred):
            if gold != pred and len(errors[key]) < args.errors:
                errors[key].append((row["id"], "FN" if gold else "FP", row["concept"], sent_text[:240]))

        neg.add(row["negated"], p_neg)
        note("negated", row["negated"], p_neg)
        if kind == "context":
            # Historical and hypothetical can both fire; hypothetical wins (it is the rarer,
            # more specific reading), so that each row gets one temporality label.
            both_hist_hyp += p_hist and p_hyp
            p_temp = "Hypothetical" if p_hyp else ("Historical" if p_hist else "Recent")
            p_exp = "Other" if p_fam else "Patient"
            g_temp, g_exp = row["temporality"], row["experiencer"]
            hist.add(g_temp == "Historical", p_temp == "Historical")
            hyp.add(g_temp == "Hypothetical", p_temp == "Hypothetical")
            other.add(g_exp == "Other", p_exp == "Other")
            note("historical", g_temp == "Historical", p_temp == "Historical")
            note("hypothetical", g_temp == "Hypothetical", p_temp == "Hypothetical")
            note("other", g_exp == "Other", p_exp == "Other")
            temp_ok += g_temp == p_temp
            exp_ok += g_exp == p_exp
            all_ok += (g_temp == p_temp) and (g_exp == p_exp) and (row["negated"] == p_neg)

    n = len(rows)
    result = {
        "tool": "medspacy",
        "kit": args.kit.rsplit("/", 1)[-1],
        "format": kind,
        "rows": n,
        "concept_found": sum(found.values()),
        "concept_found_single_hit": found["only"],
        "concept_found_upper_case_of_several": found["upper"],
        "concept_found_first_of_several": found["first"],
        "unmatched": len(unmatched),
        "concept_crosses_sentence_boundary": crossing,
        "sentence_scope": "whole row" if args.whole_row_sentence else "pyrush",
        "target": "kit concept as the only entity (label %s)" % LABEL,
        "negated": neg.as_dict(),
        "cue_inside_concept_only": inside,
        "negated_fp_from_cue_inside_concept": inside_neg_wrong,
        "wall_s": round(wall, 3),
        "wall_s_runs": [round(w, 3) for w in walls],
        "component_s": {k: round(v, 3) for k, v in comp_s.items()},
        "rows_per_s": round(n / wall, 1) if wall > 0 else None,
        "load_s": round(load_s, 3),
        "versions": {
            "medspacy": medspacy.__version__,
            "spacy": spacy.__version__,
            "python": platform.python_version(),
        },
        "pipeline": pipe_names,
        "context_rules": ctx_rules,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }
    if kind == "context":
        result["historical"] = hist.as_dict()
        result["hypothetical"] = hyp.as_dict()
        result["other"] = other.as_dict()
        result["temporality_accuracy"] = round(temp_ok / n, 4)
        result["experiencer_accuracy"] = round(exp_ok / n, 4)
        result["all_three_accuracy"] = round(all_ok / n, 4)
        result["historical_and_hypothetical_both_predicted"] = both_hist_hyp
    result["unmatched_row_ids"] = unmatched

    print_table(result)
    for key, errs in errors.items():
        for e in errs:
            print(f"  [{key} {e[1]}] row {e[0]} | {e[2]} | {e[3]}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)
            fh.write("\n")


def print_table(r):
    v = r["versions"]
    print(
        f"medspaCy {v['medspacy']} (spaCy {v['spacy']}, Python {v['python']}) ConText, "
        f"{r['context_rules']} default rules, sentence scope: {r['sentence_scope']}"
    )
    print(
        f"kit {r['kit']} ({r['format']}): {r['rows']} rows, concept found in {r['concept_found']} "
        f"({r['concept_found_single_hit']} single hit, {r['concept_found_upper_case_of_several']} upper-case of several, "
        f"{r['concept_found_first_of_several']} first of several), "
        f"unmatched {r['unmatched']}, concept straddling a sentence boundary {r['concept_crosses_sentence_boundary']}"
    )
    hdr = f"{'class':<13}{'gold':>6}{'pred':>6}{'TP':>6}{'FP':>6}{'FN':>6}{'P':>8}{'R':>8}{'F1':>8}{'acc':>8}"
    print(hdr)
    print("-" * len(hdr))
    names = [("negated", "Negated")]
    if r["format"] == "context":
        names += [("historical", "Historical"), ("hypothetical", "Hypothetical"), ("other", "Other (exp.)")]
    for key, label in names:
        c = r[key]
        print(
            f"{label:<13}{c['gold']:>6}{c['predicted']:>6}{c['tp']:>6}{c['fp']:>6}{c['fn']:>6}"
            f"{c['precision']:>8.3f}{c['recall']:>8.3f}{c['f1']:>8.3f}{c['accuracy']:>8.3f}"
        )
    if r["format"] == "context":
        print(
            f"accuracy: negation {r['negated']['accuracy']:.3f}, temporality {r['temporality_accuracy']:.3f}, "
            f"experiencer {r['experiencer_accuracy']:.3f}, all three {r['all_three_accuracy']:.3f}"
        )
    print(
        f"negated predictions resting only on a cue inside the concept span: "
        f"{r['cue_inside_concept_only']['NEGATED_EXISTENCE']} ({r['negated_fp_from_cue_inside_concept']} of them false positives)"
    )
    print("time by component (median pass): " + ", ".join(f"{k} {v:.2f} s" for k, v in r["component_s"].items()))
    runs = ", ".join(f"{w:.2f}" for w in r["wall_s_runs"])
    print(f"wall {r['wall_s']:.2f} s, median of {len(r['wall_s_runs'])} passes [{runs}] ({r['rows_per_s']:.0f} rows/s; model load {r['load_s']:.2f} s, not included)")


if __name__ == "__main__":
    main()
