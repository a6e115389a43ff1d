#!/usr/bin/env bash
# Sets up (if needed) and runs the whole test suite, slow system tests included.
# Locally, skip those with: bash scripts/test.sh -m "not slow"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
