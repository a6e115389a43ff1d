"""Dance2Music: piano music that follows a dancer, offline for a video or live from a camera."""

__version__ = "0.1.0"
