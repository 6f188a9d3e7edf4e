#!/usr/bin/env bash
# Real-browser check of the HTML reviewer worksheet (see check.mjs for what is checked).
#
#   tests/browser/run.sh                 # builds the debug binary
#   PRECERT=target/release/precert tests/browser/run.sh
#
# Needs Debian's chromium (apt-get install chromium; CHROMIUM=/path overrides) and Node >= 20; installs the
# pinned playwright-core from package-lock.json (npm ci), never a browser. Writes the worksheets to
# target/browser/pages and the screenshots to target/browser/seed-001.png and seed-001-evidence.png.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${PRECERT:-}" ]; then
  cargo build --locked --quiet
  PRECERT=target/debug/precert
fi
OUT=target/browser
rm -rf "$OUT/pages"
mkdir -p "$OUT/pages"
# The seed worksheet as the README shows it (default evidence: rules fused with the mention model), and the
# injection fixture.
"$PRECERT" review --format html --out "$OUT/pages" \
  corpus/seed-001.case.json tests/fixtures/injection.case.json

(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
node tests/browser/check.mjs "$OUT/pages" "$OUT"
