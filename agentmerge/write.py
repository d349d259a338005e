"""Safe output: never overwrite an input, never leave a partial file behind."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence

from .model import AgentmergeError


def same_file(a: str, b: str) -> bool:
    """True when two paths name one file: the same path, a symlink to it, or a hard link to it."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_inputs(outputs: Sequence[str], inputs: Sequence[str]) -> None:
    for out in outputs:
        for path in inputs:
            if same_file(out, path):
                raise AgentmergeError(f"{out}: is an input ({path}); agentmerge never overwrites an input")


def check_writable(path: str) -> None:
    """Refuse, before anything is computed or written, an output that cannot be written."""
    if os.path.isdir(path):
        raise AgentmergeError(f"{path}: is a directory")
    if os.path.exists(path) and not os.path.isfile(path):
        return  # a device or a pipe (/dev/stdout): written in place
    target = os.path.realpath(path)  # what atomic_write replaces: a symlink's target
    folder = os.path.dirname(target)
    shown = (os.path.dirname(path) or ".") if target == os.path.abspath(path) else folder
    if not os.path.isdir(folder):
        raise AgentmergeError(f"{path}: output folder {shown} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise AgentmergeError(f"{path}: cannot write in folder {shown} (permission denied)")


def atomic_write(path: str, data: str) -> None:
    """Write to a temporary file beside `path`, then rename it over `path` in one step. On any failure
    the temporary file is removed and `path` is left as it was.

    A symlink is written through (its target is replaced, the link stays a link). A path that is not a
    regular file (/dev/stdout, a named pipe) cannot be replaced, only written to, so it is written to."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(data)
        except OSError as exc:
            raise AgentmergeError(f"{path}: cannot write ({exc.strerror or exc})") from None
        return
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".agentmerge-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise AgentmergeError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise AgentmergeError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise
