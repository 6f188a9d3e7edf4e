#!/usr/bin/env python3
"""Distils the shipped mention model (the teacher) into a small, fast student for bulk runs (issue 5).

Why: the teacher (6 layers x 384) reads about 70 inputs per second per core; a bulk run over transcriptions
asks about 5 inputs per note. A student of 2 layers x 128 runs about 25x faster (encoder_speed.py).

How:
  - Transfer set: the train rows of `precert model examples` (gold labels) plus every input the model reads in
    the unlabelled train case notes (`--unlabeled corpus/cases/train`), all labelled by the teacher's
    probabilities. Dev rows are scored each epoch, never trained on.
  - Student: a BERT encoder with the teacher's vocabulary and tokenizer. Its word and position embeddings are
    the base encoder's (all-MiniLM-L6-v2), projected onto their top principal directions when the student is
    narrower; its layers start random (or from the base's first layers when it is as wide).
  - Loss: KL divergence to the teacher's two distributions, plus cross-entropy to the gold labels where a row
    has them (weight --gold), with the teacher's class weights.
  - Export: the same ONNX interface as the teacher (input_ids, attention_mask -> assertion_probs,
    category_probs) and the same weight-only int8 quantisation, so precert loads it with --model-dir.

Usage: python models/train/distill.py --examples FILE.jsonl --teacher models --out models/fast
"""

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train import (  # noqa: E402  (train.py is the teacher's script: same labels, heads and export)
    ASSERTIONS, CATEGORIES, MentionClassifier, base_model_dir, class_weights, encode, export_onnx, load_examples, predict,
    quantize_weights_int8, score, sha256,
)


def teacher_probs(onnx_path: Path, tokenizer, rows, threads: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    # Dequantise the int8 weights once (see src/model/backend.rs): the same numbers precert computes.
    so.add_session_config_entry("session.disable_quant_qdq", "1")
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    run = lambda ids, mask: tuple(sess.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}))
    return predict(run, tokenizer, rows, batch=16)


