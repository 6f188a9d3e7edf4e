#!/usr/bin/env bash
# Peer measurement: medspaCy 1.3.1 ConText on the NegEx / ConText annotation kits.
#
# Usage: benches/peers/run_medspacy_kit.sh [KIT_DIR]
#   KIT_DIR  folder holding negex-dev.tsv and context-dev.tsv
#            (default: ../shared/ext/negex relative to the repository root)
# Environment:
#   VENV     virtualenv to create/use (default: benches/peers/.venv)
#   PYTHON   interpreter for the virtualenv (default: python3.11 if present, else python3;
#            the pins in requirements-medspacy.txt were resolved on CPython 3.11)
#
# Writes benches/peers/results/medspacy-negex-dev.json and medspacy-context-dev.json and prints
# the tables. The kit files are only read, never copied.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KIT_DIR="${1:-$ROOT/../shared/ext/negex}"
VENV="${VENV:-$HERE/.venv}"
RESULTS="$HERE/results"

if [[ ! -f "$KIT_DIR/negex-dev.tsv" && ! -f "$KIT_DIR/context-dev.tsv" ]]; then
    echo "run_medspacy_kit: no negex-dev.tsv or context-dev.tsv in $KIT_DIR; nothing to measure." >&2
    echo "Pass the kit folder as the first argument." >&2
    exit 0
fi

if [[ -z "${PYTHON:-}" ]]; then
    if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== creating virtualenv $VENV with $PYTHON ($("$PYTHON" --version 2>&1))"
    "$PYTHON" -m venv "$VENV"
fi
echo "== installing $HERE/requirements-medspacy.txt"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements-medspacy.txt"

mkdir -p "$RESULTS"
for kit in negex context; do
    f="$KIT_DIR/$kit-dev.tsv"
    if [[ ! -f "$f" ]]; then
        echo "== $f absent, skipped"
        continue
    fi
    echo
    echo "== $kit-dev"
    "$VENV/bin/python" "$HERE/medspacy_kit.py" "$f" --json "$RESULTS/medspacy-$kit-dev.json"
done
echo
echo "== JSON written to $RESULTS/"
