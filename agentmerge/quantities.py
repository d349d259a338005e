"""Quantities in prose: a value, its unit, the comparator around it, and the name of what it measures.

"CI must finish within 10 minutes" states `ci <= 600 s`; "pipeline budget: 25 min" states `ci = 1500 s`;
"retry at most 3 times" and "up to 5 retries" are two retry counts; "two nines" is 99%; "twice a day" is a
cadence of one every 43200 s. Units, number words, comparators, cadences and the nouns that name one
quantity in different words are data (`knowledge/quantities.yaml`, extendable with `--axes`).

A quantity's *name* is the noun phrase that stands with it in its clause: the words before it back to the
previous value, comma or conjunction ("test coverage 90% and type coverage 100%" names two quantities),
else the words after it ("90% coverage", "5 retries"). Its `terms` are those words stemmed and reduced to
the `names:` keys, so two quantities are about the same thing when they share a term.

`numbers(text)` gives the numbers of a text as a multiset (sorted tuple): "3 of 3" is not "3".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from .lazy import compiled_when_used

__all__ = ["Quantity", "Table", "disagree", "load_table", "numbers", "quantities", "stricter"]

INF = math.inf

# Words that never name a quantity: they sit between a name and its value ("coverage must be at least").
_FILLER = frozenset("""
a an the and or of for to in on at by with from into as via per than then is are be been being was were
it its this that these those their your you we our should must shall will would can could may might need
needs keep kept stay stays remain remains finish finishes complete completes completed run runs take takes
taking set sets use uses using make makes get gets have has having hold holds no not never always only
each every all any some target targets aim aims goal goals default defaults budget budgets limit limits
less more fewer under over within below above up least most max maximum min minimum about around roughly
approximately exactly just than new existing value values number total overall try tries so if when while
also still even much many there here do does done i e g ie eg etc typically usually ideally generally between
full whole entire suite stage job jobs gate measured acceptable fine ok okay allowed
""".split())
# Words after which a clause's next words belong to a different thing ("coverage 90% for new code").
_STOP_AFTER = frozenset("for in on at by with from of per to when if unless while and or but so".split())
_WORD = re.compile(r"\d[xX]{2}(?!\w)|[A-Za-z][A-Za-z0-9_+./#-]*[A-Za-z0-9+#]|[A-Za-z]")
_CLAUSE_BREAK = re.compile(r"[;\n]|\.(?=\s|$)|[!?](?=\s|$)|\|")
_SEGMENT_BREAK = re.compile(r",|\(|\)|—|–| - |\b(?:and|or|but|while|whereas|then|vs\.?|versus)\b", re.IGNORECASE)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"


@dataclass(frozen=True)
class Quantity:
    """One value a text states: the interval [low, high] it allows, in the dimension's base unit."""

    value: float  # normalised: seconds, percent, bytes; a count as written
    unit: str  # the base unit ("s", "%", "B", "/s" for cadences as their period) or the counted noun
    dimension: str  # time | percent | size | cadence | count | ratio | number
    comparator: str  # "=", "<=", "<", ">=", ">", "~", "range"
    low: float
    high: float
    name: str  # the noun phrase it is a value of, lower-case ("test coverage"), "" when none stands with it
    terms: frozenset[str]  # the name's and counted noun's words, stemmed, reduced to the `names:` keys
    text: str  # as written, comparator included ("within 10 minutes")
    start: int  # span of `text` in the text given to `quantities`
    end: int

    @property
    def upper(self) -> bool:
        """A budget or cap ("under 10 minutes", "at most 3")."""
        return self.low == -INF and self.high != INF

    @property
    def lower(self) -> bool:
        """A floor ("at least 90%")."""
        return self.high == INF and self.low != -INF

    @property
    def point(self) -> bool:
        return self.low == self.high


@dataclass(frozen=True)
class Table:
    """`knowledge/quantities.yaml` prepared for reading: spellings to (dimension, base unit, factor)."""

    units: dict[str, tuple[str, str, float]]
    numbers: dict[str, float]
    multipliers: dict[str, float]
    before: tuple[tuple[str, str], ...]  # (phrase, comparator), longest first
    after: tuple[tuple[str, str], ...]
    cadences: dict[str, float]
    times: dict[str, float]
    nines: dict[str, float]
    names: dict[tuple[str, ...], str]  # stemmed phrase -> key
    keys: frozenset[str] = frozenset()  # the `names:` keys: terms that name a quantity on their own
    # `contexts:` spelling -> (class, word); its pattern finds them in a heading or lead-in
    contexts: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False)
    context_pattern: Any = field(default=None, compare=False)
    pattern: Any = field(default=None, compare=False)
    unit_pattern: Any = field(default=None, compare=False)
    before_pattern: Any = field(default=None, compare=False)
    after_pattern: Any = field(default=None, compare=False)
    # what every quantity needs somewhere in its text (a digit, a number, cadence or times word, "a day"):
    # most statements state none, and this one search says so before the clause-by-clause reading
    may_state: Any = field(default=None, compare=False)
    # the same test for ASCII text, quicker: a digit, or one of these words standing whole (None: the
    # table has a word this cannot stand for, so `may_state` decides)
    state_words: frozenset[str] | None = field(default=None, compare=False)
    # `labels:` a number right after one of them names an item ("Phase 2", "step 3", "phase=4"), as after "§"
    label_before: Any = field(default=None, compare=False)


def _stem(word: str) -> str:
    from .normalize import stem  # lazy: PyStemmer is only needed once a quantity has a name

    return stem(word)


def _alternation(phrases: Iterable[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=lambda p: (-len(p), p)))


def _merge(base: dict, extra: dict) -> dict:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _builtin_data() -> dict:
    from .knowledge import builtin_data

    return builtin_data("quantities.yaml")


@lru_cache(maxsize=8)
def load_table(extra: tuple[str, ...] = ()) -> Table:
    """The built-in table, extended by the `quantities:` key of each users' file in `extra`."""
    data = _builtin_data()
    if extra:
        from .normalize import load_yaml

        for path in extra:
            with open(path, encoding="utf-8") as fh:
                user = load_yaml(fh.read()) or {}
            if isinstance(user, dict) and isinstance(user.get("quantities"), dict):
                labels = [*data.get("labels", []), *(user["quantities"].get("labels") or [])]  # added to, not replaced
                data = _merge(data, user["quantities"])
                data["labels"] = labels
    return _table(data)


def _table(data: dict) -> Table:
    units: dict[str, tuple[str, str, float]] = {}
    for dimension, entries in data["units"].items():
        for base_name, spec in entries.items():
            factor, *spellings = spec
            base = next(k for k, v in entries.items() if float(v[0]) == 1.0)
            for s in spellings:
                units[str(s).lower()] = (dimension, base, float(factor))
    numbers = {str(k).lower(): float(v) for k, v in data["numbers"].items()}
    multipliers = {str(k): float(v) for k, v in data["multipliers"].items()}
    before = tuple(sorted(((str(p).lower(), op) for op, ps in data["comparators"]["before"].items() for p in ps),
                          key=lambda x: (-len(x[0]), x[0])))
    after = tuple(sorted(((str(p).lower(), op) for op, ps in data["comparators"]["after"].items() for p in ps),
                         key=lambda x: (-len(x[0]), x[0])))
    names: dict[tuple[str, ...], str] = {}
    for key, spellings in data.get("names", {}).items():
        for s in [key, *spellings]:
            # "start-up" as written and as two words: a name's phrase is read with its hyphens split
            for spelling in dict.fromkeys((str(s).lower().replace("_", " "), str(s).lower().replace("_", " ").replace("-", " "))):
                words = tuple(_stem(w) for w in _WORD.findall(spelling))
                if words:
                    names.setdefault(words, str(key))
    word_numbers = [w for w in numbers if w not in ("a", "an")]
    number = rf"(?<![\w./#:+*^-])(?:(?P<digits>{_DIGITS})(?P<mult>[kKM](?![a-zA-Z]))?|(?P<word>(?i:{_alternation(word_numbers)}))(?:[ -](?P<word2>(?i:one|two|three|four|five|six|seven|eight|nine|hundred|thousand|million)))?(?![\w]))(?![0-9_]|\.\d)"
    # "10 min", "10min", and the adjective "10-minute", "48-hour"
    unit_pattern = re.compile(rf"(?:\s|-(?=[a-z]))?(?P<unit>{_alternation(list(units))})(?![\w])", re.IGNORECASE)
    before_pattern = re.compile(rf"(?:^|(?<=[\s(:]))(?P<op>{_alternation(p for p, _ in before)})\s?(?:of\s|:\s?)?$",
                                re.IGNORECASE)
    after_pattern = re.compile(rf"^\s?(?P<op>{_alternation(p for p, _ in after)})(?![\w])", re.IGNORECASE)
    cadences = {str(k).lower(): float(v) for k, v in data.get("cadences", {}).items()}
    # one literal of each pattern `_in_clause` reads, with the same word boundaries: a digit (`_DIGITS`,
    # `_NINES`), a number word, a cadence word, once/twice/thrice, or "a"/"an" before a unit (`_A_UNIT`)
    literals = [*word_numbers, *cadences, "once", "twice", "thrice", "two", "three", "four", "five", "six"]
    may_state = compiled_when_used(rf"\d|(?<!\w)(?:{_alternation(literals)})(?!\w)|(?<!\w)an? (?:{'|'.join(_A_UNITS)})\b",
                                   re.IGNORECASE)
    # a literal matched between non-word characters leaves each of its runs of letters whole in the text:
    # its longest run stands for it (non-ASCII literals may match ASCII text ignoring case: no shortcut)
    runs = [_LETTERS.findall(w.lower()) for w in literals]
    state_words = (frozenset([max(r, key=len) for r in runs] + list(_A_UNITS))
                   if all(r and w.isascii() for r, w in zip(runs, literals)) else None)
    contexts = {str(spelling).lower(): (str(kind), str(word))
                for kind, words in data.get("contexts", {}).items() for word, spellings in words.items()
                for spelling in [word, *spellings]}
    context_pattern = compiled_when_used(rf"(?<![\w-])(?:{_alternation(contexts)})(?![\w-])", re.IGNORECASE)
    labels = sorted({str(w).lower() for w in data.get("labels", [])})
    # "Phase 2", "phase=4" (an item's name in a log line; "retries=3" stays a value), "§1.6"
    label_before = re.compile(rf"(?:(?<![\w-])(?:{_alternation(labels)})\s*=?\s*|§\s*)$" if labels else r"§\s*$",
                              re.IGNORECASE)
    return Table(units=units, numbers=numbers, multipliers=multipliers, before=before, after=after,
                 cadences=cadences,
                 times={str(k).lower(): float(v) for k, v in data.get("times", {}).items()},
                 nines={str(k).lower(): float(v) for k, v in data.get("nines", {}).items()},
                 names=names, keys=frozenset(names.values()), pattern=re.compile(number), unit_pattern=unit_pattern,
                 before_pattern=before_pattern, after_pattern=after_pattern, may_state=may_state,
                 state_words=state_words, contexts=contexts, context_pattern=context_pattern if contexts else None,
                 label_before=label_before)


