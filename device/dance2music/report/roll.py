"""The notes as a piano roll on a matplotlib axis: one row per note of the scale, a bar per
sounding note, time in seconds on x (shared with the dance above it)."""

from __future__ import annotations

from dance2music.music.scale import MIDI_NOTES, NOTE_NAMES
from dance2music.synth.score import TimedNote

BAR_HEIGHT = 0.7  # of a row


def draw_piano_roll(ax, notes: list[TimedNote], duration_s: float, colour: str = "#d1495b",
                    rest_colour: str = "#eeeeee") -> None:
    """Bars for `notes`; the stretches where nothing sounds (nobody in view) shaded."""
    rows = {midi: row for row, midi in enumerate(MIDI_NOTES)}
    for note in notes:
        row = rows.get(note.midi)
        if row is not None:
            ax.broken_barh([(note.start_s, note.end_s - note.start_s)],
                           (row - BAR_HEIGHT / 2, BAR_HEIGHT), facecolors=colour)
    sounding = sorted((n.start_s, n.end_s) for n in notes)
    cursor = 0.0
    for start_s, end_s in sounding + [(duration_s, duration_s)]:
        if start_s > cursor + 1e-9:
            ax.axvspan(cursor, start_s, color=rest_colour, zorder=0)
        cursor = max(cursor, end_s)
    ax.set_yticks(range(len(MIDI_NOTES)), NOTE_NAMES)
    ax.set_ylim(-0.6, len(MIDI_NOTES) - 0.4)
    ax.set_xlim(0, duration_s)
    ax.set_ylabel("note")
    ax.set_xlabel("time (s)")
    ax.grid(axis="x", alpha=0.3)
