"""The notes as a piano roll on a matplotlib axis: one row per pitch played (the sound world
decides which), a bar per sounding note, time in seconds on x (shared with the dance above)."""

from __future__ import annotations

from dance2music.synth.score import TimedNote

BAR_HEIGHT = 0.7  # of a row
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def pitch_name(midi: int) -> str:
    """60 -> "C4" (scientific pitch notation, MIDI 60 = middle C)."""
    return f"{PITCH_CLASSES[midi % 12]}{midi // 12 - 1}"


def pitch_rows(notes: list[TimedNote]) -> list[int]:
    """The pitches played, low to high: one row each."""
    return sorted({n.midi for n in notes})


def draw_piano_roll(ax, notes: list[TimedNote], duration_s: float, colour: str = "#d1495b",
                    rest_colour: str = "#eeeeee") -> None:
    """Bars for `notes`; the stretches where nothing sounds (nobody in view) shaded."""
    pitches = pitch_rows(notes)
    rows = {midi: row for row, midi in enumerate(pitches)}
    for note in notes:
        ax.broken_barh([(note.start_s, note.end_s - note.start_s)],
                       (rows[note.midi] - BAR_HEIGHT / 2, BAR_HEIGHT), facecolors=colour)
    sounding = sorted((n.start_s, n.end_s) for n in notes)
    cursor = 0.0
    for start_s, end_s in sounding + [(duration_s, duration_s)]:
        if start_s > cursor + 1e-9:
            ax.axvspan(cursor, start_s, color=rest_colour, zorder=0)
        cursor = max(cursor, end_s)
    ax.set_yticks(range(len(pitches)), [pitch_name(p) for p in pitches])
    ax.set_ylim(-0.6, max(len(pitches), 1) - 0.4)
    ax.set_xlim(0, duration_s)
    ax.set_ylabel("note")
    ax.set_xlabel("time (s)")
    ax.grid(axis="x", alpha=0.3)
