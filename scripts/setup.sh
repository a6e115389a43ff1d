#!/usr/bin/env bash
# Installs everything Dance2Music needs on Debian 12 / Raspberry Pi OS (bookworm):
# system packages (FluidSynth, its piano SoundFont, test data), then the package and its
# test tools into .venv/. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Runtime: libfluidsynth + the FluidR3_GM SoundFont (MIT). Tests: opencv-doc's images of
# people, debootstrap/systemd-container/openssh for the system test, qemu-user-static +
# binfmt-support + zstd for the arm64 check (scripts/arm64-check.sh), python3-venv for the venv.
APT_PACKAGES=(python3-venv python3-dev gcc pkg-config libsystemd-dev libfluidsynth3 fluid-soundfont-gm
              opencv-doc debootstrap systemd-container openssh-client qemu-user-static binfmt-support zstd)
APT_PACKAGES+=(chromium)  # the setup page's browser test drives Debian's Chromium, headless
APT_PACKAGES+=(jackd2)  # MIDI out and the audio-driver tests run a JACK server on its dummy driver
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# Exact versions with hashes from the lock (scripts/lock.sh refreshes it), then the package
# itself without resolving anything. torch is the CPU build: these machines carry its wheel in
# /opt/wheels, elsewhere PyTorch's CPU index serves the same file (same hash).
TORCH_WHEELS=${TORCH_WHEELS:-/opt/wheels}
[ -d "$TORCH_WHEELS" ] || TORCH_WHEELS=https://download.pytorch.org/whl/cpu/torch/
.venv/bin/python -m pip install -q --require-hashes --find-links "$TORCH_WHEELS" -r requirements/dev.txt
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
