"""Builds the appliance from its configuration: frame source, pose model, composers, synth,
button, health server and systemd notifications around one LiveLoop."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from dance2music.capture.open import open_source
from dance2music.capture.thread import CaptureThread
from dance2music.config import Config
from dance2music.errors import InputError
from dance2music.health.notes import RecentNotes
from dance2music.live.loop import LiveLoop
from dance2music.live.stats import LiveStats
from dance2music.modes.button import ModeButton
from dance2music.modes.commands import CommandQueue
from dance2music.sound.live import LiveSound
from dance2music.sound.outputs import OutputObserver
from dance2music.synth.sequencer import FluidSynthSink

log = logging.getLogger(__name__)


def make_sink(cfg: Config) -> FluidSynthSink:
    if cfg.audio.driver == "file" and not cfg.audio.audio_file:
        raise InputError("[audio] driver = \"file\" needs [audio] audio_file (or --audio-file)")
    return FluidSynthSink(cfg.audio, level=cfg.sound.level)


def composer_factory(cfg: Config):
    """composer name (the modes table's) -> a fresh causal composer."""
    from dance2music.music.registry import make_composer

    models = Path(cfg.pose.model_dir) if cfg.pose.model_dir else None
    return lambda name: make_composer(name, representation=cfg.pose.representation,
                                      lookahead_frames=cfg.loop.lookahead_frames, models=models)


def model_checksums(model_dir: Path) -> dict[str, str]:
    """{file: sha256} of the pose models, as their manifest (checked at load) lists them."""
    from dance2music.pose.modelfiles import read_manifest

    return {name: sha for model in read_manifest(model_dir)["models"].values()
            for name, sha in model["files"].items()}


class Appliance:
    def __init__(self, cfg: Config, estimator=None, composer_for=None, sink=None,
                 stopping: threading.Event | None = None):
        self.cfg = cfg
        self.stats = LiveStats(cfg.loop.fixed_latency_ms)
        self.commands = CommandQueue()
        source = open_source(cfg.capture)
        if estimator is None:
            from dance2music.pose.estimator import DEFAULT_MODEL_DIR, OpenVinoPose

            model_dir = Path(cfg.pose.model_dir) if cfg.pose.model_dir else DEFAULT_MODEL_DIR
            estimator = OpenVinoPose(model_dir=model_dir, smoothing=True,
                                     presence_threshold=cfg.pose.presence_threshold)
            self.stats.models(model_checksums(model_dir))
        self.estimator = estimator
        self.stats.component("pose", True)
        self.button = ModeButton(self.commands.submit, cfg.button)
        sink = sink or make_sink(cfg)
        self.recent_notes = RecentNotes(sink.ticks_per_s)  # the setup page's piano roll
        sound = LiveSound.from_settings(cfg.sound)

        def on_mode(mode: str) -> None:
            self.button.show(mode)
            sound.state("mode", mode)

        self.loop = LiveLoop(
            lambda: CaptureThread(source, cfg.capture.reopen_max_backoff_s).start(), estimator,
            sink, composer_for or composer_factory(cfg), cfg.loop, self.stats,
            self.commands, presence_threshold=cfg.pose.presence_threshold,
            representation=cfg.pose.representation, audio_retry_s=cfg.audio.retry_s,
            on_mode=on_mode, stopping=stopping, sound=sound,
            observers=[self.recent_notes,
                       OutputObserver(sound.outputs, lambda tick: self.loop.audio.mono_at(tick))])
        self._health = self._heartbeat = None

    def _start_health(self) -> None:
        """The ops branch's HTTP server and sd_notify heartbeat, when installed."""
        try:
            from dance2music.health.notify import Heartbeat, SystemdNotifier
            from dance2music.health.page import SetupPage
            from dance2music.health.server import HealthServer
            from dance2music.health.view import CameraView
        except ImportError:
            log.info("health: the health package is not installed; no HTTP server")
            return
        h = self.cfg.health
        if h.enabled:
            # The camera view reads the loop's last frame and pose; it draws and encodes in
            # the server's thread, only when the page asks.
            page = SetupPage(CameraView(lambda: self.loop.perception.latest), self.recent_notes,
                             h.token, h.page_on_lan)
            self._health = HealthServer(self.stats.snapshot, self.commands.submit, host=h.host,
                                        port=h.port, token=h.token or None, page=page)
            self._health.start()
        self._heartbeat = Heartbeat(SystemdNotifier(), self.stats.snapshot)
        self._heartbeat.start()

    @property
    def health_address(self) -> tuple[str, int] | None:
        return self._health.address if self._health is not None else None

    def run(self, duration_s: float | None = None) -> None:
        self.button.start()
        self._start_health()
        self.loop.run(duration_s)

    def close(self) -> None:
        for part in (self._heartbeat, self._health, self.button):
            if part is not None:
                part.close()
        self._heartbeat = self._health = None
        self.estimator.close()

    def __enter__(self) -> Appliance:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
