"""How the composers' notes sound: sound worlds (scale, register, instruments), dynamics from
movement, an accompaniment layer, loudness calibration, volume, and MIDI/OSC outputs."""
