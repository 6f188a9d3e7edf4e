#!/usr/bin/env bash
# Installs the ONNX Runtime shared library that precert's `onnxruntime` backend loads at run time.
#
# Why this way: `ort` (the Rust binding) cannot download ONNX Runtime on machines without general internet
# access, but PyPI is reachable, and the `onnxruntime` wheel carries libonnxruntime.so. The version must
# match the C API that ort 2.0.0-rc.15 targets (1.31).
#
# Usage: models/runtime/install-onnxruntime.sh [DEST]   (DEST defaults to .onnxruntime under the repo root)
# Then precert finds it there when run from the repo root, or point ORT_DYLIB_PATH at the printed path.
set -euo pipefail
VERSION=1.31.1
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="${1:-$root/.onnxruntime}"
lib="$dest/libonnxruntime.so.$VERSION"
if [ -f "$lib" ]; then echo "$lib"; exit 0; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "onnxruntime==$VERSION" >&2
mkdir -p "$dest"
python3 - "$tmp" "$dest" "$VERSION" <<'PY'
import glob, sys, zipfile
tmp, dest, version = sys.argv[1:]
wheel = glob.glob(f"{tmp}/onnxruntime-{version}-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = f"onnxruntime/capi/libonnxruntime.so.{version}"
    with z.open(name) as src, open(f"{dest}/libonnxruntime.so.{version}", "wb") as out:
        out.write(src.read())
PY
echo "$lib"
