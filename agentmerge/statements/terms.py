"""Terms: the words a statement is compared on, as data (`knowledge/terms.yaml`, extendable by users).

A term is a lemma ("analysis", "analyses", "analyze", "analysing" are one), a canonical synonym or
abbreviation ("k8s" and "Kubernetes" are one; "single sign-on" is "sso"), or a word written as one
(`I/O`, `N+1`, `p99`, `3NF`, `os.path.join`, a code span). Stop words are dropped; generic "do" verbs
and persona framings ("proficient in", "expertise in") are kept at a low weight, so that they never
decide whether two statements say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import Stemmer
import yaml

__all__ = ["Analysis", "Terms", "analyse", "lemma", "terms_data", "tokens", "term_words", "load_terms"]


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer.Stemmer("english")


_BRITISH = re.compile(r"(?<=[a-z]{3})is(e|ed|es|ing|ation|ations|er|ers)$")
_YSIS = re.compile(r"ys(is|es|e|ed|ing)$")


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """One form for every derivation Snowball keeps apart: British -ise spellings as -ize, and the
    -ysis/-yse family as -yze ("analysis", "analyse", "analyze" -> "analyz")."""
    if len(word) > 5:
        if word.endswith(("ysis", "yses", "yse", "ysed", "ysing")):
            word = _YSIS.sub("yze", word)
        elif "is" in word[-9:]:
            word = _BRITISH.sub(r"iz\1", word)
    return _stemmer().stemWord(word)


# A word, a number, or a term written as one: dotted identifiers, `a/b`, `n+1`, `c++`, `c#`, `utf-8`.
_TOKEN = re.compile(r"[a-z0-9][a-z0-9_]*(?:(?:[./+#]|::|-(?=[a-z0-9]))[a-z0-9_]+)*(?:\+\+|\+|#)?|%")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*\Z")
_CONTRACTION = re.compile(r"n['\u2019]t\b")
_HAS_DIGIT = re.compile(r"\d")


def tokens(text: str) -> list[str]:
    """Lower-case tokens of plain text; `joinedload/selectinload` is two words, `I/O` and `CI/CD` one."""
    text = text.lower()
    if "n'" in text or "n\u2019" in text:
        text = _CONTRACTION.sub(" not", text)
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        if "/" in tok and all(len(p) >= 3 and not p.isdigit() for p in tok.split("/")):
            out.extend(tok.split("/"))
        elif "-" in tok and not _HAS_DIGIT.search(tok):
            out.extend(p for p in tok.split("-") if p)
        else:
            out.append(tok)
    return out


def _whole(tok: str) -> bool:
    """Written as one: kept whole, not stemmed."""
    return any(c in tok for c in "._/+#:") or (_HAS_DIGIT.search(tok) is not None and not _NUMBER.match(tok))


@dataclass(frozen=True)
class Terms:
    """The term data, lemmatised: what folds into what, and what weighs little."""

    stop: frozenset[str]  # lemmas dropped
    low: frozenset[str]  # canonical terms kept at a low weight (generic verbs, persona framings)
    phrases: dict[str, tuple[tuple[tuple[str, ...], str], ...]]  # first lemma -> (lemmas, canonical), longest first
    words: dict[str, str]  # lemma -> canonical term
    negators: frozenset[str]  # lemmas that prohibit the action in their scope
    discourage: frozenset[str]
    averts: frozenset[str]  # canonical verbs that mean "prevent the thing named" (a *do*)
    modal: dict[str, str]  # lemma or phrase -> modality
    order: dict[str, str]  # lemma -> "before" | "after"
    scope_end: frozenset[str]  # words that close a negation's scope


def _read(text: str) -> Any:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _split_words(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value or ()]


def _lemmas(phrase: str) -> tuple[str, ...]:
    return tuple(t if _whole(t) else lemma(t) for t in tokens(phrase))


def load_terms(extra: tuple[str, ...] = ()) -> Terms:
    """The built-in term data, with users' term files (same format) layered on top."""
    sources = [resources.files("agentmerge.knowledge").joinpath("terms.yaml").read_text("utf-8")]
    for path in extra:
        with open(path, encoding="utf-8") as f:
            sources.append(f.read())
    stop: set[str] = set()
    low: set[str] = set()
    words: dict[str, str] = {}
    phrases: list[tuple[tuple[str, ...], str]] = []
    negators: set[str] = set()
    discourage: set[str] = set()
    averts: set[str] = set()
    modal: dict[str, str] = {}
    order: dict[str, str] = {}
    for raw in sources:
        data = _read(raw) or {}
        stop.update(l for w in _split_words(data.get("stop")) for l in _lemmas(w))
        for canonical, variants in (data.get("synonyms") or {}).items():
            canonical = str(canonical)
            for variant in [canonical, *_split_variants(variants)]:
                parts = _lemmas(variant)
                if len(parts) == 1:
                    words[parts[0]] = canonical
                elif parts:
                    phrases.append((parts, canonical))
        for entry in _split_variants(data.get("low_weight")):
            parts = _lemmas(entry)
            if len(parts) == 1:
                low.add(words.get(parts[0], parts[0]))
            elif parts:
                phrases.append((parts, "~" + "-".join(parts)))
                low.add("~" + "-".join(parts))
        for canonical in _split_variants(data.get("averts")):
            averts.add(canonical)
        negators.update(l for w in _split_words(data.get("negators")) for l in _lemmas(w))
        discourage.update(l for w in _split_words(data.get("discourage")) for l in _lemmas(w))
        for modality, entries in (data.get("modality") or {}).items():
            for entry in _split_variants(entries):
                modal[" ".join(_lemmas(entry))] = str(modality)
        for word in _split_words(data.get("before")):
            order[lemma(word)] = "before"
        for word in _split_words(data.get("after")):
            order[lemma(word)] = "after"
    phrases.sort(key=lambda p: (-len(p[0]), p[0]))
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for phrase, canonical in phrases:
        by_first.setdefault(phrase[0], []).append((phrase, canonical))
    return Terms(stop=frozenset(stop), low=frozenset(low),
                 phrases={k: tuple(v) for k, v in by_first.items()}, words=words,
                 negators=frozenset(negators), discourage=frozenset(discourage), averts=frozenset(averts),
                 modal=modal, order=order, scope_end=frozenset(lemma(w) for w in ("but", "unless", "except",
                                                                                  "instead", "rather")))


