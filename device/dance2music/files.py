"""File output that never leaves a half-written state: each file appears complete or not at
all, the outputs of one command appear together or not at all, and no input is overwritten."""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from dance2music.errors import InputError, OutputError

# Failures that mean "this output cannot be written here", reported as one message.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EACCES,
                 errno.EPERM, errno.EISDIR, errno.ENOTDIR}
# Inside all_or_nothing(): the (temporary, final) paths waiting for the block to succeed.
_staged: contextvars.ContextVar[list[tuple[Path, Path]] | None] = contextvars.ContextVar(
    "staged_outputs", default=None)


def _output_error(target: Path, e: OSError) -> OutputError:
    return OutputError(f"{target}: cannot write ({e.strerror or e}); nothing was written")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it into place only if the block succeeds
    (inside all_or_nothing(), only when that whole block succeeds)."""
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix,
                                   dir=target.parent)
    except OSError as e:
        raise _output_error(target, e) from None
    os.close(fd)
    tmp_path = Path(tmp)
    staged = _staged.get()
    kept = False
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        if staged is None:
            os.replace(tmp_path, target)
        else:
            staged.append((tmp_path, target))
            kept = True
    except OSError as e:
        if isinstance(e, OutputError) or e.errno not in _WRITE_ERRNOS:
            raise
        raise _output_error(target, e) from None
    finally:
        if not kept:
            tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """Every atomic_path written inside the block is moved into place at its end, all of them
    or, if anything in the block fails, none (their temporary files are removed)."""
    if _staged.get() is not None:  # already inside one: the outer block decides
        yield
        return
    staged: list[tuple[Path, Path]] = []
    token = _staged.set(staged)
    try:
        yield
        for tmp, target in staged:
            try:
                os.replace(tmp, target)
            except OSError as e:
                raise _output_error(target, e) from None
    finally:
        _staged.reset(token)
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


def check_outputs(outputs: Iterable[Path], inputs: Iterable[Path] = ()) -> None:
    """Fail before any work if an output cannot be written, names a folder, appears twice, or
    is one of the inputs (also through a link)."""
    outputs, inputs = [Path(p) for p in outputs], [Path(p) for p in inputs if Path(p).exists()]
    seen: set[Path] = set()
    for path in outputs:
        resolved = path.resolve()
        if resolved in seen:
            raise InputError(f"{path}: given twice as an output")
        seen.add(resolved)
        if path.is_dir():
            raise InputError(f"{path}: is an existing folder; expected a file name")
        if path.exists() and any(os.path.samefile(path, source) for source in inputs):
            raise InputError(f"{path}: is an input of this command; refusing to overwrite it")
        if not path.parent.is_dir():
            raise InputError(f"{path}: output folder {path.parent} does not exist")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise InputError(f"{path}: output folder {path.parent} is not writable")
