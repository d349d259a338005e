"""Worker processes for the scan's batched stages."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _worker_start() -> None:
    """Ctrl-C is the main process's business: it stops the workers (no traceback from each of them)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Workers:
    """A process pool (forked where the OS allows, so workers start at once and share what is loaded),
    or the calling process itself for one job."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool = None
        if jobs > 1:
            import multiprocessing

            method = "fork" if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin" else "spawn"
            self._pool = multiprocessing.get_context(method).Pool(jobs, initializer=_worker_start)

    def imap(self, fn: Callable, items: Sequence, chunksize: int = 1) -> Iterator:
        if self._pool is None:
            return map(fn, items)
        return self._pool.imap(fn, items, chunksize=max(1, chunksize))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def terminate(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


@contextmanager
def workers(jobs: int) -> Iterator[Workers]:
    pool = Workers(jobs)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()


def _chunk(n: int, jobs: int) -> int:
    return max(1, min(64, n // (jobs * 8) if jobs > 1 else n))


def _peak_rss_mb() -> dict[str, float]:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return {}
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale / 2**20
    return {"main": round(own, 1), "largest_worker": round(children, 1)}


