"""Modes of play, the state machine that switches them (fed only by commands), their audible
cues, and the push button that sends the commands."""
