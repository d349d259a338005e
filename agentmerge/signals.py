"""The signals that end a run (SIGINT, SIGTERM, SIGHUP) become one exception, `Interrupted`.

It is raised where the main process happens to be, so the code that made temporary files removes them on
the way out (`write.write_all`), worker processes are stopped (`scan.Workers`), and the command line prints
one line and exits with 128 + the signal's number (130, 143, 129). It derives from BaseException, not
KeyboardInterrupt, so no `except Exception` swallows it and the CLI framework does not turn it into its own
"Aborted!".
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(BaseException):
    """The run was ended by a signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_held = 0  # how many `held()` blocks the main thread is in
_pending: list[int] = []  # signals that arrived meanwhile


def _raise(signum: int, _frame) -> None:
    if _held:
        _pending.append(signum)
        return
    raise Interrupted(signum)


def install() -> None:
    """Turn the run-ending signals into `Interrupted`. A signal the process was started with ignored (`nohup`
    ignores SIGHUP, a shell's background job SIGINT) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _raise)


def in_worker() -> None:
    """For a forked worker process: Ctrl-C is the main process's business (it stops the workers), and
    SIGTERM or SIGHUP end a worker at once, quietly, as they do any process that does not handle them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in SIGNALS:
        if signum != signal.SIGINT:
            signal.signal(signum, signal.SIG_DFL)


@contextmanager
def held() -> Iterator[None]:
    """Hold the run-ending signals back for a few steps that must happen together (creating a temporary
    file and recording it; renaming every output). A signal that arrives meanwhile is raised right after.

    Python runs signal handlers in the main thread, so a flag the handler reads does this for any thread
    layout (a signal mask would not: the system hands a signal to any thread that does not block it, such
    as a numerical library's worker threads)."""
    global _held
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _pending:
            signum = _pending[0]
            _pending.clear()
            raise Interrupted(signum)
