#!/usr/bin/env bash
# Refreshes the locks in requirements/ from pyproject.toml's ranges: exact versions with
# sha256 hashes, for pip's --require-hashes. One command, about 30 s (needs PyPI):
#   device.txt  the device runtime on x86-64 (Debian 12 / glibc 2.36)
#   dev.txt     runtime + tests + report + the classifier's training (torch CPU) + Ansible
#   pi.txt      the runtime on a Raspberry Pi (aarch64, the `pi` extra: numpy < 2 for
#               Raspberry Pi OS's apt picamera2)
# uv itself comes pinned from requirements/lock-tools.txt, into .cache/lock-tools.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=.cache/lock-tools
if [ ! -x "$TOOLS/bin/uv" ]; then
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install -q --require-hashes -r requirements/lock-tools.txt
fi
# torch's CPU wheel: the PyPI torch is the CUDA build. These machines carry the CPU wheel in
# /opt/wheels; elsewhere PyTorch's CPU index serves the same file.
TORCH_WHEELS=${TORCH_WHEELS:-/opt/wheels}
[ -d "$TORCH_WHEELS" ] || TORCH_WHEELS=https://download.pytorch.org/whl/cpu/torch/

compile() {  # output, then uv options
    local out=$1
    shift
    "$TOOLS/bin/uv" pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 \
        --custom-compile-command "bash scripts/lock.sh" --no-emit-find-links -o "requirements/$out" "$@"
}
compile device.txt --python-platform x86_64-manylinux_2_36
compile dev.txt --python-platform x86_64-manylinux_2_36 --extra dev \
    --find-links "$TORCH_WHEELS" --override requirements/overrides.txt
compile pi.txt --python-platform aarch64-manylinux_2_36 --extra pi
echo "locked: $(grep -c '==' requirements/device.txt) device, $(grep -c '==' requirements/dev.txt) dev, $(grep -c '==' requirements/pi.txt) pi packages"
