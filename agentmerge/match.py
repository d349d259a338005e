"""Match units across all inputs (and within one input) and decide what each match means.

Scoring is batched: `rapidfuzz.process.cdist` scores every text unit against every other on normalised
words (a rare-token index blocks candidates first when an input is huge), and only the few candidate pairs
it returns are looked at one by one. A candidate becomes:

- `duplicate` when one unit carries the other's whole content: every content word of the smaller is in the
  larger (after stemming, synonyms and dropping generic words), neither is much bigger, both say "do" (or
  both "don't"), and the numbers agree. Precision first: collapsing two different rules loses guidance.
- `negated` / `numbers`: the same words but opposite polarity or different numbers (conflict candidates).
- `related`: a large weighted overlap without carrying; both stay, placed next to each other.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .model import Group, Member, Unit
from .normalize import Normalised, normalise, plain, reversed_order

DUPLICATE = "duplicate"
RELATED = "related"
NEGATED = "negated"
NUMBERS = "numbers"


@dataclass(frozen=True)
class Thresholds:
    """The documented matching levels (tuned on tests/data/match_pairs.yaml)."""

    candidate: float = 60.0  # token_set_ratio a pair needs to be looked at
    missing: float = 0.0  # share of the smaller unit's content weight allowed to be absent from the larger
    size_ratio: float = 2.5  # the larger may weigh at most this many times the smaller
    min_words: int = 2  # units with fewer content words only collapse when their words are identical
    related: float = 0.45  # weighted Jaccard for `related`
    code_duplicate: float = 97.0  # fuzz.ratio for code, tables and HTML to count as the same block
    code_related: float = 85.0


DEFAULT = Thresholds()
# Above this many distinct units, candidates come from a rare-token index instead of a full matrix.
FULL_MATRIX_LIMIT = 2500
# From this many units on, the whole score matrix comes from one `cdist` call (NumPy's import pays off).
MATRIX_FROM = 600


@dataclass(frozen=True)
class Pair:
    """A verified relation between two units: `a` is the carrier (kept) for duplicates."""

    a: int
    b: int
    relation: str
    score: float  # 0..1, rapidfuzz token_sort_ratio on normalised words (ratio for code)


@dataclass
class Matching:
    norms: dict[int, Normalised]
    weights: dict[str, float]
    pairs: list[Pair]
    groups: list[Group]
    dropped: dict[int, int]  # dropped uid -> kept uid
    similar: list[tuple[int, int, float]]  # every candidate pair with its token_set_ratio: a softer signal


def weights_of(norms: Sequence[Normalised]) -> dict[str, float]:
    """Inverse document frequency of each content word across the run's units (at least 1)."""
    df: dict[str, int] = defaultdict(int)
    for n in norms:
        for t in set(n.tokens):
            df[t] += 1
    total = max(len(norms), 1)
    return {t: 1.0 + math.log(total / c) for t, c in df.items()}


def _weight(tokens: set[str] | frozenset[str], weights: dict[str, float]) -> float:
    return sum(weights.get(t, 1.0) for t in tokens)


def relate(x: Normalised, y: Normalised, weights: dict[str, float], th: Thresholds = DEFAULT) -> tuple[str | None, int]:
    """How unit x relates to unit y, and which one carries the other (0: x, 1: y) for duplicates."""
    if x.code != y.code:
        return None, 0
    if x.code:
        score = fuzz.ratio(x.folded, y.folded)
        if score >= th.code_duplicate:
            return DUPLICATE, 0 if len(x.folded) >= len(y.folded) else 1
        return (RELATED if score >= th.code_related else None), 0
    sx, sy = set(x.tokens), set(y.tokens)
    if not sx or not sy:
        return None, 0
    wx, wy = _weight(sx, weights), _weight(sy, weights)
    big_is_x = (wx, len(x.tokens)) >= (wy, len(y.tokens))
    small, big, ws, wb = (sy, sx, wy, wx) if big_is_x else (sx, sy, wx, wy)
    carrier = 0 if big_is_x else 1
    missing = _weight(small - big, weights) / ws
    same = small == big or (
        missing <= th.missing and wb <= th.size_ratio * ws and len(small) >= th.min_words
    )
    if same:
        if x.negated != y.negated or reversed_order(x, y):
            return NEGATED, carrier
        if sx == sy and x.numbers != y.numbers:
            # same words: the unit that states every number of the other carries it, whichever comes first
            if x.numbers >= y.numbers:
                return DUPLICATE, 0
            if y.numbers >= x.numbers:
                return DUPLICATE, 1
            return NUMBERS, carrier
        if x.numbers != y.numbers and x.numbers and y.numbers:
            return NUMBERS, carrier
        small_n = y.numbers if big_is_x else x.numbers
        big_n = x.numbers if big_is_x else y.numbers
        if not small_n <= big_n:
            return NUMBERS, carrier
        return DUPLICATE, carrier
    jaccard = _weight(sx & sy, weights) / _weight(sx | sy, weights)
    if jaccard >= th.related:
        # Overlap without carrying: both stay. Opposite polarity or other numbers here are left to the
        # conflict detectors' own, stricter checks (negation scope, settings).
        return RELATED, carrier
    return None, carrier


def _exact_key(unit: Unit, norm: Normalised) -> str:
    return norm.folded if norm.code else plain(unit.text)


def _candidates(reps: list[int], norms: dict[int, Normalised], th: Thresholds) -> list[tuple[int, int, float]]:
    """Candidate pairs (uid, uid, score) among representative units, scored in batch by rapidfuzz."""
    out: list[tuple[int, int, float]] = []
    text = [u for u in reps if not norms[u].code and norms[u].tokens]
    code = [u for u in reps if norms[u].code and norms[u].folded]
    for group, scorer, cutoff in ((text, fuzz.token_set_ratio, th.candidate), (code, fuzz.ratio, th.code_related)):
        if len(group) < 2:
            continue
        strings = [norms[u].folded for u in group]
        if len(group) < MATRIX_FROM:
            # Each unit against the ones after it, one C++ batch per unit: no NumPy to import (its import
            # alone takes longer than merging two agents), and no Python loop over pairs.
            for i in range(len(group) - 1):
                for _choice, score, j in process.extract(strings[i], strings[i + 1 :], scorer=scorer,
                                                         score_cutoff=cutoff, limit=None):
                    out.append((group[i], group[i + 1 + j], float(score)))
        elif len(group) <= FULL_MATRIX_LIMIT:
            matrix = process.cdist(strings, strings, scorer=scorer, score_cutoff=cutoff, workers=-1)
            rows, cols = (matrix > 0).nonzero()
            for i, j in zip(rows.tolist(), cols.tolist()):
                if i < j:
                    out.append((group[i], group[j], float(matrix[i, j])))
        else:
            out.extend(_blocked(group, strings, norms, scorer, cutoff))
    return out


def _blocked(group: list[int], strings: list[str], norms: dict[int, Normalised], scorer, cutoff: float):
    """Candidates for big inputs: each unit meets only the units sharing its rarest word, so that a unit
    whose words are all carried by another always meets it; each unit's block is scored in one batch."""
    postings: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(group):
        for t in sorted(set(norms[u].tokens)):
            postings[t].append(i)
    found: list[tuple[int, int, float]] = []
    for i, u in enumerate(group):
        rarest = min(set(norms[u].tokens), key=lambda t: (len(postings[t]), t))
        block = [j for j in postings[rarest][:FULL_MATRIX_LIMIT] if j != i]
        if not block:
            continue
        scores = process.cdist([strings[i]], [strings[j] for j in block], scorer=scorer, score_cutoff=cutoff, workers=1)[0]
        for j, s in zip(block, scores.tolist()):
            if s > 0:
                a, b = (u, group[j]) if u < group[j] else (group[j], u)
                found.append((a, b, float(s)))
    return sorted(set(found))


