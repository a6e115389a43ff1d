"""The paper's music: notes of the C-major pentatonic scale as ordinal indices 0..4."""

NOTE_NAMES = ("C4", "D4", "E4", "G4", "A4")
MIDI_NOTES = (60, 62, 64, 67, 69)
NUM_NOTES = len(NOTE_NAMES)
FIRST_NOTE = 2  # every sequence starts on E4
START_TOKEN = NUM_NOTES  # pads the note history of the online classifier