def contexts_in(text: str, table: Table) -> frozenset[tuple[str, str]]:
    """The (class, word) pairs of `contexts:` a heading or lead-in names."""
    if table.context_pattern is None:
        return frozenset()
    return frozenset(table.contexts[m.group(0).lower()] for m in table.context_pattern.finditer(text))


_LETTERS = re.compile(r"[a-z]+")
_ASCII_DIGIT = re.compile(r"[0-9]")
_A_UNITS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")  # as _A_UNIT reads them


def _may_state(text: str, table: Table) -> bool:
    """Whether `table.may_state` matches: ASCII text is told by its words, without the regex."""
    if table.state_words is not None and text.isascii():
        return _ASCII_DIGIT.search(text) is not None or not table.state_words.isdisjoint(_LETTERS.findall(text.lower()))
    return table.may_state.search(text) is not None


def _value(m: re.Match, table: Table) -> float | None:
    if m.group("digits"):
        raw = m.group("digits").replace(",", "")
        value = float(raw)
        if m.group("mult"):
            value *= table.multipliers[m.group("mult")]
        return value
    word = m.group("word").lower()
    value = table.numbers.get(word)
    if value is None:
        return None
    second = (m.group("word2") or "").lower()
    if second in table.multipliers:
        value *= table.multipliers[second]
    elif second:
        extra = table.numbers.get(second)
        if extra is None or value < 20 or value % 10:
            return None
        value += extra  # "twenty-five"
    return value


_NINES = re.compile(r"(?<![\w])(?P<n>two|three|four|five|six|[2-6])[ -]nines\b|(?<![\w])(?P<d>[2-6]) ?9s\b", re.IGNORECASE)
_A_UNIT = re.compile(r"(?<![\w])(?P<half>half )?(?P<a>an?) (?P<unit>second|minute|hour|day|week|month|quarter(?!\s+of\b)|year)\b",
                     re.IGNORECASE)
_A_UNIT_BEFORE = compiled_when_used(r"(?:\b(?:every|within|in|once|twice|per|each|after|than|for|under|over|about|around|least|most|to)|[<>≤≥])\s*$",
                                    re.IGNORECASE)
_EVERY = re.compile(r"(?:\bevery|\beach|\bonce every)\s+(?:other\s+)?$", re.IGNORECASE)
_EVERY_UNIT = re.compile(r"(?<![\w])(?:every|each)\s+(?P<other>other\s+)?(?P<unit>minute|hour|day|week|month|quarter|year)\b(?!\s*(?:'s|s\b))",
                         re.IGNORECASE)
_TIMES_AFTER = re.compile(r"\s?(?:times?|x)\b", re.IGNORECASE)  # "retry each task 3 times": a count
_TIMES = re.compile(r"^\s?(?:times?|x)\s+(?:a|an|per|each|every)\s+(?P<unit>[a-z]+)\b", re.IGNORECASE)
_TIMES_WORD = re.compile(r"(?<![\w])(?P<n>once|twice|thrice)\s+(?:a|an|per|each|every)\s+(?P<unit>second|minute|hour|day|week|month|quarter|year|sprint|release)\b",
                         re.IGNORECASE)