def student_encoder(base: Path, layers: int, hidden: int, heads: int, ffn: int):
    from transformers import BertConfig, BertModel

    teacher_base = BertModel.from_pretrained(str(base), add_pooling_layer=False, attn_implementation="eager")
    cfg = BertConfig(
        vocab_size=teacher_base.config.vocab_size, hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=heads, intermediate_size=ffn,
        max_position_embeddings=teacher_base.config.max_position_embeddings, attn_implementation="eager",
    )
    student = BertModel(cfg, add_pooling_layer=False)
    src = teacher_base.embeddings
    with torch.no_grad():
        if hidden == teacher_base.config.hidden_size:
            student.embeddings.load_state_dict(src.state_dict())
            for i in range(layers):
                student.encoder.layer[i].load_state_dict(teacher_base.encoder.layer[i].state_dict())
        else:
            # Principal directions of the word embeddings keep most of their geometry in fewer dimensions.
            w = src.word_embeddings.weight
            mean = w.mean(0, keepdim=True)
            _, _, v = torch.linalg.svd(w - mean, full_matrices=False)
            proj = v[:hidden].T  # (384, hidden)
            scale = 1.0 / ((w - mean) @ proj).std()
            student.embeddings.word_embeddings.weight.copy_(((w - mean) @ proj) * scale)
            student.embeddings.position_embeddings.weight.copy_(src.position_embeddings.weight @ proj * scale)
            student.embeddings.token_type_embeddings.weight.copy_(src.token_type_embeddings.weight @ proj * scale)
    return student


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=Path, required=True)
    ap.add_argument("--teacher", type=Path, default=Path("models"), help="directory of the teacher's files")
    ap.add_argument("--out", type=Path, default=Path("models/fast"))
    ap.add_argument("--cache", type=Path, default=Path("models/train/.cache"))
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--gold", type=float, default=0.5, help="weight of the gold cross-entropy")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_num_threads(args.threads)
    t0 = time.time()

    from tokenizers import Tokenizer

    args.out.mkdir(parents=True, exist_ok=True)
    args.cache.mkdir(parents=True, exist_ok=True)
    tok_path = args.out / "tokenizer.json"
    shutil.copyfile(args.teacher / "tokenizer.json", tok_path)
    tokenizer = Tokenizer.from_file(str(tok_path))

    rows = load_examples(args.examples)
    train = [r for r in rows if r["split"] in ("train", "unlabeled")]
    dev = [r for r in rows if r["split"] == "dev"]
    print(f"transfer set {len(train)} (gold {sum(r['split'] == 'train' for r in train)}), dev {len(dev)}",
          flush=True)
    teacher_onnx = args.teacher / "precert-mention.onnx"
    ta, tc = teacher_probs(teacher_onnx, tokenizer, train, args.threads)
    da, dc = teacher_probs(teacher_onnx, tokenizer, dev, args.threads)
    teacher_dev = score(dev, da, dc)
    print(json.dumps({"teacher_dev": teacher_dev, "seconds": round(time.time() - t0, 1)}), flush=True)

    base = base_model_dir(args.cache)
    encoder = student_encoder(base, args.layers, args.hidden, args.heads, args.ffn)
    model = MentionClassifier(encoder, args.hidden)

    gold = [r for r in train if r["split"] == "train"]
    w_assert, w_cat = class_weights(gold)
    ce_a = nn.CrossEntropyLoss(weight=w_assert, reduction="none")
    ce_c = nn.CrossEntropyLoss(weight=w_cat, reduction="none")

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(train) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / max(1, steps)))
    ta_t, tc_t = torch.tensor(ta), torch.tensor(tc)

    def run_torch(ids, mask):
        with torch.no_grad():
            a, c = model(ids, mask)
        return a.numpy(), c.numpy()

    def kl(logits, target):
        return (target * (torch.log(target.clamp(min=1e-8)) - torch.log_softmax(logits, -1))).sum(-1)

    history = []
    for epoch in range(args.epochs):
        model.train()
        order = list(range(len(train)))
        random.shuffle(order)
        total = 0.0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            b = [train[j] for j in idx]
            ids, mask = encode(tokenizer, b)
            la, lc = model.logits(ids, mask)
            loss = (kl(la, ta_t[idx]) + kl(lc, tc_t[idx])).mean()
            is_gold = torch.tensor([1.0 if r["split"] == "train" else 0.0 for r in b])
            has_a = torch.tensor([1.0 if r["split"] == "train" and r.get("assertion") else 0.0 for r in b])
            ya = torch.tensor([ASSERTIONS.index(r["assertion"]) if r.get("assertion") else 0 for r in b])
            yc = torch.tensor([CATEGORIES.index(r["category"]) if r.get("category") else 0 for r in b])
            if is_gold.sum() > 0:
                loss = loss + args.gold * (
                    (ce_a(la, ya) * has_a).sum() / has_a.sum().clamp(min=1.0)
                    + (ce_c(lc, yc) * is_gold).sum() / is_gold.sum())
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(b)
        model.eval()
        sa, sc = predict(run_torch, tokenizer, dev)
        m = score(dev, sa, sc)
        m["agree_assertion"] = round(float((sa.argmax(1) == da.argmax(1)).mean()), 4)
        m["agree_category"] = round(float((sc.argmax(1) == dc.argmax(1)).mean()), 4)
        history.append({"epoch": epoch + 1, "loss": round(total / len(train), 4), "dev": m,
                        "seconds": round(time.time() - t0, 1)})
        print(json.dumps(history[-1]), flush=True)

    fp32 = args.cache / "precert-mention-fast.fp32.onnx"
    export_onnx(model, tokenizer, train, fp32)
    onnx_path = args.out / "precert-mention.onnx"
    quantize_weights_int8(fp32, onnx_path)
    ia, ic = teacher_probs(onnx_path, tokenizer, dev, args.threads)
    metrics = {
        "teacher": {"sha256": sha256(teacher_onnx), "dev": teacher_dev},
        "student": {"layers": args.layers, "hidden": args.hidden, "heads": args.heads, "ffn": args.ffn},
        "seed": args.seed, "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "gold_weight": args.gold,
        "transfer_rows": len(train), "gold_rows": len(gold), "dev_examples": len(dev),
        "train_seconds": round(time.time() - t0, 1), "history": history,
        "dev_int8_onnx": score(dev, ia, ic),
        "files": {p.name: {"sha256": sha256(p), "bytes": p.stat().st_size} for p in (onnx_path, tok_path)},
        "assertions": ASSERTIONS, "categories": CATEGORIES,
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps({k: metrics[k] for k in ("dev_int8_onnx", "train_seconds")}))


if __name__ == "__main__":
    main()
