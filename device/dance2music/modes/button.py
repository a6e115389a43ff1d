"""The push button: a short press sends 'next', a hold >= hold_s sends 'toggle-standby',
decided on release (gpiozero fires when_released after a hold too). A press shorter than the
debounce time is a contact bounce and ignored (gpiozero's MockPin ignores bounce_time, and real
contacts bounce on release too). An optional LED shows the mode. No GPIO: disabled."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from dance2music.config import ButtonSettings
from dance2music.modes.commands import Command
from dance2music.modes.table import MODES

log = logging.getLogger(__name__)


class ModeButton:
    def __init__(self, submit: Callable[[Command], None], settings: ButtonSettings,
                 pin_factory=None):
        self._submit = submit
        self.settings = settings
        self._factory = pin_factory
        self._button = self._led = None
        self._pressed_ns: int | None = None

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

    def _released(self) -> None:
        if self._pressed_ns is None:
            return
        held_s = (time.monotonic_ns() - self._pressed_ns) / 1e9
        self._pressed_ns = None
        if held_s < self.settings.debounce_ms / 1000:
            return
        self._submit(Command("toggle-standby" if held_s >= self.settings.hold_s else "next"))

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
        for device in (self._button, self._led):
            if device is not None:
                device.close()
        self._button = self._led = None
