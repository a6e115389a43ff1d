"""The fixed-latency live loop: camera -> pose -> composer -> FluidSynth, on the audio clock."""