_ONCE = re.compile(r"(?<![\w])(?P<n>once|twice|thrice)\b(?!\s+(?:a|an|per|each|every)\b)", re.IGNORECASE)
_PER = re.compile(r"^\s?(?:/|per |an |a |each )(?P<unit>[a-z]+)\b", re.IGNORECASE)
_RANGE = re.compile(rf"^\s?(?:-|–|to)\s?(?P<hi>{_DIGITS})(?![\w])")
_BETWEEN = re.compile(r"\bbetween\s*$", re.IGNORECASE)
_VERSIONISH = re.compile(r"(?:\bv|\bversion |\bpython |\bnode(?:\.js)? |\bes|\bhttp/|\bpy|\bjava |\bgo )$", re.IGNORECASE)
_PER_LATER = re.compile(r"^(?:\s+[a-z][a-z-]*){1,2}?\s+(?P<per>per|an?|each)\s+(?P<unit>[a-z]+)\b", re.IGNORECASE)
# "one approval is enough", "one retry at most": "one" counts only before a noun that a bound or "is
# enough" follows; elsewhere it is an article ("one place", "one shared client")
_ONE_COUNTED = re.compile(r"^\s[a-z]+\s+(?:is enough|is plenty|is sufficient|suffices|at most|max(?:imum)?|only)\b",
                          re.IGNORECASE)
_COUNT_TIMES = frozenset({"time", "times", "x"})
_CADENCE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800, "month": 2592000,
                  "quarter": 7776000, "year": 31536000}


def _bounds(op: str, value: float) -> tuple[float, float]:
    if op in ("<=", "<"):
        return -INF, value
    if op in (">=", ">"):
        return value, INF
    return value, value


def _words_with_spans(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower().rstrip(".-/"), m.start(), m.end()) for m in _WORD.finditer(text)]


_ASIDE = re.compile(r"\([^()\d]{1,40}\)")  # a short aside without numbers: "(JWT)", "(gzipped)"
_LABEL_JOINS = frozenset("a an the and or of for in on to with by at".split())


# A value before, which ends a name: a number, with its unit or suffix ("400ms", "90%"); not a digit inside
# a word ("p99", "s3") nor a class of status codes ("5xx errors").
_PREVIOUS_VALUE = re.compile(r"(?<![\w.])\d(?![x\d]*xx\b)[\w%]*")


def _name_before(clause: str, start: int) -> str:
    """The noun phrase before a value: back to a break (comma, conjunction, a previous number)."""
    left = clause[:start]
    # an aside in parentheses ("Access tokens (JWT) expire after 15 minutes") does not end the name: it
    # is left out, and the words around it stand together
    if "(" in left:
        left = _ASIDE.sub(lambda m: " " * len(m.group(0)), left)
    cut = max((m.end() for m in _SEGMENT_BREAK.finditer(left)), default=0)
    # a previous value ends the name; a digit inside a word ("p99", "s3") is part of it
    digit = max((m.end() for m in _PREVIOUS_VALUE.finditer(left)), default=0)
    segment = left[max(cut, digit):]
    label = ""
    if ":" in segment:
        label, segment = segment.rsplit(":", 1)  # "pipeline budget: 25 min", "Latency: p99 budget of 0.4 s"
    content = [w for w, _s, _e in _words_with_spans(segment) if w not in _FILLER]
    # the label names what the value after it measures; the words after the colon narrow it down
    # a label is a noun phrase as written: only its articles and joins leave ("First stage" keeps "stage")
    named = [w for w, _s, _e in _words_with_spans(label) if w not in _LABEL_JOINS]
    if named:
        return " ".join(named[-4:] if not content else named[-2:] + content[-3:])
    return " ".join(content[-4:])


def _name_after(clause: str, end: int) -> str:
    """The noun phrase right after a value ("90% coverage", "5 retries"), up to a preposition."""
    words = []
    for w, _s, _e in _words_with_spans(clause[end:]):
        if w in _STOP_AFTER or len(words) == 3:
            break
        if w in _FILLER:
            if words:
                break
            continue
        words.append(w)
    return " ".join(words)


_STATUS_CLASS = re.compile(r"\dxx")  # "5xx errors": a class of status codes, a word of the name


def _terms(phrase: str, table: Table) -> frozenset[str]:
    stems = [_stem(w) for w in phrase.replace("-", " ").split() if w]
    out: set[str] = set()
    i = 0
    while i < len(stems):
        for n in (3, 2, 1):
            key = table.names.get(tuple(stems[i : i + n]))
            if key is not None:
                out.add(key)
                i += n
                break
        else:
            if not stems[i][:1].isdigit() or _STATUS_CLASS.fullmatch(stems[i]):
                out.add(stems[i])
            i += 1
    return frozenset(out)


# table -> {text: its quantities}: the statement model, the quantity and value detectors read the same
# statements, and a merge that frees duplicates detects again (the table is held, so its id stays its own)
_READ: dict[int, tuple[Table, dict[str, tuple[Quantity, ...]]]] = {}
READ_LIMIT = 65536


