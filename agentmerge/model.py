"""The plain data that flows through the pipeline: read -> split -> match -> classify -> merge -> report.

Every stage takes these dataclasses and returns new ones; nothing flows backwards. Every `Unit` keeps its
source file and 1-based line range so the report can always point at the text it talks about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .lazy import compiled_when_used

# Kinds of unit a body is split into.
ITEM = "item"  # a top-level list item with its nested items (checklist items included)
PARAGRAPH = "paragraph"
CODE = "code"  # fenced or indented code block
TABLE = "table"
QUOTE = "blockquote"
HTML = "html"
FIELD = "field"  # a frontmatter field, written as `key: value`
CONFLICT = "conflict"  # an unresolved conflict block (git's or agentmerge's markers), kept whole


class AgentmergeError(Exception):
    """A problem with the user's input or arguments: reported as one line, exit code 2."""


_UNDECODABLE = compiled_when_used("[\udc80-\udcff]")


def printable(text: str) -> str:
    """A file name as it is shown (in messages, reports, JSON): the bytes of a name that is not UTF-8, which
    Python keeps as lone surrogates, written as `\\xNN`, so every text agentmerge writes is valid UTF-8."""
    if text.isascii():
        return text
    return _UNDECODABLE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


@dataclass(frozen=True)
class Frontmatter:
    """The block between the opening and closing `---`, as parsed."""

    data: dict[str, Any]  # key -> value, in source order
    lines: dict[str, tuple[int, int]]  # key -> (line, end_line), 1-based in the file
    raw: str  # the source text between the fences
    valid_yaml: bool  # strict YAML accepted it
    recovered: bool  # strict YAML failed and the lenient reader recovered key: value lines
    start_line: int  # line of the opening `---`
    end_line: int  # line of the closing `---`
    odd_keys: tuple[str, ...] = ()  # keys YAML read as something else than a string (`1:`), kept as their text


@dataclass(frozen=True)
class Unit:
    """One piece of guidance: a list item, a paragraph, a code block, a table, a quote, an HTML block."""

    uid: int  # position in the run: inputs in order, units in source order; the stable tie-breaker
    source: int  # index of the input it came from
    path: str  # that input's path as given
    kind: str
    text: str  # exact source text (with list markers, no trailing newline)
    line: int  # 1-based first line in the file
    end_line: int  # 1-based last line in the file
    section: int  # index into Agent.sections
    marker: str = ""  # list marker ("-", "*", "1.", "2)") for items, else ""
    # the unit's markdown-it block tokens from the reading of its body and the line of that reading where
    # the unit starts (`split.Block.tokens`, `base`), so its statements need no second parse; None for a
    # unit read without them (a plain one-line item) or made of loose lines. Not part of the unit's identity.
    read: tuple | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Section:
    """A heading (or a bold pseudo-heading such as `**ORM & Migrations:**`) and the units under it."""

    index: int
    title: str  # plain title text, "" for the part before the first heading
    level: int  # 1-6 for ATX/setext headings; pseudo-headings sit one below their parent; 0 for the preamble
    heading: str  # exact source text of the heading line(s), "" for the preamble
    line: int  # 1-based line of the heading (first body line for the preamble)
    parent: int | None  # index of the enclosing section
    path: tuple[str, ...]  # titles from the top down to this section
    units: tuple[int, ...]  # uids of the units directly in this section, in order
    pseudo: bool = False


@dataclass(frozen=True)
class Slot:
    """One block of a body in source order, with the exact text that separated it from the one before."""

    kind: str  # "section" (its heading), "unit", or "rule" (a thematic break)
    ref: int  # section index, unit uid, or -1
    text: str
    sep: str  # "" for the first block


@dataclass(frozen=True)
class Agent:
    """One input file, read and split."""

    index: int
    path: str
    text: str  # decoded text, newlines normalised to "\n"
    newline: str  # "\n" or "\r\n": what the file used
    frontmatter: Frontmatter | None
    body_line: int  # 1-based line where the body starts
    sections: tuple[Section, ...]
    units: tuple[Unit, ...]
    layout: tuple[Slot, ...]  # the body's blocks in source order
    head: str  # body text before the first block
    tail: str  # body text after the last block
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        if self.frontmatter is not None:
            value = self.frontmatter.data.get("name")
            if isinstance(value, str):
                return value
        return ""


