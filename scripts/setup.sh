#!/usr/bin/env bash
# Set Pulse up from nothing: the system packages WeasyPrint needs, a virtualenv in .venv,
# the CPU build of torch (pinned first: a looser pin pulls a multi-GB CUDA build), then Pulse.
# Usage: bash scripts/setup.sh [--dev]    (--dev adds the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: pango for WeasyPrint's layout, DejaVu fonts embedded in the PDF,
# poppler-utils for pdftoppm (looking at report pages as PNG).
SYSTEM_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig fonts-dejavu-core poppler-utils)
# --dev: Debian's chromium, the browser the taxonomy editor's tests drive through Playwright
# (executable_path=/usr/bin/chromium). Never `playwright install`: that downloads a browser
# build from outside the package registries.
if [ "${1:-}" = "--dev" ]; then
  SYSTEM_PACKAGES+=(chromium)
fi
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
.venv/bin/python -m pip install -q torch==2.13.0 2>&1 | grep -v "is ignored" || true
extra=""
[ "${1:-}" = "--dev" ] && extra="[dev]"
# constraints.txt holds every package at the version the suite was run with (scripts/lock.sh).
.venv/bin/python -m pip install -q -c constraints.txt -e ".${extra}" 2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import pulse, weasyprint, bertopic, prefect, duckdb, onnxruntime" \
  || { echo "setup: the install is incomplete; see the pip output above" >&2; exit 1; }
# Build the int8 ONNX graph of the bundled MiniLM now (about a second, nothing downloaded;
# byte-identical on every build) rather than in the first weekly run.
.venv/bin/python scripts/build_embedders.py minilm-onnx-int8-v2 \
  || { echo "setup: building the embedder failed; see the output above" >&2; exit 1; }
echo "setup: ready (.venv)"
