#!/usr/bin/env bash
# Sets everything up, then composes music for the bundled real dance: demo.wav and demo.mid.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/dance2music compose assets/demo/aistpp_ch01_front.npz -o demo.wav -o demo.mid -o demo.png