@dataclass(frozen=True)
class Member:
    """A unit's place in a shared group, with its similarity to the kept unit."""

    uid: int
    score: float
    why: str = ""  # for a dropped member: why the kept unit carries it, in a few words


@dataclass(frozen=True)
class Group:
    """Units that say the same thing (`duplicate`: one kept, the rest dropped) or nearly (`related`: all kept)."""

    id: str
    kind: str  # "duplicate" | "related"
    kept: int  # uid of the unit that stays (for related: the anchor)
    members: tuple[Member, ...]  # kept first, then the others in uid order


@dataclass(frozen=True)
class Side:
    """One side of a conflict: the units that take a stance, and the stance."""

    uids: tuple[int, ...]
    stance: str
    phrase: str = ""  # what in the text took the stance


@dataclass(frozen=True)
class Resolution:
    """How a conflict was settled: the strategy, and which sides stay in the output."""

    strategy: str  # prefer-first | prefer | union | decision
    kept: tuple[int, ...]  # indexes into Conflict.sides that stay in the output


@dataclass(frozen=True)
class Conflict:
    """Two or more sides giving guidance that cannot all hold, with why and what to do about it."""

    id: str
    kind: str  # frontmatter | policy | polarity | value | code
    topic: str
    severity: str  # high | medium | low
    message: str  # one sentence: why they conflict
    sides: tuple[Side, ...]
    suggestion: str = ""
    resolution: Resolution | None = None
    # Frontmatter conflicts have no units; their sides point at fields.
    fields: tuple[dict[str, Any], ...] = ()
    key: str = ""  # stable identity across runs (agentmerge.keys); decisions refer to it
    note: str = ""  # the decision's note, when a decision settled it

    @property
    def one_value(self) -> bool:
        """A frontmatter field other than `tools`: the merged agent has one value, one input's."""
        return self.kind == "frontmatter" and self.topic != "tools"


@dataclass
class MergeOptions:
    """How to merge: what to do with conflicts, the example cap, users' knowledge files, thresholds."""

    on_conflict: str = "prefer-first"  # prefer-first | keep-all | mark
    prefer: str | None = None  # path of the input that wins every conflict it is in
    max_examples: int = 6  # cap on <example> blocks in the merged description
    axes: tuple[str, ...] = ()  # users' knowledge-base files
    duplicate_threshold: float | None = None  # override the tuned thresholds (for experiments)
    related_threshold: float | None = None
    decisions: Any = None  # agentmerge.decisions.Decisions: per-conflict and per-unit-pair decisions


@dataclass(frozen=True)
class Placement:
    """One block of the merged body, in output order."""

    kind: str  # "heading" | "unit" | "conflict"
    text: str
    uid: int | None = None  # the unit rendered here (for "unit")
    section: tuple[int, int] | None = None  # (source, section index) for headings
    sep: str = "\n\n"  # separator written before this block


@dataclass
class MergeResult:
    """One merge: the inputs, the merged text, and everything the report says about how it was made."""

    agents: tuple[Agent, ...]
    units: dict[int, Unit]
    groups: tuple[Group, ...]
    conflicts: tuple[Conflict, ...]
    kept: tuple[int, ...]  # uids in the output, in output order
    frontmatter: dict[str, Any] | None
    frontmatter_notes: tuple[str, ...]
    body: str
    text: str  # the whole merged file, with the first input's newline style
    options: MergeOptions
    dropped_examples: tuple[dict[str, Any], ...] = ()
    output_path: str | None = None
    dropped_descriptions: tuple[dict[str, Any], ...] = ()  # other inputs' description prose, with the reason
    extra: dict[str, Any] = field(default_factory=dict)
    unit_keys: dict[int, str] = field(default_factory=dict)  # uid -> stable key (agentmerge.keys)
    output_lines: dict[int, int] = field(default_factory=dict)  # uid -> 1-based line in `text` where it stands
    field_lines: dict[str, int] = field(default_factory=dict)  # frontmatter key -> 1-based line in `text`
    blocks: tuple[dict[str, Any], ...] = ()  # conflict blocks written: line, end_line, labels, uids
    decided: tuple[dict[str, Any], ...] = ()  # decisions that applied: what they matched
    stale: tuple[dict[str, Any], ...] = ()  # decisions that matched nothing, with why
    freed: dict[int, int] = field(default_factory=dict)  # kept uid -> the conflict side that had carried it
