"""Safe output: never overwrite an input, never leave a partial file behind."""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Sequence

from .model import AgentmergeError
from .signals import held


def same_file(a: str, b: str) -> bool:
    """True when two paths name one file: the same path, a symlink to it, or a hard link to it."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_inputs(outputs: Sequence[str], inputs: Sequence[str], what: str = "an input") -> None:
    for out in outputs:
        for path in inputs:
            if same_file(out, path):
                raise AgentmergeError(f"{out}: is {what} ({path}); agentmerge never overwrites {what}")


def refuse_same_targets(targets: Sequence[str]) -> None:
    """Two outputs of one run naming one file, by any path (`./x`, a symlink, a hard link), would leave only
    the last one written: refused before any work is done."""
    for i, a in enumerate(targets):
        for b in targets[i + 1 :]:
            if same_file(a, b):
                shown = a if a == b else f"{a} and {b}"
                raise AgentmergeError(f"{shown}: name one file; the merged agent and each report must go to different files")


def check_writable(path: str) -> None:
    """Refuse, before anything is computed or written, an output that cannot be written."""
    if os.path.isdir(path):
        raise AgentmergeError(f"{path}: is a directory")
    if path.endswith(("/", os.sep)):
        raise AgentmergeError(f"{path}: names a folder, and an output is a file (the folder does not exist either)")
    if os.path.exists(path) and not os.path.isfile(path):
        return  # a device or a pipe (/dev/stdout): written in place
    target = os.path.realpath(path)  # what write_all replaces: a symlink's target
    folder = os.path.dirname(target)
    shown = (os.path.dirname(path) or ".") if target == os.path.abspath(path) else folder
    if not os.path.isdir(folder):
        raise AgentmergeError(f"{path}: output folder {shown} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise AgentmergeError(f"{path}: cannot write in folder {shown} (permission denied)")


def atomic_write(path: str, data: str) -> None:
    """`write_all` for one file."""
    write_all([(path, data)])


def write_all(outputs: Sequence[tuple[str | None, str]]) -> None:
    """Write every output of a run, or none of them.

    Each file goes to a temporary file beside it; only when all of them are complete are they renamed
    over their targets, one after the other with the run-ending signals held back, so a full disk or a
    signal leaves every old output as it was and no temporary file behind. A symlink is written through
    (its target is replaced, the link stays a link). A path `None` is standard output, and a path that is
    not a regular file (/dev/stdout, a named pipe) cannot be replaced, only written to: those are written
    after every temporary file is complete and before the renames."""
    staged: list[tuple[str, str, str]] = []  # (temporary file, target it replaces, path as given)
    in_place: list[tuple[str | None, str]] = []
    path: str | None = None
    try:
        for path, data in outputs:
            mode = _mode(path) if path is not None else None
            if path is None or (mode is not None and not stat.S_ISREG(mode)):
                in_place.append((path, data))
            else:
                _stage(path, data, mode, staged)
        for path, data in in_place:
            _write_in_place(path, data)
        with held():
            while staged:
                tmp, target, path = staged[0]
                os.replace(tmp, target)
                staged.pop(0)
    except BaseException as exc:
        for tmp, _target, _path in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise AgentmergeError(f"{path or 'standard output'}: cannot write ({exc.strerror or exc})") from None
        raise


def _mode(path: str) -> int | None:
    try:
        return os.stat(path).st_mode
    except OSError:
        return None


def _stage(path: str, data: str, mode: int | None, staged: list[tuple[str, str, str]]) -> None:
    target = os.path.realpath(path)
    with held():  # a signal between creating the file and recording it would leave it behind
        fd, tmp = tempfile.mkstemp(prefix=".agentmerge-", suffix=".tmp", dir=os.path.dirname(target))
        staged.append((tmp, target, path))
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


def _write_in_place(path: str | None, data: str) -> None:
    if path is None:
        if sys.stdout is None:
            raise AgentmergeError("standard output is closed; name a file with -o")
        sys.stdout.write(data)
        sys.stdout.flush()
        return
    try:
        # A named pipe that nobody reads would block the open forever: refuse it instead.
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise AgentmergeError(f"{path}: a named pipe that no process is reading; nothing was written") from None
        raise
    os.set_blocking(fd, True)
    with open(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(data)
