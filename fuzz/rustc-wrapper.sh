#!/usr/bin/env bash
# Focused coverage instrumentation for `cargo fuzz` (see README.md, "Fast mode").
#
# cargo-fuzz instruments every crate (RUSTFLAGS). precert spends nearly all its time inside regex and
# aho-corasick, so instrumenting those makes each run ~50x slower than a release build and floods libFuzzer
# with features of the regex engine's internals rather than precert's logic. As RUSTC_WRAPPER, this script
# drops the SanitizerCoverage flags for every crate except precert and the fuzz targets; everything else
# (debug assertions, --cfg fuzzing, optimisation) is left as cargo-fuzz set it.
#
# Use only with `-s none`: an ASan build must instrument every crate alike.
# Crates to instrument: $PRECERT_FUZZ_INSTRUMENT (space-separated crate names), default below.
set -euo pipefail
rustc="$1"
shift
keep="${PRECERT_FUZZ_INSTRUMENT:-precert review ingest analyze_text}"
crate=""
prev=""
for a in "$@"; do
    if [ "$prev" = "--crate-name" ]; then crate="$a"; fi
    prev="$a"
done
for k in $keep; do
    if [ "$crate" = "$k" ]; then exec "$rustc" "$@"; fi
done
args=()
for a in "$@"; do
    case "$a" in
    -Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-*) ;;
    *) args+=("$a") ;;
    esac
done
exec "$rustc" "${args[@]}"
