"""Debian's Chromium, headless, driven over the DevTools protocol (websocket-client): enough to
open a page, run JavaScript in it, click where a person would, and take a screenshot."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import websocket

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--remote-debugging-port=0", "about:blank")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """with Chromium() as browser: browser.open(url); browser.evaluate("...")"""

    def __init__(self, width_px: int = 412, height_px: int = 1160, scale: float = 2.0):
        self.size = (width_px, height_px, scale)
        self._ids = itertools.count(1)

    def __enter__(self) -> Chromium:
        self._profile = tempfile.TemporaryDirectory(prefix="d2m-chromium-")
        # Its own process group: the renderer and helper processes go down with the browser.
        self.process = subprocess.Popen(
            [chromium_path(), f"--user-data-dir={self._profile.name}", *FLAGS],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        url = self._devtools_url(timeout_s=30)
        self.socket = websocket.create_connection(url, timeout=30, suppress_origin=True)
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        width, height, scale = self.size
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=scale, mobile=True)
        self.call("Page.enable", session=True)
        return self

    def _devtools_url(self, timeout_s: float) -> str:
        """Chromium writes its port and the browser's path into the profile when it listens."""
        active = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.process.poll() is None:
            lines = active.read_text().split() if active.exists() else []
            if len(lines) == 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.1)
        raise RuntimeError(f"chromium did not open its DevTools endpoint "
                           f"(exit code {self.process.poll()})")

    def call(self, method: str, session: bool = False, **params) -> dict:
        message = {"id": next(self._ids), "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        while True:  # events arrive in between; only our answer matters
            reply = json.loads(self.socket.recv())
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def open(self, url: str) -> None:
        self.call("Page.navigate", session=True, url=url)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression,
                           awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout_s: float, what: str):
        """Polls `expression` until it is truthy; errors count as not yet (the page may still
        be loading)."""
        deadline = time.monotonic() + timeout_s
        error = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError as e:
                value, error = None, e
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what} ({error})")

    def click(self, selector: str) -> None:
        """A real mouse press and release at the middle of the element, as a finger would."""
        box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                            f".getBoundingClientRect(); return [r.x + r.width / 2, "
                            f"r.y + r.height / 2]; }})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=True, type=kind, x=box[0], y=box[1],
                      button="left", clickCount=1)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def __exit__(self, *exc) -> None:
        try:
            self.socket.close()
        finally:
            self._stop_group()
            self._profile.cleanup()

    def _stop_group(self, timeout_s: float = 10) -> None:
        """Every process of the browser's group gone, so none still writes into the profile
        being removed (a helper outliving the browser failed a CI run's cleanup)."""
        group = self.process.pid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, sig)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                self.process.poll()  # reap the browser itself
                try:
                    os.killpg(group, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)
        self.process.wait()
