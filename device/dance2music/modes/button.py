"""The push button: a short press sends 'next', a double press 'world next', a triple press
'volume cycle' (presses within multi_press_ms; a single press is sent once that has passed),
a hold >= hold_s sends 'toggle-standby', decided on release (gpiozero fires when_released
after a hold too). A press shorter than the
debounce time is a contact bounce and ignored (gpiozero's MockPin ignores bounce_time, and real
contacts bounce on release too). An optional LED shows the mode. No GPIO: disabled."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from dance2music.config import ButtonSettings
from dance2music.modes.commands import Command
from dance2music.modes.table import MODES

log = logging.getLogger(__name__)

# 1, 2, 3 (or more) short presses
PRESS_COMMANDS = (Command("next"), Command("world", sound="next"), Command("volume", sound="cycle"))


class ModeButton:
    def __init__(self, submit: Callable[[Command], None], settings: ButtonSettings,
                 pin_factory=None):
        self._submit = submit
        self.settings = settings
        self._factory = pin_factory
        self._button = self._led = None
        self._pressed_ns: int | None = None
        self._presses = 0  # short presses in the current multi-press window
        self._window: threading.Timer | None = None
        self._lock = threading.Lock()

    def start(self) -> bool:
        """Attach to the GPIO; False (one log line) when there is none or it is disabled."""
        if not self.settings.enabled:
            log.info("button: disabled in the configuration")
            return False
        import warnings

        from gpiozero import LED, Button
        from gpiozero.exc import BadPinFactory, GPIOZeroError

        try:
            with warnings.catch_warnings():  # gpiozero warns for each factory it falls past
                warnings.simplefilter("ignore")
                self._button = Button(self.settings.pin, pull_up=True,
                                      hold_time=self.settings.hold_s,
                                      pin_factory=self._factory)
                if self.settings.led_pin >= 0:
                    self._led = LED(self.settings.led_pin, pin_factory=self._factory)
        except (BadPinFactory, GPIOZeroError, OSError) as e:
            log.info("button: no GPIO here (%s): button disabled", e)
            self.close()
            return False
        self._button.when_pressed = self._pressed
        self._button.when_released = self._released
        return True

    def _pressed(self) -> None:
        if self._pressed_ns is None:
            self._pressed_ns = time.monotonic_ns()
        with self._lock:  # the window closes multi_press_ms after the last release
            if self._window is not None:
                self._window.cancel()
                self._window = None

    def _released(self) -> None:
        if self._pressed_ns is None:
            return
        held_s = (time.monotonic_ns() - self._pressed_ns) / 1e9
        self._pressed_ns = None
        if held_s < self.settings.debounce_ms / 1000:
            self._open_window()  # a bounce: presses counted before it still count
            return
        if held_s >= self.settings.hold_s:
            self._end_window()
            self._submit(Command("toggle-standby"))
        elif not self.settings.multi_press_ms:
            self._submit(PRESS_COMMANDS[0])
        else:
            with self._lock:
                self._presses += 1
            self._open_window()

    def _open_window(self) -> None:
        with self._lock:
            if self._presses and self._window is None and self.settings.multi_press_ms:
                self._window = threading.Timer(self.settings.multi_press_ms / 1000, self._decide)
                self._window.daemon = True
                self._window.start()

    def _decide(self) -> None:
        """The multi-press window closed: one command for the presses it saw."""
        with self._lock:
            presses, self._presses, self._window = self._presses, 0, None
        if presses:
            self._submit(PRESS_COMMANDS[min(presses, len(PRESS_COMMANDS)) - 1])

    def _end_window(self) -> None:
        with self._lock:
            if self._window is not None:
                self._window.cancel()
            self._presses, self._window = 0, None

    def show(self, mode: str) -> None:
        """The LED for a mode (called by the loop's owner when the mode changes)."""
        if self._led is None:
            return
        blink_hz = MODES[mode].blink_hz
        if blink_hz is not None:
            half = 0.5 / blink_hz
            self._led.blink(on_time=half, off_time=half)
        elif MODES[mode].makes_music:
            self._led.on()
        else:
            self._led.off()

    def close(self) -> None:
        self._end_window()
        for device in (self._button, self._led):
            if device is not None:
                device.close()
        self._button = self._led = None
