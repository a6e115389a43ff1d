"""deploy/ansible: the production lint profile and a syntax check of the playbook with both
example inventories (the playbook itself runs against a real machine in tests/system)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ANSIBLE_DIR = Path(__file__).resolve().parents[1] / "deploy" / "ansible"
BIN = Path(sys.executable).parent


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} not installed in this venv (pip install -e '.[dev]')")
    return path


def run(argv: list, timeout_s: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"), "NO_COLOR": "1",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(a) for a in argv], cwd=ANSIBLE_DIR, env=env, capture_output=True,
                          text=True, timeout=timeout_s)


def test_ansible_lint_production_profile():
    result = run([tool("ansible-lint"), "--profile", "production", "--nocolor", "."])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


@pytest.mark.parametrize("inventory", ["pi.yml", "nuc.yml"])
def test_playbook_syntax_with_example_inventory(inventory):
    result = run([tool("ansible-playbook"), "--syntax-check", "-i", f"inventory/{inventory}",
                  "site.yml"])
    assert result.returncode == 0, result.stdout + result.stderr
