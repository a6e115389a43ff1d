"""A throw-away Debian 12 machine for the deployment test: a debootstrapped rootfs booted with
systemd-nspawn (systemd as PID 1), reachable over SSH on 127.0.0.1 like a fresh Raspberry Pi
(user `pi`, passwordless sudo, a key made for this run).

The pristine rootfs is built once per machine and cached as a tarball; apt's download cache is
bind-mounted from the cache too (the SoundFont alone is 130 MB). pip downloads from PyPI each
run (the egress proxy's responses are not cacheable; ~30 s here).
The container shares the host's network namespace (loopback included): ports are picked free.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")
ROOTFS_TARBALL = "rootfs-bookworm-v1.tar"
SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free TCP port")


def prerequisites_missing() -> str | None:
    """Why this machine cannot run the test, or None."""
    if os.geteuid() != 0:
        return "needs root (debootstrap, systemd-nspawn)"
    for tool in ("systemd-nspawn", "debootstrap", "ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} not installed (apt: systemd-container debootstrap openssh-client)"
    return None


def ensure_rootfs_tarball(cache: Path) -> Path:
    tarball = cache / ROOTFS_TARBALL
    if not tarball.exists():
        subprocess.run(["bash", str(HERE / "build_rootfs.sh"), str(cache)], check=True,
                       timeout=900)
    return tarball


class Machine:
    """Lifecycle: Machine(cache).start() ... .stop(); every process and mount it made is gone
    after stop()."""

    def __init__(self, cache: Path, name: str = "d2m-test"):
        self.cache = cache
        self.name = name
        self.workdir = Path(tempfile.mkdtemp(prefix="d2m-nspawn-", dir="/var/tmp"))
        self.root = self.workdir / "root"
        self.key = self.workdir / "id_ed25519"
        self.ssh_port = free_port(2222)
        self.log_path = self.workdir / "console.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 90) -> None:
        tarball = ensure_rootfs_tarball(self.cache)
        self.root.mkdir()
        subprocess.run(["tar", "-C", str(self.root), "--numeric-owner", "-xf", str(tarball)],
                       check=True)
        self._provision_like_a_fresh_pi()
        apt_cache = self.cache / "apt-archives"
        (apt_cache / "partial").mkdir(parents=True, exist_ok=True)
        command = ["systemd-nspawn", "--boot", "--register=no", "--keep-unit",
                   f"--directory={self.root}", f"--machine={self.name}",
                   "--resolv-conf=copy-host", "--console=read-only",
                   f"--bind={apt_cache}:/var/cache/apt/archives"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"systemd-nspawn exited {self.process.returncode}:\n"
                                   + self.console_tail())
            if self.ssh("true", check=False, timeout=10).returncode == 0:
                return
            time.sleep(1)
        raise RuntimeError(f"no SSH into the container after {timeout_s} s:\n" + self.console_tail())

    def _provision_like_a_fresh_pi(self) -> None:
        """What Raspberry Pi Imager sets up: user pi with sudo, sshd with our key. Plus this
        host's extra CA certificates (a TLS-inspecting egress proxy), so apt and pip inside
        reach their registries as the host does."""
        for cert in LOCAL_CA_DIR.glob("*.crt"):
            shutil.copy(cert, self.root / "usr/local/share/ca-certificates" / cert.name)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)],
                       check=True)
        run_in_root = ["systemd-nspawn", "--quiet", "--register=no", "--keep-unit",
                       f"--directory={self.root}", "--pipe", "/bin/sh", "-ec"]
        script = (
            "useradd --create-home --shell /bin/bash --groups sudo pi\n"
            "install -d -m 700 -o pi -g pi /home/pi/.ssh\n"
            f"echo '{self.key.with_suffix('.pub').read_text().strip()}' > /home/pi/.ssh/authorized_keys\n"
            "chown pi:pi /home/pi/.ssh/authorized_keys\n"
            "echo 'pi ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/010_pi-nopasswd\n"
            "chmod 440 /etc/sudoers.d/010_pi-nopasswd\n"
            f"printf 'Port {self.ssh_port}\\nListenAddress 127.0.0.1\\nPasswordAuthentication no\\n'"
            " > /etc/ssh/sshd_config.d/test.conf\n"
            "echo '127.0.1.1 dance-test' >> /etc/hosts\n"
            "update-ca-certificates >/dev/null\n"
            "printf '[global]\\ncert = /etc/ssl/certs/ca-certificates.crt\\n' > /etc/pip.conf\n"
        )
        subprocess.run(run_in_root + [script], check=True, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)

    def ssh(self, command: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["ssh", *SSH_OPTIONS, "-i", str(self.key), "-p", str(self.ssh_port), "pi@127.0.0.1",
             command], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f"ssh {command!r} exited {result.returncode}:\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def systemctl_show(self, unit: str, *properties: str) -> dict[str, str]:
        out = self.ssh(f"systemctl show {unit} " + " ".join(f"-p {p}" for p in properties)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def console_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout_s: float = 30) -> None:
        """Powers the container off (nspawn turns SIGTERM into a clean shutdown), then removes
        its tree; SIGKILL to nspawn's process group only if shutdown hangs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        for mount in reversed(self.mounts()):
            subprocess.run(["umount", mount], check=False)
        left = self.mounts()
        if left:  # never delete through a bind mount of the caches
            raise RuntimeError(f"mounts left under {self.workdir}: {left}")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def mounts(self) -> list[str]:
        with open("/proc/self/mounts") as f:
            return [line.split()[1] for line in f if line.split()[1].startswith(str(self.workdir))]
