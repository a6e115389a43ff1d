"""Media files: video decoding and encoding."""
