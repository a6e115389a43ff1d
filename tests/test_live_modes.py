"""Modes change only through commands; the button turns presses into commands."""

import time

import pytest
from gpiozero.pins.mock import MockFactory

from dance2music.config import ButtonSettings
from dance2music.errors import InputError
from dance2music.modes.button import ModeButton
from dance2music.modes.commands import Command, CommandQueue
from dance2music.modes.machine import ModeMachine
from dance2music.modes.table import MODES, MUSIC_MODES


def test_commands_are_validated():
    assert Command.parse("next") == Command("next")
    assert Command.parse(" set  replay ") == Command("set", "replay")
    assert str(Command.parse("set replay")) == "set replay"
    for bad in ("", "nxt", "set", "next now"):
        with pytest.raises(InputError, match="expected one of next"):
            Command.parse(bad)
    with pytest.raises(InputError, match="mode 'party' is not one of live"):
        Command.parse("set party")
    assert Command.from_json({"command": "set", "mode": "greedy"}) == Command("set", "greedy")
    for bad in ([], {"command": 3}, {"command": "set", "mode": "disco"}, {"command": "reboot"}):
        with pytest.raises(InputError):
            Command.from_json(bad)


def test_queue_drains_in_order():
    q = CommandQueue()
    q.submit("next")
    q.submit("set baseline")
    assert q.drain() == [Command("next"), Command("set", "baseline")]
    assert q.drain() == [] and q.wait(0.01) is None


def test_next_cycles_music_modes_and_standby_wakes_to_the_last():
    m = ModeMachine("live")
    assert [m.apply("next") for _ in MUSIC_MODES] == ["greedy", "baseline", "replay", "live"]
    assert m.apply("set", "baseline") == "baseline"
    assert m.apply("set", "baseline") is None  # no change, no cue
    assert m.apply("standby") == "standby"
    assert m.apply("standby") is None
    assert m.apply("wake") == "baseline"
    assert m.apply("wake") is None
    assert m.apply("toggle-standby") == "standby"
    assert m.apply("next") == "baseline"  # a short press also wakes
    assert m.apply("toggle-standby") == "standby" and m.apply("toggle-standby") == "baseline"


def test_every_mode_has_a_distinct_cue():
    assert set(MODES) == set(MUSIC_MODES) | {"standby"}
    assert len({m.cue for m in MODES.values()}) == len(MODES)


@pytest.fixture
def factory():
    f = MockFactory()
    yield f
    f.reset()


def press(pin, seconds):
    pin.drive_low()
    time.sleep(seconds)
    pin.drive_high()


def make_button(factory, **kw):
    sent = []
    settings = ButtonSettings(pin=17, hold_s=0.5, debounce_ms=50, **{"multi_press_ms": 0, **kw})
    button = ModeButton(lambda command: sent.append(str(command)), settings,
                        pin_factory=factory)
    assert button.start()
    return button, sent, factory.pin(17)


def test_short_press_hold_and_bounce(factory):
    button, sent, pin = make_button(factory)
    try:
        press(pin, 0.1)
        assert sent == ["next"]
        press(pin, 0.7)  # held past hold_s: decided on release, not also a "next"
        assert sent == ["next", "toggle-standby"]
        for _ in range(5):  # contact bounce: five glitches shorter than the debounce time
            press(pin, 0.001)
        assert sent == ["next", "toggle-standby"]
        # A bouncy press: glitches, then a real press, then bounces on release.
        for _ in range(3):
            press(pin, 0.002)
        press(pin, 0.15)
        press(pin, 0.002)
        assert sent == ["next", "toggle-standby", "next"]
    finally:
        button.close()


def test_button_commands_drive_the_machine(factory):
    queue = CommandQueue()
    button = ModeButton(queue.submit, ButtonSettings(pin=17, hold_s=0.5, multi_press_ms=0),
                        pin_factory=factory)
    assert button.start()
    machine = ModeMachine("live")
    modes = []
    try:
        for seconds in (0.1, 0.1, 0.6, 0.1):
            press(factory.pin(17), seconds)
            modes += [machine.apply(c.verb, c.mode) for c in queue.drain()]
    finally:
        button.close()
    assert modes == ["greedy", "baseline", "standby", "baseline"]


def test_double_and_triple_presses_change_world_and_volume(factory):
    button, sent, pin = make_button(factory, multi_press_ms=300)
    try:
        press(pin, 0.08)
        press(pin, 0.002)  # a bounce on release: not a second press, nor lost
        assert sent == []  # a single press waits for the window to close
        time.sleep(0.45)
        assert sent == ["next"]
        for _ in range(2):
            press(pin, 0.08)
            time.sleep(0.08)
        time.sleep(0.45)
        for _ in range(3):
            press(pin, 0.08)
            time.sleep(0.08)
        time.sleep(0.45)
        press(pin, 0.08)
        press(pin, 0.7)  # a hold ends the window: standby, and the short press is dropped
        time.sleep(0.45)
        assert sent == ["next", "world next", "volume cycle", "toggle-standby"]
        assert [str(Command.parse(c)) for c in sent] == sent  # commands the loop accepts
    finally:
        button.close()


def test_led_shows_the_mode(factory):
    button, _, _ = make_button(factory, led_pin=27)
    led = factory.pin(27)
    try:
        button.show("live")
        assert led.state == 1
        button.show("standby")
        assert led.state == 0
        button.show("replay")  # blinks at 4 Hz
        time.sleep(0.5)
        changes = {state for _, state in led.states}
        assert changes == {0, 1}
    finally:
        button.close()


def test_no_gpio_disables_the_button(monkeypatch, caplog):
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no-such-factory")
    from gpiozero import Device

    monkeypatch.setattr(Device, "pin_factory", None)
    button = ModeButton(lambda c: None, ButtonSettings())
    with caplog.at_level("INFO"):
        assert button.start() is False
    lines = [r.getMessage() for r in caplog.records if r.name == "dance2music.modes.button"]
    assert len(lines) == 1 and "no GPIO here" in lines[0] and "button disabled" in lines[0]
    button.show("live")  # no LED: nothing to do, no error
    button.close()


def test_disabled_in_configuration():
    assert ModeButton(lambda c: None, ButtonSettings(enabled=False)).start() is False
