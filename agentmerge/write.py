"""Safe output: never overwrite an input, never leave a partial file behind."""

from __future__ import annotations

import os
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
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise AgentmergeError(f"{path}: output folder {os.path.dirname(path) or '.'} does not exist")
    if os.path.isdir(path):
        raise AgentmergeError(f"{path}: is a directory")


def atomic_write(path: str, data: str) -> None:
    """Write to a temporary file beside `path`, then rename it over `path` in one step."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".agentmerge-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise AgentmergeError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise
