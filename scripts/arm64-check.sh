#!/usr/bin/env bash
# Checks the Raspberry Pi (arm64) path on an x86-64 Debian 12 machine, under qemu-user
# emulation of the Pi 5's core (Cortex-A76), as root:
#   - a Debian 12 arm64 userland (what Raspberry Pi OS is built on) with the Pi lock
#     (requirements/pi.txt) installed from hashed aarch64 wheels, cached as a tarball;
#   - compose (beam and online) gives byte-identical JSON and WAV to this machine's;
#   - the non-slow music, synth and config tests pass;
#   - the pose models the runtime picks on aarch64 load, pass their checksums, run no
#     reference kernel, and stay within 5% of body size of FP32 on held-out frames
#     (scripts/arm64_check.py prints the per-convolution kernel table).
# Emulated timing says nothing about a Pi: only kernel counts are printed, never latencies.
#
#   sudo bash scripts/arm64-check.sh            # ~3 min with a cached userland, ~8 without
#   sudo bash scripts/arm64-check.sh --record   # also write the aarch64 kernel table into
#                                               # models/int8/manifest.json
#   sudo bash scripts/arm64-check.sh --userland-only
#   ARM64_CACHE=/some/dir X86_PYTHON=.venv/bin/python sudo -E bash scripts/arm64-check.sh
#
# The cache (default /var/cache/dance2music-test/arm64, beside the nspawn test's) holds one tarball per lock + package list;
# an uncached run builds it (debootstrap + second stage under qemu + offline pip install).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
MODE=${1:-}
case "$MODE" in
    "" | --record | --userland-only) ;;
    *) echo "arm64-check: unknown option '$MODE' (expected --record or --userland-only)" >&2; exit 2 ;;
esac

