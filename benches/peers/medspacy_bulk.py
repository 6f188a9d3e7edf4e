#!/usr/bin/env python3
"""Peer measurement: medspaCy 1.3.1 and precert side by side on one note archive (bulk throughput).

Reads an archive CSV (header ``case_id,note_id,date,kind,text,cpt``, one note per row, optionally
gzip-compressed), runs medspaCy's equivalent of precert's rule pipeline over every note's text
(sectionizer with medspaCy's default section rules, target matcher loaded with precert's own lexicon
terms from ``lexicons/concepts/*.tsv``, ConText with its default rules), and runs precert's release
binary on the same notes. Each configuration runs in its own child process so its peak RSS is its own.

Configurations:
  precert-lexicon  ``precert review ARCHIVE --format jsonl --evidence lexicon --jobs 2 > /dev/null``
  precert-both     the same with ``--evidence both`` (only with --with-model)
  precert-both-D   ``--evidence both --model-dir D`` (one per --model-dir D, e.g. the distilled models/fast)
  default          ``medspacy.load()``'s default pipeline (medspaCy tokenizer, PyRuSH sentence splitter,
                   target matcher, ConText) plus the sectionizer; ``nlp.pipe(texts)`` in one process
  fast             spaCy's rule ``sentencizer`` instead of PyRuSH; ``nlp.pipe(texts, n_process=2,
                   batch_size=B)`` (see "the n_process workaround" below)

Timing: medspaCy's wall clock runs from handing the first note to ``nlp.pipe`` to receiving the last
Doc (for ``fast`` this includes forking the workers); importing medspaCy, building the pipeline and
adding the rules is timed separately ("load") and is not in the throughput. precert's wall clock is
the whole process, start-up and lexicon compilation included, output to /dev/null.

The n_process workaround: with ``n_process>1`` spaCy's workers send every finished Doc back to the
parent as ``Doc.to_bytes()``, which msgpack-serialises ``doc.user_data`` -- and medspaCy keeps its
results there as Python objects (``span._.target_rule`` is a TargetRule, ``span._.modifiers`` are
ConTextModifiers, ``doc._.context_graph``, ``doc._.sections``...). medspaCy 1.3.1 registers srsly msgpack
encoders for ConTextModifier, ConTextGraph and Section but none for TargetRule, so it fails with
``TypeError: can not serialize 'TargetRule' object`` (wrapped in spaCy's E871); adding an encoder for
TargetRule only moves the failure to the Span objects inside the ConTextGraph. Under the "spawn" or
"forkserver" start methods it fails even earlier, with ``PicklingError: Can't pickle <function
<lambda>>: attribute lookup <lambda> on medspacy._extensions failed`` (spaCy pickles the Underscore
state, which holds medspaCy's lambda getters, to start each worker). Workaround used here: force the
"fork" start method (Linux), and end the pipeline, in every configuration, with a small component
``bulk_summary`` that reduces each Doc's medspaCy results to plain counts, clears ``doc.user_data``
and stores the counts there, so the Doc serialises. The parent therefore receives tokens, sentence
boundaries, entity spans and labels, and the counts -- not medspaCy's Python objects.

Usage: medspacy_bulk.py ARCHIVE.csv[.gz] [--limit N] [--repeat R] [--medspacy-repeat M]
                        [--configs default,fast] [--n-process 2] [--batch-size 32] [--jobs 2]
                        [--with-model] [--model-dir DIR] [--no-precert] [--precert PATH] [--lexicons DIR] [--json OUT.json]
(normally run through run_bulk.sh, which makes the virtualenv and names the JSON file)
"""

import argparse
import csv
import gzip
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULT_TAG = "BULK_RESULT "
CONCEPT_COLUMNS = ["id", "concept", "category", "group", "term", "region", "source"]

csv.field_size_limit(1 << 30)


# ----------------------------------------------------------------------------------------------
# archive and lexicon
# ----------------------------------------------------------------------------------------------


