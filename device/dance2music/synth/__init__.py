"""Sound: FluidSynth piano rendering, MIDI files, and onset analysis of rendered audio."""
