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
from pathlib import Path
from typing import Any

import Stemmer
import yaml

from ..lazy import compiled_when_used

__all__ = ["Analysis", "Terms", "analyse", "lemma", "terms_data", "tokens", "term_words", "load_terms"]


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer.Stemmer("english")


_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
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
_TOKEN = re.compile(r"[a-z0-9][a-z0-9_]*(?:(?:[./+#]|::|-(?=[a-z0-9]))[a-z0-9_]+)*(?:\+\+|\+|#)?\u2063?|%")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*\Z")
_CONTRACTION = re.compile(r"n['\u2019]t\b")
_HAS_DIGIT = re.compile(r"\d")


_CAPS = re.compile(r"\b[A-Z][A-Z0-9]+s?\b")


# A hyphenated word with one of these inside is one term ("at-least-once", "end-to-end", "read-only").
_GLUE = frozenset("a an the at to of in on by for and or not no up out least most once only all".split())


def tokens(text: str) -> list[str]:
    """Lower-case tokens of plain text; `joinedload/selectinload` is two words, `I/O` and `CI/CD` one.
    An abbreviation in capitals (`OAS`, `IDs`) is marked to be kept whole: it is not an English word."""
    out: list[str] = []
    for tok in _TOKEN.findall(_folded(text)):
        if "/" in tok and all(len(p) >= 3 and not p.isdigit() for p in tok.split("/")):
            out.extend(tok.split("/"))
        elif "-" in tok and not _HAS_DIGIT.search(tok) and not any(p in _GLUE or len(p) == 1 for p in tok.split("-")):
            out.extend(p for p in tok.split("-") if p)
        elif len(tok) > 1 or tok.isdigit() or tok == "%":
            out.append(tok)  # a lone letter ("platform's", "-m") is no word
    return out


def _folded(text: str) -> str:
    """The text `tokens` reads its tokens from: capitals marked, lower-cased, contractions spelt out."""
    if _CAPS.search(text):
        text = _CAPS.sub(lambda m: m.group().rstrip("s") + "\u2063" if len(m.group()) > 2 else m.group(), text)
    text = text.lower()
    if "n'" in text or "n\u2019" in text:
        text = _CONTRACTION.sub(" not", text)
    return text


def _first_token(text: str) -> str | None:
    """`tokens(text)[0]` (None when there is none), without reading the rest of the text."""
    for m in _TOKEN.finditer(_folded(text)):
        tok = m.group()
        if "/" in tok and all(len(p) >= 3 and not p.isdigit() for p in tok.split("/")):
            return tok.split("/")[0]
        if "-" in tok and not _HAS_DIGIT.search(tok) and not any(p in _GLUE or len(p) == 1 for p in tok.split("-")):
            parts = [p for p in tok.split("-") if p]
            if parts:
                return parts[0]
        elif len(tok) > 1 or tok.isdigit() or tok == "%":
            return tok
    return None


_WHOLE_MARK = re.compile("[._/+#:\u2063]")


@lru_cache(maxsize=65536)
def _whole(tok: str) -> bool:
    """Written as one: kept whole, not stemmed. Cached: a file repeats its words many times."""
    return _WHOLE_MARK.search(tok) is not None or (_HAS_DIGIT.search(tok) is not None and not _NUMBER.match(tok))


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
    modal_words: frozenset[str] = frozenset()  # single-word modal entries ("must", "should"): "must not"
    generic_verbs: frozenset[str] = frozenset()  # leading verbs that name no action of their own
    priors: dict[str, float] | None = None  # term -> how specific it is, where English frequency misleads
    imperatives: frozenset[str] = frozenset()  # first words of imperative statements, as written
    sequel: frozenset[str] = frozenset()  # lemmas that put their clause after the one before ("then")
    sequence: frozenset[str] = frozenset()  # sequel words and marks ("first"): never a side of an order
    conditions: frozenset[str] = frozenset()  # a clause starting with one is a condition ("if A, then B")
    purposes: frozenset[str] = frozenset()  # open a purpose inside a clause ("... so a retry never bills twice")
    preference: frozenset[str] = frozenset()  # "A over B": A ranked above B
    settle: frozenset[str] = frozenset()  # what a step waits for when it waits for the rest of the work
    make_verbs: frozenset[str] = frozenset()  # verbs that bring about what they name ("write tests")
    prohibit_phrases: frozenset[str] = frozenset()  # phrases that prohibit what follows ("stay away from")
    prohibit_after: frozenset[str] = frozenset()  # words that prohibit what stands before ("X is forbidden")
    switch_off: frozenset[str] = frozenset()  # surfaces that switch their term off ("disable" -> "enable")
    switched: frozenset[str] = frozenset()  # the terms they switch off ("enable")
    permissions: frozenset[str] = frozenset()  # phrases as written that grant a permission ("feel free to")
    waivers: frozenset[str] = frozenset()  # phrases as written that waive a requirement ("no need to")


