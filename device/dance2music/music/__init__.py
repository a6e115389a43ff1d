"""The music engine: similarity matrices, the paper's composers and its measures."""
