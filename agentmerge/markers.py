"""Conflict markers: written exactly as `git merge-file` writes them, and recognised in inputs.

A block is `<<<<<<< LABEL`, the first side, one `=======`, the second side, `>>>>>>> LABEL`: the grammar
`git rerere`, `git diff --check` and editors' conflict parsers (VS Code's among them) read. Each label
names one input. A conflict with more than two inputs becomes several two-sided blocks one after the
other: the first holds the first input's side against the second's; each later one holds nothing on its
upper side (the first input's side is the block before) against one more input's side. Accepting the
upper side everywhere keeps the first input's guidance; accepting a lower side keeps that input's.

In an input, a block (agentmerge's, git's, with or without a `|||||||` base part, and the several-`=======`
blocks older agentmerge versions wrote) is one unit, kept whole: merged again, it is never split, nested
or labelled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

OPEN = "<" * 7
BASE = "|" * 7
SEP = "=" * 7
CLOSE = ">" * 7
_OPEN = re.compile(r"^<{7}(?: .*)?$")
_BASE = re.compile(r"^\|{7}(?: .*)?$")
_CLOSE = re.compile(r"^>{7}(?: .*)?$")


def label_of(text: str) -> str:
    """A label fits on its marker line."""
    return " ".join(text.split()) or "-"


def write(parts: Sequence[tuple[str, str]]) -> tuple[str, list[int]]:
    """Two-sided blocks for two or more (label, text) parts. Returns the text and, per part, the 0-based
    line of the block text where the part's text starts."""
    if len(parts) < 2:
        raise ValueError("a conflict block needs two sides")
    (first_label, first), (second_label, second) = parts[0], parts[1]
    lines = [f"{OPEN} {label_of(first_label)}"]
    starts = [len(lines)]
    lines += first.split("\n")
    lines.append(SEP)
    starts.append(len(lines))
    lines += second.split("\n")
    lines.append(f"{CLOSE} {label_of(second_label)}")
    for label, text in parts[2:]:
        lines += ["", f"{OPEN} {label_of(first_label)}", SEP]
        starts.append(len(lines))
        lines += text.split("\n")
        lines.append(f"{CLOSE} {label_of(label)}")
    return "\n".join(lines), starts


def blocks(text: str) -> list[dict]:
    """Every well-formed block in a text (each `<<<<<<<` … `>>>>>>>` with one `=======`), as
    {"start", "end" (0-based, exclusive), "labels": (upper, lower), "sides": (upper text, lower text)}:
    the rerere-style reading tools apply. Blocks with several `=======` lines are not well formed."""
    lines = text.split("\n")
    found = []
    for start, end in spans(lines):
        body = lines[start + 1 : end - 1]
        seps = [i for i, line in enumerate(body) if line == SEP]
        if len(seps) != 1:
            continue
        upper = body[: seps[0]]
        base = next((i for i, line in enumerate(upper) if _BASE.match(line)), None)
        if base is not None:
            upper = upper[:base]
        found.append({"start": start, "end": end,
                      "labels": (lines[start][8:], lines[end - 1][8:]),
                      "sides": ("\n".join(upper), "\n".join(body[seps[0] + 1 :]))})
    return found


def spans(lines: Sequence[str], skip: frozenset[int] | set[int] = frozenset()) -> list[tuple[int, int]]:
    """(start, end) line ranges (0-based, end exclusive) of unresolved conflict blocks: an opening marker,
    at least one `=======`, a closing marker, no other opening marker in between. Lines in `skip` (code)
    are never markers."""
    found: list[tuple[int, int]] = []
    start: int | None = None
    separated = False
    for i, line in enumerate(lines):
        if i in skip:
            continue
        if line.startswith(OPEN) and _OPEN.match(line):
            start, separated = i, False
        elif start is None:
            continue
        elif line == SEP:
            separated = True
        elif line.startswith(CLOSE) and _CLOSE.match(line):
            if separated:
                found.append((start, i + 1))
            start = None
    return found


def has_markers(text: str) -> bool:
    """Cheap test first: most texts have no marker-like line at all."""
    return (text.startswith(OPEN) or "\n" + OPEN in text) and bool(spans(text.split("\n")))
