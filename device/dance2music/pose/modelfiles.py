"""The committed pose models: where they live, which files this machine's architecture runs,
checking them against their manifest, and compiling them for OpenVINO's CPU plugin the one way
the project runs them."""

from __future__ import annotations

import dataclasses
import platform
from pathlib import Path

from dance2music.artefacts import REPO_MODEL_DIR, load_manifest, verified
from dance2music.errors import ModelError

MANIFEST_NAME = "manifest.json"
DEFAULT_MODEL_DIR = REPO_MODEL_DIR

# One inference thread (two were never faster on 2 cores) and an explicit precision hint
# (the platform's, below): without it OpenVINO silently runs bf16 on AVX512-BF16 x86 and f16 on
# ARM. Quantised layers still run their INT8 kernels under the f32 hint.
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


# Manifest "platforms": which model entries (and inference precision) each architecture runs.
# x86-64 runs the INT8 files; on arm64 OpenVINO runs six of their quantised 1x1 convolutions
# on a reference kernel and no depthwise one in INT8, so a Pi runs FP16 files, every
# convolution on ARM's f16 kernels. A manifest without "platforms" is INT8 everywhere.
_ARCH_NAMES = {"amd64": "x86_64", "arm64": "aarch64"}
_INT8_ONLY = {"detector": "detector", "landmark": "landmark", "inference_precision": "f32"}


@dataclasses.dataclass(frozen=True)
class PlatformModels:
    arch: str
    detector: str  # model entry names in the manifest's "models"
    landmark: str
    inference_precision: str  # OpenVINO's INFERENCE_PRECISION_HINT: "f32" or "f16"


def machine_arch() -> str:
    machine = platform.machine().lower()
    return _ARCH_NAMES.get(machine, machine)


def platform_models(model_dir: Path, manifest: dict, arch: str | None = None) -> PlatformModels:
    """The models `arch` (default: this machine's) runs, as the manifest assigns them."""
    arch = arch or machine_arch()
    platforms = manifest.get("platforms")
    if platforms is None:
        return PlatformModels(arch, **_INT8_ONLY)
    entry = platforms.get(arch) if isinstance(platforms, dict) else None
    where = Path(model_dir) / MANIFEST_NAME
    if not isinstance(entry, dict):
        known = ", ".join(sorted(platforms)) if isinstance(platforms, dict) else "none"
        raise ModelError(f"{where}: no pose models for this machine's architecture '{arch}' "
                         f"under 'platforms' (models exist for: {known})")
    fields = {k: entry.get(k) for k in _INT8_ONLY}
    if not all(isinstance(v, str) for v in fields.values()) or fields["inference_precision"] not in ("f32", "f16"):
        raise ModelError(f"{where}: platforms.{arch} needs 'detector', 'landmark' (model names) "
                         f"and 'inference_precision' ('f32' or 'f16'), got {entry}")
    return PlatformModels(arch, **fields)


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


def compile_model(core, xml: Path, inference_precision: str = "f32"):
    """Read and compile one IR for the CPU with COMPILE_CONFIG at `inference_precision`."""
    config = {**COMPILE_CONFIG, "INFERENCE_PRECISION_HINT": inference_precision}
    try:
        return core.compile_model(core.read_model(str(xml)), "CPU", config)
    except RuntimeError as e:
        raise ModelError(f"{xml}: OpenVINO could not load the model ({e})") from None
