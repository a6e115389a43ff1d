#!/usr/bin/env bash
# Sets everything up, then makes music from the bundled real dances with the committed models:
#   demo.wav, demo.mid, demo.png  the offline beam search on 12 s of AIST++ break dance
#   demo.mp4                      the bundled dance video with its own composed music
#   demo-live.wav                 the live appliance on that video as its camera (real time)
#   demo-world-<name>.wav/.mid    the same dance in each sound world (README: Sound worlds)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
d2m=.venv/bin/dance2music
$d2m compose assets/demo/aistpp_ch01_front.npz -o demo.wav -o demo.mid -o demo.png
$d2m compose assets/demo/dance.mp4 -o demo.mp4
$d2m run --source assets/demo/dance.mp4 --audio-file demo-live.wav --duration 8
worlds=$(.venv/bin/python -c 'from dance2music.sound.worlds import WORLD_NAMES; print(*WORLD_NAMES)')
for world in $worlds; do
    $d2m compose assets/demo/aistpp_ch01_front.npz --composer greedy --world "$world" \
        -o "demo-world-$world.wav" -o "demo-world-$world.mid"
done
echo "made demo.wav demo.mid demo.png demo.mp4 demo-live.wav demo-world-{${worlds// /,}}.wav/.mid"
