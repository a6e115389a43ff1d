"""Where the committed model files live, and their integrity check against the manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dance2music.errors import ModelError

# The package is installed (editable) from the repository, whose models/int8/ holds the files;
# a deployment puts them elsewhere and names the folder in its configuration ([pose] model_dir).
REPO_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "int8"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified(path: Path, expected_sha256: str) -> Path:
    """`path`, after checking that it exists and its sha256 is the manifest's."""
    if not path.is_file():
        raise ModelError(f"{path}: model file missing")
    actual = sha256_of(path)
    if actual != expected_sha256:
        raise ModelError(f"{path}: model file corrupt or replaced: sha256 {actual}, "
                         f"manifest expects {expected_sha256}")
    return path


def load_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"{path}: model manifest not found") from None
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: unreadable model manifest ({e})") from None
    if not isinstance(manifest, dict):
        raise ModelError(f"{path}: expected a JSON object as the model manifest, got "
                         f"{type(manifest).__name__}")
    return manifest