def _read(text: str) -> Any:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _split_words(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value or ()]


def _lemmas(phrase: str) -> tuple[str, ...]:
    return tuple(t if _whole(t) else lemma(t) for t in tokens(phrase))


def load_terms(extra: tuple[str, ...] = ()) -> Terms:
    """The built-in term data, with the `terms:` section of each user's knowledge file (`--axes`) layered
    on top: the same keys as `knowledge/terms.yaml` (docs/terms.md)."""
    sources = [_read((_KNOWLEDGE / "terms.yaml").read_text("utf-8"))]
    for path in extra:
        with open(path, encoding="utf-8") as f:
            user = _read(f.read())
        if isinstance(user, dict) and isinstance(user.get("terms"), dict):
            sources.append(user["terms"])
    stop: set[str] = set()
    low: set[str] = set()
    words: dict[str, str] = {}
    phrases: list[tuple[tuple[str, ...], str]] = []
    negators: set[str] = set()
    discourage: set[str] = set()
    averts: set[str] = set()
    modal: dict[str, str] = {}
    order: dict[str, str] = {}
    sequel: set[str] = set()
    marks: set[str] = set()
    conditions: set[str] = set()
    purposes: set[str] = set()
    preference: set[str] = set()
    settle: set[str] = set()
    generic_verbs: set[str] = set()
    make_verbs: set[str] = set()
    priors: dict[str, float] = {}
    imperatives: set[str] = set()
    prohibit_phrases: set[str] = set()
    prohibit_after: set[str] = set()
    switch_off: set[str] = set()
    switched: set[str] = set()
    permissions: set[str] = set()
    waivers: set[str] = set()
    for data in sources:
        data = data or {}
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
                low.add(parts[0])
            elif parts:
                phrases.append((parts, "~" + "-".join(parts)))
                low.add("~" + "-".join(parts))
        for canonical in _split_variants(data.get("averts")):
            averts.add(canonical)
        negators.update(l for w in _split_words(data.get("negators")) for l in _lemmas(w))
        # phrases read as one surface (their lemmas joined), kept out of the terms as low-weight marks
        for entry in [*_split_variants(data.get("prohibit_phrases")), *_split_words(data.get("prohibit_after"))]:
            parts = _lemmas(entry)
            if len(parts) > 1:
                phrases.append((parts, "~" + "-".join(parts)))
                low.add("~" + "-".join(parts))
        prohibit_phrases.update(" ".join(_lemmas(e)) for e in _split_variants(data.get("prohibit_phrases")))
        prohibit_after.update(" ".join(_lemmas(w)) for w in _split_words(data.get("prohibit_after")))
        for canonical, variants in (data.get("switch_off") or {}).items():
            switched.add(str(canonical))
            for variant in _split_variants(variants):
                parts = _lemmas(variant)
                if len(parts) == 1:
                    words[parts[0]] = str(canonical)
                elif parts:
                    phrases.append((parts, str(canonical)))
                switch_off.add(" ".join(parts))
        permissions.update(p.lower() for p in _split_variants(data.get("permissions")))
        waivers.update(p.lower() for p in _split_variants(data.get("waivers")))
        discourage.update(l for w in _split_words(data.get("discourage")) for l in _lemmas(w))
        for modality, entries in (data.get("modality") or {}).items():
            for entry in _split_variants(entries):
                modal[" ".join(_lemmas(entry))] = str(modality)
        generic_verbs.update(words.get(l, l) for w in _split_words(data.get("generic_verbs")) for l in _lemmas(w))
        make_verbs.update(words.get(l, l) for w in _split_words(data.get("make_verbs")) for l in _lemmas(w))
        imperatives.update(w.lower() for w in _split_words(data.get("imperatives")))
        for term, value in (data.get("prior") or {}).items():
            priors[str(term)] = float(value)
        for word in _split_words(data.get("before")):
            order[lemma(word)] = "before"
        for word in _split_words(data.get("after")):
            order[lemma(word)] = "after"
        sequel.update(lemma(w) for w in _split_words(data.get("sequel")))
        marks.update(lemma(w) for w in _split_words(data.get("sequence_marks")))
        conditions.update(lemma(w) for w in _split_words(data.get("conditions")))
        purposes.update(lemma(w) for w in _split_words(data.get("purposes")))
        preference.update(lemma(w) for w in _split_words(data.get("preference")))
        settle.update(lemma(w) for w in _split_words(data.get("settle")))
    phrases.sort(key=lambda p: (-len(p[0]), p[0]))
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for phrase, canonical in phrases:
        by_first.setdefault(phrase[0], []).append((phrase, canonical))
    return Terms(stop=frozenset(stop), low=frozenset(low),
                 phrases={k: tuple(v) for k, v in by_first.items()}, words=words,
                 negators=frozenset(negators), discourage=frozenset(discourage), averts=frozenset(averts),
                 modal=modal, modal_words=frozenset(k for k in modal if " " not in k), order=order,
                 generic_verbs=frozenset(generic_verbs), make_verbs=frozenset(make_verbs), priors=priors, imperatives=frozenset(imperatives),
                 sequel=frozenset(sequel), sequence=frozenset(sequel | marks), conditions=frozenset(conditions),
                 purposes=frozenset(purposes),
                 preference=frozenset(preference), settle=frozenset(settle),
                 prohibit_phrases=frozenset(prohibit_phrases), prohibit_after=frozenset(prohibit_after),
                 switch_off=frozenset(switch_off), switched=frozenset(switched), permissions=frozenset(permissions), waivers=frozenset(waivers),
                 scope_end=frozenset(lemma(w) for w in ("but", "unless", "except", "during", "while", "whenever",
                                                                                  "instead", "rather")))


