"""The literal text every match of a pattern must contain: the knowledge base's prefilter clauses.

``clauses`` reduces an RE2 pattern to clauses: sets of lowercase ASCII strings such that every text the
pattern matches contains, for each clause, one of its strings (after ``knowledge._fold``). A text missing a
clause cannot match, so the pattern is neither compiled nor run on it. The reduction only forgets
constraints: an escape, a bracket class, a non-ASCII character or anything it does not model counts as
unknown text, and a zero-width assertion is dropped (a regexp without it matches more, not less). So it never
rules out a real match, whatever the pattern; on a pattern it cannot read it returns no clauses (always run).

RE2 matches an ASCII letter case-insensitively against only two non-ASCII characters, U+017F (long s) and
U+212A (Kelvin sign), which ``_fold`` turns into "s" and "k"; other characters fold into no ASCII letter.

The built-in patterns' clauses are derived once, when ``topics.yaml`` changes, and shipped in
``topics.index.json`` (see ``knowledge.index``); this module is imported only for users' patterns, or when
that file is missing or stale.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence

__all__ = ["clauses"]

_EXACT_MAX = 16  # most alternative strings tracked for one piece before only its clauses are kept
_NOTHING = frozenset(("",))
_UNKNOWN = "\x01"  # text the reduction does not model (any length, maybe none)
_OPTIONAL = "\x02"  # after a piece: it may be absent (?, *, {0,n})
_REPEATED = "\x03"  # after a piece: it occurs at least once, maybe more (+, {2}, {1,n})
_FIRST_GROUP = 0xF0000  # reduced groups become Supplementary Private Use characters, one per distinct group
_LAST_GROUP = 0xFFFFD

_UNREAD_ESCAPE = re.compile(r"\\[QEC0-9]")  # quoting, single bytes, octal: not modelled
_OPAQUE = re.compile(  # escapes, bracket classes, non-ASCII characters (and our own markers)
    r"\\x(?:\{[0-9A-Fa-f]*\}|[0-9A-Fa-f]{2})|\\[pP](?:\{[^}]*\}|.)|\\."
    r"|\[\^?\]?(?:\[:\^?[a-z]+:\]|\\.|[^\]\\])*\]"
    r"|[^\x00-\x7f]|[\x01-\x03]",
    re.DOTALL,
)
_ZERO_WIDTH_ESCAPES = frozenset(("\\b", "\\B", "\\A", "\\z"))
_FLAGS_AND_ANCHORS = re.compile(r"\(\?[imsU-]*\)|[\^$]")
_GROUP_OPEN = re.compile(r"\(\?(?:[imsU-]*:|P?<[A-Za-z_][A-Za-z0-9_]*>)")
_REPETITION = re.compile(r"(?:[?*+]|\{([0-9]+)(,[0-9]*)?\})\??")
_INNERMOST_GROUP = re.compile(r"\(([^()]*)\)")
_PLAIN = re.compile(r"[^\x01-\x03\U000f0000-\U000ffffd]*")
# A run of plain characters (without a last one that a repetition applies to), or one character or group
# with the repetition marker after it.
_PIECE = re.compile(r"([^\x01-\x03\U000f0000-\U000ffffd]+)(?![\x02\x03])|(.)([\x02\x03]?)", re.DOTALL)

# What a piece of a pattern tells: every string it can match (None: too many, or unknown) and the clauses
# its matches satisfy.
_Info = tuple[frozenset[str] | None, tuple[frozenset[str], ...]]

_group_chars: dict[str, str] = {}  # reduced group content -> its character
_group_infos: dict[str, _Info] = {}  # its character -> what the group tells
_group_serial = itertools.count(_FIRST_GROUP)  # next() is atomic, so threads never share a character


def _opaque(m: re.Match) -> str:
    return "" if m.group() in _ZERO_WIDTH_ESCAPES else _UNKNOWN


def _repetition(m: re.Match) -> str:
    if m.group(1) is None:
        return _REPEATED if m.group()[0] == "+" else _OPTIONAL
    low = int(m.group(1))
    if low == 0:
        return _OPTIONAL
    if low == 1 and m.group(2) in (None, ",1"):
        return ""  # exactly once
    return _REPEATED


def _required(info: _Info) -> tuple[frozenset[str], ...]:
    exact, clauses = info
    if exact is None:
        return clauses
    return () if "" in exact else (exact,)


def _quality(clause: frozenset[str]) -> tuple[int, int]:
    """Longer strings are rarer; fewer of them, fewer chances."""
    return min(map(len, clause)), -len(clause)


def _best(clauses: Sequence[frozenset[str]]) -> frozenset[str] | None:
    return max(clauses, key=_quality) if clauses else None


@functools.lru_cache(maxsize=None)
def _sequence(text: str) -> _Info:
    """A sequence of pieces inside a group. Adjacent pieces are combined into the strings they spell
    together ("soft" "[ -]?" "delet" -> "softdelet", "soft delet", "soft-delet"), which gives alternations
    their exact strings."""
    run = _NOTHING  # every string the pieces since the last unknown one can spell
    clauses: list[frozenset[str]] = []
    whole = True  # run spans the whole sequence
    for plain, single, repeat in _PIECE.findall(text):
        if plain:
            info: _Info = (frozenset((plain,)), ())
        elif single in (_UNKNOWN, _OPTIONAL, _REPEATED):
            info = (None, ())
        elif ord(single) >= _FIRST_GROUP:
            info = _group_infos[single]
        else:
            info = (frozenset((single,)), ())
        if repeat == _OPTIONAL:
            exact = info[0]
            info = (exact | _NOTHING, ()) if exact is not None and len(exact) < _EXACT_MAX else (None, ())
        elif repeat == _REPEATED:
            info = (None, _required(info))
        exact, required = info
        if exact is not None and len(run) * len(exact) <= _EXACT_MAX:
            run = frozenset(a + b for a in run for b in exact)
            continue
        whole = False
        clauses.extend(_required((run, ())))
        if exact is None:
            clauses.extend(required)
            run = _NOTHING
        else:
            run = exact
    if whole:
        return run, ()
    clauses.extend(_required((run, ())))
    return None, tuple(clauses)


def _top_level(text: str) -> list[frozenset[str]]:
    """The clauses of a whole pattern without alternatives: one per piece it cannot do without. Pieces
    are not combined as in a group: separate clauses ("soft", "delet") select almost as well, for less."""
    clauses = []
    for plain, single, repeat in _PIECE.findall(text):
        if plain:
            clauses.append(frozenset((plain,)))
        elif repeat == _OPTIONAL or single in (_UNKNOWN, _OPTIONAL, _REPEATED):
            continue
        elif ord(single) >= _FIRST_GROUP:
            clauses.extend(_required(_group_infos[single]))
        else:
            clauses.append(frozenset((single,)))
    return clauses


def _alternation(text: str) -> _Info:
    branches = text.split("|")
    if _PLAIN.fullmatch(text):
        if len(branches) <= _EXACT_MAX:
            return frozenset(branches), ()
        return None, (() if "" in branches else (frozenset(branches),))
    if len(branches) == 1:
        return _sequence(text)
    infos = [(frozenset((b,)), ()) if _PLAIN.fullmatch(b) else _sequence(b) for b in branches]
    exacts = [exact for exact, _ in infos]
    if None not in exacts:
        union = frozenset().union(*exacts)
        if len(union) <= _EXACT_MAX:
            return union, ()
    best = [_best(_required(info)) for info in infos]
    if None in best:
        return None, ()
    return None, (frozenset().union(*best),)


def _group(m: re.Match) -> str:
    content = m.group(1)
    char = _group_chars.get(content)
    if char is None:
        serial = next(_group_serial)
        if serial > _LAST_GROUP:
            raise OverflowError("too many distinct groups to reduce")
        char = chr(serial)
        _group_infos[char] = _alternation(content)
        _group_chars[content] = char
    return char


def clauses(source: str) -> tuple[frozenset[str], ...]:
    """What every match of the RE2 pattern ``source`` contains: clauses as described above, the most
    selective first (at most four: more rarely rule anything else out)."""
    if _UNREAD_ESCAPE.search(source.replace("\\\\", "")):
        return ()
    text = _OPAQUE.sub(_opaque, source)
    text = _FLAGS_AND_ANCHORS.sub("", text)
    text = _GROUP_OPEN.sub("(", text)
    if "(?" in text:
        return ()
    text = _REPETITION.sub(_repetition, text)
    text = text.replace(".", _UNKNOWN).replace("{", _UNKNOWN).replace("}", _UNKNOWN).lower()
    try:
        while "(" in text:
            reduced = _INNERMOST_GROUP.sub(_group, text)
            if reduced == text:
                return ()
            text = reduced
    except OverflowError:
        return ()
    if ")" in text:
        return ()
    found = _required(_alternation(text)) if "|" in text else _top_level(text)
    # the stable sort keeps equally good clauses in pattern order: the same choice on every run
    return tuple(sorted(dict.fromkeys(found), key=_quality, reverse=True)[:4])
