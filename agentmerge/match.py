"""Match units across all inputs (and within one input) and decide what each match means.

Scoring is batched: `rapidfuzz.process.cdist` scores every text unit against every other on normalised
words, and only the few candidate pairs it returns are looked at one by one. Above FULL_MATRIX_LIMIT
distinct units no all-pairs matrix is made (see `_match_blocked`): units with the same words and signature
collapse as classes, and candidates come from word indexes, a bounded number per unit. A candidate becomes:

- `duplicate` when one unit carries the other's whole content: every content word of the smaller is in the
  larger (after stemming, synonyms and dropping generic words), neither is much bigger, both say "do" (or
  both "don't"), and the numbers agree. Precision first: collapsing two different rules loses guidance.
- `negated` / `numbers`: the same words but opposite polarity or different numbers (conflict candidates).
- `related`: a large weighted overlap without carrying; both stay, placed next to each other.
"""

from __future__ import annotations

import gc
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice, repeat

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel, Levenshtein

from .model import CONFLICT, ITEM, PARAGRAPH, Group, Member, Unit
from .normalize import Normalised, ends_with_colon, normalise, plain, quotation, reversed_order, unlabelled
from .statements.terms import lemma, prior, terms_data, tokens

_CHECKBOX = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\[[ xX]\]")

DUPLICATE = "duplicate"
RELATED = "related"
NEGATED = "negated"
NUMBERS = "numbers"


@dataclass(frozen=True)
class Thresholds:
    """The documented matching levels (tuned on tests/data/match_tune.yaml and match_pairs.yaml)."""

    candidate: float = 60.0  # token_set_ratio a pair needs to be looked at
    # share of the smaller unit's content weight allowed to be absent from the larger (common words only)
    missing: float = 0.25
    # a term at least this specific in English (prior, 0.15..1) absent from the larger means it does not
    # carry the smaller: rare terms decide ("B-tree" vs "hash", "canary" vs "blue-green")
    rare: float = 0.5
    # both sides having a term at least this specific that the other lacks is a substitution (B-tree vs
    # hash): different guidance, not even related
    swap: float = 0.8
    slot: int = 2  # ... or each side has at most this many terms the other lacks, one of them this specific
    slot_prior: float = 0.35
    # the larger (or the one statement of it that carries the smaller) may have at most this many times
    # the smaller's content terms, counted, not weighted; a head folds into its detailed form whatever its size
    size_ratio: float = 2.5
    min_words: int = 2  # units with fewer content terms only collapse when their terms are identical
    related: float = 0.45  # weighted Jaccard for `related`
    # ... or this much, when both name one term this specific (f-strings, `useMemo`, EXPLAIN ANALYZE): the
    # same subject, each with its own qualifiers. Both stay; a person reads them side by side.
    related_rare: float = 0.3
    rare_shared: float = 0.9
    code_duplicate: float = 97.0  # fuzz.ratio for code, tables and HTML to count as the same block
    code_related: float = 85.0


DEFAULT = Thresholds()
# A capability list item ("Proficient in SwiftUI") is one short statement; a persona paragraph is not one.
CAPABILITY_TERMS = 4
# Above this many distinct units, candidates come from word indexes instead of a full matrix.
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
    """What matching found: each unit's normalisation, word weights, verified pairs and duplicate groups."""

    norms: dict[int, Normalised]
    weights: dict[str, float]
    pairs: list[Pair]
    groups: list[Group]
    dropped: dict[int, int]  # dropped uid -> kept uid
    similar: list[tuple[int, int, float]]  # every candidate pair with its token_set_ratio: a softer signal
    freed: dict[int, int] = field(default_factory=dict)  # uid -> the conflict side that carried it (`rehomed`)


def weights_of(norms: Sequence[Normalised]) -> dict[str, float]:
    """Each content term's weight: how specific it is in general English (`prior`): specific terms decide,
    common ones ("use", "data", "implement") do not. Not how often the run's other units use it: then
    whether two units are duplicates would depend on what else is merged with them, and merging the merged
    file again with one of its inputs would decide otherwise."""
    return {t: prior(t) for t in sorted({t for n in norms for t in n.tokens})}


def _weight(tokens: set[str] | frozenset[str], weights: dict[str, float]) -> float:
    # fsum: the exactly rounded sum, so that a set's weight does not depend on its iteration order
    # (string hashing, hence PYTHONHASHSEED)
    return math.fsum(map(weights.get, tokens, repeat(1.0)))


def relate(x: Normalised, y: Normalised, weights: dict[str, float], th: Thresholds = DEFAULT) -> tuple[str | None, int]:
    """How unit x relates to unit y, and which one carries the other (0: x, 1: y) for duplicates."""
    if x.code != y.code:
        return None, 0
    if x.code:
        score = fuzz.ratio(x.folded, y.folded)
        if score >= th.code_duplicate:
            return DUPLICATE, 0 if len(x.folded) >= len(y.folded) else 1
        return (RELATED if score >= th.code_related else None), 0
    sx, sy = frozenset(x.tokens), frozenset(y.tokens)
    return _relate_words(x, y, sx, sy, _weight(sx, weights), _weight(sy, weights), weights, th)


def _carries(small: frozenset[str], part: frozenset[str], ws: float, weights: dict[str, float],
             th: Thresholds) -> bool:
    """Whether `part` holds the guidance of `small`: what it lacks is a small share of small's weight, and
    no specific term."""
    absent = small - part
    if not absent:
        return True
    if any(prior(t) >= th.rare for t in absent):
        return False
    return _weight(absent, weights) <= th.missing * ws * (1 + 1e-9)


def carried(small_n: Normalised, big_n: Normalised, small: frozenset[str], big: frozenset[str], ws: float,
            weights: dict[str, float], th: Thresholds = DEFAULT) -> str:
    """Why `big` carries `small` ("" when it does not): the whole unit, its head, or one of its statements."""
    if small == big:
        return "the same terms"
    if small_n.verbs and not small_n.verbs <= big | big_n.verbs:
        # "test migrations" is not "create migrations": the instruction differs. Verbs that bring about
        # what they name are one action ("create jobs with retries" / "include retries"), and a list of
        # noun phrases ("Table-driven tests") names what to have, so it carries the imperative that makes
        # it ("Write table-driven tests"); both only when one statement of the larger names all the
        # smaller names and little else, and never an imperative that does something else to it.
        make = terms_data().make_verbs
        core = small - small_n.verbs
        if not small_n.verbs <= make or not big_n.verbs <= make or not any(
                core <= part and 2 * len(core) >= len(part - big_n.verbs) for part in (*big_n.parts, big)):
            # ... and only a statement about that thing: "Code clarity, documentation, test coverage"
            # names documentation among others, it does not carry "Create coding standards documentation"
            return ""
    if big_n.head and small == big_n.head:
        return "its head: the short form folds into the detailed one"
    if (small_n.capability and len(small_n.parts) == 1 and len(small) <= CAPABILITY_TERMS
            and not small_n.negated and not big_n.negated):
        specific = {t for t in small if prior(t) >= th.swap}
        if specific and specific <= big:
            return "a capability it puts to use"
    if len(small) < th.min_words or not _carries(small, big, ws, weights, th):
        return ""
    if len(big) <= th.size_ratio * len(small):
        return "every specific term" if small <= big else "every specific term, in other common words"
    for part in big_n.parts:
        if len(part) <= th.size_ratio * len(small) and _carries(small, part, ws, weights, th):
            return "one statement of it"
    return ""


def _swapped(x: Normalised, y: Normalised, sx: frozenset[str], sy: frozenset[str], th: Thresholds) -> bool:
    """One term put in another's place: each side has a specific term the other lacks (B-tree vs hash),
    or the two are one frame with a slot or two filled differently (staging vs production): the terms
    each lacks stand where the other's stand, the rest of the wording the same. Two wordings of one rule
    ("keep the bundle under 200 KB" / "the bundle must stay below 200 KB") differ in common words too, but
    not in one slot of one frame."""
    only_x, only_y = sx - sy, sy - sx
    if not only_x or not only_y:
        return False
    top_x, top_y = max(map(prior, only_x)), max(map(prior, only_y))
    if top_x >= th.swap and top_y >= th.swap:
        return True
    # a leading verb put in another's place is another action, or the same one in other words: the
    # verbs guard of `_decide` judges that, not this one
    leading = x.verbs | y.verbs
    if not only_x - leading or not only_y - leading:
        return False
    return (len(only_x) <= th.slot and len(only_y) <= th.slot and len(sx & sy) >= 2
            and max(top_x, top_y) >= th.slot_prior and _one_slot(x.tokens, y.tokens, only_x, only_y))