def _split_variants(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    return [v.strip() for item in value for v in str(item).split(",") if v.strip()]


_ACTIVE: list[tuple[tuple[str, ...], Terms]] = []  # (users' files, their term data) of the current run


@lru_cache(maxsize=1)
def _prepared() -> dict | None:
    """`knowledge/terms.prepared.json` (`python -m agentmerge.statements.prepare`), None when stale or absent."""
    import json

    try:
        raw = (_KNOWLEDGE / "terms.prepared.json").read_bytes()
    except OSError:
        return None
    document = json.loads(raw)
    return document if document.get("fingerprint") == fingerprint() else None


def fingerprint() -> str:
    """What the prepared file was made from: the size and CRC-32 of the built-in `terms.yaml`, as the
    knowledge base's prepared files record theirs (not a defence against anyone; hashlib would also load
    OpenSSL, a few ms of every run)."""
    import zlib

    raw = (_KNOWLEDGE / "terms.yaml").read_bytes()
    return f"{len(raw)}:{zlib.crc32(raw):08x}"


@lru_cache(maxsize=1)
def _builtin() -> Terms:
    ready = _prepared()
    if ready is None:
        return load_terms()
    data = dict(ready["terms"])
    data["phrases"] = {k: tuple((tuple(phrase), canonical) for phrase, canonical in v)
                       for k, v in data["phrases"].items()}
    return Terms(**{k: frozenset(v) if isinstance(v, list) else v for k, v in data.items()})


def terms_data() -> Terms:
    return _ACTIVE[0][1] if _ACTIVE else _builtin()


def use_terms(extra: tuple[str, ...] = ()) -> None:
    """Read statements with the built-in term data and the `terms:` sections of these users' files from
    now on (a run calls it with its `--axes` files; no files: the built-in data alone)."""
    wanted = tuple(extra)
    if (_ACTIVE[0][0] if _ACTIVE else ()) == wanted:
        return
    _ACTIVE.clear()
    if wanted:
        _ACTIVE.append((wanted, load_terms(wanted)))
    analyse.cache_clear()
    statement_terms.cache_clear()
    prior.cache_clear()
    from . import _unit_statements  # read with the term data before

    _unit_statements.cache_clear()


@lru_cache(maxsize=65536)
def _surface(tok: str) -> str:
    """A token as term_words reads it: whole terms and numbers as written, other words lemmatised."""
    return tok if _whole(tok) or _NUMBER.match(tok) else lemma(tok)


def _cased(current: str, single: dict[str, str]) -> str:
    """A word in capitals that is a common English word (SQL's JOIN, LIMIT; a shouted ALWAYS) is that word,
    so that phrases hold it too ("EXPLAIN ANALYZE"); an abbreviation (HIPAA, OAS) stays marked as one."""
    if not current.endswith("\u2063"):
        return current
    bare = current[:-1]
    if bare in single:
        return bare  # a term the data knows, in capitals or not (PR, SSO, EXPLAIN)
    if len(bare) < 4 or not bare.isalpha():
        return current
    word = lemma(bare)
    return word if _english().get(word, 0.0) >= _CAPS_WORD_ZIPF else current


_LEMMAS: list = [None, {}]  # the term data's words last asked about, and each token's lemma under them


def term_words(text: str, data: Terms | None = None) -> list[tuple[str, str]]:
    """(surface lemma, canonical term) for each word of plain text, multi-word synonyms folded; numbers
    stay as they are written."""
    data = data or terms_data()
    phrases, single = data.phrases, data.words
    if _LEMMAS[0] is not single or len(_LEMMAS[1]) > 262144:
        _LEMMAS[:] = [single, {}]
    known = _LEMMAS[1]
    lemmas = []
    for t in tokens(text):
        found = known.get(t)
        if found is None:
            found = known[t] = _cased(_surface(t), single)
        lemmas.append(found)
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
            if current.endswith("\u2063"):  # an abbreviation in capitals: its canonical term, else itself
                bare = current[:-1]
                out.append((bare, single.get(bare, bare.upper())))
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
    verb: str = ""  # the leading verb of an imperative statement, as a term
    # (first, then) across clauses ("A first, B later"; "A, then B"): the matcher keeps two statements
    # whose sequence is reversed apart; conflict detection reads `order` only, as a clause's list of
    # steps ("run lint, typecheck and test, then open the PR") names too much to pit against other orders
    sequence: tuple[tuple[str, str], ...] = ()
    # a negation inside a purpose ("... so a retried call never bills twice"): what the action prevents, a
    # *do*, as "eliminate N+1 problems" is
    averted: bool = False


# The auxiliary of an inverted clause after "only after …" / "only once …" ("… does it go onto a robot").
_INVERTED_WORDS = "does do did can may will should must is are"
_ONLY = frozenset({"onli", "only"})


@lru_cache(maxsize=1)
def _inverted() -> frozenset[str]:
    return frozenset(lemma(w) for w in _INVERTED_WORDS.split())
# " and " before a clause that ends in a sequel word ("… first and run the benchmarks afterwards")
_LATER_AND = re.compile(r"\s+and\s+(?=[^,;:]*\b(?:afterwards?|later|after that)\b)", re.IGNORECASE)
_PASSIVE = frozenset({"be", "been", "get"})  # "must not be applied", "should never get merged"
# What stands before a predicate that prohibits its subject ("X is forbidden", "X stays disabled").
_COPULA = frozenset({"is", "are", "be", "been", "was", "were", "remain", "stay", "strict", "consid", "alway", "kept"})
_CLAUSE = re.compile(r"[,;:()]|\s[-\u2013\u2014]\s")


@lru_cache(maxsize=65536)
def _is_number(surface: str) -> bool:
    return _NUMBER.match(surface) is not None


# What analyse needs to know of a surface, as bits (see _word_class).
_WHOLE, _SPECIAL, _NO_SIDE = 1, 2, 4
_CLASSES: list = [None, {}]  # the term data last asked about, and each surface's class under it


def _plain_words(data: Terms) -> dict[str, int]:
    """surface -> its _word_class under `data` (filled as surfaces are met)."""
    if _CLASSES[0] is not data or len(_CLASSES[1]) > 262144:
        _CLASSES[:] = [data, {}]
    return _CLASSES[1]


def _word_class(surface: str, data: Terms, opening: frozenset[str]) -> int:
    """_SPECIAL: a number, "%", a modal word or the start of one, a negator, a word that discourages,
    ends a scope, orders, prefers or is stopped (analyse reads it rule by rule); otherwise a plain term,
    _WHOLE when it is written as one (`_whole`). _NO_SIDE: not a term of a clause's side in an order
    across clauses (a stop word, a sequence word or a number)."""
    number = _is_number(surface)
    found = 0 if surface not in data.stop and surface not in data.sequence and not number else _NO_SIDE
    if (number or surface == "%" or surface in data.modal or surface in opening
            or surface in data.negators or surface in data.discourage or surface in data.scope_end
            or surface in data.order or surface in data.preference or surface in data.stop
            or surface in data.prohibit_phrases or surface in data.prohibit_after or surface in data.switch_off):
        return found | _SPECIAL
    return found | (_WHOLE if _whole(surface) else 0)


_OPENINGS: list = [None, frozenset()]  # the term data last asked about, and its modal phrases' openings


def _modal_openings(data: Terms) -> frozenset[str]:
    """What a modal phrase's words before one of its spaces can be ("have" of "have to"): only a surface
    among these can start a two-word modal entry with the next one."""
    if _OPENINGS[0] is not data:
        _OPENINGS[:] = [data, frozenset(k[:i] for k in data.modal for i, c in enumerate(k) if c == " ")]
    return _OPENINGS[1]


@lru_cache(maxsize=262144)  # matching and conflict detection both read every statement of a large input
def analyse(text: str, code: tuple[str, ...] = ()) -> Analysis:
    """Modality, negation scope, terms, head terms, numbers and order of one statement's plain text."""
    return _analysis(text, code, True)


@lru_cache(maxsize=262144)
def statement_terms(text: str) -> tuple[str, ...]:
    """`analyse(text).terms`, without reading the statement's quantities and numbers (a library scan
    compares the terms of every statement of every file, and needs nothing else of most of them)."""
    return _analysis(text, (), False).terms


# A statement marked with a cross ("❌ Validate technical correctness") says not to do it; a tick says
# nothing of its own.
_CROSS = re.compile(r"^\s*(?:❌|✗|✘|🚫|⛔)\s*")
_TICK = re.compile(r"^\s*(?:✅|✓|✔️?|☑️?)\s*")
_MARKS = frozenset("❌✗✘🚫⛔✅✓✔☑")


def _analysis(text: str, code: tuple[str, ...], full: bool) -> Analysis:
    data = terms_data()
    if text[:1] in _MARKS:
        cross = _CROSS.match(text)
        if cross:
            text = "do not " + text[cross.end():]
        else:
            tick = _TICK.match(text)
            if tick:
                text = text[tick.end():]
    opening = _modal_openings(data)
    plain_words = _plain_words(data)
    clauses = _CLAUSE.split(text)
    all_terms: list[str] = []
    numbers: list[str] = []
    heads: list[str] = [c.strip().lower() for c in code if c.strip()]
    negated = False
    averted = False
    actions: list[str] = []
    order: list[tuple[str, str]] = []
    modality = ""
    first_clause = True
    after_condition = False
    sequence: list[tuple[str, str]] = []
    earlier: list[str] = []  # the terms of the clause before, for an order across clauses
    # a clause after a colon opens the statement's own stance when none came before ("Warnings are errors:
    # never disable -Werror")
    if ":" in text:
        opens_after = [False] + [m.group().strip() == ":" for m in _CLAUSE.finditer(text)]
    else:
        opens_after = [False] * len(clauses)
    if " and " in text and _LATER_AND.search(text):
        # "post it right away and ask for approval afterwards": two clauses in sequence
        split: list[str] = []
        flags: list[bool] = []
        for clause, flag in zip(clauses, opens_after):
            m = _LATER_AND.search(clause)
            parts = [clause[: m.start()], clause[m.end() :]] if m else [clause]
            split.extend(parts)
            flags.extend([flag] + [False] * (len(parts) - 1))
        clauses, opens_after = split, flags
    for c, clause in enumerate(clauses):
        if c and opens_after[c] and modality in ("", "describe") and not negated:
            first_clause = True
        pairs = term_words(clause, data)
        # "if a migration cannot be reversed, …": a negation inside a condition prohibits nothing, and the
        # clause after the condition is where the statement's own stance starts
        conditional = bool(pairs) and pairs[0][0] in data.conditions
        clause_terms: list[str] = []
        in_scope = False
        scope: list[str] = []
        previous: list[str] = []
        pending: tuple[str, list[str]] | None = None  # an order word and the terms before it
        inverted: list[str] | None = None  # "only after A does B": A, ended by the auxiliary
        preferred: list[str] | None = None  # the terms before a preference word
        side: list[str] = []  # the clause's terms for an order across clauses
        skip = ""  # the permission word of "not allowed": the modality, not part of the action
        in_condition = False  # past a condition word inside the clause ("… when the file has not been sent")
        in_purpose = False  # past a purpose word inside the clause ("… so a rerun never duplicates rows")
        for k, (surface, term) in enumerate(pairs):
            word = plain_words.get(surface)
            if word is None:
                word = plain_words[surface] = _word_class(surface, data, opening)
            if not word & _NO_SIDE:
                side.append(term)
            if not word & _SPECIAL:
                # a content word that is nothing else (most are): a term of the clause, as below
                clause_terms.append(term)
                previous.append(term)
                if in_scope:
                    scope.append(term)
                if word & _WHOLE:
                    heads.append(term)
                continue
            if skip and surface == skip:
                skip = ""
                continue
            if _is_number(surface):
                numbers.append(surface.replace(",", ""))
                continue
            if surface == "%":
                continue
            key = data.modal.get(surface)
            if key is None and k + 1 < len(pairs) and surface in opening:
                key = data.modal.get(surface + " " + pairs[k + 1][0])
            if key is not None and not modality:
                modality = key
            if k > 0 and (surface in data.conditions or surface in data.purposes):
                # past a condition or a purpose ("... so a retried call never bills twice"): a negation
                # there is not the statement's stance
                in_condition = True
                in_purpose = in_purpose or surface in data.purposes
            if surface in data.prohibit_after and k > 0 and clause_terms and pairs[k - 1][0] in _COPULA:
                if not conditional and not in_condition:
                    # "calling the carrier API directly is forbidden": the clause before is what is prohibited
                    negated = True
                    in_scope = True
                    scope.extend(t for t in clause_terms if t not in scope)
                    if modality in ("", "require", "recommend", "permit"):
                        modality = "prohibit"
                continue
            if surface in data.switch_off:
                opens = not after_condition or k == 0 or pairs[k - 1][0] in ("then", "just", "please")
                stance = not conditional and not in_condition
                if stance and in_scope and negated:
                    # "never disable X": a requirement to keep X on
                    negated, in_scope, scope = False, False, []
                    modality = "require"
                elif stance and ((first_clause and opens and not clause_terms and k + 1 < len(pairs))
                                 or (k > 0 and pairs[k - 1][0] in data.modal_words)):
                    # "disable X", "turn off X", "must switch off X": a prohibition to have X on
                    negated = in_scope = True
                    if modality in ("", "require", "recommend", "permit"):
                        modality = "prohibit"
                elif stance and clause_terms and k > 0 and pairs[k - 1][0] in _COPULA:
                    # "autoplay is disabled": its subject is prohibited from being on
                    negated = in_scope = True
                    scope.extend(t for t in clause_terms if t not in scope)
                    if modality in ("", "require", "recommend", "permit"):
                        modality = "prohibit"
                else:
                    term = "disable"  # "built with exceptions turned off": the word, no stance
                clause_terms.append(term)
                previous.append(term)
                if in_scope:
                    scope.append(term)
                continue
            if surface in data.negators or surface in data.prohibit_phrases:
                if in_condition and k > 0:
                    if in_purpose:
                        averted = True  # what the action prevents: the polarity, not a term
                        continue
                    clause_terms.append("not")  # "… when the bank file has not been sent": the condition's
                    continue
                if _comparator(pairs, k):
                    continue
                opens = not after_condition or k == 0 or pairs[k - 1][0] in ("then", "just", "please")
                if not conditional and ((first_clause and opens) or (k > 0 and pairs[k - 1][0] in data.modal_words)):
                    negated = True
                    in_scope = True
                    nxt = pairs[k + 1][0] if k + 1 < len(pairs) else ""
                    if clause_terms and (nxt in _PASSIVE or data.modal.get(nxt) == "permit"):
                        # "X must not be applied to Y", "X are not allowed": the subject is what is prohibited
                        scope.extend(clause_terms)
                        skip = nxt if nxt not in _PASSIVE else ""
                    if modality in ("", "require", "recommend", "permit"):
                        modality = "prohibit"
                    continue
                # "A, not B": a contrast, not a prohibition (the words keep their sides)
                clause_terms.append("not")
                continue
            if surface in data.discourage:
                negated = True
                in_scope = True
                if modality in ("", "require", "recommend", "permit"):
                    modality = "discourage"
                continue
            if surface in data.scope_end:
                in_scope = False
            if surface in data.order and k and pairs[k - 1][0] == "at":
                continue  # "run the checks at once": how, not when
            if surface in data.order and previous:
                pending = (data.order[surface], list(previous))
                previous = []
                continue
            if surface in data.preference and previous and preferred is None:
                preferred = list(previous)  # "A over B", "A instead of B", "A rather than B"
                previous = []
                continue
            if (pending is not None and surface in _inverted() and inverted is None and previous
                    and set(pending[1]) <= _ONLY):
                # "only after it passes in simulation does it go onto a robot": the auxiliary ends the condition
                inverted = list(previous)
                previous = []
                continue
            if surface in data.stop:
                continue
            clause_terms.append(term)
            previous.append(term)
            if in_scope:
                scope.append(term)
            if _whole(surface):  # numbers were taken above
                heads.append(term)
        if pending is not None and inverted is not None and previous:
            first, then = (inverted, previous) if pending[0] == "after" else (previous, inverted)
            order.append((" ".join(first), " ".join(then)))
        elif pending is not None and previous:
            direction, left = pending
            first, then = (left, previous) if direction == "before" else (previous, left)
            order.append((" ".join(first), " ".join(then)))
        if preferred is not None and previous:
            sequence.append((" ".join(preferred), " ".join(previous)))
        # "A, then B" / "A first, B later": the order runs across the clauses (not after "if A, then B")
        surfaces = [surface for surface, _term in pairs]
        condition = bool(surfaces) and surfaces[0] in data.conditions
        if pending is None and earlier and side and not condition and data.sequel.intersection(surfaces):
            sequence.append((" ".join(earlier), " ".join(side)))
        if side:
            earlier = [] if condition else side
        all_terms.extend(clause_terms)
        actions.extend(scope)
        if clause.strip():
            # after "if …," the stance is the imperative that follows ("if …, never …"), not a description
            # ("if …, it isn't …")
            after_condition = conditional and first_clause
            first_clause = first_clause and conditional
    if not full:  # the terms alone: what follows reads the mood and the values
        return Analysis(modality=modality, negated=negated, actions=(), terms=tuple(all_terms), heads=(),
                        numbers=(), order=())
    verb = ""
    if _imperative(text, data) == "require":
        # the leading verb, after the words an imperative may open with ("Always include ...")
        skip = _skipped_openings(data)
        verb = next((t for t in all_terms if t not in skip), "")
        modality = modality or "require"
    if not modality:
        modality = "describe"
    if not negated:
        actions = [t for t in all_terms if t not in data.low][:4]
    found = _quantities(text)
    if not found:
        # "every hour", "once a day": one of the unit, a value like any other ("every 24 hours" is not it);
        # each ends with a period word standing whole, which ASCII text without one lacks
        if not text.isascii() or not _PERIODS.isdisjoint(_RUN.findall(text.lower())):
            numbers.extend("1" for _ in _EVERY_UNIT.finditer(text))
        numbers.sort()
    return Analysis(modality=modality, negated=negated, actions=tuple(actions), terms=tuple(all_terms),
                    heads=tuple(dict.fromkeys(heads)), numbers=tuple(sorted(numbers)), order=tuple(order),
                    quantities=found, verb=verb, sequence=tuple(sequence), averted=averted)


_EVERY_UNIT = compiled_when_used(r"\b(?:every|each|per|once an?|an?)\s+(?:second|minute|hour|day|week|month|quarter|year)\b",
                                 re.IGNORECASE)
# Only text with a digit, a number word or a cadence can state a quantity (most statements state none).
_MAY_COUNT = compiled_when_used(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                                r"forty|fifty|hundred|thousand|million|dozen|half|twice|thrice|once|single|double|nines?|"
                                r"hourly|daily|weekly|monthly|nightly|yearly|annually)\b|"
                                r"\b(?:every|each|per|an?)\s+(?:second|minute|hour|day|week|month|quarter|year)\b",
                                re.IGNORECASE)


_COUNT_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
hundred thousand million dozen half twice thrice once single double nines hourly daily weekly monthly nightly
yearly annually""".split())  # _MAY_COUNT's words
_PERIODS = frozenset("second minute hour day week month quarter year".split())  # and its periods
_RUN = re.compile(r"\w+")
_ASCII_DIGIT = re.compile(r"[0-9]")


def _may_count(text: str) -> bool:
    """`_MAY_COUNT.search(text)`, told for ASCII text by its words where they suffice: `\\b` around a word
    means a whole run of word characters, and ignoring case is lower-casing."""
    if text.isascii():
        if _ASCII_DIGIT.search(text):
            return True
        runs = set(_RUN.findall(text.lower()))
        if not runs.isdisjoint(_COUNT_WORDS):
            return True
        if runs.isdisjoint(_PERIODS):
            return False  # the cadence alternative ends with a period word
    return _MAY_COUNT.search(text) is not None


def _quantities(text: str) -> tuple:
    """The quantities `agentmerge.quantities` reads in the text (value + unit + comparator)."""
    if not _may_count(text):
        return ()
    from ..quantities import load_table, quantities

    return tuple(quantities(text, load_table(())))  # the built-in table, as a run without --axes loads it


def _comparator(pairs: list[tuple[str, str]], k: int) -> bool:
    """"no more than", "no later than", "not exceed": a bound, not a prohibition."""
    nxt = pairs[k + 1][0] if k + 1 < len(pairs) else ""
    return pairs[k][0] == "no" and nxt in ("more", "less", "later", "earlier", "longer", "fewer", "greater")


_OPENING_WORDS = ("please", "always", "also", "then", "first", "and")  # before an imperative's verb
_IMPERATIVE_SKIP = re.compile(rf"^(?:{'|'.join(_OPENING_WORDS)})\s+", re.I)


_SKIPPED: list = [None, frozenset()]  # the term data last asked about, and its terms of _OPENING_WORDS


def _skipped_openings(data: Terms) -> frozenset[str]:
    """The terms of the words `_IMPERATIVE_SKIP` passes over before an imperative's verb."""
    if _SKIPPED[0] is not data:
        _SKIPPED[:] = [data, frozenset(data.words.get(lemma(w), lemma(w)) for w in _OPENING_WORDS)]
    return _SKIPPED[1]


def _imperative(text: str, data: Terms) -> str:
    """An imperative sentence ("Index foreign keys") requires; anything else describes."""
    first = _first_token(_IMPERATIVE_SKIP.sub("", text))
    if first is None:
        return "describe"
    return "require" if first in data.imperatives else "describe"


# --- how much a term decides ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _english() -> dict[str, float]:
    """Lemma -> Zipf frequency in general English (`knowledge/english.txt`, built from wordfreq)."""
    return _english_from_text((_KNOWLEDGE / "english.txt").read_text("utf-8"))


def _english_from_text(text: str) -> dict[str, float]:
    table: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            bucket, _, words = line.partition(" ")
            table.update(dict.fromkeys(words.split(), float(bucket)))
    return table


_CAPS_WORD_ZIPF = 3.5  # a word in capitals this common in English is the word, not an abbreviation
COMMON_ZIPF = 6.5  # as common as "have": the prior's floor
RARE_ZIPF = 3.0  # about once per million words, or rarer: the prior's ceiling (1.0)
PRIOR_FLOOR = 0.15


@lru_cache(maxsize=65536)
def prior(term: str) -> float:
    """How specific a term is in general English, 0.15 (as common as "have") to 1.0 (once per million
    words or rarer; every multi-word term, identifier and canonical abbreviation not in the table)."""
    fixed = terms_data().priors
    if fixed and term in fixed:
        return fixed[term]
    table = _english()
    zipf = table.get(term)
    if zipf is None and term.isalpha():
        zipf = table.get(lemma(term))
    if zipf is None:
        return 1.0
    return max(PRIOR_FLOOR, min(1.0, (COMMON_ZIPF - zipf) / (COMMON_ZIPF - RARE_ZIPF)))