def quantities(text: str, table: Table | None = None) -> list[Quantity]:
    """Every quantity the (plain) text states, in order. Spans index `text`."""
    table = table or load_table()
    if table.may_state is not None and not _may_state(text, table):
        return []
    held = _READ.get(id(table))
    if held is None or held[0] is not table:
        held = _READ[id(table)] = (table, {})
    read = held[1]
    found = read.get(text)
    if found is None:
        if len(read) >= READ_LIMIT:
            read.clear()
        found = read[text] = tuple(_quantities_in(text, table))
    return list(found)


def _quantities_in(text: str, table: Table) -> list[Quantity]:
    found: list[Quantity] = []
    pos = 0
    for clause in _CLAUSE_BREAK.split(text):
        offset = text.find(clause, pos) if clause else pos
        pos = offset + len(clause)
        if clause.strip():
            found.extend(_in_clause(clause, offset, table))
    return found


_PERCENTILE_AFTER = re.compile(r"\s*\(?\s*(p\d{2,3})\b", re.IGNORECASE)


def _make(clause: str, offset: int, table: Table, value: float, dimension: str, unit: str, op: str,
          span: tuple[int, int], counted: str = "", low: float | None = None, high: float | None = None) -> Quantity:
    lo, hi = _bounds(op, value) if low is None else (low, high)
    name = _name_before(clause, span[0])
    # a value written as an adjective ("a 48-hour timelock") measures the noun after it
    adjective = re.search(r"\d-[a-z]", clause[span[0]:span[1]], re.IGNORECASE) is not None
    after = counted or ("" if name and not adjective else _name_after(clause, span[1]))
    terms = _terms(" ".join(p for p in (name, after) if p), table)
    # a percentile written after the value ("<100ms p50", "200 ms (p95)") says which one it measures
    percentile = _PERCENTILE_AFTER.match(clause, span[1])
    if percentile and percentile.group(1).lower() not in name:
        name = f"{name} {percentile.group(1).lower()}".strip()
    return Quantity(value=value, unit=unit, dimension=dimension, comparator=op, low=lo, high=hi,
                    name=name or after, terms=terms, text=clause[span[0]:span[1]].strip(),
                    start=offset + span[0], end=offset + span[1])


def _comparator_before(clause: str, start: int, table: Table) -> tuple[str, int]:
    m = table.before_pattern.search(clause[max(0, start - 40):start])
    if m is None:
        return "=", start
    op = dict(table.before)[m.group("op").lower()]
    at = start - (len(clause[max(0, start - 40):start]) - m.start())
    if op in _NEGATED and _OPEN_COMPARATOR.match(m.group("op")) and _NEGATION.search(_segment(clause, at)):
        op = _NEGATED[op]  # "no model may scan more than 500 GB": at most 500 GB; "never below 90%": at least
    return op, at


# Comparators a negation earlier in the clause turns round ("no … more than" is a cap), as does a verb that
# names what is done to a violation ("flag functions longer than 40 lines", "fail the build below 80%"): the
# value is then the limit. The ones that say a bound themselves ("at most", "no more than") are not turned.
_NEGATED = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}
_OPEN_COMPARATOR = re.compile(r"(?:more|longer|greater|larger|higher|less|fewer|shorter|smaller|lower) than$|"
                              r"over$|above$|under$|below$|beyond$|exceeds$|exceeding$", re.IGNORECASE)
_NEGATION = compiled_when_used(r"\b(?:no|not|never|cannot|nothing|nobody|none|flag|flags|reject|rejects|fail|fails|"
                               r"block|blocks|alert|alerts|warn|warns)\b|n't\b", re.IGNORECASE)


def _segment(clause: str, at: int) -> str:
    """The words before a comparator back to the previous value or break ("no model may scan")."""
    left = clause[:at]
    cut = max((m.end() for m in _SEGMENT_BREAK.finditer(left)), default=0)
    digit = max((m.end() for m in _PREVIOUS_VALUE.finditer(left)), default=0)
    return left[max(cut, digit):]


@lru_cache(maxsize=8)
def _cadence_pattern(cadences: tuple[str, ...]) -> re.Pattern:
    """Built once per table, not once per clause (a large input has tens of thousands)."""
    return re.compile(rf"(?<![\w])(?:{_alternation(cadences)})\b", re.IGNORECASE)


# A currency sign before a number: the money dimension of that currency (quantities.yaml's units).
_CURRENCY = {"$": ("usd", "USD", 1.0), "€": ("eur", "EUR", 1.0), "£": ("gbp", "GBP", 1.0)}


