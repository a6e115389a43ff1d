"""The committed pose models: where they live, checking them against their manifest, and
compiling them for OpenVINO's CPU plugin the one way the project runs them."""

from __future__ import annotations

from pathlib import Path

from dance2music.artefacts import load_manifest, model_dir, verified
from dance2music.errors import ModelError

MANIFEST_NAME = "manifest.json"
DEFAULT_MODEL_DIR = model_dir()

# One inference thread (two were never faster on 2 cores) and an explicit f32 hint: without it
# OpenVINO silently runs bf16 on AVX512-BF16 x86 and f16 on ARM. Quantised layers still run
# their INT8 kernels under the f32 hint.
COMPILE_CONFIG = {
    "INFERENCE_NUM_THREADS": 1,
    "NUM_STREAMS": 1,
    "INFERENCE_PRECISION_HINT": "f32",
    "PERFORMANCE_HINT": "LATENCY",
}


def read_manifest(model_dir: Path) -> dict:
    manifest = load_manifest(Path(model_dir) / MANIFEST_NAME)
    if not isinstance(manifest.get("models"), dict):
        raise ModelError(f"{Path(model_dir) / MANIFEST_NAME}: expected a 'models' object in the "
                         "manifest (models are built by `python -m models.pose.build`)")
    return manifest


def verified_xml(model_dir: Path, manifest: dict, name: str) -> Path:
    """Path of model `name`'s .xml after checking each of its files' sha256."""
    entry = manifest["models"].get(name)
    if not (isinstance(entry, dict) and isinstance(entry.get("files"), dict)
            and isinstance(entry.get("xml"), str)):
        raise ModelError(f"{Path(model_dir) / MANIFEST_NAME}: no entry for model '{name}' "
                         "with 'xml' and 'files'")
    for file_name, expected in entry["files"].items():
        verified(Path(model_dir) / file_name, expected)
    return Path(model_dir) / entry["xml"]


def compile_model(core, xml: Path):
    """Read and compile one IR for the CPU with COMPILE_CONFIG."""
    try:
        return core.compile_model(core.read_model(str(xml)), "CPU", COMPILE_CONFIG)
    except RuntimeError as e:
        raise ModelError(f"{xml}: OpenVINO could not load the model ({e})") from None
