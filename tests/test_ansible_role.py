"""deploy/ansible: the production lint profile and a syntax check of the playbook with both
example inventories (the playbook itself runs against a real machine in tests/system)."""

from __future__ import annotations

import json
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


ROLE_DIR = ANSIBLE_DIR / "roles" / "dance2music"
REPO = ANSIBLE_DIR.parents[1]


def run_local_playbook(tmp_path: Path, plays: list, *options: str) -> subprocess.CompletedProcess:
    """A playbook on this machine (connection local), written as JSON (which is YAML)."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps(plays))
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(f"localhost ansible_connection=local "
                         f"ansible_python_interpreter={sys.executable}\n")
    return run([tool("ansible-playbook"), "-i", inventory, playbook, *options])


@pytest.fixture
def fake_service_venv(tmp_path):
    """A venv-shaped folder whose bin/dance2music is this checkout's command line."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "dance2music"
    script.write_text(f"#!/bin/sh\nPYTHONPATH={REPO / 'device'} exec {sys.executable} "
                      f"-m dance2music \"$@\"\n")
    script.chmod(0o755)
    return bin_dir.parent


def render_config(tmp_path: Path, venv: Path, config: dict) -> subprocess.CompletedProcess:
    install_dir = tmp_path / "opt"
    # The role installs the models before the configuration; `config check` wants them there.
    (install_dir / "models" / "int8").mkdir(parents=True, exist_ok=True)
    play = {"hosts": "localhost", "gather_facts": False,
            "roles": [{"role": str(ROLE_DIR), "vars": {
                "dance2music_user": "root", "dance2music_venv_dir": str(venv),
                "dance2music_install_dir": str(install_dir),
                "dance2music_config_dir": str(tmp_path / "etc"),
                "dance2music_config": config}}],
            # No systemd here: the restart the rendered file asks for is not run.
            "tasks": [{"ansible.builtin.meta": "end_host", "tags": ["config"]}]}
    return run_local_playbook(tmp_path, [play], "--tags", "config")


@pytest.mark.skipif(os.geteuid() != 0, reason="the role sets root ownership: needs root")
def test_the_config_template_is_checked_before_it_replaces_the_old_one(tmp_path,
                                                                       fake_service_venv):
    good = render_config(tmp_path, fake_service_venv, {"capture": {"rotation_deg": 180}})
    assert good.returncode == 0, good.stdout[-3000:]
    rendered = (tmp_path / "etc" / "config.toml").read_text()
    assert "rotation_deg = 180" in rendered and "page_on_lan = false" in rendered
    bad = render_config(tmp_path, fake_service_venv, {"capture": {"rotation_deg": 45}})
    assert bad.returncode != 0
    assert "[capture] rotation_deg: expected one of 0, 90, 180, 270, got 45" in bad.stdout
    assert (tmp_path / "etc" / "config.toml").read_text() == rendered  # the old one is kept


def test_the_deploy_check_names_the_component_that_is_down(tmp_path):
    from health_fixtures import SnapshotSource, make_server

    source = SnapshotSource()
    source.stats["components"]["audio"] = {"up": False, "error": "no sound card"}
    with make_server(source, stall_after_s=60) as server:
        play = {"hosts": "localhost", "gather_facts": False, "vars": {
            "dance2music_health_check_host": "127.0.0.1",
            "dance2music_health_port": server.address[1],
            "dance2music_health_check_retries": 2, "dance2music_health_check_delay_s": 0},
            "tasks": [{"ansible.builtin.import_tasks": str(ROLE_DIR / "tasks" / "verify.yml")}]}
        down = run_local_playbook(tmp_path, [play])
        source.stats["components"]["audio"] = True
        up = run_local_playbook(tmp_path, [play])
    assert down.returncode != 0
    assert "dance2music is not ready after 0 s: audio is down (no sound card)" in down.stdout
    assert up.returncode == 0, up.stdout[-3000:]