def _one_slot(tx: tuple[str, ...], ty: tuple[str, ...], only_x: frozenset[str], only_y: frozenset[str]) -> bool:
    """Whether the terms each side lacks stand in one place of the wording both share: between the same
    two of their common terms (the longest common subsequence), or where the edit from one term sequence
    to the other replaces them, rather than dropped in one place and added in another. An edit script
    breaks ties by the order of its two sequences, so both orders are asked: the answer is symmetric."""
    return _in_place(tx, ty, only_x, only_y) or _in_place(ty, tx, only_y, only_x)


def _in_place(tx: tuple[str, ...], ty: tuple[str, ...], only_x: frozenset[str], only_y: frozenset[str]) -> bool:
    gaps_x: set[int] = set()
    gaps_y: set[int] = set()
    shared = 0
    for op in Indel.opcodes(tx, ty):
        if op.tag == "equal":
            shared += op.src_end - op.src_start
        elif op.tag == "delete":
            if only_x.intersection(tx[op.src_start:op.src_end]):
                gaps_x.add(shared)
        elif op.tag == "insert":
            if only_y.intersection(ty[op.dest_start:op.dest_end]):
                gaps_y.add(shared)
    if gaps_x & gaps_y:
        return True
    replaced_x: set[str] = set()
    replaced_y: set[str] = set()
    for op in Levenshtein.opcodes(tx, ty):
        if op.tag == "replace":
            replaced_x.update(tx[op.src_start:op.src_end])
            replaced_y.update(ty[op.dest_start:op.dest_end])
    return bool(only_x & replaced_x) and bool(only_y & replaced_y)


def _qualified(n: Normalised, own: frozenset[str], other: frozenset[str]) -> Normalised:
    """`n` with each dotted identifier the other unit names by its last part alone written as that part
    (`spec.securityContext.readOnlyRootFilesystem` / `readOnlyRootFilesystem: true`): one setting. Only a
    specific last part (prior >= IDENTIFIER_PART): `os.path.join` is not any "join"."""
    names = {t: t.rsplit(".", 1)[1] for t in own - other if "." in t}
    names = {t: part for t, part in names.items() if part in other and prior(part) >= IDENTIFIER_PART}
    if not names:
        return n
    tokens = tuple(names.get(t, t) for t in n.tokens)
    return replace(n, tokens=tokens, folded=" ".join(tokens),
                   parts=tuple(frozenset(names.get(t, t) for t in part) for part in n.parts),
                   head=frozenset(names.get(t, t) for t in n.head))


IDENTIFIER_PART = 0.8


def _polarity_differs(small: Normalised, big: Normalised) -> bool:
    """Whether one says "do" and the other "don't". A carrier that does what the smaller says and also names
    what that prevents ("Limit query depth to prevent abusive queries" / "Cap the nesting depth"; the
    detailed form of a head, "... so a retried call never bills twice") prohibits nothing: both are a *do*."""
    if small.negated == big.negated:
        return False
    return not (big.negated and not big.prohibits and not small.negated)


def _other_action(vx: frozenset[str], vy: frozenset[str], sx: tuple[str, ...] = (),
                  sy: tuple[str, ...] = ()) -> bool:
    """Two imperatives whose leading verbs name different actions ("review the spec" / "write the spec").
    Verbs that bring about what they name ("create", "include", "add") are one action, and so is a verb
    with a verb that makes what the first one names ("test migrations" / "write tests for migrations",
    "index foreign keys" / "add indexes on foreign keys"): the made thing opens the other's terms (`sx`,
    `sy`: each unit's terms in order), so "run the tests before merging" is not "merge"."""
    if not vx or not vy or vx & vy:
        return False
    make = terms_data().make_verbs
    if vx <= make and vy <= make:
        return False
    return not ((vy <= make and vx <= set(sy[:2])) or (vx <= make and vy <= set(sx[:2])))


def _relate_words(x: Normalised, y: Normalised, sx: frozenset[str], sy: frozenset[str], wx: float, wy: float,
                  weights: dict[str, float], th: Thresholds) -> tuple[str | None, int]:
    """`relate` for two text units, given their word sets and weights (computed once per unit by `match`)."""
    return _decide(x, y, sx, sy, wx, wy, weights, th)[:2]


def _decide(x: Normalised, y: Normalised, sx: frozenset[str], sy: frozenset[str], wx: float, wy: float,
            weights: dict[str, float], th: Thresholds) -> tuple[str | None, int, str]:
    """(relation, carrier, why): `relate` with the reason a duplicate is one."""
    if not sx or not sy:
        return None, 0, ""
    if "." in x.folded or "." in y.folded:
        folded_x, folded_y = _qualified(x, sx, sy), _qualified(y, sy, sx)
        if folded_x is not x or folded_y is not y:
            x, y = folded_x, folded_y
            sx, sy = frozenset(x.tokens), frozenset(y.tokens)
            wx, wy = _weight(sx, weights), _weight(sy, weights)
    big_is_x = (wx, len(x.tokens)) >= (wy, len(y.tokens))
    small, big, ws = (sy, sx, wy) if big_is_x else (sx, sy, wx)
    small_n, big_n = (y, x) if big_is_x else (x, y)
    carrier = 0 if big_is_x else 1
    if _swapped(x, y, sx, sy, th) or _other_action(x.verbs, y.verbs, x.tokens, y.tokens):
        # another tool, target or scope in the same frame, or another action: different guidance
        return None, carrier, ""
    why = carried(small_n, big_n, small, big, ws, weights, th)
    if why:
        if _polarity_differs(small_n, big_n) or reversed_order(x, y):
            return NEGATED, carrier, ""
        cx, cy = Counter(x.counts), Counter(y.counts)
        if sx == sy and cx != cy:
            # same words: the unit that states every value of the other carries it, whichever comes first
            if cx >= cy:
                return DUPLICATE, 0, "the same terms, and every value of it"
            if cy >= cx:
                return DUPLICATE, 1, "the same terms, and every value of it"
            return NUMBERS, carrier, ""
        if cx != cy and cx and cy:
            return NUMBERS, carrier, ""
        small_c, big_c = (cy, cx) if big_is_x else (cx, cy)
        if not small_c <= big_c:
            return NUMBERS, carrier, ""
        return DUPLICATE, carrier, why
    jaccard = _weight(sx & sy, weights) / _weight(sx | sy, weights)
    if jaccard >= th.related or (jaccard >= th.related_rare and any(prior(t) >= th.rare_shared for t in sx & sy)):
        # Overlap without carrying: both stay. Opposite polarity or other numbers here are left to the
        # conflict detectors' own, stricter checks (negation scope, settings).
        return RELATED, carrier, ""
    return None, carrier, ""


_AS_TEXT = ("code", "table", "html", "conflict")  # kinds compared as text, not as words


def _candidates(group: list[int], strings: list[str], scorer, cutoff: float) -> list[tuple[int, int, float]]:
    """Every pair (uid, uid, score) of a group of at most FULL_MATRIX_LIMIT units that scores at least
    `cutoff`, scored in batch by rapidfuzz."""
    out: list[tuple[int, int, float]] = []
    if len(group) < 2:
        return out
    if len(group) < MATRIX_FROM:
        # Each unit against the ones after it, one C++ batch per unit: no NumPy to import (its import
        # alone takes longer than merging two agents), and no Python loop over pairs.
        for i in range(len(group) - 1):
            for _choice, score, j in process.extract(strings[i], strings[i + 1 :], scorer=scorer,
                                                     score_cutoff=cutoff, limit=None):
                out.append((group[i], group[i + 1 + j], float(score)))
    else:
        matrix = process.cdist(strings, strings, scorer=scorer, score_cutoff=cutoff, workers=-1)
        rows, cols = (matrix > 0).nonzero()
        for i, j in zip(rows.tolist(), cols.tolist()):
            if i < j:
                out.append((group[i], group[j], float(matrix[i, j])))
    return out


