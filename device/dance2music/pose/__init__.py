"""Poses: the pose-sequence format, its loaders, and the feature vectors the music engine uses."""