def is_gzip(path):
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def open_archive(path):
    if is_gzip(path):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def read_archive(path, limit=None):
    """Return (header, rows) with rows as lists in header order; the first `limit` rows if given."""
    with open_archive(path) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise SystemExit(f"{path}: empty archive")
        if "text" not in header:
            raise SystemExit(f"{path}: no 'text' column in header {header!r}")
        rows = []
        for row in reader:
            if limit is not None and len(rows) >= limit:
                break
            if not row:
                continue
            if len(row) != len(header):
                raise SystemExit(f"{path}: row {len(rows) + 2}: {len(row)} fields, header has {len(header)}")
            rows.append(row)
    return header, rows


def read_texts(path, limit=None):
    header, rows = read_archive(path, limit)
    i = header.index("text")
    return [r[i] for r in rows]


def load_concept_rules(lexicon_dir):
    """precert's concept lexicon as (category, kind, value, concept_id) tuples, kind 'literal' or 'regex'.

    `term` cells are literal phrases separated by ' | ' (ASCII case-insensitive, whole words) or one
    're:' regular expression (case-sensitive unless it says (?i)); see lexicons/README.md.
    """
    cdir = os.path.join(lexicon_dir, "concepts")
    files = sorted(f for f in os.listdir(cdir) if f.endswith(".tsv"))
    if not files:
        raise SystemExit(f"no *.tsv in {cdir}")
    out = []
    for name in files:
        header = None
        with open(os.path.join(cdir, name), encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                line = line.rstrip("\n").rstrip("\r")
                if not line.strip() or line.startswith("#"):
                    continue
                cols = line.split("\t")
                if header is None:
                    header = cols
                    missing = {"id", "category", "term"} - set(header)
                    if missing:
                        raise SystemExit(f"{name}:{n}: header lacks {sorted(missing)}: {header!r}")
                    continue
                if len(cols) != len(header):
                    raise SystemExit(f"{name}:{n}: {len(cols)} columns, header has {len(header)}")
                rec = dict(zip(header, cols))
                term = rec["term"].strip()
                if term.startswith("re:"):
                    out.append((rec["category"], "regex", term[3:], rec["id"]))
                else:
                    for phrase in term.split(" | "):
                        phrase = phrase.strip()
                        if phrase:
                            out.append((rec["category"], "literal", phrase, rec["id"]))
    return out, files


def to_python_regex(rx):
    """medspaCy's RegexMatcher compiles every pattern with re.IGNORECASE. precert's `re:` terms are
    case-sensitive unless they start with (?i) (`re:\\bP\\.?T\\b` must not match the patient "pt"),
    so a pattern without a leading (?i) is wrapped in a scoped (?-i:...) group to keep it
    case-sensitive. Rust regex and Python re agree on the syntax these patterns use."""
    if rx.startswith("(?i)"):
        return rx
    return "(?-i:" + rx + ")"


# ----------------------------------------------------------------------------------------------
# machine and versions
# ----------------------------------------------------------------------------------------------


def machine_info():
    model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    mem_mb = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_mb = round(int(line.split()[1]) / 1024)
                    break
    except OSError:
        pass
    return {
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "cpu_model": model or platform.processor() or "unknown",
        "mem_total_mb": mem_mb,
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
    }


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# ----------------------------------------------------------------------------------------------
# memory probes
# ----------------------------------------------------------------------------------------------


def self_hwm_kb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def child_pids(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    out.extend(int(x) for x in fh.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class PssSampler(threading.Thread):
    """Samples the summed PSS of this process and its children (the n_process workers) every
    `interval` seconds. PSS splits pages shared after fork between the processes sharing them, so
    the sum is the memory the configuration really holds; RSS counts shared pages in each process."""

    def __init__(self, interval=0.5):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_kb = 0
        self.samples = 0
        self.available = os.path.exists(f"/proc/{os.getpid()}/smaps_rollup")
        self._halt = threading.Event()

    def run(self):
        me = os.getpid()
        while not self._halt.is_set():
            total = 0
            for pid in [me] + child_pids(me):
                v = pss_kb(pid)
                if v:
                    total += v
            self.peak_kb = max(self.peak_kb, total)
            self.samples += 1
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join()


# ----------------------------------------------------------------------------------------------
# medspaCy child: one configuration
# ----------------------------------------------------------------------------------------------

ASSERTIONS = ("is_negated", "is_uncertain", "is_historical", "is_hypothetical", "is_family")


def register_summary_component():
    import resource

    from spacy.language import Language

    @Language.component("bulk_summary")
    def bulk_summary(doc):
        """Reduce medspaCy's results to plain counts, then drop its Python objects from user_data so
        the Doc can be serialised back from an n_process worker (see the module docstring)."""
        graph = doc._.context_graph
        labels = Counter(e.label_ for e in doc.ents)
        asserted = Counter()
        for e in doc.ents:
            for a in ASSERTIONS:
                if getattr(e._, a):
                    asserted[a] += 1
        # Key names: medspaCy's msgpack decoders rewrite ANY dict that has a key "modifiers",
        # "modifier", "context_graph" or "section", so none of those is used here.
        summary = {
            "n_tokens": len(doc),
            "n_sentences": sum(1 for _ in doc.sents),
            "n_entities": len(doc.ents),
            "n_by_label": dict(labels),
            "n_modifiers": len(graph.modifiers) if graph is not None else 0,
            "n_edges": len(graph.edges) if graph is not None else 0,
            "n_asserted": dict(asserted),
            "n_sections": len(doc._.sections),
            "pid": os.getpid(),
            "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
        doc.user_data.clear()
        doc.user_data["bulk"] = summary
        return doc


def build_pipeline(config, rules_spec):
    from loguru import logger

    # PyRuSH 1.0.13 logs every sentence decision at DEBUG level through loguru's default stderr
    # handler; keep warnings and errors only, as benches/peers/medspacy_kit.py does.
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    import warnings

    import medspacy
    from medspacy.target_matcher import TargetRule

    warnings.filterwarnings("ignore")  # medspaCy already does this on import; entity-conflict warnings
    register_summary_component()
    if config == "default":
        nlp = medspacy.load(
            medspacy_enable=[
                "medspacy_tokenizer",
                "medspacy_pyrush",
                "medspacy_target_matcher",
                "medspacy_context",
                "medspacy_sectionizer",
            ]
        )
    elif config == "fast":
        nlp = medspacy.load(
            medspacy_enable=[
                "medspacy_tokenizer",
                "medspacy_target_matcher",
                "medspacy_context",
                "medspacy_sectionizer",
            ]
        )
        nlp.add_pipe("sentencizer", first=True)
    else:
        raise SystemExit(f"unknown configuration {config!r}")
    rules = []
    for category, kind, value, cid in rules_spec:
        if kind == "literal":
            rules.append(TargetRule(literal=value, category=category, metadata={"concept_id": cid}))
        else:
            rules.append(
                TargetRule(literal=cid, category=category, pattern=to_python_regex(value), metadata={"concept_id": cid})
            )
    nlp.get_pipe("medspacy_target_matcher").add(rules)
    nlp.add_pipe("bulk_summary", last=True)
    return nlp


def run_child(args):
    """One medspaCy configuration; prints one RESULT_TAG JSON line on stdout."""
    sampler = PssSampler()
    if sampler.available:
        sampler.start()
    texts = read_texts(args.archive, args.limit)
    rules_spec, _ = load_concept_rules(args.lexicons)

    t_load = time.perf_counter()
    if args.child == "fast":
        import multiprocessing as mp

        # spaCy starts its workers with the default start method and passes the pipeline and the
        # Underscore state as Process arguments; only "fork" avoids pickling them (medspaCy's
        # extension getters are lambdas).
        mp.set_start_method("fork", force=True)
    nlp = build_pipeline(args.child, rules_spec)
    load_s = time.perf_counter() - t_load

    totals = Counter()
    labels = Counter()
    asserted = Counter()
    worker_rss = {}
    ndocs = 0
    kwargs = {}
    if args.child == "fast":
        kwargs = {"n_process": args.n_process, "batch_size": args.batch_size}
    import resource

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    for doc in nlp.pipe(texts, **kwargs):
        s = doc.user_data["bulk"]
        ndocs += 1
        for k in ("tokens", "sentences", "entities", "modifiers", "edges", "sections"):
            totals[k] += s["n_" + k]
        labels.update(s["n_by_label"])
        asserted.update(s["n_asserted"])
        worker_rss[s["pid"]] = max(worker_rss.get(s["pid"], 0), s["maxrss_kb"])
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    ruc = resource.getrusage(resource.RUSAGE_CHILDREN)  # the n_process workers, joined by spaCy
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime) + ruc.ru_utime + ruc.ru_stime
    if sampler.available:
        sampler.stop()

    import medspacy
    import spacy
    from importlib.metadata import version

    me = os.getpid()
    own_kb = self_hwm_kb()
    workers = {pid: kb for pid, kb in worker_rss.items() if pid != me}
    import resource

    children_max_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if workers:
        rss_sum_kb = own_kb + sum(workers.values())
        rss_how = (
            f"sum of the per-process peaks (VmHWM) of the parent and its {len(workers)} workers; an upper "
            "bound, since pages shared after fork count once per process"
        )
    else:
        rss_sum_kb = own_kb
        rss_how = "peak RSS of the single process"
    ctx = nlp.get_pipe("medspacy_context")
    sec = nlp.get_pipe("medspacy_sectionizer")
    result = {
        "configuration": args.child,
        "notes": ndocs,
        "wall_s": wall,
        "cpu_s": cpu,
        "load_s": load_s,
        "pipeline": list(nlp.pipe_names),
        "tokenizer": "medspacy_tokenizer (a spaCy Tokenizer with medspaCy's rules)",
        "pipe_kwargs": kwargs,
        "mp_start_method": __import__("multiprocessing").get_start_method() if args.child == "fast" else None,
        "target_rules": len(nlp.get_pipe("medspacy_target_matcher").rules),
        "context_rules": len(ctx.rules),
        "section_rules": len(sec.rules),
        "counts": dict(totals),
        "entities_by_label": dict(sorted(labels.items())),
        "entities_asserted": dict(sorted(asserted.items())),
        "rss": {
            "table_mb": round(rss_sum_kb / 1024, 1),
            "how": rss_how,
            "parent_peak_mb": round(own_kb / 1024, 1),
            "worker_peaks_mb": [round(kb / 1024, 1) for kb in workers.values()],
            "children_max_peak_mb": round(children_max_kb / 1024, 1) if workers else None,
            "pss_total_peak_mb_sampled": round(sampler.peak_kb / 1024, 1) if sampler.available else None,
            "pss_samples": sampler.samples,
        },
        "versions": {
            "medspacy": medspacy.__version__,
            "spacy": spacy.__version__,
            "PyRuSH": version("PyRuSH"),
            "python": platform.python_version(),
        },
    }
    sys.stdout.write(RESULT_TAG + json.dumps(result) + "\n")
    sys.stdout.flush()


# ----------------------------------------------------------------------------------------------
# parent: run everything, measure, print
# ----------------------------------------------------------------------------------------------


def wait_child(cmd, stdout, stderr):
    """Start cmd, wait for it with wait4; return (returncode, wall_s, maxrss_kb, cpu_s).

    wait4's ru_maxrss is the child's own peak RSS (or a descendant's, if larger); cpu_s is its user +
    system CPU time, including that of the descendants it waited for."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=stderr)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)  # we reaped it; keep Popen from trying again
    return p.returncode, wall, ru.ru_maxrss, ru.ru_utime + ru.ru_stime


def run_medspacy_config(args, config):
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        args.archive,
        "--child",
        config,
        "--lexicons",
        args.lexicons,
        "--n-process",
        str(args.n_process),
        "--batch-size",
        str(args.batch_size),
    ]
    if args.limit is not None:
        cmd += ["--limit", str(args.limit)]
    runs = []
    for _ in range(max(1, args.medspacy_repeat)):
        with tempfile.TemporaryFile() as out:
            rc, proc_wall, maxrss_kb, proc_cpu = wait_child(cmd, out, None)
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        lines = [l for l in text.splitlines() if l.startswith(RESULT_TAG)]
        if rc != 0 or not lines:
            # Keep going: the other configurations' figures are still worth having.
            why = f"exit {rc}" + ("" if lines else ", no result line")
            print(f"medspaCy configuration {config!r} FAILED ({why}); its stderr is above", file=sys.stderr)
            if text.strip():
                print(text[-2000:], file=sys.stderr)
            return {"configuration": config, "failed": why}
        res = json.loads(lines[-1][len(RESULT_TAG) :])
        res["process_wall_s"] = proc_wall
        res["process_cpu_s"] = round(proc_cpu, 3)
        res["wait4_maxrss_mb"] = round(maxrss_kb / 1024, 1)
        runs.append(res)
    walls = [r["wall_s"] for r in runs]
    med = sorted(range(len(runs)), key=lambda i: walls[i])[len(runs) // 2]
    res = dict(runs[med])
    res["wall_s_runs"] = [round(w, 3) for w in walls]
    res["load_s_runs"] = [round(r["load_s"], 3) for r in runs]
    res["cpu_s_runs"] = [round(r["cpu_s"], 3) for r in runs]
    if len(runs) > 1:
        res["rss"] = dict(res["rss"])
        res["rss"]["table_mb"] = max(r["rss"]["table_mb"] for r in runs)
    if not res["rss"]["worker_peaks_mb"]:
        # single process: wait4's figure is exact (the child had no children)
        res["rss"]["table_mb"] = max(r["wait4_maxrss_mb"] for r in runs)
        res["rss"]["how"] = "peak RSS of the single process (wait4 ru_maxrss)"
    return res


def precert_summary(path):
    """Untimed check of precert's work: records, decisions and evidence items in its JSONL output."""
    records = 0
    decisions = Counter()
    evidence = 0

    def walk(o):
        nonlocal evidence
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "evidence" and isinstance(v, list):
                    evidence += len(v)
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            records += 1
            for d in r.get("determinations", []):
                decisions[d.get("decision")] += 1
            walk(r.get("determinations", []))
    return {"records": records, "decisions": dict(decisions), "evidence_items": evidence}


def run_precert(args, csv_path, evidence, tmpdir, model_dir=None):
    cmd = [args.precert, "review", csv_path, "--format", "jsonl", "--evidence", evidence, "--jobs", str(args.jobs)]
    if model_dir:
        cmd += ["--model-dir", model_dir]
        evidence = f"{evidence}-{os.path.basename(os.path.normpath(model_dir))}"
    walls, rss, rcs, cpus = [], [], [], []
    stderr_tail = []
    for i in range(max(1, args.repeat)):
        errp = os.path.join(tmpdir, f"precert-{evidence}-{i}.err")
        with open(errp, "wb") as err:
            rc, wall, maxrss_kb, cpu = wait_child(cmd, subprocess.DEVNULL, err)
        walls.append(wall)
        cpus.append(cpu)
        rss.append(maxrss_kb / 1024)
        rcs.append(rc)
        with open(errp, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
        stderr_tail = lines[-6:]
        stderr_lines = len(lines)
    # one more, untimed pass that keeps the output, to show what was done
    outp = os.path.join(tmpdir, f"precert-{evidence}.jsonl")
    with open(outp, "wb") as out:
        subprocess.run(cmd, stdout=out, stderr=subprocess.DEVNULL)
    check = precert_summary(outp)
    os.unlink(outp)
    return {
        "configuration": f"precert-{evidence}",
        "command": " ".join(["precert"] + cmd[1:2] + ["ARCHIVE"] + cmd[3:]) + " > /dev/null",
        "wall_s": statistics.median(walls),
        "wall_s_runs": [round(w, 3) for w in walls],
        "cpu_s": statistics.median(cpus),
        "cpu_s_runs": [round(c, 3) for c in cpus],
        "exit_codes": rcs,
        "exit_code_note": "precert exits 1 when any record was rejected; that is recorded, not a benchmark failure",
        "stderr_lines": stderr_lines,
        "stderr_tail": stderr_tail,
        "rss": {
            "table_mb": round(max(rss), 1),
            "how": "peak RSS of the precert process (wait4 ru_maxrss; one process, worker threads included)",
        },
        "output_check": check,
    }


def precert_version(path):
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
        return out.split()[-1] if out else None  # "precert 0.1.0" -> "0.1.0"
    except OSError:
        return None


def fmt_table(rows, ref_names):
    head = ["configuration", "notes", "MB", "seconds", "notes/s", "MB/s", "peak RSS MB", "load s", "CPU s", "notes/CPU-s"]
    head += [f"{n} ×" for n in ref_names]
    lines = []
    body = []
    for r in rows:
        cells = [
            r["configuration"],
            f"{r['notes']:,}",
            f"{r['mb']:.2f}",
            f"{r['wall_s']:.2f}",
            f"{r['notes_per_s']:.1f}",
            f"{r['mb_per_s']:.3f}",
            f"{r['rss']['table_mb']:.0f}",
            f"{r['load_s']:.2f}" if r.get("load_s") is not None else "incl.",
            f"{r['cpu_s']:.2f}",
            f"{r['notes_per_cpu_s']:.1f}",
        ]
        for n in ref_names:
            x = r.get("ratios", {}).get(n)
            cells.append(f"{x:.1f}" if x is not None else "")
        body.append(cells)
    widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(head)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    lines.append(fmt(head))
    lines.append("-" * len(lines[0]))
    lines.extend(fmt(b) for b in body)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("archive", help="archive CSV (case_id,note_id,date,kind,text,cpt), optionally gzip-compressed")
    ap.add_argument("--limit", type=int, metavar="N", help="only the first N notes")
    ap.add_argument("--repeat", type=int, default=3, metavar="R", help="precert runs per configuration; median (default 3)")
    ap.add_argument("--medspacy-repeat", type=int, default=1, metavar="M", help="medspaCy runs per configuration; median (default 1)")
    ap.add_argument("--configs", default="default,fast", help="medspaCy configurations to run (default: default,fast)")
    ap.add_argument("--n-process", type=int, default=2, help="n_process for the fast configuration (default 2)")
    ap.add_argument("--batch-size", type=int, default=32, help="batch_size for the fast configuration (default 32)")
    ap.add_argument("--jobs", type=int, default=2, help="precert --jobs (default 2)")
    ap.add_argument("--with-model", action="store_true", help="also run precert --evidence both")
    ap.add_argument("--model-dir", action="append", default=[], metavar="DIR",
                    help="also run precert --evidence both --model-dir DIR (e.g. models/fast); repeatable")
    ap.add_argument("--no-precert", action="store_true", help="skip precert")
    ap.add_argument("--precert", default=os.environ.get("PRECERT", os.path.join(ROOT, "target", "release", "precert")))
    ap.add_argument("--lexicons", default=os.path.join(ROOT, "lexicons"), help="precert lexicon directory (default: the repository's)")
    ap.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.archive = os.path.abspath(args.archive)
    args.lexicons = os.path.abspath(args.lexicons)

    if args.child:
        run_child(args)
        return

    for name in ("repeat", "medspacy_repeat", "n_process", "batch_size", "jobs"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.limit is not None and args.limit < 1:
        ap.error("--limit must be at least 1")
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    for c in configs:
        if c not in ("default", "fast"):
            raise SystemExit(f"unknown configuration {c!r} (default, fast)")
    if not args.no_precert and not (os.path.isfile(args.precert) and os.access(args.precert, os.X_OK)):
        raise SystemExit(
            f"precert binary not found at {args.precert}.\n"
            "Build it with `cargo build --release` in the repository root, or point PRECERT=/path/to/precert at one."
        )

    machine = machine_info()
    load_before = loadavg()
    header, rows = read_archive(args.archive, args.limit)
    ti = header.index("text")
    notes = len(rows)
    text_bytes = sum(len(r[ti].encode("utf-8")) for r in rows)
    mb = text_bytes / 1e6
    rules_spec, lexicon_files = load_concept_rules(args.lexicons)
    kinds = Counter(k for _, k, _, _ in rules_spec)
    for _, k, v, cid in rules_spec:
        if k == "regex":
            try:
                re.compile(to_python_regex(v), re.IGNORECASE)
            except re.error as e:
                raise SystemExit(f"{cid}: regex does not compile in Python: {e}")

    print(f"machine: {machine['nproc']} usable cores ({machine['cpu_count']} online), {machine['cpu_model']}, "
          f"{machine['mem_total_mb']} MB RAM, {machine['os']}; load average {load_before}")
    pv = None if args.no_precert else precert_version(args.precert)
    print(f"archive: {args.archive}{' (gzip)' if is_gzip(args.archive) else ''}: {notes:,} notes"
          f"{f' (first {args.limit})' if args.limit is not None else ''}, {mb:.2f} MB of note text (UTF-8)")
    print(f"targets: {len(rules_spec)} TargetRules from precert's lexicon ({kinds['literal']} literal phrases, "
          f"{kinds['regex']} regexes; {len(lexicon_files)} files in {args.lexicons}/concepts)")

    results = []
    with tempfile.TemporaryDirectory(prefix="precert-bulk-") as tmpdir:
        if not args.no_precert:
            # precert reads plain CSV only; a subset or a gzip archive is written out (untimed).
            if args.limit is not None or is_gzip(args.archive):
                csv_path = os.path.join(tmpdir, "archive.csv")
                with open(csv_path, "w", encoding="utf-8", newline="") as fh:
                    w = csv.writer(fh)
                    w.writerow(header)
                    w.writerows(rows)
            else:
                csv_path = args.archive
            if "cpt" not in header:
                print("warning: the archive has no cpt column; precert will reject every record", file=sys.stderr)
            evs = ["lexicon"] + (["both"] if args.with_model else [])
            runs = [(ev, None) for ev in evs] + [("both", d) for d in args.model_dir]
            for ev, model_dir in runs:
                extra = f" --model-dir {model_dir}" if model_dir else ""
                print(f"== precert --evidence {ev}{extra} ({args.repeat} run(s)) ...", flush=True)
                r = run_precert(args, csv_path, ev, tmpdir, model_dir)
                r["load_s"] = None
                results.append(r)
        del rows
        for c in configs:
            print(f"== medspaCy {c} ({args.medspacy_repeat} run(s)) ...", flush=True)
            results.append(run_medspacy_config(args, c))

    failed = [r for r in results if r.get("failed")]
    results = [r for r in results if not r.get("failed")]
    for r in results:
        r["notes"] = r.get("notes", notes)
        r["mb"] = mb
        r["notes_per_s"] = r["notes"] / r["wall_s"] if r["wall_s"] > 0 else float("nan")
        r["mb_per_s"] = mb / r["wall_s"] if r["wall_s"] > 0 else float("nan")
        r["notes_per_cpu_s"] = r["notes"] / r["cpu_s"] if r["cpu_s"] > 0 else float("nan")
    refs = [r for r in results if r["configuration"].startswith("precert-")]
    ref_names = [r["configuration"] for r in refs]
    for r in results:
        if r["configuration"].startswith("precert-"):
            continue
        r["ratios"] = {p["configuration"]: p["notes_per_s"] / r["notes_per_s"] for p in refs}
        if r["notes"] != notes:
            print(f"warning: medspaCy {r['configuration']} returned {r['notes']} docs for {notes} notes", file=sys.stderr)
    load_after = loadavg()

    versions = {"precert": pv}
    for r in results:
        if "versions" in r:
            versions.update(r["versions"])
            break
    versions.setdefault("python", platform.python_version())

    print()
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v))
    print(fmt_table(results, ref_names))
    print("seconds: medspaCy from first note into nlp.pipe to last Doc out (load not included, see 'load s');")
    print("         precert the whole process (start-up and lexicon load included); precert median of "
          f"{args.repeat}, medspaCy median of {args.medspacy_repeat}")
    print("'precert-… ×' = precert's notes/s ÷ this configuration's notes/s")
    print("CPU s: user+system CPU seconds over the same window (all processes); less sensitive to a busy machine")
    for r in results:
        print(f"{r['configuration']}: RSS {r['rss']['how']}", end="")
        if r["rss"].get("worker_peaks_mb"):
            print(f" (parent {r['rss']['parent_peak_mb']} MB, workers {r['rss']['worker_peaks_mb']} MB; "
                  f"sampled peak total PSS {r['rss']['pss_total_peak_mb_sampled']} MB)", end="")
        print()
    print()
    for r in results:
        if r["configuration"].startswith("precert-"):
            c = r["output_check"]
            print(f"{r['configuration']}: exit codes {r['exit_codes']}; output {c['records']} records, "
                  f"decisions {c['decisions']}, {c['evidence_items']} evidence items")
            for l in r["stderr_tail"]:
                print(f"    stderr: {l[:200]}")
        else:
            c = r["counts"]
            a = r["entities_asserted"]
            print(f"medspaCy {r['configuration']}: {c['entities']} entities ({r['target_rules']} target rules), "
                  f"{c['modifiers']} ConText modifiers ({r['context_rules']} rules), {c['edges']} modifier-target links, "
                  f"negated {a.get('is_negated', 0)}, {c['sections']} sections ({r['section_rules']} rules), "
                  f"{c['sentences']} sentences, {c['tokens']} tokens; pipeline {r['pipeline']}")
    for r in failed:
        print(f"medspaCy {r['configuration']}: FAILED ({r['failed']}), not in the table")
    print(f"load average before {load_before}, after {load_after}")

    if args.json:
        out = {
            "tool": "precert vs medspaCy, bulk throughput",
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "archive": os.path.basename(args.archive),
            "archive_gzip": is_gzip(args.archive),
            "limit": args.limit,
            "notes": notes,
            "text_bytes": text_bytes,
            "mb": round(mb, 3),
            "machine": machine,
            "load_average_before": load_before,
            "load_average_after": load_after,
            "versions": versions,
            "target_rules": {"total": len(rules_spec), **kinds, "lexicon_files": lexicon_files},
            "precert_repeat": args.repeat,
            "medspacy_repeat": args.medspacy_repeat,
            "results": [],
            "failed": failed,
        }
        for r in results:
            r = dict(r)
            for k in ("wall_s", "cpu_s", "load_s", "process_wall_s", "notes_per_s", "mb_per_s", "notes_per_cpu_s", "mb"):
                if isinstance(r.get(k), float):
                    r[k] = round(r[k], 4)
            if "ratios" in r:
                r["ratios"] = {k: round(v, 2) for k, v in r["ratios"].items()}
            out["results"].append(r)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)
            fh.write("\n")
        print(f"JSON written to {args.json}")


if __name__ == "__main__":
    main()