@contextmanager
def collector_paused(paused: bool) -> Iterator[None]:
    """Pause Python's cyclic garbage collector. Matching a big input allocates a few small containers per
    unit, none of them in a reference cycle, and each automatic collection of the oldest generation walks
    the whole heap (every unit, word and score): on a 60,000-unit file that was a fifth of the time."""
    if not paused or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def match(units: Sequence[Unit], th: Thresholds = DEFAULT, titles: dict[int, str] | None = None) -> Matching:
    """Relate every unit to every other and form duplicate groups (`Group.kind == "duplicate"`).
    `titles`: each unit's section title, when known: the same line under "Staging" and under
    "Production" is two rules."""
    with collector_paused(len(units) > FULL_MATRIX_LIMIT):
        return _match(units, th, titles or {})


def other_context(a: str, b: str) -> bool:
    """Whether two section titles scope what is under them differently: each names something specific the
    other lacks, in a word or two ("Staging" / "Production", "Public API" / "Internal API", "iOS" /
    "Android")."""
    if a == b:
        return False
    if bool(_TRIGGER.search(a)) != bool(_TRIGGER.search(b)):
        return True  # when the agent is called is not what it is told to do
    if not a or not b:
        return False
    ta, tb = _title_terms(a), _title_terms(b)
    only_a, only_b = ta - tb, tb - ta
    # one term in the other's place: a title of one term each, or of two with one in common; longer or
    # otherwise different titles describe a subject in other words ("Testing Standards" / "Integration
    # Testing", "When presenting solutions" / "Your Communication Style")
    if len(only_a) != 1 or len(only_b) != 1 or len(ta) != len(tb) or len(ta) > 2:
        return False
    pa, pb = prior(next(iter(only_a))), prior(next(iter(only_b)))
    return max(pa, pb) >= TITLE_PRIOR and min(pa, pb) >= TITLE_FLOOR


TITLE_PRIOR = 0.4  # one of the two title terms at least this specific, the other at least TITLE_FLOOR
TITLE_FLOOR = 0.2
# Titles of sections that say when the agent is used, not what it does.
_TRIGGER = re.compile(r"\b(?:use|invoke|call|engage)\b.{0,20}\bwhen\b|\bwhen to (?:use|invoke|call)\b|\btriggers?\b",
                      re.IGNORECASE)


@lru_cache(maxsize=4096)
def _title_terms(title: str) -> frozenset[str]:
    """A title's words, lemmatised but not folded: "Integration Testing" holds "Testing"'s word."""
    data = terms_data()
    return frozenset(w for w in (lemma(t) for t in tokens(title) if not t[:1].isdigit())
                     if w not in data.stop and w not in data.low)


def _match(units: Sequence[Unit], th: Thresholds, titles: dict[int, str]) -> Matching:
    norms: dict[int, Normalised] = {}
    by_uid = {u.uid: u for u in units}
    # Exact copies (after folding markers, emphasis and whitespace) collapse without scoring.
    exact: dict[tuple[bool, str], list[int]] = defaultdict(list)
    known: dict[str, Normalised] = {}  # unit text -> its normalisation: copies are read once
    for u in units:
        if u.kind in _AS_TEXT:
            norm = norms[u.uid] = normalise(u.text, u.kind, u.read)
            key = norm.folded
        else:
            key = plain(u.text)
            norm = known.get(u.text)
            if norm is None:
                norm = known[u.text] = normalise(u.text, u.kind, u.read)
            norms[u.uid] = norm
        if key:
            exact[(u.kind in _AS_TEXT, key)].append(u.uid)
    weights = weights_of([n for n in norms.values() if not n.code])
    classes = [uids for uids in exact.values()]
    # The titles each exact class stands under: exact copies say one thing, so a unit that one copy
    # carries in its scope is carried by all of them, whichever copy is the class's representative
    scopes: dict[int, frozenset[str]] = {}
    longest: dict[int, int] = {}
    for uids in classes:  # once per class, shared by its members: linear however many copies
        scope = frozenset(titles.get(c, "") for c in uids)
        most = max(len(by_uid[c].text) for c in uids)
        for uid in uids:
            scopes[uid] = scope
            longest[uid] = most
    pairs: list[Pair] = []
    for uids in classes:
        for other in uids[1:]:
            pairs.append(Pair(uids[0], other, DUPLICATE, 1.0))
    reps = sorted(uids[0] for uids in classes)
    words = {u: frozenset(norms[u].tokens) for u in reps if not norms[u].code}
    mass = {u: _weight(s, weights) for u, s in words.items()}

    introducing = lead_ins(units)

    def verify(a: int, b: int) -> Pair | None:
        x, y = norms[a], norms[b]
        if x.code:
            relation, carrier = relate(x, y, weights, th)
        else:
            relation, carrier = _relate_words(x, y, words[a], words[b], mass[a], mass[b], weights, th)
        if relation is None:
            return None
        if relation == DUPLICATE and words.get(a) == words.get(b) and x.numbers == y.numbers:
            # same words: the longer wording is the more complete one, whichever was read first (a class of
            # exact copies is as long as its longest copy: `- [ ] x` is `- x` with a box)
            la, lb = longest.get(a, len(by_uid[a].text)), longest.get(b, len(by_uid[b].text))
            carrier = 1 if lb > la else 0 if la > lb else carrier
        first, second = (a, b) if carrier == 0 else (b, a)
        if _apart(scopes.get(a, frozenset([titles.get(a, "")])), scopes.get(b, frozenset([titles.get(b, "")]))):
            return None  # the same words under headings that scope them differently
        if relation == DUPLICATE and (not _may_drop(by_uid[first], by_uid[second], introducing, titles,
                                                    scopes.get(first), scopes.get(second))
                                      or _entry_elsewhere(by_uid[second], norms[second], norms[first],
                                                          titles.get(second, ""), titles.get(first, ""))):
            relation = RELATED  # a lead-in, or a step of its own file's procedure: kept, next to its carrier
        return Pair(first, second, relation, _score(norms[first], norms[second]))

    text = [u for u in reps if not norms[u].code and norms[u].tokens]
    code = [u for u in reps if norms[u].code and norms[u].folded]
    similar: list[tuple[int, int, float]] = []
    rep_edges: list[tuple[int, int, float]] = []
    class_edges: list[tuple[int, int, float]] = []
    blocked_text = len(text) > FULL_MATRIX_LIMIT
    if blocked_text:
        # Units with the same words, polarity, numbers and contrasts are copies of each other: they
        # collapse as one class, like exact copies, and only one of them is scored.
        # candidates hold every term of the smaller unit (posting-list intersections, linear); a
        # paraphrase with absent common words is not searched for in so large an input
        classes, text_pairs, class_edges, text_similar = _match_blocked(text, classes, norms, words, mass, weights,
                                                                        by_uid, verify, replace(th, missing=0.0))
    for group, scorer, cutoff in ((text, fuzz.token_set_ratio, th.candidate), (code, fuzz.ratio, th.code_related)):
        if group is text and blocked_text:
            pairs.extend(text_pairs)
            similar.extend(text_similar)
            continue
        strings = [norms[u].folded for u in group]
        if len(group) <= FULL_MATRIX_LIMIT:
            found = _candidates(group, strings, scorer, cutoff)
        else:
            found = _fuzzy_blocked(group, strings, [frozenset(s.split()) for s in strings], scorer, cutoff,
                                   [-1] * len(group))
        similar.extend(found)
        for a, b, _s in found:
            pair = verify(a, b)
            if pair is not None:
                pairs.append(pair)
                if pair.relation == DUPLICATE:
                    rep_edges.append((pair.a, pair.b, pair.score))
    copy_of = {uid: uids[0] for uids in exact.values() for uid in uids} if blocked_text else None
    groups, dropped = _groups(units, norms, weights, classes, rep_edges, class_edges, copy_of, mass)
    counted: set[int] = set()  # steps kept for their input's count of copies
    proposed = {m.uid: g.kept for g in groups for m in g.members[1:]}  # the carrier each was given first
    groups, dropped, kept_apart = _explained(groups, by_uid, norms, words, mass, weights, th, titles,
                                             {uid: uids[0] for uids in classes for uid in uids}, counted)
    pairs.extend(kept_apart)
    groups = _other_carriers(groups, dropped, pairs, norms, by_uid, words, mass, weights, th, introducing, titles,
                             proposed)
    freed: dict[int, int] = {}
    groups = _carried_by_blocks(units, norms, groups, dropped, pairs, weights, freed)
    return Matching(norms=norms, weights=weights, pairs=pairs, groups=groups, dropped=dropped, similar=similar,
                    freed=freed)


