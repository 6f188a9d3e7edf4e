#!/usr/bin/env bash
# Peer measurement: bulk throughput of medspaCy 1.3.1 and precert on one note archive, side by side.
#
# Usage: benches/peers/run_bulk.sh ARCHIVE.csv[.gz] [--limit N] [--repeat R] [more options]
#   ARCHIVE   CSV with header case_id,note_id,date,kind,text,cpt (one note per row), plain or gzip
#   --limit N             only the first N notes (quick checks)
#   --repeat R            precert runs per configuration, median reported (default 3)
#   --medspacy-repeat M   medspaCy runs per configuration, median reported (default 1)
#   --with-model          also run precert --evidence both (lexicon + mention model)
#   --model-dir DIR       also run precert --evidence both --model-dir DIR (another model, e.g. a
#                         distilled student from models/train/distill.py); repeatable
#   --configs LIST        medspaCy configurations, default "default,fast"
#   --batch-size B        nlp.pipe batch_size of the fast configuration (default 32)
#   (benches/peers/.venv/bin/python benches/peers/medspacy_bulk.py --help lists the rest)
# Environment:
#   PRECERT  precert binary (default: target/release/precert; build it with `cargo build --release`)
#   VENV     virtualenv to create/use (default: benches/peers/.venv, shared with run_medspacy_kit.sh)
#   PYTHON   interpreter for a new virtualenv (default: python3.11 if present, else python3;
#            the pins in requirements-medspacy.txt were resolved on CPython 3.11)
#
# Prints the table and writes benches/peers/results/bulk-<archive stem>.json (figures only, no note
# text). With --limit N the file is bulk-<stem>-first<N>.json, so a quick check never overwrites a
# full run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${VENV:-$HERE/.venv}"
RESULTS="$HERE/results"

if [[ $# -lt 1 || "$1" == -* ]]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
fi
ARCHIVE="$1"
shift
if [[ ! -f "$ARCHIVE" ]]; then
    echo "run_bulk: archive $ARCHIVE not found" >&2
    exit 2
fi

PRECERT="${PRECERT:-$ROOT/target/release/precert}"
if [[ ! -x "$PRECERT" ]]; then
    echo "run_bulk: no precert binary at $PRECERT." >&2
    echo "Build it with \`cargo build --release\` in $ROOT, or set PRECERT=/path/to/precert." >&2
    exit 2
fi
export PRECERT

# Same virtualenv logic as run_medspacy_kit.sh.
if [[ -z "${PYTHON:-}" ]]; then
    if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== creating virtualenv $VENV with $PYTHON ($("$PYTHON" --version 2>&1))"
    "$PYTHON" -m venv "$VENV"
fi
echo "== installing $HERE/requirements-medspacy.txt"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements-medspacy.txt"

# results/bulk-<stem>[-first<N>].json; the stem drops .gz and .csv.
stem="$(basename "$ARCHIVE")"
stem="${stem%.gz}"
stem="${stem%.csv}"
limit=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[$i]}" in
        --limit) limit="${args[$((i + 1))]:-}" ;;
        --limit=*) limit="${args[$i]#--limit=}" ;;
    esac
done
json="$RESULTS/bulk-$stem${limit:+-first$limit}.json"
mkdir -p "$RESULTS"

echo
"$VENV/bin/python" "$HERE/medspacy_bulk.py" "$ARCHIVE" --precert "$PRECERT" --json "$json" "$@"
