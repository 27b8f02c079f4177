#!/usr/bin/env bash
# Builds .venv-interop: the reference packages (nnunetv2, torchxrayvision, nnInteractive) beside torch 2.14.1 and
# torchvision 0.29.1, pinned in requirements/interop.txt. A separate venv because torchvision does not import beside
# the main venv's torch 2.13.0. Idempotent: a stamp file records the hash of the pin file it was built from.
# Usage: bash Testing/install-interop.sh [VENV_DIR]   (default .venv-interop at the repository root)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${1:-$ROOT/.venv-interop}"
PYTHON="${PYTHON:-python3.11}"
PINS="$ROOT/requirements/interop.txt"
STAMP="$VENV/.installed"
WANT="$(sha256sum "$PINS" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then exit 0; fi
if ! command -v "$PYTHON" >/dev/null; then
  echo "$PYTHON is missing: interop tests will be skipped" >&2
  exit 0
fi
START=$(date +%s)
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet -r "$PINS"
"$VENV/bin/python" -m pip install --quiet --no-deps -e "$ROOT/DeepRadiologyLib"
echo "$WANT" > "$STAMP"
echo "interop venv built in $(( $(date +%s) - START )) s: $VENV" >&2