def _other_carriers(groups: list[Group], dropped: dict[int, int], pairs: Sequence[Pair],
                    norms: dict[int, Normalised], by_uid: dict[int, Unit], words, mass, weights, th,
                    introducing: frozenset[int], titles: dict[int, str], proposed: dict[int, int]) -> list[Group]:
    """A unit that its group's carrier may not take (another scope, a step of the carrier's own procedure)
    goes to another unit that stays and carries it in other words, if one does: a verified duplicate pair
    that passed the same checks, with a carrier other than the one that held it back (`proposed`). The most
    complete such carrier takes it. An exact copy held apart stays (a procedure keeps as many copies of a
    step as any one input has). Updates `dropped`; returns the groups."""
    kept = {g.kept for g in groups}
    offers: dict[int, list[Pair]] = defaultdict(list)
    for p in pairs:
        if (p.relation == DUPLICATE and p.b not in dropped and p.b not in kept and p.a not in dropped
                and proposed.get(p.b) != p.a and plain(by_uid[p.a].text) != plain(by_uid[p.b].text)
                and _may_drop(by_uid[p.a], by_uid[p.b], introducing, titles)):
            offers[p.b].append(p)
    if not offers:
        return groups
    joined: dict[int, list[Member]] = defaultdict(list)
    for uid in sorted(offers):
        if uid in joined or uid in dropped:
            continue  # it carries others now
        best = min(offers[uid], key=lambda p: (-len(norms[p.a].tokens), -len(by_uid[p.a].text), p.a))
        if best.a in dropped:
            continue
        why = _why(by_uid[best.a], by_uid[uid], norms, words, mass, weights, th)
        joined[best.a].append(Member(uid, best.score, why))
        dropped[uid] = best.a
    out = _with_members(groups, joined)
    out.sort(key=lambda g: min(m.uid for m in g.members))
    return out


def _carriers_of(pairs: Sequence[Pair]) -> dict[int, dict[int, Pair]]:
    """Carried uid -> carrier uid -> the verified duplicate pair, from `match`'s pairs."""
    carriers: dict[int, dict[int, Pair]] = defaultdict(dict)
    for p in pairs:
        if p.relation == DUPLICATE:
            carriers[p.b].setdefault(p.a, p)
    return carriers


def _with_members(groups: list[Group], joined: dict[int, list[Member]]) -> list[Group]:
    """The duplicate groups with `joined` (carrier -> members to add) added: to the carrier's group if it has
    one, else as a new group it keeps. Members stay in uid order after the kept unit."""
    joined = dict(joined)
    out = []
    for g in groups:
        if g.kind == DUPLICATE and g.kept in joined:
            g = replace(g, members=(g.members[0], *sorted((*g.members[1:], *joined.pop(g.kept)), key=lambda m: m.uid)))
        out.append(g)
    out += [Group("", DUPLICATE, carrier, (Member(carrier, 1.0), *sorted(ms, key=lambda m: m.uid)))
            for carrier, ms in joined.items()]
    return out


def _carried_by_blocks(units: Sequence[Unit], norms: dict[int, Normalised], groups: list[Group],
                       dropped: dict[int, int], pairs: Sequence[Pair], weights: dict[str, float],
                       freed_from: dict[int, int]) -> list[Group]:
    """A unit that is, word for word, what one side of an unresolved conflict block says is carried by the
    block (merging a `--on-conflict mark` output with one of its inputs brings no side back next to its
    block). With it go the duplicates it carried. Updates `dropped`; returns the groups."""
    blocks = [u for u in units if u.kind == CONFLICT]
    if not blocks:
        return groups
    from . import markers
    from .split import blocks_of

    said: dict[tuple[bool, str], int] = {}  # what a block side says (as an exact-copy key) -> the block
    for b in blocks:
        for block in markers.blocks(b.text):
            for side in block["sides"]:
                lines = side.split("\n")
                for piece in blocks_of(lines):
                    if piece.kind in ("heading", "rule", CONFLICT):
                        continue
                    text = "\n".join(lines[piece.start:piece.end])
                    as_text = piece.kind in _AS_TEXT
                    key = normalise(text, piece.kind).folded if as_text else plain(text)
                    if key:
                        said.setdefault((as_text, key), b.uid)
    if not said:
        return groups
    group_of = {g.kept: g for g in groups if g.kind == DUPLICATE}
    by_uid = {u.uid: u for u in units}
    joined: dict[int, list[Member]] = defaultdict(list)
    gone: set[int] = set()
    freed: list[int] = []
    for u in units:
        if u.kind == CONFLICT or u.uid in dropped:
            continue
        as_text = u.kind in _AS_TEXT
        block = said.get((as_text, norms[u.uid].folded if as_text else plain(u.text)))
        if block is None:
            continue
        why = "what one side of an unresolved conflict block says"
        joined[block].append(Member(u.uid, 1.0, why))
        dropped[u.uid] = block
        carried = group_of.get(u.uid)
        if carried is not None:
            # its exact copies go with it; what it carried in other words stands on its own, as what a side
            # standing in a block carries does when the block is written (resolving it may delete the side)
            gone.add(u.uid)
            for m in carried.members[1:]:
                if plain(by_uid[m.uid].text) == plain(u.text):
                    joined[block].append(Member(m.uid, m.score, why))
                    dropped[m.uid] = block
                else:
                    freed.append(m.uid)
                    freed_from[m.uid] = u.uid
    out = [g for g in groups if g.kept not in gone]
    if freed:
        out = _regrouped(freed, _carriers_of(pairs), by_uid, norms, weights, DEFAULT, dropped, out)
    out = _with_members(out, joined)
    out.sort(key=lambda g: min(m.uid for m in g.members))
    return out


