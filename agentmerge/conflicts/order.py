"""Order conflicts: one statement puts A before B, another B before A ("write the design doc before any
code" / "document the design once the code has settled").

An order is read from the statement model's order pairs, from "A before B", "once A, B", "B once A",
"B only after A", and from numbered procedures (each step comes before the steps after it). Each side
of an order is a set of terms. Two orders are reversed when the first thing of one is the second thing of
the other, and either the second thing of the one is the first of the other, or the other waits for
something to settle ("once the API has stabilised") before the thing the one does first.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .. import model
from ..lazy import compiled_when_used
from ..statements.terms import analyse, prior, terms_data
from .align import document_frequency, grouped, pairs, sort, statements, takes_no_stance

_BEFORE = re.compile(r"(?P<a>[^.;]{3,120}?)\b(?:before|prior to|ahead of)\b(?P<b>[^.;]{3,120})", re.IGNORECASE)
_ONCE_FIRST = re.compile(r"^\W*(?:only )?(?:once|after|as soon as|when)\b(?P<a>[^,;]{3,100}),(?P<b>[^.;]{3,160})",
                         re.IGNORECASE)
# "all at once" and "at once" say how, not when
_ONCE_AFTER = re.compile(r"(?P<b>[^.;]{3,160}?)\b(?:only after|(?<!\bat )once|after|as soon as|until)\b(?P<a>[^.;]{3,120})",
                         re.IGNORECASE)
_FIRST = re.compile(r"\bfirst\b", re.IGNORECASE)
_THEN = re.compile(r"\bthen\b", re.IGNORECASE)
# "tag the release first so the build is reproducible, then bump the version"
_FIRST_THEN = re.compile(r"(?P<a>[^.;]{3,120}?)\bfirst\b[^.;]{0,80}?\bthen\b(?P<b>[^.;]{3,120})", re.IGNORECASE)
# "roll the compiler out first and run the benchmarks afterwards", "post it right away and ask for approval
# later": the action that closes with a sequel word comes after the one marked first
_FIRST_AND_LATER = compiled_when_used(r"(?P<a>[^.;]{3,120}?)\b(?:first|initially|upfront|up front|right away|immediately|"
                                      r"straight away)\b,?\s+(?:and\s+)?(?:then\s+)?(?P<b>[^.;]{3,120}?)\s+"
                                      r"(?:afterwards?|later|after that|then|next)\b", re.IGNORECASE)
_LATER = re.compile(r"\b(?:afterwards?|later|after that|then|next)\b", re.IGNORECASE)  # what _FIRST_AND_LATER holds
_FIRST_MARK = re.compile(r"\b(?:first|initially|upfront|up front|right away|immediately|straight away)\b", re.IGNORECASE)
_BEFORE_WORD = re.compile(r"\b(?:before|prior to|ahead of)\b", re.IGNORECASE)  # what a match of _BEFORE holds
_ONCE_AFTER_WORD = re.compile(r"\b(?:only after|(?<!\bat )once|after|as soon as|until)\b", re.IGNORECASE)  # and _ONCE_AFTER
_ORDER_WORD = re.compile(r"\b(?:before|prior to|ahead of|once|after|as soon as|until|when|then|afterwards?|later)\b",
                         re.IGNORECASE)
STEPS_AHEAD = 3
_ORDERED = re.compile(r"\d{1,9}[.)]\Z")


def _terms(text: str, terms: frozenset[str]) -> frozenset[str]:
    from ..statements.terms import lemma

    words = {lemma(w) for w in re.findall(r"[a-z][a-z0-9_-]*", text.lower())}
    return frozenset(t for t in terms if t in words or any(p in words for p in t.split()))


def _orders(s) -> list[tuple[frozenset[str], frozenset[str]]]:
    """(first, then) term sets a statement states."""
    return [(f - _NOT_STEPS, t - _NOT_STEPS) for f, t in _stated_orders(s.st.order, s.text, s.terms)
            if f - _NOT_STEPS and t - _NOT_STEPS]


# Terms that name no step of their own: quantifiers, "only", number words ("before any training run",
# "two weeks before each release", "only after it works").
_NOT_STEPS = frozenset("every onli only one two three four five six seven eight nine ten".split())


@lru_cache(maxsize=65536)  # a merge that frees duplicates detects again: the same statements, read once
def _stated_orders(order: tuple[tuple[str, str], ...], text: str,
                   terms: frozenset[str]) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    out = []
    for first, then in order:
        out.append((frozenset(t for t in first.split() if not t.startswith("~")),
                    frozenset(t for t in then.split() if not t.startswith("~"))))
    if not _ORDER_WORD.search(text):
        return tuple((f - t, t - f) for f, t in out if f - t and t - f)  # most statements state no order
    # each pattern is tried only on text with the words a match of it holds (their lazy spans are tried
    # at every word boundary)
    if _FIRST.search(text) and _THEN.search(text):
        m = _FIRST_THEN.search(text)
        if m:
            out.append((_terms(m.group("a"), terms), _terms(m.group("b"), terms)))
    if _FIRST_MARK.search(text) and _LATER.search(text):
        m = _FIRST_AND_LATER.search(text)
        if m:
            out.append((_terms(m.group("a"), terms), _terms(m.group("b"), terms)))
    m = _ONCE_FIRST.search(text)
    if m:
        out.append((_terms(m.group("a"), terms), _terms(m.group("b"), terms)))
    elif _ONCE_AFTER_WORD.search(text):
        m = _ONCE_AFTER.search(text)
        if m:
            out.append((_terms(m.group("a"), terms), _terms(m.group("b"), terms)))
    if _BEFORE_WORD.search(text):
        m = _BEFORE.search(text)
        if m:
            out.append((_terms(m.group("a"), terms), _terms(m.group("b"), terms)))
    return tuple((f - t, t - f) for f, t in out if f - t and t - f)


def _steps(ctx, said) -> dict[int, list[tuple[frozenset[str], frozenset[str]]]]:
    """Orders from numbered procedures: statement index -> (this step, a later step) for each of the next
    few steps of its list."""
    first_of = {}
    for s in said:
        if s.st.role == "item" and s.uid not in first_of:
            first_of[s.uid] = s
    out: dict[int, list] = {}
    for agent in ctx.agents:
        run: list = []
        for unit in agent.units:
            s = first_of.get(unit.uid)
            if s is None and unit.uid in ctx.matching.dropped:
                # a step dropped as another input's duplicate: the unit kept for it stands at its place
                s = first_of.get(ctx.matching.dropped[unit.uid])
            numbered = unit.kind == model.ITEM and _ORDERED.match(unit.marker or "")
            if numbered and s is not None and (not run or ctx.units[run[-1].uid].section == unit.section):
                run.append(s)
                continue
            _add_steps(run, out)
            run = [s] if numbered and s is not None else []
        _add_steps(run, out)
    return out


def _first_steps(ctx, said) -> set[int]:
    """Statement indices of the first step of each numbered procedure."""
    first_of = {}
    for s in said:
        if s.st.role == "item" and s.uid not in first_of:
            first_of[s.uid] = s
    out: set[int] = set()
    for agent in ctx.agents:
        previous = False
        for unit in agent.units:
            numbered = unit.kind == model.ITEM and bool(_ORDERED.match(unit.marker or ""))
            if numbered and not previous and unit.uid in first_of and unit.marker.startswith("1"):
                out.add(first_of[unit.uid].index)
            previous = numbered
    return out


def _add_steps(run, out) -> None:
    for i, s in enumerate(run):
        for later in run[i + 1 : i + 1 + STEPS_AHEAD]:
            first, then = s.terms - later.terms - _NOT_STEPS, later.terms - s.terms - _NOT_STEPS
            if first and then:
                out.setdefault(s.index, []).append((first, then, later))


# "investigate first.", "land the change first;", "X first and see it work", "X first so …": `first` as
# an adverb of the clause's action (not "the first public message", "first-time users")
_FIRST_ADVERB = re.compile(r"\bfirst\b(?=\s*(?:[.;,:!)]|$|(?:so|and|then|while|because|to see)\b))", re.IGNORECASE)
# a step that says it comes first is a stated order, not only a place in a list
_SAYS_FIRST = re.compile(r"\b(?:first|upfront|up front|beforehand|at the (?:start|outset)|before (?:any|anything|every|"
                         r"writing|starting|coding))\b", re.IGNORECASE)
# a later step that says it comes after ("… afterwards", "at the end")
_SAYS_LATER = re.compile(r"\b(?:afterwards?|later|at the end|last|only after|only once)\b", re.IGNORECASE)


def _explicit(s, later) -> bool:
    """A procedure's step whose order is said in words, not only by its place in the list: the step says
    it comes first, or the later step says it comes after."""
    return bool(_SAYS_FIRST.search(s.text) or _SAYS_LATER.search(later.text))


def _unit_sequences(said) -> dict[int, list[tuple[frozenset[str], frozenset[str]]]]:
    """Orders across the sentences of one paragraph or item: a sentence whose action is done `first`
    ("Explore the data first. Write the analysis plan once …") comes before what the unit's later
    sentences do. Statement index -> (first, then)."""
    by_unit: dict[int, list] = {}
    for s in said:
        by_unit.setdefault(s.uid, []).append(s)
    out: dict[int, list] = {}
    for members in by_unit.values():
        for k, s in enumerate(members[:-1]):
            if not _FIRST_ADVERB.search(s.text) or s.st.order:
                continue
            first = frozenset(t for t in s.terms if t not in _SEQUENCE_TERMS)
            then = frozenset(t for m in members[k + 1 :] for t in m.terms if t not in _SEQUENCE_TERMS) - first
            if first and then:
                out.setdefault(s.index, []).append((first, then))
        # "The confirmation goes out when the booking is saved. The deposit is captured afterwards.": a
        # sentence that says it comes after, with no order of its own, follows the sentence before it
        for before, s in zip(members, members[1:]):
            if s.st.order or not _SEQUEL.search(s.text):
                continue
            then = frozenset(t for t in s.terms if t not in _SEQUENCE_TERMS)
            first = frozenset(t for t in before.terms if t not in _SEQUENCE_TERMS) - then
            if _specific(first) and _specific(then - first):  # not "…; write it up afterwards"
                out.setdefault(before.index, []).append((first, then - first))
    return out


# a sentence that comes after the one before it ("… afterwards", "After that, …", "Then …")
_SEQUEL = re.compile(r"\b(?:afterwards?|after that|later on)\b|^\W*(?:then|later|next)\b", re.IGNORECASE)


SPECIFIC = 0.8  # the summed English prior of what an order moves: "design note" 0.86, "write change" 0.72


def _specific(terms: frozenset[str]) -> bool:
    """Words that together name a thing: two ordinary nouns ("design note", "status page") or one rare
    word ("notarise", "OpenAPI", "reconciliation"), not common verbs ("write", "change")."""
    return sum(prior(t) for t in terms) >= SPECIFIC


_SEQUENCE_TERMS = frozenset({"first", "then", "later", "afterward", "afterwards", "initi"})


# "write widget tests at the end", "keep any apology for the end": the clause's action comes last
_LAST = re.compile(r"\b(?:at the (?:very )?end|for the end|as the (?:last|final) step|last of all|after everything else)\b",
                   re.IGNORECASE)
LAST_SPECIFIC = 0.7  # the summed English prior of what one does first and the other last ("apology" 0.71)


def _left_for_last(s) -> frozenset[str]:
    """What a statement leaves for the end: the terms of the clause that says so, or nothing."""
    m = _LAST.search(s.text)
    if m is None:
        return frozenset()
    start = max(s.text.rfind(c, 0, m.start()) for c in ",;:") + 1
    ends = [i for i in (s.text.find(c, m.end()) for c in ",;.") if i >= 0]
    clause = s.text[start : min(ends) if ends else len(s.text)]
    return _terms(clause.replace(m.group(0), " "), s.terms) - _SEQUENCE_TERMS


def _done_first(s) -> list[frozenset[str]]:
    """What a statement does first, in its own words: before something else ("write the widget test before
    writing the widget"), or marked first ("apologise first, then explain")."""
    out = []
    if _BEFORE_WORD.search(s.text):
        m = _BEFORE.search(s.text)
        if m:
            first, then = _terms(m.group("a"), s.terms), _terms(m.group("b"), s.terms)
            if first - then:
                out.append(first - _SEQUENCE_TERMS)
    m = _FIRST_THEN.search(s.text) if _FIRST.search(s.text) and _THEN.search(s.text) else None
    if m:
        out.append(_terms(m.group("a"), s.terms) - _SEQUENCE_TERMS)
    return [f for f in out if f]


MOVED_SHARE = 1 / 5  # of one side at least: the thing an order moves, not a word of a long clause


def _much_of(moved: frozenset[str], *sides: frozenset[str]) -> bool:
    """Whether what moves is a good part (`MOVED_SHARE`) of one of the sides it stands in."""
    return any(MOVED_SHARE * len(side) <= len(moved) for side in sides if side)


def _reversed(x, y, text_x: str, step_y: bool = False, x_first: bool = False,
              ) -> tuple[frozenset[str], frozenset[str]] | None:
    """(what x puts first, what y puts first) when orders x and y are reversed."""
    (fx, tx), (fy, ty) = x, y
    # what both do first is their common object ("notarise the build before uploading" / "upload the
    # build first"), not a step: it leaves both first sides; what is left must differ
    fx, fy = fx - fy, fy - fx
    first_later = fx & ty
    if not first_later or not fy:
        return None
    if not _much_of(first_later, fx, ty):
        return None  # one word the two share in passing ("conflict risk" / "conflicting constraints")
    if tx & fy and not (tx & fy) & first_later and _much_of(tx & fy, tx, fy):
        return first_later, tx & fy
    # y waits for something to settle before what x does first; a procedure's step that itself settles
    # something ("1. Freeze the code.") waits for nothing
    settle = terms_data().settle  # what waits for these waits for the rest of the work (terms.yaml)
    if fy & settle and not step_y and (tx & ty or x_first or _FIRST.search(text_x)):
        return first_later, fy & settle
    return None


def detect(ctx) -> list:
    said = [s for s in statements(ctx) if not takes_no_stance(s) and not s.st.negated]
    steps = _steps(ctx, said)
    across = _unit_sequences(said)
    # (first, then, the later step when the order is a numbered procedure's)
    orders = {s.index: [(f, t, None) for f, t in _orders(s) + across.get(s.index, [])] + steps.get(s.index, [])
              for s in said}
    # what says it comes first: in words, or as the first step of a procedure
    stated = {s.index for s in said if s.index in across or _SAYS_FIRST.search(s.text)} | _first_steps(ctx, said)
    every = said
    said = [s for s in said if orders[s.index]]
    lasts = {s.index: last for s in every if (last := _left_for_last(s))}
    if len(said) < 2 and not lasts:
        return []
    df = document_frequency(said)
    common = max(8, len(said) // 10)
    clashes: dict[str, list] = {}
    hits: list = []
    by_procedure: dict[tuple, tuple] = {}

    def keys(s):
        return {t for *pair, _step in orders[s.index] for side in pair for t in side if df[t] <= common}

    for a, b in pairs(said, keys):
        hit = None
        for *x, step_x in orders[a.index]:
            for *y, step_y in orders[b.index]:
                if (step_x or step_y) and (step_x and step_y or a.source == b.source):
                    # a procedure's steps say little alone: only against a stated order elsewhere, or against
                    # another input's procedure when both say their order in words ("1. X upfront" / "2. X afterwards")
                    if not (step_x and step_y and a.source != b.source and _explicit(a, step_x) and _explicit(b, step_y)):
                        continue
                found = _reversed(x, y, a.text, bool(step_y), a.index in stated)
                if found is not None:
                    moved, waited = found
                else:
                    other = _reversed(y, x, b.text, bool(step_x), b.index in stated)
                    found = (other[1], other[0]) if other else None
                    waited, moved = found if found else (frozenset(), frozenset())
                settled = bool(found) and waited <= terms_data().settle
                if (found and (step_x or step_y) and len(found[0]) + len(found[1]) < 3
                        and not (a.index in stated and b.index in stated) and not settled):
                    found = None  # a step moved by one shared word is too little to go on, unless both say "first"
                if found and (settled or step_x or step_y):
                    # what moves must name a thing, not only common verbs ("1. Write …" / "write … once it has
                    # settled"; "write …" / "change …"): its words, the verb both statements open with left
                    # out, weigh as much as two ordinary words (their English priors)
                    verbs = {analyse(a.text).verb} & {analyse(b.text).verb}
                    if not _specific((moved if settled else found[0] | found[1]) - verbs):
                        found = None
                if found:
                    hit, later = found, step_x or step_y
                    break
            if hit:
                break
        if hit is None:
            continue
        if later is not None:
            # one procedure against one stated order is one disagreement: its earliest reversed step says it
            stepped_a = any(later is step for *_o, step in orders[a.index])
            step, other = (a, b) if stepped_a else (b, a)
            where = (other.index, step.source, ctx.units[step.uid].section)
            if where in by_procedure and by_procedure[where][0] < step.st.line:
                continue
            by_procedure[where] = (step.st.line, a, b, hit, later, stepped_a)
            continue
        hits.append((a, b, hit, None, False))
    hits += [(a, b, hit, later, stepped_a) for _line, a, b, hit, later, stepped_a in
             (by_procedure[k] for k in sorted(by_procedure))]
    for a, b, hit, later, stepped_a in hits:
        first_a = " ".join(sorted(hit[0], key=lambda t: (df.get(t, 0), t))[:3])
        first_b = " ".join(sorted(hit[1], key=lambda t: (df.get(t, 0), t))[:3])
        topic = first_a
        clashes.setdefault(topic, []).append((a, f"{first_a} first", b, f"{first_b} first"))
        if later is not None:  # the procedure's later step stands on its step's side
            clashes[topic].append((later, f"{first_a} first", b, f"{first_b} first") if stepped_a else
                                  (a, f"{first_a} first", later, f"{first_b} first"))
    # one statement does a thing first (before another), another leaves it for the end
    if lasts:
        opposed = {(min(a.uid, b.uid), max(a.uid, b.uid)) for cl in clashes.values() for a, _sa, b, _sb in cl}
        firsts = [(s, f) for s in every for f in _done_first(s)]
        by = {s.index: s for s in every}
        for li, last in sorted(lasts.items()):
            b = by[li]
            for a, first in firsts:
                if a.uid == b.uid or a.source == b.source or (min(a.uid, b.uid), max(a.uid, b.uid)) in opposed:
                    continue
                moved = first & last
                if not moved or sum(prior(t) for t in moved) < LAST_SPECIFIC or 2 * len(moved) < len(first):
                    continue  # what is done first must be most of what the one statement does first
                opposed.add((min(a.uid, b.uid), max(a.uid, b.uid)))
                what = " ".join(sorted(moved, key=lambda t: (df.get(t, 0), t))[:3])
                clashes.setdefault(what, []).append((a, f"{what} first", b, f"{what} last"))
    found = [grouped(ctx, "order", topic, cl, "the same steps in the opposite order",
                     "Keep one order of the steps and state it once.") for topic, cl in sorted(clashes.items())]
    return sort(found)
