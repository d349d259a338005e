"""Verification: a candidate pair's score is the share of units, both files counted, with a close counterpart."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ..model import AgentmergeError
from .fingerprint import _compare_strings, read_text, repeated_units, split_text, units_of
from .settings import BATCH_UNITS, UNIT_CACHE_FILES

@lru_cache(maxsize=UNIT_CACHE_FILES)
def _cached_strings(source: str, encoding: str) -> tuple[str, ...]:
    try:
        text = read_text(source, source, encoding)
    except AgentmergeError:
        return ()
    return tuple(_compare_strings(units_of(split_text(text)[1])))


def _unit_texts(source: str, encoding: str) -> dict[int, str]:
    try:
        text = read_text(source, source, encoding)
    except AgentmergeError:
        return {}
    return repeated_units(units_of(split_text(text)[1]))


def overlap_scores(a: Sequence[str], others: Sequence[Sequence[str]], cutoff: int) -> list[float]:
    """For each of `others`: the share of units of `a` and of that file that have a close counterpart in
    the other ((matched in a + matched in other) / (units in a + units in other)). Units are compared with
    rapidfuzz `ratio` on token-sorted strings (see `_compare_strings`), in one cdist call per batch."""
    import numpy as np
    from rapidfuzz import fuzz, process

    scores: list[float] = []
    if not a:
        return [0.0] * len(others)
    start = 0
    while start < len(others):
        batch: list[Sequence[str]] = []
        size = 0
        while start + len(batch) < len(others) and (not batch or size + len(others[start + len(batch)]) <= BATCH_UNITS):
            batch.append(others[start + len(batch)])
            size += len(batch[-1])
        start += len(batch)
        flat = [s for other in batch for s in other]
        if not flat:
            scores.extend(0.0 for _ in batch)
            continue
        matrix = process.cdist(list(a), flat, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8, workers=1)
        hit = matrix > 0
        lengths = [len(o) for o in batch]
        offsets = np.cumsum([0, *lengths[:-1]])
        nonempty = [k for k, length in enumerate(lengths) if length]
        row_hits = np.logical_or.reduceat(hit, offsets[nonempty], axis=1)  # (len(a), nonempty batch files)
        col_hits = np.add.reduceat(hit.any(axis=0), offsets[nonempty])
        matched_a = row_hits.sum(axis=0)
        by_file = {k: (int(matched_a[i]), int(col_hits[i])) for i, k in enumerate(nonempty)}
        for k, length in enumerate(lengths):
            if k not in by_file:
                scores.append(0.0)
                continue
            ma, mb = by_file[k]
            scores.append((ma + mb) / (len(a) + length))
    return scores


def verify(task: tuple[str, list[str], str, int]) -> list[float]:
    """Scores of one file against its candidates (runs in a worker)."""
    source, others, encoding, cutoff = task
    a = _cached_strings(source, encoding)
    return overlap_scores(a, [_cached_strings(o, encoding) for o in others], cutoff)