def _apart(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether every title of `a` scopes its units differently from every title of `b`."""
    return all(other_context(x, y) for x in sorted(a) for y in sorted(b))


def _may_drop(kept: Unit, unit: Unit, introducing: frozenset[int], titles: dict[int, str],
              kept_scope: frozenset[str] | None = None, unit_scope: frozenset[str] | None = None) -> bool:
    """Whether `unit` may leave the output as a duplicate of `kept`: not a lead-in (except into another
    input's lead-in, which introduces the same list), nothing but a lead-in or a copy into a lead-in, not a
    quotation into a rule or a rule into a quotation (`normalize.quotation`), not a procedure step or
    checklist item carried by another unit of its own file (the procedure would lose a step), not a unit whose section title scopes
    it differently (`other_context`) from every title `kept` stands under (`kept_scope`: its own and its
    exact copies'; `unit_scope` likewise)."""
    if unit.uid in introducing and (kept.uid not in introducing or unit.source == kept.source):
        return False
    if kept.uid in introducing and unit.uid not in introducing and plain(kept.text) != plain(unit.text):
        return False  # a lead-in only introduces its list: it carries no rule of its own, only its copies
    if quotation(kept.text) != quotation(unit.text):
        return False  # a quoted request or message is an example, not the rule it resembles
    if _apart(kept_scope or frozenset([titles.get(kept.uid, "")]), unit_scope or frozenset([titles.get(unit.uid, "")])):
        return False
    return not (_step(unit) and unit.source == kept.source)


def _entry_elsewhere(unit: Unit, n: Normalised, kept: Normalised, title: str, kept_title: str) -> bool:
    """A list entry of a few words and no verb ("Severe performance regressions", "Logic errors and edge
    cases") means what its heading makes of it ("Critical issues (must fix)", "Suggestions"): carried by a
    longer unit that names none of its heading's words, in its text or its own heading, it would lose
    that. It is related to it instead."""
    if (unit.kind != ITEM or "\n" in unit.text or n.verbs or n.head or n.capability or len(set(n.tokens)) > 3
            or _CHECKBOX.match(unit.text)):
        return False
    said = plain(unit.text).split()
    if len(said) > 5 or said[0] in terms_data().imperatives:
        return False  # a sentence or an instruction ("Use async sessions"), not an entry
    if len(set(kept.tokens)) <= len(set(n.tokens)):
        return False  # another entry as short: the same entry
    own = _title_terms(title)
    return bool(own) and not own & (_title_terms(kept_title) | set(kept.tokens))


def _step(unit: Unit) -> bool:
    """A step of a numbered procedure or a checklist item: it never leaves its own file's list."""
    return unit.kind == ITEM and (unit.marker[:1].isdigit() or _CHECKBOX.match(unit.text) is not None)


def lead_ins(units: Sequence[Unit]) -> frozenset[int]:
    """Paragraphs that end with `:` right before a list item of their section: each introduces its list,
    and is never dropped (the lists before and after it would run into one)."""
    by_uid = {u.uid: u for u in units}
    found = set()
    for u in units:
        if u.kind != PARAGRAPH or not ends_with_colon(unlabelled(u.text)):
            continue
        after = by_uid.get(u.uid + 1)
        if after is not None and after.kind == ITEM and after.source == u.source and after.section == u.section:
            found.add(u.uid)
    return frozenset(found)


def _explained(groups: list[Group], by_uid: dict[int, Unit], norms: dict[int, Normalised],
               words: dict[int, frozenset[str]], mass: dict[int, float], weights: dict[str, float],
               th: Thresholds, titles: dict[int, str],
               copy_of: dict[int, int], held_for_count: set[int] | None = None) -> tuple[list[Group], dict[int, int], list[Pair]]:
    """Each dropped member with the reason its carrier carries it. Members that may not be dropped there
    stay, as `related` pairs of their carrier: a lead-in, unless into another input's lead-in (which
    introduces the same list), and a procedure step or checklist item carried by another unit of its own
    file (the procedure would lose a step). An exact copy of the carrier is scoped by the carrier's title;
    any other member by the titles of the carrier and of its exact copies in the group (what one copy
    carries, every copy carries)."""
    introducing = lead_ins(list(by_uid.values()))
    out: list[Group] = []
    dropped: dict[int, int] = {}
    apart: list[Pair] = []
    counted = held_for_count if held_for_count is not None else set()
    for g in groups:
        kept = by_uid[g.kept]
        members = [g.members[0]]
        own = copy_of.get(g.kept, g.kept)
        scope = frozenset(titles.get(m.uid, "") for m in g.members if copy_of.get(m.uid, m.uid) == own)
        copy = lambda uid: copy_of.get(uid, uid)  # noqa: E731
        # a step never leaves its own file's list for the carrier's text, wherever that text stands: not
        # into a carrier of which its own file holds an exact copy either (else which input leads decides)
        own_sources = {by_uid[m.uid].source for m in g.members if copy(m.uid) == own}
        droppable = {m.uid: _may_drop(kept, by_uid[m.uid], introducing, titles, None if copy(m.uid) == own else scope)
                     and not (copy(m.uid) != own and _step(by_uid[m.uid]) and by_uid[m.uid].source in own_sources)
                     for m in g.members[1:]}
        # a procedure never loses a step: the group keeps as many units as any one input has steps in it
        for source in sorted({by_uid[m.uid].source for m in g.members}):
            steps = [m.uid for m in g.members if by_uid[m.uid].source == source and _step(by_uid[m.uid])]
            leaving = [uid for uid in steps if droppable.get(uid)]
            # the copies that stay for the count are the ones least like the carrier: an exact copy of it
            # leaves first, whichever input leads
            leaving.sort(key=lambda uid: plain(by_uid[uid].text) != plain(kept.text))
            while leaving and len(steps) > 1 + sum(not d for d in droppable.values()):
                counted.add(leaving[-1])
                droppable[leaving.pop()] = False
        # Copies kept apart from the carrier are still copies of each other: the first of them that may
        # carry one does (`a.md a.md` equals `a.md`). A member whose exact copy stays in the output goes
        # with that copy, whichever unit of the group the carrier is.
        held: list[list[Member]] = []

        def copy_held(m: Member, unit: Unit) -> list[Member] | None:
            """The first held copy of `m` that may carry it."""
            return next((h for h in held if copy(h[0].uid) == copy(m.uid)
                         and _may_drop(by_uid[h[0].uid], unit, introducing, titles)), None)

        def join(home: list[Member], m: Member, unit: Unit) -> None:
            home.append(replace(m, why=_why(by_uid[home[0].uid], unit, norms, words, mass, weights, th)))
            dropped[m.uid] = home[0].uid

        for m in g.members[1:]:
            if droppable[m.uid]:
                continue
            unit = by_uid[m.uid]
            # a step kept for its input's count of copies stands on its own, not in another held copy
            home = None if m.uid in counted else copy_held(m, unit)
            if home is not None:
                join(home, m, unit)
                continue
            held.append([Member(m.uid, 1.0)])
            if not other_context(titles.get(g.kept, ""), titles.get(m.uid, "")):
                apart.append(Pair(g.kept, m.uid, RELATED, m.score))
        # an input's k-th copy of a step goes with the k-th copy the output keeps, whichever input leads
        position: dict[int, int] = defaultdict(int)
        for m in g.members[1:]:
            if not droppable[m.uid]:
                continue
            unit = by_uid[m.uid]
            if copy(m.uid) == own:
                home = None
                if _step(unit):
                    homes = [None] + [h for h in held if copy(h[0].uid) == own and _step(by_uid[h[0].uid])
                                      and _may_drop(by_uid[h[0].uid], unit, introducing, titles)]
                    home = homes[position[unit.source] % len(homes)]
                    position[unit.source] += 1
            else:
                home = copy_held(m, unit)
            if home is not None:
                join(home, m, unit)
                continue
            members.append(replace(m, why=_why(kept, unit, norms, words, mass, weights, th)))
            dropped[m.uid] = g.kept
        if len(members) > 1:
            out.append(replace(g, members=tuple(members)))
        out.extend(replace(g, kept=h[0].uid, members=(h[0], *sorted(h[1:], key=lambda m: m.uid))) for h in held if len(h) > 1)
    return out, dropped, apart


def rehomed(matching: Matching, units: dict[int, Unit], leaving: set[int], th: Thresholds = DEFAULT,
            left: set[int] | None = None) -> Matching | None:
    """The matching without dropping anything into a unit that leaves the output or may (`leaving`: it lost a
    conflict, or stands in a conflict block), or None if no duplicate is carried by one. Such a unit's
    duplicates do not go with it: they said only part of what it said, maybe not the part in conflict. Each
    stays, unless a unit that stays carries it (a verified duplicate pair; the most complete carrier
    first), and none in `left` (units that left in an earlier reading: they may again). Its exact copies,
    and members in `leaving` themselves, stay in its group: they say what lost, and read again they would
    lose the same way."""
    norms = matching.norms

    def same(a: int, b: int) -> bool:
        """An exact copy: read again on its own, it takes the side the other took (a paraphrase may not)."""
        return plain(units[a].text) == plain(units[b].text)

    orphaned = [g for g in matching.groups if g.kind == DUPLICATE and g.kept in leaving
                and any(m.uid not in leaving and not same(g.kept, m.uid) for m in g.members[1:])]
    if not orphaned:
        return None
    dropped = dict(matching.dropped)
    freed = dict(matching.freed)
    groups = [g for g in matching.groups if g not in orphaned]
    free: list[int] = []
    for g in orphaned:
        stays = [m for m in g.members[1:] if m.uid in leaving or same(g.kept, m.uid)]
        if stays:
            groups.append(replace(g, members=(g.members[0], *stays)))
        for m in g.members[1:]:
            if m not in stays:
                free.append(m.uid)
                freed[m.uid] = g.kept
    groups = _regrouped(free, _carriers_of(matching.pairs), units, norms, matching.weights, th, dropped, groups,
                        leaving if left is None else leaving | left)
    groups.sort(key=lambda g: min(m.uid for m in g.members))
    return replace(matching, groups=groups, dropped=dropped, freed=freed)


def restored(matching: Matching, units: dict[int, Unit], leaving: set[int]) -> Matching:
    """`rehomed` undone where it need not have been: a unit freed from a carrier that stays in the output
    after all (read again without it, the carrier's side won or lost nothing) goes back into that carrier,
    unless it leaves itself, carries others, or stands in a block. Merged again, the two would be one."""
    if not matching.freed:
        return matching
    kept = {g.kept for g in matching.groups}
    back: dict[int, list[int]] = defaultdict(list)
    for uid, carrier in sorted(matching.freed.items()):
        if (carrier not in leaving and carrier not in matching.dropped and uid not in leaving
                and uid not in matching.dropped and uid not in kept):
            back[carrier].append(uid)
    if not back:
        return matching
    norms, weights = matching.norms, matching.weights
    dropped = dict(matching.dropped)
    freed = {u: c for u, c in matching.freed.items() if u not in dropped}
    joined: dict[int, list[Member]] = {}
    for carrier, uids in back.items():
        joined[carrier] = [Member(u, _score(norms[carrier], norms[u]),
                                  _why(units[carrier], units[u], norms, {}, {}, weights, DEFAULT)) for u in uids]
        for u in uids:
            dropped[u] = carrier
            del freed[u]
    groups = _with_members(matching.groups, joined)
    groups.sort(key=lambda g: min(m.uid for m in g.members))
    return replace(matching, groups=groups, dropped=dropped, freed=freed)


def _regrouped(free: Sequence[int], carriers: dict[int, dict[int, Pair]], units, norms: dict[int, Normalised],
               weights: dict[str, float], th: Thresholds, dropped: dict[int, int], groups: list[Group],
               leaving: set[int] = frozenset()) -> list[Group]:
    """Units freed from their carrier, placed again: each stays unless a unit that stays carries it (a
    verified duplicate pair), the most complete carrier first; a freed unit carries others once it stands.
    A unit outside the freed ones carries one only in other words: an exact copy that stands apart was held
    apart for a reason (its title, a step of its own procedure). Updates `dropped`; returns the groups."""
    completeness = lambda uid: (-len(norms[uid].tokens), -len(units[uid].text), uid)  # noqa: E731
    pending = set(free)
    for uid in free:
        dropped.pop(uid, None)
    joined: dict[int, list[Member]] = defaultdict(list)
    for uid in sorted(free, key=completeness):
        pending.discard(uid)
        options = [c for c in carriers.get(uid, {})
                   if c != uid and c not in leaving and c not in dropped and c not in pending
                   and (c in free or plain(units[c].text) != plain(units[uid].text))]
        if not options:
            continue
        carrier = min(options, key=completeness)
        why = _why(units[carrier], units[uid], norms, {}, {}, weights, th)  # (it reads their words itself)
        joined[carrier].append(Member(uid, carriers[uid][carrier].score, why))
        dropped[uid] = carrier
    return _with_members(groups, joined)


def _why(kept: Unit, unit: Unit, norms: dict[int, Normalised], words: dict[int, frozenset[str]],
         mass: dict[int, float], weights: dict[str, float], th: Thresholds) -> str:
    x, y = norms[kept.uid], norms[unit.uid]
    if x.code:
        return "the same code, whitespace aside"
    if plain(kept.text) == plain(unit.text):
        return "an exact copy, markers and emphasis aside"
    sx, sy = words.get(kept.uid) or frozenset(x.tokens), words.get(unit.uid) or frozenset(y.tokens)
    if sx == sy and x.counts == y.counts and x.negated == y.negated:
        return "the same terms"
    wx = mass.get(kept.uid, _weight(sx, weights))
    wy = mass.get(unit.uid, _weight(sy, weights))
    relation, _carrier, why = _decide(x, y, sx, sy, wx, wy, weights, th)
    if relation == DUPLICATE and why:
        return why
    return "the same terms as a unit it carries"


def _score(x: Normalised, y: Normalised) -> float:
    if x.code:
        return round(fuzz.ratio(x.folded, y.folded) / 100, 2)
    return round(fuzz.token_sort_ratio(x.folded, y.folded) / 100, 2)


# Caps of the blocked path (inputs above FULL_MATRIX_LIMIT). Precision before recall: a unit meets a
# bounded number of others, so a duplicate may be missed (it costs tokens), but every pair that is
# reported was verified as in the full path.
CARRIERS = 16  # supersets of a unit's words looked at, the heaviest first (the ones a group would keep)
PARTNERS = 8  # per unit, same-words units with other numbers or polarity looked at
ALL_PAIRS = 64  # two word classes with at most this many signature pairs are paired exhaustively
RELATED_PER_UNIT = 8  # best-scoring look-alikes in other inputs looked at per unit


def _signature(n: Normalised) -> tuple:
    """What `relate` looks at besides a unit's word set: two units with the same word set and the same
    signature are duplicates of each other, and `relate` gives both the same relation to any other unit.
    (Only compared for equality: classes are numbered in uid order, whatever the hash of their keys.)"""
    return (n.negated, n.numbers, n.contrasts)


def _match_blocked(text: list[int], classes: list[list[int]], norms: dict[int, Normalised],
                   words: dict[int, frozenset[str]], mass: dict[int, float], weights: dict[str, float],
                   by_uid: dict[int, Unit], verify, th: Thresholds):
    """Candidates for an input too big for the full matrix, without looking at every pair.

    Units are grouped twice. A *signature class* holds the units with the same word set and signature:
    they carry each other, so they collapse like exact copies and one member stands for the class. A
    *word class* holds the signature classes with one word set. Then:

    - duplicates and polarity pairs need one unit to hold every content word of the other (`missing` 0)
      and to be at most `size_ratio` times bigger, so a word class meets the word classes that contain all
      its words (found among the first FULL_MATRIX_LIMIT holding its rarest word, by intersecting the
      words' posting sets) and are small enough: the heaviest CARRIERS of them;
    - inside a word class, and between a word class and a carrier, signature classes meet those with
      the same numbers and those whose numbers include theirs (PARTNERS each), or every pair when few;
    - `related` pairs and the softer `similar` signal are only used between different inputs (section
      alignment and placement), so they are searched only when there are several: each word class is
      compared with the word classes of other inputs that hold its rarest word (`_overlapping`), and the
      best RELATED_PER_UNIT by weighted Jaccard that score `candidate` are verified.

    Returns the classes for `_groups` (signature classes with their exact copies, and every other exact
    class), the verified pairs, the duplicate edges between signature classes, and the similar pairs.
    """
    class_of_rep = {uids[0]: uids for uids in classes}
    sig_index: dict[tuple, int] = {}
    sig_members: list[list[int]] = []  # exact representatives, ascending
    for u in text:
        key = (words[u], _signature(norms[u]))
        k = sig_index.setdefault(key, len(sig_members))
        if k == len(sig_members):
            sig_members.append([])
        sig_members[k].append(u)
    sig_rep = [m[0] for m in sig_members]
    word_index: dict[frozenset[str], int] = {}
    word_sigs: list[list[int]] = []  # signature classes of each word class, ascending
    for k, rep in enumerate(sig_rep):
        w = word_index.setdefault(words[rep], len(word_sigs))
        if w == len(word_sigs):
            word_sigs.append([])
        word_sigs[w].append(k)
    word_rep = [sig_rep[s[0]] for s in word_sigs]
    word_mass = [mass[u] for u in word_rep]

    sig_pairs: set[tuple[int, int]] = set()
    indexes: dict[int, tuple] = {}
    similar: list[tuple[int, int, float]] = []
    postings: dict[str, list[int]] = defaultdict(list)
    for w, rep in enumerate(word_rep):
        for t in words[rep]:
            postings[t].append(w)
    posting_sets: dict[str, set[int]] = {}
    rarity = {t: (len(ws), t) for t, ws in postings.items()}

    def posting_set(t: str) -> set[int]:
        found = posting_sets.get(t)
        if found is None:
            found = posting_sets[t] = set(postings[t])
        return found

    for sigs in word_sigs:
        if len(sigs) > 1:
            _pair_signatures(sigs, sigs, norms, sig_rep, sig_pairs, True, indexes)
    # Word classes by their two rarest words, so that those with the same two (made of common words,
    # the costly ones) share one intersection of those words' postings.
    todo: list[tuple[str, str, int, list[str]]] = []
    for w, rep in enumerate(word_rep):
        if len(words[rep]) < th.min_words:
            continue
        by_rarity = sorted(words[rep], key=rarity.__getitem__)
        if th.missing <= 0 and len(postings[by_rarity[0]]) == 1:
            continue  # no other word class holds its rarest word
        todo.append((by_rarity[0], by_rarity[1] if len(by_rarity) > 1 else "", w, by_rarity))
    todo.sort()
    last: tuple[tuple[str, str], set[int]] = (("", ""), set())
    for first_word, second_word, w, by_rarity in todo:
        rep = word_rep[w]
        small = words[rep]
        if th.missing <= 0:
            # every word of the smaller unit in the larger: the word classes holding all its words, found
            # from the rarest word's postings (the first FULL_MATRIX_LIMIT of them)
            if last[0] != (first_word, second_word):
                first = postings[first_word]
                if len(first) > FULL_MATRIX_LIMIT or not second_word:
                    both = set(first[:FULL_MATRIX_LIMIT])
                    if second_word:
                        both &= posting_set(second_word)
                else:
                    both = posting_set(first_word) & posting_set(second_word)
                last = ((first_word, second_word), both)
            found = last[1].intersection(*(posting_set(t) for t in by_rarity[2:]))
        else:
            # a share `missing` of its weight may be absent from the larger: a larger unit lacking all of
            # the rarest words that weigh more than that share cannot carry it
            found = set()
            lacking = 0.0
            for t in by_rarity:
                found.update(postings[t][:FULL_MATRIX_LIMIT])
                lacking += weights.get(t, 1.0)
                if lacking > th.missing * mass[rep] * (1 + 1e-9):
                    break
            found = {c for c in found if word_mass[c] >= word_mass[w]
                     and _weight(small - words[word_rep[c]], weights) <= th.missing * mass[rep] * (1 + 1e-9)}
        found.discard(w)
        if not found:
            continue
        most = th.size_ratio * len(small)
        carriers = sorted((c for c in found if len(words[word_rep[c]]) <= most),
                          key=lambda c: (-word_mass[c], c))[:CARRIERS]
        for c in carriers:
            similar.append((min(rep, word_rep[c]), max(rep, word_rep[c]), 100.0))
            _pair_signatures(word_sigs[w], word_sigs[c], norms, sig_rep, sig_pairs, False, indexes)

    if len({by_uid[uid].source for rep in text for uid in class_of_rep[rep]}) > 1:
        sources = {u: frozenset(by_uid[c].source for c in class_of_rep[u]) for u in text}
        word_reps = [sorted(m for s in sigs for m in sig_members[s]) for sigs in word_sigs]
        only: list[int] = []  # the single input of each word class, or -1 when its units come from several
        for reps in word_reps:
            found_sources = frozenset().union(*(sources[m] for m in reps))
            only.append(next(iter(found_sources)) if len(found_sources) == 1 else -1)
        sig_of = {m: k for k, members in enumerate(sig_members) for m in members}
        for a, b in _overlapping([words[u] for u in word_rep], word_mass, weights, postings, only, th.related):
            chosen = _across(word_reps[a], word_reps[b], only[a], only[b], sources)
            if chosen is None:
                continue
            ua, ub = chosen
            # the full path only looks at pairs scoring `candidate` or more
            score = float(fuzz.token_set_ratio(norms[ua].folded, norms[ub].folded))
            if score < th.candidate:
                continue
            similar.append((min(ua, ub), max(ua, ub), score))
            sa, sb = sig_of[ua], sig_of[ub]
            sig_pairs.add((min(sa, sb), max(sa, sb)))

    pairs: list[Pair] = []
    edges: list[tuple[int, int, float]] = []
    sig_of_rep = {rep: k for k, rep in enumerate(sig_rep)}
    for k, members in enumerate(sig_members):
        for other in members[1:]:
            pairs.append(Pair(members[0], other, DUPLICATE, _score(norms[members[0]], norms[other])))
    for s, t in sorted(sig_pairs):
        pair = verify(sig_rep[s], sig_rep[t])
        if pair is not None:
            pairs.append(pair)
            if pair.relation == DUPLICATE:
                edges.append((sig_of_rep[pair.a], sig_of_rep[pair.b], pair.score))
    # _groups classes: the signature classes with all their exact copies, then every other exact class
    merged = [class_of_rep[members[0]] if len(members) == 1 else sorted(uid for m in members for uid in class_of_rep[m])
              for members in sig_members]
    in_text = set(text)
    rest = [uids for uids in classes if uids[0] not in in_text]
    similar = sorted(set(similar))
    return merged + rest, pairs, edges, similar


def _across(reps_a: list[int], reps_b: list[int], only_a: int, only_b: int,
            sources: dict[int, frozenset[int]]) -> tuple[int, int] | None:
    """An exact representative of each of two word classes (`only_*`: the class's single input, or -1)
    such that their units come from more than one input, the first in uid order; None if there is none."""
    if only_b >= 0:
        x = next((x for x in reps_a if sources[x] != {only_b}), None)
        return None if x is None else (x, reps_b[0])
    if only_a >= 0:
        y = next((y for y in reps_b if sources[y] != {only_a}), None)
        return None if y is None else (reps_a[0], y)
    x = reps_a[0]
    y = next((y for y in reps_b if len(sources[x] | sources[y]) > 1), None)
    return None if y is None else (x, y)


def _pair_signatures(small: list[int], big: list[int], norms: dict[int, Normalised], sig_rep: list[int],
                     out: set[tuple[int, int]], same_words: bool, indexes: dict[int, tuple]) -> None:
    """Signature classes of two word classes (or of one, `same_words`) that `relate` should look at.

    With few of them, every pair. Otherwise a class meets the classes of the other side with exactly its
    numbers (the same rule with the other polarity or order, or a duplicate) and those whose numbers
    include its own (which carry it), PARTNERS of each, in order; a class without numbers meets the
    first PARTNERS classes of the other side. Rules with the same words but other numbers and nothing
    in common are left apart (`relate` calls them `numbers`, which nothing downstream acts on)."""
    if same_words:
        if len(small) * (len(small) - 1) // 2 <= ALL_PAIRS:
            for i, s in enumerate(small):
                for t in small[i + 1 :]:
                    out.add((s, t))
            return
    elif len(small) * len(big) <= ALL_PAIRS:
        for s in small:
            for t in big:
                out.add((min(s, t), max(s, t)))
        return
    index = indexes.get(big[0])  # a word class's index is built once, however many classes it carries
    if index is None:
        exactly: dict[frozenset[str], list[int]] = defaultdict(list)
        holding: dict[str, list[int]] = defaultdict(list)
        for t in big:
            numbers = norms[sig_rep[t]].numbers
            exactly[numbers].append(t)
            for n in sorted(numbers):
                holding[n].append(t)
        index = indexes[big[0]] = (exactly, holding)
    exactly, holding = index
    for s in small:
        numbers = norms[sig_rep[s]].numbers
        met = list(islice((t for t in exactly.get(numbers, ()) if t != s), PARTNERS))
        if numbers:
            rarest = min(sorted(numbers), key=lambda n: len(holding.get(n, ())))
            holders = islice(holding.get(rarest, ()), FULL_MATRIX_LIMIT)
            met += islice((t for t in holders if t != s and norms[sig_rep[t]].numbers > numbers), PARTNERS)
        else:
            met += islice((t for t in big if t != s), PARTNERS)
        for t in met:
            out.add((min(s, t), max(s, t)))


def _rarest_word_blocks(token_sets: Sequence[frozenset[str]], postings: dict[str, list[int]],
                        only: list[int]) -> Iterator[tuple[list[int], list[int]]]:
    """The blocked path's batches: units grouped by their rarest word (ties: the first word) and their
    single input (`only[i]`, -1 for several), each group with the units it meets: the first
    FULL_MATRIX_LIMIT holding that word, less those of the group's own single input. Groups in word order;
    a group meeting no unit is left out."""
    by_block: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, tokens in enumerate(token_sets):
        if tokens:
            rarest = min(tokens, key=lambda t: (len(postings[t]), t))
            by_block[(rarest, only[i])].append(i)
    for (rarest, source), queries in sorted(by_block.items()):
        block = [j for j in postings[rarest][:FULL_MATRIX_LIMIT] if source < 0 or only[j] != source]
        if block:
            yield queries, block


def _overlapping(tokens: list[frozenset[str]], mass: list[float], weights: dict[str, float],
                 postings: dict[str, list[int]], only: list[int], related: float) -> list[tuple[int, int]]:
    """Pairs of word classes from different inputs (`only[i]`: class i's single input, -1 for several)
    whose weighted Jaccard may reach `related`, the best RELATED_PER_UNIT per class, (i, j) with i < j.

    A class meets the classes of its `_rarest_word_blocks` batch. The weighted overlaps of
    a batch of classes with that block are matrix products (query word weights x block word incidence),
    in slices of a few MB, so no pair is looked at in Python; `relate` then decides on the few that pass."""
    import numpy  # only inputs above FULL_MATRIX_LIMIT get here

    vocabulary = {t: i for i, t in enumerate(sorted(postings))}
    word_weight = numpy.array([weights.get(t, 1.0) for t in sorted(postings)])
    starts = numpy.zeros(len(tokens) + 1, dtype=numpy.int64)
    numpy.cumsum([len(ts) for ts in tokens], out=starts[1:])
    flat = numpy.array([vocabulary[t] for ts in tokens for t in ts], dtype=numpy.int64)
    masses = numpy.array(mass)
    local = numpy.full(len(vocabulary), -1, dtype=numpy.int64)  # vocabulary id -> row of the current batch
    cells = 4_000_000  # most matrix cells computed at once

    def words_of(classes: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
        """The vocabulary ids of `classes`, one after the other, and the position of the class of each."""
        lengths = starts[classes + 1] - starts[classes]
        ends = numpy.cumsum(lengths)
        owner = numpy.repeat(numpy.arange(len(classes)), lengths)
        return flat[numpy.repeat(starts[classes] - ends + lengths, lengths) + numpy.arange(int(ends[-1]))], owner

    found: set[tuple[int, int]] = set()
    for queries, members in _rarest_word_blocks(tokens, postings, only):
        block = numpy.array(members, dtype=numpy.int64)
        block_words, column = words_of(block)
        bounds = numpy.searchsorted(column, numpy.arange(len(block) + 1))  # column c: block_words[bounds[c]:bounds[c+1]]
        block_vocabulary = numpy.unique(block_words)
        for first in range(0, len(queries), 256):
            batch = numpy.array(queries[first : first + 256], dtype=numpy.int64)
            batch_words, row_of = words_of(batch)
            rows = numpy.intersect1d(batch_words, block_vocabulary)
            local[rows] = numpy.arange(len(rows))
            query_weights = numpy.zeros((len(batch), len(rows)))
            at = local[batch_words]
            keep = at >= 0
            query_weights[row_of[keep], at[keep]] = word_weight[batch_words[keep]]
            best: list[tuple[float, int, int]] = []  # (-jaccard, batch row, block column)
            width = max(1, cells // max(len(rows), len(batch), 1))
            for c0 in range(0, len(block), width):
                c1 = min(c0 + width, len(block))
                lo, hi = int(bounds[c0]), int(bounds[c1])
                hit = local[block_words[lo:hi]]
                present = hit >= 0
                incidence = numpy.zeros((len(rows), c1 - c0))
                incidence[hit[present], column[lo:hi][present] - c0] = 1.0
                shared = query_weights @ incidence
                jaccard = shared / (masses[batch][:, None] + masses[block[c0:c1]][None, :] - shared)
                jaccard[batch[:, None] == block[None, c0:c1]] = 0.0
                take = min(RELATED_PER_UNIT, c1 - c0)
                # best first; a stable sort keeps ties in block order, so the choice is deterministic
                order = numpy.argsort(-jaccard, axis=1, kind="stable")[:, :take]
                values = numpy.take_along_axis(jaccard, order, axis=1)
                for r, k in zip(*numpy.nonzero(values >= related - 1e-9)):  # `relate` recomputes it exactly
                    best.append((-float(values[r, k]), int(r), c0 + int(order[r, k])))
            local[rows] = -1
            per_row: dict[int, int] = defaultdict(int)
            for _neg, r, c in sorted(best):
                if per_row[r] < RELATED_PER_UNIT:
                    per_row[r] += 1
                    a, b = int(batch[r]), int(block[c])
                    found.add((min(a, b), max(a, b)))
    return sorted(found)


def _fuzzy_blocked(group: list[int], strings: list[str], token_sets: list[frozenset[str]], scorer, cutoff: float,
                   only: list[int]) -> list[tuple[int, int, float]]:
    """Look-alike candidates for big inputs: each unit is scored, in one rapidfuzz batch per rarest word,
    against the (first FULL_MATRIX_LIMIT) units sharing its rarest word, and keeps its best
    RELATED_PER_UNIT. `only[i]` is unit i's single input (-1: several); two units of one single input
    are not paired. Returns (group[i], group[j], score) with group[i] < group[j]."""
    import numpy  # only big inputs get here; cdist's matrices are NumPy arrays anyway

    postings: dict[str, list[int]] = defaultdict(list)
    for i, tokens in enumerate(token_sets):
        for t in sorted(tokens):
            postings[t].append(i)
    found: set[tuple[int, int, float]] = set()
    for queries, block in _rarest_word_blocks(token_sets, postings, only):
        if len(block) == 1 and block == queries:
            continue
        scores = process.cdist([strings[i] for i in queries], [strings[j] for j in block], scorer=scorer,
                               score_cutoff=cutoff, workers=-1)
        # best first; a stable sort keeps ties in block order (ascending), so the choice is deterministic
        take = min(RELATED_PER_UNIT + 1, len(block))
        order = numpy.argsort(-scores, axis=1, kind="stable")[:, :take]
        for row, i in enumerate(queries):
            kept = 0
            for c in order[row].tolist():
                score = float(scores[row, c])
                j = block[c]
                if score <= 0 or kept == RELATED_PER_UNIT:
                    break
                if j == i:
                    continue
                kept += 1
                a, b = (group[i], group[j]) if group[i] < group[j] else (group[j], group[i])
                found.add((a, b, score))
    return sorted(found)


def _groups(units, norms, weights, classes: list[list[int]], rep_edges: Sequence[tuple[int, int, float]] = (),
            class_edges: Sequence[tuple[int, int, float]] = (),
            copy_of: dict[int, int] | None = None,
            mass: dict[int, float] | None = None) -> tuple[list[Group], dict[int, int]]:
    """Star-shaped duplicate groups: the most complete unit is kept and every dropped member is a direct
    duplicate of it (never a duplicate of a duplicate), so no chain can stretch a group across meanings.

    `classes` are units that carry each other (exact copies; in the blocked path, signature classes),
    first member the representative. A rep edge (a, b, score) says representative a carries b: then a
    carries b's whole class, and so do a's copies. A class edge (S, T, score) says every member of class
    S carries every member of class T. Carrying is kept per class, not per pair, so k copies cost O(k),
    not O(k^2): a carrier takes whatever is still unassigned in the classes it carries. `copy_of` maps a
    unit to its exact class's representative: members of one class that are not exact copies are scored.
    `mass`: word-set weights already known, by unit."""
    class_of: dict[int, int] = {}
    for k, members in enumerate(classes):
        for m in members:
            class_of[m] = k
    remaining = [set(members) for members in classes]
    whole: dict[int, list[tuple[int, float]]] = defaultdict(list)  # uid -> classes it carries whole
    from_copies: dict[int, list[tuple[int, float]]] = defaultdict(list)  # class -> classes its copies carry
    for a, b, score in rep_edges:
        whole[a].append((class_of[b], score))
        from_copies[class_of[a]].append((class_of[b], score))
    by_class: dict[int, list[tuple[int, float]]] = defaultdict(list)  # class -> classes its members carry
    for s, t, score in class_edges:
        by_class[s].append((t, score))

    # members of a class share their word set, so its weight is computed once
    known = mass or {}
    class_mass = [known[members[0]] if members[0] in known else _weight(set(norms[members[0]].tokens), weights)
                  for members in classes]

    def completeness(u: Unit) -> tuple:
        n = norms[u.uid]
        k = class_of.get(u.uid)
        weight = class_mass[k] if k is not None else _weight(set(n.tokens), weights)
        # with the same words, the unit stating more numbers is the one that carries (see `relate`)
        return (-weight, -len(n.numbers), -len(n.folded), -len(u.text), u.uid)
    assigned: dict[int, int] = {}
    members: dict[int, list[Member]] = {}

    def take(keeper: int, other: int, score: float) -> None:
        assigned[other] = keeper
        remaining[class_of[other]].discard(other)
        members.setdefault(keeper, []).append(Member(other, score))

    for u in sorted(units, key=completeness):
        uid = u.uid
        k = class_of.get(uid)
        if uid in assigned or k is None:
            continue
        own = classes[k]
        if len(own) == 1 and uid not in whole and k not in by_class:
            continue
        for other in sorted(remaining[k] - {uid}):
            take(uid, other, 1.0 if copy_of is None or copy_of[uid] == copy_of[other] else _score(norms[uid], norms[other]))
        for target, score in whole.get(uid, ()):
            for other in sorted(remaining[target]):
                take(uid, other, score)
        if uid != own[0]:
            # a copy of a carrier carries what it carries, copies included (exact copies say the same)
            for target, score in from_copies.get(k, ()):
                for other in sorted(remaining[target]):
                    take(uid, other, score)
        for target, score in by_class.get(k, ()):
            for other in sorted(remaining[target]):
                take(uid, other, score)
        if uid in members:
            assigned[uid] = uid
            remaining[k].discard(uid)
    groups = []
    dropped: dict[int, int] = {}
    for kept in sorted(members):
        rest = sorted(members[kept], key=lambda m: m.uid)
        for m in rest:
            dropped[m.uid] = kept
        groups.append(Group(id="", kind=DUPLICATE, kept=kept, members=(Member(kept, 1.0), *rest)))
    return groups, dropped