def _in_clause(clause: str, offset: int, table: Table) -> list[Quantity]:
    out: list[Quantity] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    # Whole phrases first: nines, "once a day", "half an hour", cadence words.
    for m in _NINES.finditer(clause):
        n = (m.group("n") or m.group("d")).lower()
        value = table.nines.get(n) or table.nines.get({"2": "two", "3": "three", "4": "four", "5": "five",
                                                        "6": "six"}.get(n, ""), None)
        if value is None:
            continue
        op, s = _comparator_before(clause, m.start(), table)
        out.append(_make(clause, offset, table, value, "percent", "%", op, (s, m.end())))
        taken.append((s, m.end()))
    for m in _TIMES_WORD.finditer(clause):
        per = _CADENCE_UNITS.get(m.group("unit").lower())
        if per is None or not free(m.start(), m.end()):
            continue
        period = per / table.times[m.group("n").lower()]
        op, s = _comparator_before(clause, m.start(), table)
        out.append(_make(clause, offset, table, period, "cadence", "s", _flip(op), (s, m.end())))
        taken.append((s, m.end()))
    for m in _ONCE.finditer(clause):  # "retried at most once": a count of one
        if free(m.start(), m.end()):
            op, s = _comparator_before(clause, m.start(), table)
            if op != "=":
                value = table.times[m.group("n").lower()]
                out.append(_make(clause, offset, table, value, "count", "", op, (s, m.end())))
                taken.append((s, m.end()))
    for m in _A_UNIT.finditer(clause):
        if not free(m.start(), m.end()):
            continue
        if not m.group("half") and not _A_UNIT_BEFORE.search(clause[: m.start()]):
            continue
        unit = m.group("unit").lower()
        dim, base, factor = table.units.get(unit, ("time", "s", _CADENCE_UNITS.get(unit, 1)))
        value = (0.5 if m.group("half") else 1.0) * factor
        before = clause[: m.start()]
        if _EVERY.search(before) or re.search(r"\b(?:once|per|each)\s*$", before, re.IGNORECASE):
            out.append(_make(clause, offset, table, value, "cadence", "s", "=", (m.start(), m.end())))
        else:
            op, s = _comparator_before(clause, m.start(), table)
            out.append(_make(clause, offset, table, value, dim, base, op, (s, m.end())))
        taken.append((m.start(), m.end()))
    for m in _EVERY_UNIT.finditer(clause):  # "refresh every hour", "ship every other week": one unit
        if free(m.start(), m.end()):
            period = _CADENCE_UNITS[m.group("unit").lower()] * (2 if m.group("other") else 1)
            out.append(_make(clause, offset, table, period, "cadence", "s", "=", (m.start(), m.end())))
            taken.append((m.start(), m.end()))
    for m in _cadence_pattern(tuple(table.cadences)).finditer(clause):
        if free(m.start(), m.end()):
            out.append(_make(clause, offset, table, table.cadences[m.group(0).lower()], "cadence", "s", "=",
                             (m.start(), m.end())))
            taken.append((m.start(), m.end()))

    for m in table.pattern.finditer(clause):
        if not free(m.start(), m.end()):
            continue
        value = _value(m, table)
        if value is None:
            continue
        start, end = m.start(), m.end()
        before = clause[:start]
        if m.group("digits") and _VERSIONISH.search(before):
            continue
        if m.group("digits") and re.search(r"[\w.]$", before) and not re.search(r"[<>≤≥~=]$", before):
            continue  # part of an identifier: p99, x2, 3.11.2
        rest = clause[end:]
        unit_m = table.unit_pattern.match(rest)
        if rest[:1].isalpha() and unit_m is None:
            continue  # "2fa", "3d" is a unit but "3rd" is not a number of anything
        if (unit_m is None and table.label_before is not None and table.label_before.search(before[-40:])
                and not _TIMES_AFTER.match(rest)):
            continue  # "Phase 2 artifacts", "step three", "§1.6", "phase=4": an item's name, not an amount
        word_number = m.group("word") is not None
        sign = before.rstrip(" ")
        currency = bool(m.group("digits")) and sign[-1:] in _CURRENCY
        op, s = _comparator_before(clause, len(sign) - 1 if currency else start, table)
        if word_number and unit_m is None and op == "=":
            nxt = _words_with_spans(rest[:30])
            if (not nxt or nxt[0][0] in _FILLER or nxt[0][0] in _STOP_AFTER
                    or m.group("word").lower() == "one" and not _ONE_COUNTED.match(rest)):
                continue  # "one of the", "two of them", "one place": not a number here
        # "3-5", "3 to 5", "between 3 and 5": a range
        upto = None
        if m.group("digits"):
            upto = _RANGE.match(rest) or (re.match(rf"^\s?(?:\S+\s)?and\s(?P<hi>{_DIGITS})", rest)
                                          if _BETWEEN.search(before) else None)
        lo_hi = None
        if upto:
            hi = float(upto.group("hi").replace(",", ""))
            end += upto.end()
            rest = clause[end:]
            unit_m = table.unit_pattern.match(rest)
            lo_hi = (min(value, hi), max(value, hi))
            op = "range"
        counted = ""
        ratio = _RATIO.match(rest) if m.group("digits") and not upto else None
        if ratio:  # "a contrast of at least 4.5:1": a ratio, compared by its first term
            dim, base, factor = "ratio", ":1", 1.0
            end += ratio.end()
            rest = clause[end:]
        elif unit_m:
            dim, base, factor = table.units[unit_m.group("unit").lower()]
            end += unit_m.end()
            rest = clause[end:]
        elif currency:
            dim, base, factor = _CURRENCY[sign[-1]]  # "$25,000", "€40"
        else:
            dim, base, factor = "number", "", 1.0
        # "every 30 minutes", "3 times a day", "100 requests per minute"
        every = _EVERY.search(clause[:s])
        if every and dim == "time":
            s = every.start()
            dim = "cadence"
        times = _TIMES.match(rest) if dim == "number" else None
        if times and times.group("unit").lower() in _CADENCE_UNITS:
            per = _CADENCE_UNITS[times.group("unit").lower()]
            end += times.end()
            q = _make(clause, offset, table, per / value, "cadence", "s", _flip(op), (s, end))
            out.append(q)
            taken.append((s, end))
            continue
        if dim == "number":
            nxt = _words_with_spans(rest[:40])
            if nxt and nxt[0][1] <= 1 and nxt[0][0] not in _STOP_AFTER and nxt[0][0] not in _FILLER:
                counted = nxt[0][0]
                if (len(nxt) > 1 and not counted.endswith("s") and nxt[1][0].endswith("s")
                        and rest[nxt[0][2]:nxt[1][1]] == " " and nxt[1][0] not in _FILLER | _STOP_AFTER):
                    nxt = nxt[1:]  # "2 customer replies", "3 failed attempts": the plural noun is what is counted
                    counted = nxt[0][0]
                if counted in _COUNT_TIMES:
                    counted = ""  # "retry 3 times": the name before says what is counted
                    end += nxt[0][2]
                    dim, base = "count", ""
                else:
                    end += nxt[0][2]
                    per = _PER.match(clause[end:])
                    if per:
                        unit_word = per.group("unit").lower()
                        if unit_word in _CADENCE_UNITS or unit_word in table.units:
                            factor = 1.0 / _CADENCE_UNITS.get(unit_word, table.units.get(unit_word, ("", "", 1))[2])
                            base = f"{''.join(sorted(_terms(counted, table)))}/s"
                        else:
                            base = f"{''.join(sorted(_terms(counted, table)))}/{_stem(unit_word)}"
                        end += per.end()
                    else:
                        base = "".join(sorted(_terms(counted, table)))
                        # "5 failed attempts per account per 15 minutes": a rate of something, not a count
                        later = _PER_LATER.match(clause[end:])
                        # "6 push notifications a day" as "per day"; "a"/"an"/"each" only before a period
                        if later and (later.group("per").lower() == "per"
                                      or later.group("unit").lower() in _CADENCE_UNITS):
                            base += f"/{_stem(later.group('unit').lower())}"
                    dim = "count"
        after = table.after_pattern.match(clause[end:])
        if after and op in ("=",):
            op = dict(table.after)[after.group("op").lower()]
            end += after.end()
        elif m.group("digits") and clause[end:end + 1] == "+" and op == "=":
            op = ">="
            end += 1
        value *= factor
        if lo_hi is not None:
            low, high = lo_hi[0] * factor, lo_hi[1] * factor
        else:
            low = high = None
        q = _make(clause, offset, table, value, dim, base, op, (s, end), counted=counted, low=low, high=high)
        if dim == "cadence":
            q = _cadence(q)
        out.append(q)
        taken.append((s, end))
    out.sort(key=lambda q: q.start)
    return out


