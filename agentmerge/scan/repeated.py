"""The most repeated guidance, counted in bounded memory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .fingerprint import _display_unit
from .results import FileInfo
from .settings import REPEATED_CAPACITY

class RepeatedCounter:
    """How many distinct agent bodies carry each guidance unit, in bounded memory.

    Exact while at most `capacity` distinct units have been seen; past that, the units seen in the fewest
    agents are forgotten (each forgetting raises `error`: a reported count can be low by at most that
    much, the bound of Misra-Gries style frequent-item counting), so memory stays bounded on any library.
    """

    def __init__(self, capacity: int = REPEATED_CAPACITY, examples: int = 3):
        self.capacity = capacity
        self.examples = examples
        self.counts: dict[int, list] = {}  # key -> [count, [file indexes]]
        self.error = 0

    def add(self, index: int, keys: Iterable[int]) -> None:
        for key in keys:
            entry = self.counts.get(key)
            if entry is None:
                self.counts[key] = [1, [index]]
                continue
            entry[0] += 1
            if len(entry[1]) < self.examples:
                entry[1].append(index)
        if len(self.counts) > self.capacity:
            self._prune()

    def _prune(self) -> None:
        by_count: dict[int, int] = defaultdict(int)
        for entry in self.counts.values():
            by_count[entry[0]] += 1
        target = self.capacity // 2
        remaining, floor = len(self.counts), 0
        for count in sorted(by_count):
            if remaining <= target:
                break
            remaining -= by_count[count]
            floor = count
        self.counts = {k: v for k, v in self.counts.items() if v[0] > floor}
        self.error = max(self.error, floor)

    def top(self, n: int, files: Sequence[FileInfo], text_of: Callable[[FileInfo], dict[int, str]]) -> list[dict[str, Any]]:
        """The `n` units carried by the most agents (at least two), most first, then in the order they
        were first met. Only the counts are kept while scanning: `text_of(file)` gives the unit texts of one
        file by key, and is asked once for each first example."""
        best = sorted(((-v[0], v[1][0], k) for k, v in self.counts.items() if v[0] >= 2))[:n]
        texts: dict[int, dict[int, str]] = {}
        out = []
        for neg_count, first, key in best:
            if first not in texts:
                texts[first] = text_of(files[first])
            text = texts[first].get(key, "")
            out.append({"text": _display_unit(text), "agents": -neg_count,
                        "examples": [files[i].path for i in self.counts[key][1]]})
        return out


