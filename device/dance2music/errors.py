"""One base error for everything the user can cause; each also subclasses a built-in."""


class Dance2MusicError(Exception):
    """A problem with the user's input, configuration or environment, with a clear message."""


class InputError(Dance2MusicError, ValueError):
    """An input file or parameter is not what was expected."""


class ModelError(Dance2MusicError, RuntimeError):
    """A model file is missing, corrupt or does not match its manifest."""


class OutputError(Dance2MusicError, OSError):
    """An output cannot be written (full disk, read-only file system, no permission)."""