_RATIO = re.compile(r":1(?![\d.:])")


def _flip(op: str) -> str:
    """A comparator on a frequency, said of its period: "at least twice a day" = a period of at most 12 h."""
    return {"<=": ">=", "<": ">", ">=": "<=", ">": "<"}.get(op, op)


def _cadence(q: Quantity) -> Quantity:
    from dataclasses import replace

    return replace(q, unit="s")


def numbers(text: str) -> tuple[str, ...]:
    """The numbers of a text as a multiset (a sorted tuple, with repeats), written canonically: "1,000" and
    "1000" are one number, "3.50" is "3.5". Numbers inside identifiers (p99, x2) are not numbers."""
    out = []
    for m in re.finditer(rf"(?<![\w.])({_DIGITS})(?![\w]|\.\d)", text):
        raw = m.group(1).replace(",", "")
        value = float(raw)
        out.append(str(int(value)) if value.is_integer() else repr(value))
    return tuple(sorted(out))


def disagree(a: Quantity, b: Quantity) -> bool:
    """Whether two values of one quantity cannot both hold: two different points, a point outside the other's
    bound, two different bounds of one kind ("under 10 minutes" and "under 25 minutes" are two budgets), or
    bounds that leave nothing between them."""
    if (a.low, a.high) == (b.low, b.high):
        return False
    if a.comparator == "~" or b.comparator == "~":
        lo, hi = sorted((a.value, b.value))
        return hi > lo * 1.5  # "about 10" and "12" agree
    if a.point and b.point:
        return True
    if a.point != b.point and "range" not in (a.comparator, b.comparator):
        point, bound = (a, b) if a.point else (b, a)
        return not (bound.low <= point.low <= bound.high)
    if a.upper and b.upper or a.lower and b.lower:
        return True
    return max(a.low, b.low) > min(a.high, b.high)


