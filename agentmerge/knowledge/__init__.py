"""The conflict knowledge base: topics agents disagree about, their stances, and the detector.

A *topic* is something two agents can give opposite guidance on (consistency model, locking, pagination...).
Each topic has two or more *stances* ("defaults to eventual consistency", "requires strict consistency").
A stance is recognised by RE2 patterns over normalised prose, and optionally by patterns over code blocks.

The built-in topics live in ``topics.yaml`` next to this file; users add their own with ``--axes my.yaml``
(same format, see docs/axes.md). Every pattern is compiled by RE2, so matching is linear in the length of
the text whatever the pattern: a hostile or careless ``--axes`` file cannot hang a run.

Detection rules, in order (see ``stances_in``):

1. The text is normalised (Markdown emphasis, backticks, list and checkbox markers stripped, whitespace
   collapsed) and split into sentences; list items, headings and table rows always start a new sentence.
2. A stance is taken by a sentence when one of its ``patterns`` matches it and none of its ``unless``
   patterns (nor the topic's, nor the file-wide ``unless``) matches the same sentence.
3. A text that takes two opposed stances of one topic ("offset or cursor pagination", "strict for payments,
   eventual for feeds") takes neither: it states a scoped policy, not a default.

Compiling every built-in pattern takes longer than the rest of a merge, and most sentences take no stance.
So built-in patterns are compiled the first time they run (users' files are compiled on load, which also
validates them), and a literal prefilter (``literals.clauses``) decides which patterns can match a sentence
at all: only those are compiled and run. The prefilter never rules out a real match, so it changes no result.

Parsing ``topics.yaml`` and deriving its patterns' clauses also costs more than a small merge, so both are
done ahead, by ``python -m agentmerge.knowledge.prepared``, into ``topics.prepared.json``. A run uses that
file only when it was written from the very ``topics.yaml`` and ``literals.py`` beside it; otherwise (an edited
installation) it parses and derives afresh, which is slower and gives the same result.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2
import yaml


__all__ = [
    "BUILTIN_PATH",
    "KnowledgeError",
    "SEVERITIES",
    "Stance",
    "StanceHit",
    "Topic",
    "load_topics",
    "normalise",
    "opposed",
    "stances_in",
]

BUILTIN_PATH = Path(__file__).with_name("topics.yaml")
SEVERITIES = ("high", "medium", "low")
FORMAT_VERSION = 1

# `alternatives` and `quantities` are read by the choice and value detectors, `terms` by the statement
# model (see docs/axes.md)
_FILE_KEYS = ("version", "topics", "unless", "alternatives", "quantities", "terms")
_TOPIC_KEYS = ("title", "severity", "suggestion", "stances", "opposed", "unless")
_STANCE_KEYS = ("describe", "patterns", "unless", "code")
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}\Z")


# Safe loading only, with libyaml's C parser when PyYAML has it.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(ValueError):
    """A knowledge-base file is unusable. The message is one line naming the file and what is at fault."""


@dataclass(frozen=True)
class Stance:
    """One position on a topic. Pattern sequences hold compiled RE2 objects; a built-in pattern is compiled
    the first time it is read."""

    id: str
    describe: str  # completes "<file> ...", e.g. "defaults to eventual consistency"
    patterns: Sequence = ()  # prose: matched case-insensitively against one normalised sentence
    unless: Sequence = ()  # prose: any match in the same sentence cancels the stance there
    code: Sequence = ()  # code blocks: matched case-sensitively against raw code


@dataclass(frozen=True)
class Topic:
    """Something agents give opposite guidance on, with its stances and which of them conflict."""

    id: str
    title: str
    severity: str  # high | medium | low
    suggestion: str
    stances: tuple[Stance, ...]
    opposed: frozenset[frozenset[str]]  # pairs of stance ids that conflict
    unless: Sequence = ()  # prose patterns that cancel every stance of the topic in a sentence

    def stance(self, stance_id: str) -> Stance | None:
        for stance in self.stances:
            if stance.id == stance_id:
                return stance
        return None


@dataclass(frozen=True)
class StanceHit:
    """A stance taken by a text. The span is in ``normalise(text)`` (in the raw text for ``code=True``)."""

    topic: str
    stance: str
    start: int
    end: int
    phrase: str  # the matched words


# --------------------------------------------------------------------------------------------------------
# Loading

_PROSE_OPTIONS = re2.Options()
_PROSE_OPTIONS.case_sensitive = False
_PROSE_OPTIONS.log_errors = False
_CODE_OPTIONS = re2.Options()
_CODE_OPTIONS.case_sensitive = True
_CODE_OPTIONS.log_errors = False

# A pattern that can match without consuming text would take its stance in every sentence.
_EMPTY_PROBES = ("", " ", "a", "a b", ".", "\n")


@dataclass
class _RawStance:
    """A stance while its files are read (users' files may extend it), before it becomes a ``Stance``."""

    describe: str
    patterns: list = field(default_factory=list)
    unless: list = field(default_factory=list)
    code: list = field(default_factory=list)


@dataclass
class _RawTopic:
    """A topic while its files are read (users' files may extend it), before it becomes a ``Topic``."""

    title: str
    severity: str
    suggestion: str
    stances: dict[str, _RawStance]
    opposed: set[frozenset[str]] | None  # None: every pair of distinct stances
    unless: list = field(default_factory=list)


def _copy_topics(topics: dict[str, _RawTopic]) -> dict[str, _RawTopic]:
    copied = {}
    for tid, t in topics.items():
        stances = {
            sid: _RawStance(s.describe, list(s.patterns), list(s.unless), list(s.code))
            for sid, s in t.stances.items()
        }
        opposed = None if t.opposed is None else set(t.opposed)
        copied[tid] = _RawTopic(t.title, t.severity, t.suggestion, stances, opposed, list(t.unless))
    return copied


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _fail(path: str, message: str) -> KnowledgeError:
    return KnowledgeError(_one_line(f"{path}: {message}"))


def _check_pattern(pattern: Any, *, path: str, where: str) -> None:
    if not isinstance(pattern, str) or not pattern.strip():
        raise _fail(path, f"{where}: a pattern must be a non-empty string (got {pattern!r})")


def _compile(pattern: Any, *, path: str, where: str, code: bool) -> Any:
    _check_pattern(pattern, path=path, where=where)
    try:
        compiled = re2.compile(pattern, _CODE_OPTIONS if code else _PROSE_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise _fail(path, f"{where}: RE2 rejects pattern {pattern!r}: {reason}") from None
    for probe in _EMPTY_PROBES:
        match = compiled.search(probe)
        if match is not None and match.end() == match.start():
            raise _fail(path, f"{where}: pattern {pattern!r} can match empty text")
    return compiled


class _Regex:
    """One pattern of the knowledge base, compiled when first needed (``regex``), with its prefilter
    clauses (``clauses``, see ``literals.clauses``)."""

    __slots__ = ("source", "code", "path", "where", "_regex", "_clauses")

    def __init__(self, source: str, *, code: bool, path: str = "", where: str = "",
                 regex: Any = None) -> None:
        self.source = source
        self.code = code
        self.path = path
        self.where = where
        self._regex = regex
        self._clauses: tuple[frozenset[str], ...] | None = None

    @property
    def regex(self) -> Any:
        if self._regex is None:
            self._regex = _compile(self.source, path=self.path, where=self.where, code=self.code)
        return self._regex

    @property
    def clauses(self) -> tuple[frozenset[str], ...]:
        if self._clauses is None:
            known = _prepared_clauses.get(self.source)
            if known is None:
                from .literals import clauses

                self._clauses = clauses(self.source)
            else:
                self._clauses = tuple(map(frozenset, known))
        return self._clauses

    def may_match(self, folded: str) -> bool:
        """False when the pattern cannot match the text whose ``_fold`` is ``folded``."""
        return _satisfied(self.clauses, folded)


class _Patterns(Sequence):
    """Patterns as compiled RE2 objects, each compiled the first time it is read."""

    __slots__ = ("cells",)

    def __init__(self, cells: Sequence[_Regex] = ()) -> None:
        self.cells = tuple(cells)

    def __len__(self) -> int:
        return len(self.cells)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return tuple(cell.regex for cell in self.cells[index])
        return self.cells[index].regex

    def __iter__(self) -> Iterator[Any]:
        return (cell.regex for cell in self.cells)

    # Equal when they hold the same patterns, as tuples of the same compiled objects were.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Patterns) and self.cells == other.cells

    def __hash__(self) -> int:
        return hash(self.cells)

    def __repr__(self) -> str:
        return f"_Patterns({[cell.source for cell in self.cells]!r})"


def _cells(patterns: Sequence) -> tuple[_Regex, ...]:
    """The pattern cells behind a stance's or topic's patterns (also when built by hand from RE2 objects)."""
    if isinstance(patterns, _Patterns):
        return patterns.cells
    return tuple(_Regex(p.pattern, code=False, regex=p) for p in patterns)  # compiled already: `code` is unused


def _pattern_list(value: Any, *, path: str, where: str, code: bool, lazy: bool) -> list[_Regex]:
    """The patterns of one list in a knowledge file. ``lazy``: check they are strings and compile them
    when first used (the built-in file); otherwise compile them now, so a bad one fails the load."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _fail(path, f"{where}: expected a list of patterns (got {type(value).__name__})")
    cells = []
    for i, pattern in enumerate(value):
        at = f"{where}[{i}]"
        if lazy:
            _check_pattern(pattern, path=path, where=at)
            cells.append(_Regex(pattern, code=code, path=path, where=at))
        else:
            cells.append(_Regex(pattern, code=code, regex=_compile(pattern, path=path, where=at, code=code)))
    return cells


def _text(value: Any, *, path: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"{where} must be a non-empty string (got {value!r})")
    return _one_line(value)


def _check_keys(data: dict, allowed: Sequence[str], *, path: str, where: str) -> None:
    for key in data:
        if key not in allowed:
            raise _fail(path, f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})")


def _check_id(value: Any, *, path: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise _fail(
            path,
            f"{what} id {value!r} is not valid (letters, digits, '_' and '-', starting with a letter)",
        )
    return value


def _duplicate_keys(root: Any, path: str) -> KnowledgeError | None:
    """YAML silently keeps the last of two equal keys; in a knowledge base that hides a whole topic."""
    stack = [root] if root is not None else []
    visited = 0
    while stack:
        node = stack.pop()
        visited += 1
        if visited > MAX_NODES:  # aliases of aliases ("billion laughs"): refused before anything expands them
            return _fail(path, f"YAML aliases expand to more than {MAX_NODES:,} values; refusing to expand them")
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        return _fail(path, f"duplicate key {key.value!r} (line {key.start_mark.line + 1})")
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


# A user's knowledge file (--axes): 100 times the built-in topics.yaml. Anything larger, or a file that is
# not a regular file (a named pipe would block the read, /dev/zero never ends), is refused unread.
MAX_KNOWLEDGE_BYTES = 10 * 1024 * 1024
# Aliases may share a node many times over; the walks below visit at most this many nodes in all.
MAX_NODES = 1_000_000


def _read_bytes(path: str) -> bytes:
    from ..model import AgentmergeError
    from ..read import read_regular

    try:
        return read_regular(path, MAX_KNOWLEDGE_BYTES, "a knowledge file")
    except AgentmergeError as exc:
        raise KnowledgeError(str(exc)) from None


def _read(path: str) -> Any:
    return _parse(_read_bytes(path), path)


def _parse(raw: bytes, path: str) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"cannot read knowledge file: {exc}") from None
    # What yaml.load does, keeping the node tree so duplicate keys are found without parsing twice. The
    # tree is checked before it is constructed (merge keys rewrite it), but a YAML error is reported first.
    try:
        loader = _LOADER(text)
        try:
            root = loader.get_single_node()
            duplicate = _duplicate_keys(root, path)
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise _fail(path, f"invalid YAML: {problem}{where}") from None
    if duplicate is not None:
        raise duplicate
    return data


def _check_alternatives(value: Any, path: str) -> None:
    """`alternatives:` maps category ids to {title, purpose, options: {option id: [aliases]}}."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise _fail(path, "'alternatives' must be a mapping of category id to category")
    for cid, body in value.items():
        _check_id(cid, path=path, what="alternatives category")
        where = f"alternatives category {cid!r}"
        if not isinstance(body, dict):
            raise _fail(path, f"{where}: expected a mapping (got {type(body).__name__})")
        _check_keys(body, ("title", "purpose", "options"), path=path, where=where)
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise _fail(path, f"{where}: 'options' must be a mapping of option id to a list of aliases")
        for oid, aliases in options.items():
            if not isinstance(oid, str) or not isinstance(aliases, (list, type(None))) or not all(
                    isinstance(a, str) and a.strip("=? ") for a in aliases or []):
                raise _fail(path, f"{where}: option {oid!r} must list its aliases as non-empty strings")
        purpose = body.get("purpose")
        if purpose is not None and (not isinstance(purpose, list) or not all(isinstance(p, str) for p in purpose)):
            raise _fail(path, f"{where}: 'purpose' must be a list of words")


def _check_quantities(value: Any, path: str) -> None:
    """`quantities:` extends `knowledge/quantities.yaml`, each key in that file's shape."""
    if not isinstance(value, dict):
        raise _fail(path, "'quantities' must be a mapping (units, numbers, comparators, cadences, names)")

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    def words(v: Any) -> bool:
        return isinstance(v, list) and all(isinstance(w, str) for w in v)

    def mapping_of(test):
        return lambda v: isinstance(v, dict) and all(test(x) for x in v.values())

    shapes = {
        "units": (mapping_of(mapping_of(lambda v: isinstance(v, list) and bool(v) and number(v[0]) and words(v[1:]))),
                  "dimension -> unit -> [factor, spellings...]"),
        "numbers": (mapping_of(number), "word -> number"),
        "multipliers": (mapping_of(number), "suffix -> number"),
        "cadences": (mapping_of(number), "word -> period in seconds"),
        "times": (mapping_of(number), "word -> number of times"),
        "nines": (mapping_of(number), "word -> percent"),
        "comparators": (lambda v: isinstance(v, dict) and set(v) <= {"before", "after"}
                        and all(mapping_of(words)(side) for side in v.values()),
                        "before/after -> comparator -> [phrases]"),
        "names": (mapping_of(words), "key -> [words]"),
        "contexts": (mapping_of(mapping_of(words)), "class -> word -> [spellings]"),
    }
    for key, (fits, shape) in shapes.items():
        if key in value and value[key] is not None and not fits(value[key]):
            raise _fail(path, f"'quantities.{key}' must be a mapping {shape}")
    if value.get("labels") is not None and not words(value["labels"]):
        raise _fail(path, "'quantities.labels' must be a list of words")


def _merge_file(
    state: dict[str, _RawTopic], global_unless: list, data: Any, path: str, *, lazy: bool = False
) -> None:
    """Validate one parsed file and merge it into ``state`` (topics by id, in order). ``lazy``: compile
    the file's patterns when first used (see ``_pattern_list``)."""
    if data is None:
        raise _fail(path, "the file is empty (expected 'version: 1' and 'topics:')")
    if not isinstance(data, dict):
        raise _fail(path, f"expected a mapping with 'topics:' at the top (got {type(data).__name__})")
    _check_keys(data, _FILE_KEYS, path=path, where="top level")
    if "version" in data and data["version"] != FORMAT_VERSION:
        raise _fail(path, f"unsupported version {data['version']!r} (this agentmerge reads version 1)")
    global_unless.extend(_pattern_list(data.get("unless"), path=path, where="unless", code=False, lazy=lazy))
    _check_alternatives(data.get("alternatives"), path)
    if "quantities" in data:
        _check_quantities(data["quantities"], path)
    topics = data.get("topics")
    if topics is None and ("alternatives" in data or "quantities" in data or "terms" in data):
        topics = {}  # a file of alternatives, quantities or terms only
    if topics is None:
        raise _fail(path, "missing 'topics:'")
    if not isinstance(topics, dict):
        raise _fail(path, f"'topics' must be a mapping of topic id to topic (got {type(topics).__name__})")

    for tid, body in topics.items():
        _check_id(tid, path=path, what="topic")
        where = f"topic {tid!r}"
        if not isinstance(body, dict):
            raise _fail(path, f"{where}: expected a mapping (got {type(body).__name__})")
        _check_keys(body, _TOPIC_KEYS, path=path, where=where)
        existing = state.get(tid)
        if "suggestion" in body and not isinstance(body["suggestion"], (str, type(None))):
            raise _fail(path, f"{where}: suggestion must be a string")

        severity = body.get("severity")
        if severity is not None and severity not in SEVERITIES:
            raise _fail(path, f"{where}: severity must be one of high, medium, low (got {severity!r})")

        stances = body.get("stances")
        if stances is None:
            if existing is None:
                raise _fail(path, f"{where}: missing 'stances' (a new topic needs at least 2)")
            stances = {}
        if not isinstance(stances, dict):
            raise _fail(path, f"{where}: 'stances' must be a mapping of stance id to stance")
        if existing is None and len(stances) < 2:
            raise _fail(path, f"{where}: needs at least 2 stances (has {len(stances)})")

        if existing is None:
            title = body.get("title", tid.replace("_", " ").capitalize())
            topic = _RawTopic(
                title=_text(title, path=path, where=f"{where}: title"),
                severity=severity or "medium",
                suggestion=_one_line(body.get("suggestion") or ""),
                stances={},
                opposed=None,
            )
        else:
            topic = existing
            if "title" in body:
                topic.title = _text(body["title"], path=path, where=f"{where}: title")
            if severity is not None:
                topic.severity = severity
            if "suggestion" in body:
                topic.suggestion = _one_line(body.get("suggestion") or "")
        base_stances = list(topic.stances)

        topic.unless.extend(
            _pattern_list(body.get("unless"), path=path, where=f"{where}: unless", code=False, lazy=lazy)
        )

        for sid, sbody in stances.items():
            _check_id(sid, path=path, what=f"{where}: stance")
            swhere = f"{where}, stance {sid!r}"
            if not isinstance(sbody, dict):
                raise _fail(path, f"{swhere}: expected a mapping (got {type(sbody).__name__})")
            _check_keys(sbody, _STANCE_KEYS, path=path, where=swhere)
            patterns = _pattern_list(
                sbody.get("patterns"), path=path, where=f"{swhere}: patterns", code=False, lazy=lazy
            )
            unless = _pattern_list(
                sbody.get("unless"), path=path, where=f"{swhere}: unless", code=False, lazy=lazy
            )
            code = _pattern_list(sbody.get("code"), path=path, where=f"{swhere}: code", code=True, lazy=lazy)
            stance = topic.stances.get(sid)
            if stance is None:
                if "describe" not in sbody:
                    raise _fail(path, f"{swhere}: missing 'describe' (used in conflict messages)")
                if not patterns and not code:
                    raise _fail(path, f"{swhere}: has no 'patterns' or 'code' patterns")
                stance = _RawStance(_text(sbody["describe"], path=path, where=f"{swhere}: describe"))
                topic.stances[sid] = stance
            elif "describe" in sbody:
                stance.describe = _text(sbody["describe"], path=path, where=f"{swhere}: describe")
            stance.patterns.extend(patterns)
            stance.unless.extend(unless)
            stance.code.extend(code)

        if "opposed" in body:
            pairs = body["opposed"]
            if not isinstance(pairs, list) or not pairs:
                raise _fail(path, f"{where}: 'opposed' must be a non-empty list of stance pairs")
            new_pairs = set()
            for pair in pairs:
                if (
                    not isinstance(pair, list)
                    or len(pair) != 2
                    or pair[0] == pair[1]
                    or not all(isinstance(p, str) for p in pair)
                ):
                    raise _fail(path, f"{where}: 'opposed' entry {pair!r} must be two different stance ids")
                for sid in pair:
                    if sid not in topic.stances:
                        raise _fail(path, f"{where}: 'opposed' names unknown stance {sid!r}")
                new_pairs.add(frozenset(pair))
            if topic.opposed is None:
                # Until now every pair of the topic's stances was opposed: keep those pairs.
                topic.opposed = {frozenset(p) for p in itertools.combinations(base_stances, 2)}
            topic.opposed |= new_pairs

        state[tid] = topic


def _build(state: dict[str, _RawTopic], global_unless: list) -> tuple[Topic, ...]:
    built = []
    for tid, t in state.items():
        stance_ids = list(t.stances)
        if t.opposed is None:
            pairs = frozenset(frozenset(p) for p in itertools.combinations(stance_ids, 2))
        else:
            pairs = frozenset(t.opposed)
        stances = tuple(
            Stance(sid, s.describe, _Patterns(s.patterns), _Patterns(s.unless), _Patterns(s.code))
            for sid, s in t.stances.items()
        )
        built.append(
            Topic(
                id=tid,
                title=t.title,
                severity=t.severity,
                suggestion=t.suggestion,
                stances=stances,
                opposed=pairs,
                unless=_Patterns(t.unless + list(global_unless)),
            )
        )
    return tuple(built)


PREPARED_PATH = BUILTIN_PATH.with_name("topics.prepared.json")
PREPARED_FORMAT = 1
_LITERALS_PATH = Path(__file__).with_name("literals.py")

# pattern source -> its clauses as lists, from topics.prepared.json (see ``_Regex.clauses``)
_prepared_clauses: dict[str, list[list[str]]] = {}


def _fingerprint(raw: bytes) -> str:
    """Tells whether a file changed since topics.prepared.json was written (not a defence against anyone)."""
    return f"{len(raw)}:{zlib.crc32(raw):08x}"


def prepared_sources(topics_raw: bytes) -> dict[str, str]:
    """What topics.prepared.json is derived from, as it records it."""
    try:
        literals = _fingerprint(_LITERALS_PATH.read_bytes())
    except OSError:
        literals = ""
    return {"topics.yaml": _fingerprint(topics_raw), "literals.py": literals}


def _prepared(topics_raw: bytes) -> dict[str, Any] | None:
    """topics.prepared.json when it was written from these very files, else None."""
    try:
        payload = json.loads(PREPARED_PATH.read_bytes())
    except (OSError, ValueError):
        return None
    if (
        not isinstance(payload, dict)
        or payload.get("format") != PREPARED_FORMAT
        or payload.get("sources") != prepared_sources(topics_raw)
        or "data" not in payload
        or not isinstance(payload.get("clauses"), dict)
    ):
        return None
    return payload


# Data files read whole by the detectors (alternatives.yaml, quantities.yaml, settings.yaml): each ships
# parsed beside it as <name>.prepared.json, used only when written from those very bytes.
DATA_FILES = ("alternatives.yaml", "quantities.yaml", "settings.yaml")


def data_prepared_path(name: str) -> Path:
    return BUILTIN_PATH.with_name(name.rsplit(".", 1)[0] + ".prepared.json")


def data_payload(name: str) -> dict[str, Any]:
    """What <name>.prepared.json holds, derived afresh from the YAML file."""
    path = BUILTIN_PATH.with_name(name)
    raw = _read_bytes(str(path))
    return {"format": PREPARED_FORMAT, "sources": {name: _fingerprint(raw)}, "data": _parse(raw, str(path))}


@functools.lru_cache(maxsize=None)
def builtin_data(name: str) -> Any:
    """A built-in data file, parsed (from its prepared JSON when that is current)."""
    path = BUILTIN_PATH.with_name(name)
    raw = _read_bytes(str(path))
    try:
        payload = json.loads(data_prepared_path(name).read_bytes())
    except (OSError, ValueError):
        payload = None
    if (isinstance(payload, dict) and payload.get("format") == PREPARED_FORMAT
            and payload.get("sources") == {name: _fingerprint(raw)} and "data" in payload):
        return payload["data"]
    return _parse(raw, str(path))


@functools.lru_cache(maxsize=1)
def _builtin_state() -> tuple[dict[str, _RawTopic], tuple]:
    state: dict[str, _RawTopic] = {}
    global_unless: list = []
    path = str(BUILTIN_PATH)
    raw = _read_bytes(path)
    prepared = _prepared(raw)
    if prepared is None:
        data = _parse(raw, path)
    else:
        data = prepared["data"]
        _prepared_clauses.update(prepared["clauses"])
    _merge_file(state, global_unless, data, path, lazy=True)
    return state, tuple(global_unless)


@functools.lru_cache(maxsize=1)
def _builtin_topics() -> tuple[Topic, ...]:
    state, global_unless = _builtin_state()
    return _build(state, list(global_unless))


def load_topics(extra: Sequence[str | os.PathLike] = ()) -> tuple[Topic, ...]:
    """The built-in topics, then users' files in order.

    A user topic whose id exists extends it (new stances, more patterns; title, severity, suggestion and
    describe replace the old text when given); a new id adds a topic. Raises ``KnowledgeError``.
    """
    if isinstance(extra, (str, os.PathLike)):
        extra = [extra]
    if not extra:
        return _builtin_topics()
    base, base_unless = _builtin_state()
    state = _copy_topics(base)
    global_unless = list(base_unless)
    for item in extra:
        path = os.fspath(item)
        _merge_file(state, global_unless, _read(path), path)
    return _build(state, global_unless)


def opposed(topic: Topic, a: str, b: str) -> bool:
    """Whether stances ``a`` and ``b`` of ``topic`` conflict."""
    return a != b and frozenset((a, b)) in topic.opposed


# --------------------------------------------------------------------------------------------------------
# Normalising prose

_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_ANY_FENCE = re.compile(r"(?m)^[ \t]*(?:`{3,}|~{3,})")
_CHARMAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2010": "-",
        "\u2011": "-",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)


_SPACES = re.compile(r"\s+")


def _plain_sentences(text: str) -> tuple[str, ...]:
    """The statements of any Markdown, as plain text (`statements.plain_statements`: markdown-it's reading,
    the one matching uses), curly quotes straightened and whitespace collapsed."""
    from ..statements import plain_statements

    return tuple(plain_statements(text))


def _folded_sentences(sentences: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """The sentences as one string, one space apart, and where each stands in it."""
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for sentence in sentences:
        sentence = _SPACES.sub(" ", sentence.translate(_CHARMAP)).strip()
        if not sentence:
            continue
        if pieces:
            pieces.append(" ")
            length += 1
        spans.append((length, length + len(sentence)))
        pieces.append(sentence)
        length += len(sentence)
    return "".join(pieces), spans


def normalise(text: str) -> str:
    """Plain one-line text of Markdown: its statements (list items, sentences, labels and details; code,
    tables and HTML left out) as markdown-it reads them, one space apart, curly quotes straightened."""
    return _folded_sentences(_plain_sentences(text))[0]


# --------------------------------------------------------------------------------------------------------
# Prefilter: which patterns can match a text at all
#
# Each pattern carries clauses (see ``literals.py``): sets of lowercase ASCII strings such that every text
# the pattern matches contains, after ``_fold``, one string of each clause. A text missing a clause cannot
# match, so the pattern is neither compiled nor run on it.

def _satisfied(clauses: tuple[frozenset[str], ...], folded: str) -> bool:
    """Whether ``folded`` holds a string of every clause (plain loops: this runs for every sentence)."""
    for clause in clauses:
        for atom in clause:
            if atom in folded:
                break
        else:
            return False
    return True


def _fold(text: str) -> str:
    """The text the prefilter's strings are looked for in (see ``literals``)."""
    text = text.lower()
    return text.replace("\u017f", "s") if "\u017f" in text else text


_SET_CHARACTERS = 100_000  # most characters of first-clause strings searched as one RE2 set
_SET_MEMORY = 512 << 20  # what that set's automaton may take (each state a few KB at most; allocated as used)


class _Prefilter:
    """The patterns, of many, that may match a text: the strings of each pattern's first clause are filed
    under their first three characters, so a text only looks at those its own three-character pieces
    name; the other clauses are then checked directly."""

    def __init__(self, cells: Sequence[_Regex]) -> None:
        owners: dict[str, list[int]] = {}  # a first-clause string -> the patterns it stands for
        self._always: list[int] = []  # patterns without clauses
        self._rest: list[tuple[frozenset[str], ...]] = []
        for n, cell in enumerate(cells):
            clauses = cell.clauses
            self._rest.append(clauses[1:])
            if not clauses:
                self._always.append(n)
            for atom in clauses[0] if clauses else ():
                owners.setdefault(atom, []).append(n)
        self._by_trigram: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        self._short: list[tuple[str, tuple[int, ...]]] = []  # strings under three characters
        for atom in sorted(owners):
            entry = (atom, tuple(owners[atom]))
            if len(atom) < 3:
                self._short.append(entry)
            else:
                self._by_trigram.setdefault(atom[:3], []).append(entry)
        self._trigrams = frozenset(self._by_trigram)
        # Every first-clause string at once, in one pass of RE2 over the text (a set of literals: its DFA
        # is an Aho-Corasick automaton, a state per prefix of a string at most). The memory it may use
        # is far more than that many states need, so a search never runs out of it (RE2's sets say
        # nothing when one does); past _SET_CHARACTERS characters of strings, the trigram index decides.
        self._set = None
        self._set_owners: list[tuple[int, ...]] = []
        if 0 < sum(map(len, owners)) <= _SET_CHARACTERS:
            options = re2.Options()
            options.max_mem = _SET_MEMORY
            options.log_errors = False
            found_set = re2.Set.SearchSet(options)
            for atom in sorted(owners):
                found_set.Add(re2.escape(atom))
                self._set_owners.append(tuple(owners[atom]))
            try:
                found_set.Compile()
                self._set = found_set
            except re2.error:
                self._set_owners = []

    def candidates(self, folded: str) -> list[int]:
        """Ascending numbers of the patterns that may match the text whose ``_fold`` is ``folded``."""
        found = set(self._always)
        if self._set is not None:
            for n in self._set.Match(folded) or ():
                found.update(self._set_owners[n])
        else:
            trigrams = {folded[i : i + 3] for i in range(len(folded) - 2)} & self._trigrams
            for trigram in trigrams:
                for atom, owners in self._by_trigram[trigram]:
                    if atom in folded:
                        found.update(owners)
            for atom, owners in self._short:
                if atom in folded:
                    found.update(owners)
        rest = self._rest
        return sorted(n for n in found if _satisfied(rest[n], folded))


class _Index:
    """The patterns of one sequence of topics, arranged for ``stances_in``."""

    def __init__(self, topics: tuple[Topic, ...]) -> None:
        self.topic_unless = [_cells(t.unless) for t in topics]
        self.stance_unless = [[_cells(s.unless) for s in t.stances] for t in topics]
        self._prose = self._arrange(topics, "patterns")
        self._code: tuple | None = None
        self._topics = topics
        # a merge that frees duplicates detects again, over the same units: (text, True) or (statements, False)
        self.read: dict[tuple, tuple[StanceHit, ...]] = {}

    @staticmethod
    def _arrange(topics: tuple[Topic, ...], field_name: str) -> tuple[_Prefilter, list, list]:
        cells: list[_Regex] = []
        owners: list[tuple[int, int]] = []
        for ti, topic in enumerate(topics):
            for si, stance in enumerate(topic.stances):
                for cell in _cells(getattr(stance, field_name)):
                    cells.append(cell)
                    owners.append((ti, si))
        return _Prefilter(cells), cells, owners

    @staticmethod
    def _candidates(arranged: tuple, folded: str) -> list[tuple[int, int, list[Any]]]:
        """(topic index, stance index, compiled patterns that may match) in topic, then stance order, for
        the text whose ``_fold`` is ``folded``."""
        prefilter, cells, owners = arranged
        grouped: list[tuple[int, int, list[Any]]] = []
        for n in prefilter.candidates(folded):
            ti, si = owners[n]
            if not grouped or grouped[-1][:2] != (ti, si):
                grouped.append((ti, si, []))
            grouped[-1][2].append(cells[n].regex)
        return grouped

    def prose(self, folded: str) -> list[tuple[int, int, list[Any]]]:
        return self._candidates(self._prose, folded)

    def code(self, folded: str) -> list[tuple[int, int, list[Any]]]:
        if self._code is None:
            self._code = self._arrange(self._topics, "code")
        return self._candidates(self._code, folded)


_INDEX_CACHE_SIZE = 16
_indexes: dict[tuple[int, ...], tuple[tuple[Topic, ...], _Index]] = {}
_last_index: list[tuple[tuple[Topic, ...], _Index] | None] = [None]  # the index last made or found, with its topics


def _index(topics: tuple[Topic, ...]) -> _Index:
    """The index of ``topics``, cached by the topics' identities (hashing a topic hashes every pattern in
    it). An entry holds the topics themselves, so their ids cannot be reused while it is cached."""
    last = _last_index[0]
    if last is not None and last[0] is topics:  # a run asks again and again with its one tuple of topics
        return last[1]
    key = tuple(map(id, topics))
    cached = _indexes.get(key)
    if cached is not None:
        _last_index[0] = cached
        return cached[1]
    index = _Index(topics)
    if len(_indexes) >= _INDEX_CACHE_SIZE:
        del _indexes[next(iter(_indexes))]
    _indexes[key] = (topics, index)
    _last_index[0] = (topics, index)
    return index


# --------------------------------------------------------------------------------------------------------
# Detecting stances


def _first_match(patterns: Sequence[Any], text: str) -> tuple[int, int] | None:
    """Earliest (then longest) match of any pattern, trimmed of surrounding whitespace."""
    best: tuple[int, int] | None = None
    for pattern in patterns:
        for m in pattern.finditer(text):
            start, end = m.start(), m.end()
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            while end < len(text) and end > start and (text[end].isalnum() or text[end] == "_") and (
                text[end - 1].isalnum() or text[end - 1] == "_"
            ):
                end += 1  # finish the word: "soft delet" -> "soft deletes"
            if end > start:
                if best is None or start < best[0] or (start == best[0] and end > best[1]):
                    best = (start, end)
                break
    return best


def _any_match(cells: Sequence[_Regex], text: str, folded: str) -> bool:
    """Whether any of the patterns matches ``text`` (``folded`` is its ``_fold``)."""
    return any(cell.may_match(folded) and cell.regex.search(text) is not None for cell in cells)


def _code_regions(text: str) -> list[tuple[int, int]]:
    """The contents of fenced blocks, or the whole text when it has no fence."""
    regions = []
    offset = 0
    fence: str | None = None
    start = 0
    for line in text.splitlines(keepends=True):
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
                start = offset + len(line)
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line[m.end() :].strip():
            regions.append((start, offset))
            fence = None
        offset += len(line)
    if fence is not None:
        regions.append((start, len(text)))
    if not regions and _ANY_FENCE.search(text) is None:
        regions.append((0, len(text)))
    return regions


def _drop_opposed(hits: list[tuple[int, int, StanceHit]], topics: Sequence[Topic]) -> list:
    by_topic: dict[int, set[str]] = {}
    for ti, _si, hit in hits:
        by_topic.setdefault(ti, set()).add(hit.stance)
    dropped: set[tuple[int, str]] = set()
    for ti, found in by_topic.items():
        topic = topics[ti]
        for a, b in itertools.combinations(sorted(found), 2):
            if opposed(topic, a, b):
                dropped.add((ti, a))
                dropped.add((ti, b))
    return [h for h in hits if (h[0], h[2].stance) not in dropped]


def stances_in(text: str, topics: Sequence[Topic], *, code: bool = False) -> list[StanceHit]:
    """Stances a unit of text takes, ordered by position, then topic order, then stance order.

    Prose (default): one hit per stance per statement of ``text`` as markdown-it reads it (see
    ``stances_in_statements``); spans index ``normalise(text)``. ``code=True``: the stances' ``code``
    patterns over the raw text (only inside fences when it has any); spans index ``text``. Either way a text
    taking two opposed stances of a topic takes neither.
    """
    if not code:
        return stances_in_statements(_plain_sentences(text), topics)
    topics = tuple(topics)
    index = _index(topics)
    found = index.read.get((text, True))
    if found is None:
        if len(index.read) >= READ_LIMIT:
            index.read.clear()
        found = index.read[(text, True)] = tuple(_code_stances(text, topics, index))
    return list(found)


def stances_in_statements(sentences: Sequence[str], topics: Sequence[Topic]) -> list[StanceHit]:
    """The stances prose takes, given its statements' plain text (`Statement.text`: a list item, a sentence,
    a label or its details), one hit per stance per statement; spans index the statements joined by one
    space (``normalise`` of the Markdown they were read from)."""
    topics = tuple(topics)
    index = _index(topics)
    key = (tuple(sentences), False)
    found = index.read.get(key)
    if found is None:
        if len(index.read) >= READ_LIMIT:
            index.read.clear()
        found = index.read[key] = tuple(_prose_stances(key[0], topics, index))
    return list(found)


READ_LIMIT = 65536  # texts whose stances an index keeps


def _code_stances(text: str, topics: tuple[Topic, ...], index: _Index) -> list[StanceHit]:
    hits: list[tuple[int, int, StanceHit]] = []
    for start, end in _code_regions(text):
        region = text[start:end]
        for ti, si, patterns in index.code(_fold(region)):
            span = _first_match(patterns, region)
            if span is not None:
                s, e = start + span[0], start + span[1]
                hits.append((ti, si, StanceHit(topics[ti].id, topics[ti].stances[si].id, s, e, text[s:e])))
    hits = _drop_opposed(hits, topics)
    hits.sort(key=lambda h: (h[2].start, h[2].end, h[0], h[1]))
    return [h[2] for h in hits]


def _prose_stances(sentences: tuple[str, ...], topics: tuple[Topic, ...], index: _Index) -> list[StanceHit]:
    hits: list[tuple[int, int, StanceHit]] = []
    norm, spans = _folded_sentences(sentences)
    # a sentence holds no string the whole text lacks (sentences stand between spaces, so each folds as it
    # does inside the text): a text no pattern may match has no sentence one may match
    if spans and index.prose(_fold(norm)):
        for start, end in spans:
            sentence = norm[start:end]
            folded = _fold(sentence)
            for ti, group in itertools.groupby(index.prose(folded), key=lambda c: c[0]):
                topic = topics[ti]
                found = []
                for _, si, patterns in group:
                    span = _first_match(patterns, sentence)
                    if span is not None and not _any_match(index.stance_unless[ti][si], sentence, folded):
                        found.append((si, topic.stances[si], span))
                if not found or _any_match(index.topic_unless[ti], sentence, folded):
                    continue
                for si, stance, span in found:
                    s, e = start + span[0], start + span[1]
                    hits.append((ti, si, StanceHit(topic.id, stance.id, s, e, norm[s:e])))
    hits = _drop_opposed(hits, topics)
    hits.sort(key=lambda h: (h[2].start, h[2].end, h[0], h[1]))
    return [h[2] for h in hits]