CACHE=${ARM64_CACHE:-${DANCE2MUSIC_TEST_CACHE:-/var/cache/dance2music-test}/arm64}
MIRROR=${ARM64_MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3,python3-venv,libfluidsynth3
# The tests' own tools, at the versions (and hashes) of the dev lock.
TEST_TOOLS=(pytest iniconfig pluggy pygments hypothesis sortedcontainers)  # packaging: in pi.txt
PY=(python3 -X faulthandler)

[ "$(id -u)" = 0 ] || { echo "arm64-check: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
for tool in debootstrap qemu-aarch64-static update-binfmts zstd; do
    command -v "$tool" >/dev/null || {
        echo "arm64-check: $tool missing: apt-get install debootstrap qemu-user-static binfmt-support zstd" >&2
        exit 2
    }
done

# qemu-user runs arm64 binaries through binfmt_misc (registered with the F flag: no copy of
# qemu inside the userland).
# Exit status 3: this machine cannot run arm64 binaries at all (e.g. a container without the
# privilege to mount binfmt_misc); the test suite reports that as a skip, not a failure.
if ! { mountpoint -q /proc/sys/fs/binfmt_misc ||
       mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; } 2>/dev/null; then
    echo "arm64-check: cannot emulate arm64 here: binfmt_misc cannot be mounted" >&2
    exit 3
fi
update-binfmts --enable qemu-aarch64 2>/dev/null || true
if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
    echo "arm64-check: cannot emulate arm64 here: qemu-aarch64 is not registered with binfmt_misc" >&2
    exit 3
fi
export QEMU_CPU=cortex-a76

WORK=$(mktemp -d /var/tmp/d2m-arm64.XXXXXX)
ROOTFS=$WORK/rootfs
MOUNTS=()
cleanup() {
    # Unmount before deleting: with /dev bound inside, a careless rm reaches the host's /dev.
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[i]}" 2>/dev/null || true; done
    if ! grep -q " $WORK/" /proc/mounts; then rm -rf --one-file-system "$WORK"; fi
}
trap cleanup EXIT
bind() {  # source, target inside the rootfs, then mount options
    mkdir -p "$ROOTFS$2"
    mount --bind "$1" "$ROOTFS$2"
    MOUNTS+=("$ROOTFS$2")
    [ -z "${3:-}" ] || mount -o "remount,bind,$3" "$ROOTFS$2"
}
in_rootfs() {
    chroot "$ROOTFS" /usr/bin/env -i PATH=/venv/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
        PYTHONDONTWRITEBYTECODE=1 QEMU_CPU=cortex-a76 "$@"
}

# ---- the userland, cached by what goes into it ------------------------------------------
test_tools_lock() {  # the dev lock's entries for TEST_TOOLS, with their hashes
    awk -v names=" ${TEST_TOOLS[*]} " '
        /^[A-Za-z0-9]/ { split($1, a, "=="); keep = index(names, " " tolower(a[1]) " ") > 0 }
        /^[A-Za-z0-9]/ || /^ +--hash/ { if (keep) print }' requirements/dev.txt
}
KEY=$( (echo "$PACKAGES"; cat requirements/pi.txt; test_tools_lock) | sha256sum | cut -c1-16)
TARBALL=$CACHE/bookworm-arm64-$KEY.tar.zst

build_userland() {
    local start=$SECONDS
    echo "arm64-check: building the userland (not cached at $TARBALL)"
    debootstrap --arch=arm64 --foreign --variant=minbase --include="$PACKAGES" bookworm "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log"
    chroot "$ROOTFS" /debootstrap/debootstrap --second-stage >>"$WORK/debootstrap.log"
    # Wheels are resolved on this machine (seconds) and installed offline in the userland.
    mkdir -p "$ROOTFS/wheels"
    test_tools_lock >"$ROOTFS/wheels/test-tools.txt"
    cp requirements/pi.txt "$ROOTFS/wheels/pi.txt"
    local platforms=()
    for tag in manylinux_2_36 manylinux_2_35 manylinux_2_28 manylinux_2_27 manylinux_2_17 manylinux2014; do
        platforms+=(--platform "${tag}_aarch64")
    done
    python3 -m pip download -q --require-hashes --only-binary=:all: --python-version 3.11 \
        --implementation cp --abi cp311 "${platforms[@]}" --platform any -d "$ROOTFS/wheels" \
        -r "$ROOTFS/wheels/pi.txt" -r "$ROOTFS/wheels/test-tools.txt" 2> >(grep -v "is ignored" >&2)
    in_rootfs python3 -m venv /venv
    # --no-compile: byte-compiling every installed module would run emulated (minutes); the
    # modules the checks import are compiled as they are imported.
    in_rootfs /venv/bin/pip install -q --no-compile --no-index --find-links /wheels --require-hashes \
        -r /wheels/pi.txt -r /wheels/test-tools.txt
    rm -rf "$ROOTFS/wheels" "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/root/.cache
    mkdir -p "$CACHE"
    tar -C "$ROOTFS" -cf - . | zstd -q -T0 -3 -o "$TARBALL.tmp"
    mv "$TARBALL.tmp" "$TARBALL"
    echo "arm64-check: userland built and cached in $((SECONDS - start)) s ($(du -h "$TARBALL" | cut -f1))"
}

mkdir -p "$ROOTFS"
if [ -f "$TARBALL" ]; then
    zstd -q -d -c "$TARBALL" | tar -C "$ROOTFS" -xf -
    echo "arm64-check: userland restored from $TARBALL"
else
    build_userland
fi
[ "$MODE" = "--userland-only" ] && exit 0

# ---- the checks --------------------------------------------------------------------------
# qemu passes the host's x86 /proc/cpuinfo through; onnxruntime's CPU detection reads it and
# segfaults at import: a Pi 5's cpuinfo is laid over it.
bind /proc /proc
bind /sys /sys ro
bind /dev /dev
mount --bind "$REPO/scripts/pi5-cpuinfo.txt" "$ROOTFS/proc/cpuinfo"
MOUNTS+=("$ROOTFS/proc/cpuinfo")
bind "$REPO" /src ro
bind /usr/share/sounds/sf2 /usr/share/sounds/sf2 ro  # FluidR3_GM: data, the same on any arch
[ -d /usr/share/doc/opencv-doc ] && bind /usr/share/doc/opencv-doc /usr/share/doc/opencv-doc ro
[ -d "$REPO/../shared" ] && bind "$(realpath "$REPO/../shared")" /shared ro
mkdir -p "$WORK/out/x86" "$ROOTFS/out"
bind "$WORK/out" /out

echo "arm64-check: compose on x86-64 (reference) and arm64 (at ${SECONDS} s)"
X86_PYTHON=${X86_PYTHON:-$REPO/.venv/bin/python}
PYTHONPATH="$REPO/device" "$X86_PYTHON" scripts/arm64_check.py compose "$WORK/out/x86" --python "$X86_PYTHON"
in_rootfs sh -c 'cd /src && PYTHONPATH=/src/device /venv/bin/python scripts/arm64_check.py compose /out/arm64 --python /venv/bin/python'
"$X86_PYTHON" scripts/arm64_check.py same "$WORK/out/x86" "$WORK/out/arm64"

echo "arm64-check: non-slow music, synth and config tests on arm64, in two processes (at ${SECONDS} s)"
arm64_tests() {  # log file, pytest arguments
    local log=$1
    shift
    in_rootfs sh -c "cd /src && PYTHONPATH=/src/device /venv/bin/python -m pytest -q \
        -p no:cacheprovider -m 'not slow' --durations=3 $*" >"$log" 2>&1
}
# qemu-user emulates one thread per process: two halves use both cores. Left out: the fast
# beam search against the literal oracle on a real dance, the oracle's pure-Python loops alone
# 2 min emulated; the beam's arm64 results are checked by the byte-identical compose above and
# against the oracle on random dances here.
arm64_tests "$WORK/tests-music.log" tests/test_music_beam.py tests/test_music_causal.py \
    -k "'not literal_on_real_dance'" &
music=$!
arm64_tests "$WORK/tests-rest.log" tests/test_synth.py tests/test_live_config.py \
    tests/test_config_hostile.py tests/test_classifier_runtime.py &
rest=$!
failed=0
wait "$music" || failed=1
wait "$rest" || failed=1
cat "$WORK/tests-music.log" "$WORK/tests-rest.log"
[ "$failed" = 0 ] || { echo "arm64-check: tests failed on arm64" >&2; exit 1; }

echo "arm64-check: pose models on arm64 (at ${SECONDS} s)"
in_rootfs sh -c 'cd /src && PYTHONPATH=/src/device /venv/bin/python scripts/arm64_check.py pose --kernels-json /out/kernels-aarch64.json'
if [ "$MODE" = "--record" ]; then
    PYTHONPATH="$REPO/device" "$X86_PYTHON" -m models.pose.platforms --record-from "$WORK/out/kernels-aarch64.json" >/dev/null
    echo "arm64-check: recorded the aarch64 kernel table in models/int8/manifest.json"
fi
echo "arm64-check: all checks passed in ${SECONDS} s"