def stricter(a: Quantity, b: Quantity) -> Quantity | None:
    """Of two budgets or two floors of one kind, the one that satisfies both (the lower cap, the higher
    floor); None when neither does."""
    if a.upper and b.upper:
        return a if a.high <= b.high else b
    if a.lower and b.lower:
        return a if a.low >= b.low else b
    return None


def comparable(a: Quantity, b: Quantity, table: Table | None = None) -> bool:
    """Whether two quantities measure one thing: the same dimension and unit, and the same name. Names are
    the same when they hold the same `names:` keys ("CI" and "pipeline" are `ci`; "type coverage" is not
    "coverage"), or, naming none, when most of their words are shared."""
    if a.dimension != b.dimension:
        return False
    if a.dimension == "count" and a.unit != b.unit and (a.unit and b.unit or "/" in a.unit + b.unit):
        return False  # "400 lines" and "10 files"; "retry 3 times" counts what its name says
    keys = (table or load_table()).keys
    pa, pb = set(_PERCENTILE.findall(a.name)), set(_PERCENTILE.findall(b.name))
    if pa and pb and not pa & pb:
        return False  # "p99 latency" and "p95 latency" are two quantities
    if not a.terms - _PLACING or not b.terms - _PLACING:
        return False  # a name that only places the value ("after a week", "over the last 7 days") names nothing
    if a.dimension in _DIMENSION_WORDS:  # "gzipped size under 8 kB" / "weigh up to 15 kB": the unit says size
        a = replace(a, terms=a.terms - _DIMENSION_WORDS[a.dimension])
        b = replace(b, terms=b.terms - _DIMENSION_WORDS[b.dimension])
    ka, kb = a.terms & keys, b.terms & keys
    # the words besides the keys: what the quantity is of ("webhook" in "webhook handlers answer"); a
    # word that only places the value in time ("after", "every") names nothing
    shared = (a.terms - keys) & (b.terms - keys) - _PLACING
    if ka and kb:
        if ka == kb and ka <= _WHAT_IS_DONE and (a.terms - keys) and (b.terms - keys) and not shared:
            return False  # "the record of processing activities is reviewed" / "thresholds are reviewed"
        # one name narrower than the other ("raw event logs deleted after" is log retention, "raw events
        # retained" retention): the same thing when the words besides the keys meet too
        return ka == kb or (bool(shared) and (ka < kb or kb < ka))
    if ka or kb:
        # a name the keys do not cover against one they do: the same thing only as the same kind of value
        # (two budgets, two floors, two points) of something both name: in two words ("payment records"),
        # or in one rare word ("webhook"; not "refresh", which many things do)
        return (len(shared) >= 2 or any(_rare(t) for t in shared)) and _kind(a) == _kind(b)
    if similarity(a, b) > 0.5 or bool(a.terms) and bool(b.terms) and (a.terms <= b.terms or b.terms <= a.terms):
        return True
    return len(shared) >= 2 and _kind(a) == _kind(b)


_PERCENTILE = re.compile(r"\bp\d{2,3}\b")
# Keys that name what is done or counted, not to what: two names that share only one of these and name two
# other things are two quantities ("a pick list holds 40 lines" / "split a widget past 200 lines").
_WHAT_IS_DONE = frozenset({"review", "cache", "line"})
# Words that only say what the unit already says ("size" of a value in kB); they name nothing besides it.
_DIMENSION_WORDS = {"size": frozenset({"size", "weigh", "weight", "s"}), "time": frozenset({"s", "take"}),
                    "percent": frozenset({"s"}), "count": frozenset({"s"})}
_PLACING = frozenset({"after", "befor", "before", "until", "everi", "every", "per", "each", "onc", "once", "start",
                      "end", "time", "last", "past", "previou", "next"})


def _rare(stem: str) -> bool:
    """A word of a name specific enough to say what is measured on its own (its English prior)."""
    from .statements.terms import prior

    return prior(stem) >= 0.9


def _kind(q: Quantity) -> str:
    """A budget (an upper bound), a floor (a lower bound), a point, a range or an estimate."""
    return "upper" if q.upper else "lower" if q.lower else "point" if q.point else q.comparator


def similarity(a: Quantity, b: Quantity) -> float:
    """The share of their names' terms two quantities have in common."""
    union = a.terms | b.terms
    return len(a.terms & b.terms) / len(union) if union else 0.0


def show(q: Quantity) -> str:
    return q.text


def within(qs: Sequence[Quantity], start: int, end: int) -> list[Quantity]:
    return [q for q in qs if q.start >= start and q.end <= end]
