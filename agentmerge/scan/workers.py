"""Worker processes for the scan's batched stages."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..model import AgentmergeError

def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class WorkerDied(AgentmergeError):
    """A worker process ended without finishing its task (killed by a signal, or by the system when memory
    ran out): the scan stops with one error line instead of waiting for an answer that never comes."""


_DIED = ("a scan worker process died before finishing (killed, or out of memory); the scan stopped: "
         "run it again, with fewer --jobs if memory is short")


def _task(fn: Callable, item: Any) -> Any:
    """`fn(item)` with the cyclic garbage collector paused, then one pass over the youngest generation.

    A task (fingerprinting a file, merging a cluster) makes many small containers and next to no reference
    cycles, and the collector's automatic passes over the whole heap (the term caches are large) were a
    seventh of the fingerprints' time. What the task left in a cycle is still collected after it, so memory
    stays bounded by one task's garbage."""
    if not gc.isenabled():
        return fn(item)
    gc.disable()
    try:
        return fn(item)
    finally:
        gc.enable()
        gc.collect(0)


def _serve(conn) -> None:
    """A worker's loop: (function, chunk of items) in, (True, results) or (False, exception) out."""
    from ..signals import in_worker

    in_worker()
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        fn, chunk = task
        try:
            reply = (True, [_task(fn, item) for item in chunk])
        except Exception as exc:  # noqa: BLE001 - handed back to the main process, raised there
            reply = (False, exc)
        try:
            conn.send(reply)
        except (TypeError, AttributeError, ValueError) as exc:  # an exception that does not pickle
            conn.send((False, RuntimeError(f"{type(reply[1]).__name__}: {reply[1]} ({exc})")))


class Workers:
    """Worker processes (forked where the OS allows, so they start at once and share what is loaded), or
    the calling process itself for one job.

    Each worker has a pipe of its own and one chunk of work at a time; the main process waits on the pipes
    and on the processes together. So a worker that dies (killed, or out of memory) ends the scan with an
    error at once, and stopping the workers never waits on a lock a dead worker held: both stdlib pools
    can hang there (multiprocessing.Pool waits forever for a dead worker's task, and its terminate() for
    the queue lock an idle worker holds; concurrent.futures races at exit after an interrupted shutdown).
    Workers leave run-ending signals to the main process, which stops them (see `signals.in_worker`)."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._workers: list[tuple[Any, Any]] = []  # (process, the main process's end of its pipe)
        if jobs > 1:
            import multiprocessing

            method = "fork" if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin" else "spawn"
            context = multiprocessing.get_context(method)
            for _ in range(jobs):
                ours, theirs = context.Pipe()
                process = context.Process(target=_serve, args=(theirs,), daemon=True)
                process.start()
                theirs.close()
                self._workers.append((process, ours))

    def imap(self, fn: Callable, items: Sequence, chunksize: int = 1) -> Iterator:
        """`map(fn, items)` over the workers, in order, lazily."""
        if not self._workers:
            return (_task(fn, item) for item in items)
        size = max(1, chunksize)
        return self._run(fn, [items[i : i + size] for i in range(0, len(items), size)])

    def imap_guided(self, fn: Callable, items: Sequence) -> Iterator:
        """`imap` in chunks that shrink towards the end (see `_guided`): the last chunks are small, so no
        worker is left with a long one while the others wait."""
        if not self._workers:
            return (_task(fn, item) for item in items)
        chunks, start = [], 0
        for size in _guided(len(items), self.jobs):
            chunks.append(items[start : start + size])
            start += size
        return self._run(fn, chunks)

    def _run(self, fn: Callable, chunks: list) -> Iterator:
        from multiprocessing.connection import wait

        done: dict[int, list] = {}
        busy: dict[int, int] = {}  # worker -> the chunk it holds
        sent = shown = 0
        while shown < len(chunks):
            for w in range(len(self._workers)):
                if w not in busy and sent < len(chunks):
                    try:
                        self._workers[w][1].send((fn, chunks[sent]))
                    except OSError:  # its end of the pipe closed: it died
                        raise WorkerDied(_DIED) from None
                    busy[w] = sent
                    sent += 1
            while shown in done:
                yield from done.pop(shown)
                shown += 1
            if shown == len(chunks):
                return
            waiting = {self._workers[w][1]: w for w in busy}
            waiting.update({self._workers[w][0].sentinel: w for w in busy})
            for ready in wait(list(waiting)):
                w = waiting[ready]
                if w not in busy:
                    continue
                process, conn = self._workers[w]
                try:
                    ok, value = conn.recv()
                except (EOFError, OSError):
                    raise WorkerDied(_DIED) from None
                if not ok:
                    raise value
                done[busy.pop(w)] = value

    def close(self) -> None:
        for process, conn in self._workers:
            try:
                conn.send(None)
            except OSError:
                pass
        for process, conn in self._workers:
            process.join()
            conn.close()
        self._workers = []

    def terminate(self) -> None:
        """Stop every worker at once (SIGTERM, then SIGKILL for one that lingers)."""
        for process, _conn in self._workers:
            if process.is_alive():
                process.terminate()
        for process, conn in self._workers:
            process.join(2)
            if process.is_alive():
                process.kill()
                process.join()
            conn.close()
        self._workers = []


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


def _guided(n: int, jobs: int) -> list[int]:
    """Chunk sizes for n items: a share of what is left each time (at most 64 items, as `_chunk`), so the
    chunks shrink to one item at the end."""
    sizes = []
    left = n
    while left > 0:
        size = max(1, min(64, left // (jobs * 4)))
        sizes.append(size)
        left -= size
    return sizes


def _peak_rss_mb() -> dict[str, float]:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return {}
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale / 2**20
    return {"main": round(own, 1), "largest_worker": round(children, 1)}


