"""The committed pose models: where they live, checking them against their manifest, and
compiling them for OpenVINO's CPU plugin the one way the project runs them."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from dance2music.errors import ModelError

MANIFEST_NAME = "manifest.json"
# device/dance2music/pose/modelfiles.py -> repository root -> models/int8 (editable install);
# deployments that put the models elsewhere set DANCE2MUSIC_MODEL_DIR.
REPO_MODEL_DIR = Path(__file__).resolve().parents[3] / "models" / "int8"
DEFAULT_MODEL_DIR = Path(os.environ.get("DANCE2MUSIC_MODEL_DIR") or REPO_MODEL_DIR)

# One inference thread (two were never faster on 2 cores) and an explicit f32 hint: without it
# OpenVINO silently runs bf16 on AVX512-BF16 x86 and f16 on ARM. Quantised layers still run
# their INT8 kernels under the f32 hint.
COMPILE_CONFIG = {
    "INFERENCE_NUM_THREADS": 1,
    "NUM_STREAMS": 1,
    "INFERENCE_PRECISION_HINT": "f32",
    "PERFORMANCE_HINT": "LATENCY",
}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(model_dir: Path) -> dict:
    path = Path(model_dir) / MANIFEST_NAME
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise ModelError(f"{path}: model manifest not found (models are built by "
                         "`python -m models.pose.build`)") from None
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: unreadable model manifest ({e})") from None
    if not isinstance(manifest.get("models"), dict):
        raise ModelError(f"{path}: expected a 'models' object in the manifest")
    return manifest


def verified_xml(model_dir: Path, manifest: dict, name: str) -> Path:
    """Path of model `name`'s .xml after checking each of its files' sha256."""
    entry = manifest["models"].get(name)
    if not entry or "files" not in entry or "xml" not in entry:
        raise ModelError(f"{Path(model_dir) / MANIFEST_NAME}: no entry for model '{name}' "
                         "with 'xml' and 'files'")
    for file_name, expected in entry["files"].items():
        path = Path(model_dir) / file_name
        if not path.is_file():
            raise ModelError(f"{path}: model file missing")
        actual = sha256_of(path)
        if actual != expected:
            raise ModelError(f"{path}: model file corrupt or replaced: sha256 {actual}, "
                             f"manifest expects {expected}")
    return Path(model_dir) / entry["xml"]


def compile_model(core, xml: Path):
    """Read and compile one IR for the CPU with COMPILE_CONFIG."""
    try:
        return core.compile_model(core.read_model(str(xml)), "CPU", COMPILE_CONFIG)
    except RuntimeError as e:
        raise ModelError(f"{xml}: OpenVINO could not load the model ({e})") from None