def _split_variants(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


@lru_cache(maxsize=1)
def terms_data() -> Terms:
    return load_terms()


def term_words(text: str, data: Terms | None = None) -> list[tuple[str, str]]:
    """(surface lemma, canonical term) for each word of plain text, multi-word synonyms folded; numbers
    stay as they are written."""
    data = data or terms_data()
    lemmas = [t if _whole(t) or _NUMBER.match(t) else lemma(t) for t in tokens(text)]
    phrases, single = data.phrases, data.words
    out: list[tuple[str, str]] = []
    i, end = 0, len(lemmas)
    while i < end:
        current = lemmas[i]
        for phrase, canonical in phrases.get(current, ()):
            n = len(phrase)
            if tuple(lemmas[i : i + n]) == phrase:
                out.append((" ".join(phrase), canonical))
                i += n
                break
        else:
            out.append((current, single.get(current, current)))
            i += 1
    return out


@dataclass(frozen=True)
class Analysis:
    """What one statement's plain text says (see `agentmerge.statements.Statement`)."""

    modality: str
    negated: bool
    actions: tuple[str, ...]
    terms: tuple[str, ...]
    heads: tuple[str, ...]
    numbers: tuple[str, ...]
    order: tuple[tuple[str, str], ...]
    quantities: tuple = ()


_CLAUSE = re.compile(r"[,;:()]|\s[-\u2013\u2014]\s")


@lru_cache(maxsize=32768)
def analyse(text: str, code: tuple[str, ...] = ()) -> Analysis:
    """Modality, negation scope, terms, head terms, numbers and order of one statement's plain text."""
    data = terms_data()
    clauses = _CLAUSE.split(text)
    all_terms: list[str] = []
    numbers: list[str] = []
    heads: list[str] = [c.strip().lower() for c in code if c.strip()]
    negated = False
    actions: list[str] = []
    order: list[tuple[str, str]] = []
    modality = ""
    first_clause = True
    for clause in clauses:
        pairs = term_words(clause, data)
        clause_terms: list[str] = []
        in_scope = False
        scope: list[str] = []
        previous: list[str] = []
        pending: tuple[str, list[str]] | None = None  # an order word and the terms before it
        for k, (surface, term) in enumerate(pairs):
            if _NUMBER.match(surface):
                numbers.append(surface.replace(",", ""))
                continue
            if surface == "%":
                continue
            key = data.modal.get(surface)
            if key is None and k + 1 < len(pairs):
                key = data.modal.get(surface + " " + pairs[k + 1][0])
            if key is not None and not modality:
                modality = key
            if surface in data.negators:
                if _comparator(pairs, k):
                    continue
                if first_clause or k == 0 or modality in ("require", "recommend"):
                    negated = True
                    in_scope = True
                    if modality in ("", "require", "recommend", "permit"):
                        modality = "prohibit"
                continue
            if surface in data.discourage:
                negated = True
                in_scope = True
                if modality in ("", "require", "recommend", "permit"):
                    modality = "discourage"
                continue
            if surface in data.scope_end:
                in_scope = False
            if surface in data.order and previous:
                pending = (data.order[surface], list(previous))
                previous = []
                continue
            if surface in data.stop:
                continue
            clause_terms.append(term)
            previous.append(term)
            if in_scope:
                scope.append(term)
            if _whole(surface) and not _NUMBER.match(surface):
                heads.append(term)
        if pending is not None and previous:
            direction, left = pending
            first, then = (left, previous) if direction == "before" else (previous, left)
            order.append((" ".join(first), " ".join(then)))
        all_terms.extend(clause_terms)
        actions.extend(scope)
        if clause.strip():
            first_clause = False
    if not modality:
        modality = _imperative(text, data)
    if not negated:
        actions = [t for t in all_terms if t not in data.low][:4]
    return Analysis(modality=modality, negated=negated, actions=tuple(actions), terms=tuple(all_terms),
                    heads=tuple(dict.fromkeys(heads)), numbers=tuple(sorted(numbers)), order=tuple(order),
                    )


def _comparator(pairs: list[tuple[str, str]], k: int) -> bool:
    """"no more than", "no later than", "not exceed": a bound, not a prohibition."""
    nxt = pairs[k + 1][0] if k + 1 < len(pairs) else ""
    return pairs[k][0] == "no" and nxt in ("more", "less", "later", "earlier", "longer", "fewer", "greater")


_IMPERATIVE_SKIP = re.compile(r"^(?:please|always|also|then|first|and)\s+", re.I)


def _imperative(text: str, data: Terms) -> str:
    """An imperative sentence ("Index foreign keys") requires; anything else describes."""
    words = tokens(_IMPERATIVE_SKIP.sub("", text))
    if not words:
        return "describe"
    return "require" if words[0] in _verbs() else "describe"


@lru_cache(maxsize=1)
def _verbs() -> frozenset[str]:
    raw = resources.files("agentmerge.knowledge").joinpath("terms.yaml").read_text("utf-8")
    return frozenset(_split_words((_read(raw) or {}).get("imperatives")))