def match(units: Sequence[Unit], th: Thresholds = DEFAULT) -> Matching:
    """Relate every unit to every other and form duplicate groups (`Group.kind == "duplicate"`)."""
    norms = {u.uid: normalise(u.text, u.kind) for u in units}
    by_uid = {u.uid: u for u in units}
    weights = weights_of([n for n in norms.values() if not n.code])
    # Exact copies (after folding markers, emphasis and whitespace) collapse without scoring.
    exact: dict[str, list[int]] = defaultdict(list)
    for u in units:
        key = _exact_key(u, norms[u.uid])
        if key:
            exact[(u.kind in ("code", "table", "html"), key)].append(u.uid)
    reps = [uids[0] for uids in exact.values()]
    rep_of = {uid: uids[0] for uids in exact.values() for uid in uids}
    pairs: list[Pair] = []
    candidates = _candidates(sorted(reps), norms, th)
    for uids in exact.values():
        for other in uids[1:]:
            pairs.append(Pair(uids[0], other, DUPLICATE, 1.0))
    for a, b, _s in candidates:
        relation, carrier = relate(norms[a], norms[b], weights, th)
        if relation is None:
            continue
        if (relation == DUPLICATE and carrier == 0 and len(by_uid[a].text) < len(by_uid[b].text)
                and set(norms[a].tokens) == set(norms[b].tokens) and norms[a].numbers == norms[b].numbers):
            carrier = 1  # same words: the longer wording is the more complete one
        first, second = (a, b) if carrier == 0 else (b, a)
        pairs.append(Pair(first, second, relation, _score(norms[first], norms[second])))
    # Copies of a representative share its relations.
    copies = defaultdict(list)
    for uid, rep in rep_of.items():
        if uid != rep:
            copies[rep].append(uid)
    groups, dropped = _groups(units, norms, weights, pairs, copies)
    return Matching(norms=norms, weights=weights, pairs=pairs, groups=groups, dropped=dropped, similar=candidates)


def _score(x: Normalised, y: Normalised) -> float:
    if x.code:
        return round(fuzz.ratio(x.folded, y.folded) / 100, 2)
    return round(fuzz.token_sort_ratio(x.folded, y.folded) / 100, 2)


def _groups(units, norms, weights, pairs: list[Pair], copies) -> tuple[list[Group], dict[int, int]]:
    """Star-shaped duplicate groups: the most complete unit is kept and every dropped member is a direct
    duplicate of it (never a duplicate of a duplicate), so no chain can stretch a group across meanings."""
    carried_by: dict[int, dict[int, float]] = defaultdict(dict)  # carrier -> {carried uid: score}
    for p in pairs:
        if p.relation == DUPLICATE:
            carried_by[p.a][p.b] = p.score
            for c in copies.get(p.b, ()):
                carried_by[p.a][c] = p.score
            for c in copies.get(p.a, ()):
                carried_by[c][p.b] = p.score
    # Exact copies (equal after folding markers and emphasis) carry each other, whichever is kept.
    for rep, others in copies.items():
        members = [rep, *others]
        for m in members:
            for o in members:
                if o != m:
                    carried_by[m].setdefault(o, 1.0)

    def completeness(u: Unit) -> tuple:
        n = norms[u.uid]
        return (-_weight(set(n.tokens), weights), -len(n.folded), -len(u.text), u.uid)
    assigned: dict[int, int] = {}
    members: dict[int, list[Member]] = {}
    for u in sorted(units, key=completeness):
        if u.uid in assigned or u.uid not in carried_by:
            continue
        for other, score in sorted(carried_by[u.uid].items()):
            if other not in assigned and other != u.uid and other not in members:
                assigned[other] = u.uid
                members.setdefault(u.uid, []).append(Member(other, score))
        if u.uid in members:
            assigned[u.uid] = u.uid
    groups = []
    dropped: dict[int, int] = {}
    for kept in sorted(members):
        rest = sorted(members[kept], key=lambda m: m.uid)
        for m in rest:
            dropped[m.uid] = kept
        groups.append(Group(id="", kind=DUPLICATE, kept=kept, members=(Member(kept, 1.0), *rest)))
    return groups, dropped
