"""Statements: what each unit says, read once from markdown-it tokens and analysed once.

A unit (a list item with its nested items, a paragraph, a quote) is split into statements:

- each list item (`item`) and each nested item (`nested`, with its depth);
- each further sentence of an item or paragraph (`sentence`; an item's first sentence is the `item`);
- a `**Label**: details` item or paragraph as a `head` (the label) and its `details`;
- a paragraph that ends with `:` right before a list as a `lead-in`: the context of the list it introduces;
- code blocks, tables and HTML as one `code` / `table` / `html` statement (their text, not analysed).

Each statement carries what matching and conflict detection compare: its modality (require, recommend,
permit, discourage, prohibit, describe), whether its action is prohibited (negation scope: "eliminate N+1
problems" is a *do*, "never use raw SQL" a *don't*), its terms (lemmas and canonical synonyms from
`knowledge/terms.yaml`; identifiers and code spans kept whole), its numbers as a multiset and its
quantities, its order pairs ("A before B") and its section path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it.token import Token

from .. import model
from ..model import Agent, Unit
from .terms import analyse, Analysis

__all__ = [
    "Statement", "statements_of", "unit_statements", "sentences", "plain_inline", "plain_statements",
    "table_rows", "Analysis",
    "analyse",
    "ROLES", "MODALITIES",
]

ROLES = ("item", "nested", "sentence", "head", "details", "lead-in", "heading", "code", "table", "html")
MODALITIES = ("require", "recommend", "permit", "discourage", "prohibit", "describe")


@dataclass(frozen=True)
class Statement:
    """One thing a unit says: a list item, a nested item, a sentence, a label or its details."""

    uid: int  # the owning unit (-1 for a heading)
    path: str  # the input's path
    line: int  # 1-based first line in the file
    end_line: int  # 1-based last line in the file
    index: int  # position within its unit (0 first)
    role: str  # one of ROLES
    text: str  # plain text: markers, emphasis, code ticks and links folded away, case kept
    modality: str  # one of MODALITIES
    negated: bool  # the action is prohibited or discouraged ("never ...", "don't ...", "avoid ...", "no ...")
    actions: tuple[str, ...]  # terms in the scope of the modality (the prohibited action for a negation)
    terms: tuple[str, ...]  # every content term in order (lemmas, canonical synonyms; low-weight ones too)
    heads: tuple[str, ...]  # identifiers, code spans and written-as-one terms (`I/O`, `N+1`, `os.path.join`)
    numbers: tuple[str, ...]  # every number, sorted: a multiset ("3 ... 3" is not "3 ... 100")
    order: tuple[tuple[str, str], ...]  # (first, then) term pairs: "A before B", "B after A", "first A, then B"
    section: tuple[str, ...]  # the section path, top down
    depth: int = 0  # nesting depth of a list item (0: top level)
    ordered: bool = False  # an item of a numbered list (a procedure step)
    checkbox: bool = False  # a `- [ ]` checklist item
    code: tuple[str, ...] = ()  # the code spans, as written
    quantities: tuple = ()  # value + unit + comparator, when `agentmerge.quantities` reads any


# --- reading ------------------------------------------------------------------------------------------------

_CHECKBOX = re.compile(r"^\[[ xX]\][ \t]+")
_SENTENCE_END = re.compile(r"(?<=[.!?;])[ \t\n]+(?=\S)")
_ABBREVIATION = re.compile(
    r"(?:^|[\s(\[/])(?:e\.g|i\.e|vs|etc|cf|approx|incl|esp|viz|resp|fig|no|nos|al|ca|min|max|avg|st|dr|mr|mrs|ms|v)\.\Z",
    re.IGNORECASE,
)
_ELIDED = re.compile(r"(?:^|\s)\.{2,}\Z")  # an ellipsis standing alone elides words ("definition... no" ends one)
_MARKUP = re.compile(r"[*_`\[\]<>&\\!~]")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _block_parser():
    from ..split import _parser

    return _parser()


@lru_cache(maxsize=1)
def _inline_parser():
    from ..split import _inline_parser as parser

    return parser()


def _inline_children(content: str) -> list[Token]:
    parsed = _inline_parser().parseInline(content)
    return list(parsed[0].children or []) if parsed else []


def plain_inline(content: str) -> tuple[str, tuple[str, ...]]:
    """The plain text of a paragraph's inline Markdown (markdown-it's inline tokens), and its code spans.
    Text without any markup character is its own plain text (most of a large input is)."""
    if not _MARKUP.search(content):
        return _SPACE.sub(" ", content).strip(), ()
    out: list[str] = []
    code: list[str] = []
    for child in _inline_children(content):
        if child.type in ("text", "html_inline"):
            out.append(child.content)
        elif child.type == "code_inline":
            out.append(child.content)
            code.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)
    return _SPACE.sub(" ", "".join(out)).strip(), tuple(code)


_LABEL = re.compile(r"(\*\*|__)(?P<label>[^*_\n]{1,200}?)\1(?P<rest>.*)\Z", re.S)


def _label(content: str) -> tuple[str, str] | None:
    """`**Label**: details`, `**Label:** details`, `**Label** - details`: (label, details) as inline
    Markdown; None for any other text (`**Use X** instead of Y` is one statement)."""
    m = _LABEL.match(content)
    if m is None:
        return None
    label, rest = m.group("label").strip(), m.group("rest").strip()
    if label.endswith(":"):
        return label.rstrip(":").strip(), rest
    if rest[:1] in (":", "-", "\u2014", "\u2013"):
        return label, rest[1:].strip()
    return None


def sentences(content: str) -> list[tuple[int, str]]:
    """The sentences of a paragraph's inline Markdown, with the line offset where each starts."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in _SENTENCE_END.finditer(content):
        before = content[start : m.start()]
        if _ABBREVIATION.search(before[-12:]) or _ELIDED.search(before[-12:]):
            continue  # "e.g. the index", "SELECT ... FOR UPDATE": no sentence ends there
        out.append((content.count("\n", 0, start), before.strip()))
        start = m.end()
    tail = content[start:].strip()
    if tail:
        out.append((content.count("\n", 0, start), tail))
    return [(line, text) for line, text in out if text]


@dataclass
class _Piece:
    role: str
    content: str  # inline Markdown
    line: int  # 0-based offset in the unit
    end: int
    depth: int = 0
    ordered: bool = False
    checkbox: bool = False


# A one-line list item or paragraph whose text starts with none of these is one inline run: its block
# tokens are known without parsing (list item: the text after the marker), which most units of a large
# input are.
# One to four spaces after the marker: five or more start an indented code block inside the item, and a
# tab counts to the next tab stop; both are left to markdown-it.
_ONE_LINE_ITEM = re.compile(r"(?:[-*+]|(\d{1,9})[.)]) {1,4}(?![ \t]|[-*+#>`~|<]|\d{1,9}[.)]|\[(?![ xX]\][ \t]+[^\s\[]))(.+)\Z")
_ONE_LINE_PARAGRAPH = re.compile(r"(?![ \t]|[-*+#>`~|<=_\[]|\d{1,9}[.)])(.+)\Z")


def _pieces(text: str, kind: str, lead_in: bool, read: tuple[list[Token], int] | None = None) -> list[_Piece]:
    """What the unit's markdown-it block tokens say, piece by piece, before analysis. `read`: the unit's
    tokens from the reading of its whole body and the line where the unit starts in it (see
    `split.Block.tokens`), else the unit is parsed here."""
    if kind in (model.CODE, model.TABLE, model.HTML):
        role = {model.CODE: "code", model.TABLE: "table", model.HTML: "html"}[kind]
        return [_Piece(role, text, 0, text.count("\n"))]
    if "\n" not in text:
        pieces = _one_line_pieces(text, kind, lead_in)
        if pieces is not None:
            return list(pieces)
    if read is None:
        return list(_parsed_pieces(text, lead_in))
    return _token_pieces(*read, lead_in)


def read_without_tokens(text: str, kind: str) -> bool:
    """Whether a unit's pieces never need its block tokens: a one-line list item that `_one_line_pieces` reads
    on its own (an item is never a lead-in; a one-line paragraph may be one, and a lead-in is parsed)."""
    return kind == model.ITEM and "\n" not in text and _ONE_LINE_ITEM.match(text) is not None


@lru_cache(maxsize=65536)  # matching and conflict detection both read every unit (the pieces never change)
def _one_line_pieces(text: str, kind: str, lead_in: bool) -> tuple[_Piece, ...] | None:
    """`_pieces` of a one-line item or paragraph whose block tokens are known without parsing, else None."""
    if kind == model.ITEM:
        m = _ONE_LINE_ITEM.match(text)
        if m is not None:
            content = m.group(2).rstrip()
            checkbox = _CHECKBOX.match(content)
            if checkbox:
                content = content[checkbox.end():]
            return tuple(_split_piece("item", content, 0, 1, 0, m.group(1) is not None, checkbox is not None))
    elif kind == model.PARAGRAPH and not lead_in and _ONE_LINE_PARAGRAPH.match(text):
        return tuple(_split_piece("sentence", text.strip(), 0, 1, 0, False, False))
    return None


@lru_cache(maxsize=65536)  # matching and conflict detection both read a unit that has no fast path
def _parsed_pieces(text: str, lead_in: bool) -> tuple[_Piece, ...]:
    """`_pieces` of a text markdown-it parses (the pieces are never changed once made)."""
    return tuple(_token_pieces(_block_parser().parse(text + "\n"), 0, lead_in))


def _token_pieces(tokens: list[Token], base: int, lead_in: bool) -> list[_Piece]:
    """The pieces of a unit's block tokens; `base`: the line of the parsed text where the unit starts."""
    pieces: list[_Piece] = []
    depth = -1
    ordered: list[bool] = []
    first_in_item = False
    skip = 0  # inside a table: its cells are not statements
    heading = False
    for tok in tokens:
        if tok.type in ("table_open", "table_close"):
            skip += 1 if tok.type == "table_open" else -1
        elif skip:
            continue
        elif tok.type in ("heading_open", "heading_close"):
            heading = tok.type == "heading_open"
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            ordered.append(tok.type == "ordered_list_open")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            ordered.pop()
        elif tok.type == "list_item_open":
            first_in_item = True
        elif tok.type == "inline":
            content = tok.content
            start, end = (tok.map[0] - base, tok.map[1] - base) if tok.map else (0, 0)
            if heading:
                pieces.append(_Piece("heading", content, start, end - 1, max(depth, 0)))
            elif depth >= 0 and first_in_item:
                checkbox = bool(_CHECKBOX.match(content))
                if checkbox:
                    content = content[_CHECKBOX.match(content).end():]
                role = "item" if depth == 0 else "nested"
                pieces.extend(_split_piece(role, content, start, end, depth, ordered[-1], checkbox))
            else:
                role = "lead-in" if lead_in and not pieces and depth < 0 else "sentence"
                if role == "lead-in":
                    pieces.append(_Piece(role, content, start, end - 1))
                else:
                    pieces.extend(_split_piece("sentence", content, start, end, max(depth, 0),
                                               bool(ordered and ordered[-1]), False))
            first_in_item = False
        elif tok.type in ("fence", "code_block"):
            start, end = (tok.map[0] - base, tok.map[1] - base) if tok.map else (0, 0)
            pieces.append(_Piece("code", tok.content, start, end - 1, max(depth, 0)))
    return pieces


def _split_piece(role: str, content: str, start: int, end: int, depth: int, ordered: bool,
                 checkbox: bool) -> list[_Piece]:
    label = _label(content) if content.startswith(("**", "__")) else None
    out: list[_Piece] = []
    if label is not None:
        head, details = label
        out.append(_Piece("head", head, start, start, depth, ordered, checkbox))
        parts = sentences(details) if details else []
        for k, (offset, sentence) in enumerate(parts):
            out.append(_Piece("details" if k == 0 else "sentence", sentence, start + offset, start + offset,
                              depth, ordered, checkbox))
        return out
    for k, (offset, sentence) in enumerate(sentences(content)):
        out.append(_Piece(role if k == 0 else "sentence", sentence, start + offset, start + offset,
                          depth, ordered, checkbox))
    if out:
        last = out[-1]
        last.end = max(last.line, end - 1)
    return out


def unit_statements(unit: Unit, section: tuple[str, ...] = (), lead_in: bool = False) -> tuple[Statement, ...]:
    """The statements of one unit (a lead-in paragraph is one `lead-in` statement). A keep-all label an
    earlier merge wrote on it is agentmerge's note, not guidance: its values and stances are not read.

    Read once per unit and term data: conflict detection reads every unit again each time the matching
    changes (a merge frees duplicates and detects anew), and the statements are immutable."""
    return _unit_statements(unit, section, lead_in)


@lru_cache(maxsize=65536)  # cleared with analyse's cache when the term data changes (terms.use_terms)
def _unit_statements(unit: Unit, section: tuple[str, ...], lead_in: bool) -> tuple[Statement, ...]:
    from ..normalize import unlabelled

    out: list[Statement] = []
    said = unlabelled(unit.text)
    read = unit.read if said == unit.text else None  # a label removed: the body's tokens still hold it
    for index, piece in enumerate(_pieces(said, unit.kind, lead_in, read)):
        if piece.role in ("code", "table", "html"):
            text, code, analysis = piece.content, (), None
        else:
            text, code = plain_inline(piece.content)
            analysis = analyse(text, code)
        line = unit.line + piece.line
        end_line = min(unit.end_line, max(line, unit.line + piece.end))
        if analysis is None:
            out.append(Statement(uid=unit.uid, path=unit.path, line=line, end_line=end_line, index=index,
                                 role=piece.role, text=text, modality="describe", negated=False, actions=(),
                                 terms=(), heads=(), numbers=(), order=(), section=section, depth=piece.depth))
            continue
        out.append(Statement(uid=unit.uid, path=unit.path, line=line, end_line=end_line, index=index,
                             role=piece.role, text=text, modality=analysis.modality, negated=analysis.negated,
                             actions=analysis.actions, terms=analysis.terms, heads=analysis.heads,
                             numbers=analysis.numbers, order=analysis.order, section=section, depth=piece.depth,
                             ordered=piece.ordered, checkbox=piece.checkbox, code=code,
                             quantities=analysis.quantities))
    return tuple(out)


def plain_statements(markdown: str) -> list[str]:
    """The plain text of each statement of any Markdown (a unit, a body, a frontmatter description), in
    order: list items, nested items, sentences, heads and details apart; code, tables and HTML left out.
    What a reader of prose patterns needs, from the same reading as matching."""
    out: list[str] = []
    for piece in _pieces(markdown, model.PARAGRAPH, False):
        if piece.role not in ("code", "table", "html"):
            text, _code = plain_inline(piece.content)
            if text:
                out.append(text)
    return out


def table_rows(unit: Unit) -> tuple[str, ...]:
    """The plain text of each row of a table unit (its cells ` | ` apart), from its markdown-it tokens: a
    table is one statement for matching, but a row may take a stance ("| Consistency | eventual |")."""
    tokens = unit.read[0] if unit.read is not None else _block_parser().parse(unit.text + "\n")
    rows: list[str] = []
    cells: list[str] | None = None
    for tok in tokens:
        if tok.type == "tr_open":
            cells = []
        elif tok.type == "tr_close" and cells is not None:
            row = " | ".join(cell for cell in cells if cell)
            if row:
                rows.append(row)
            cells = None
        elif tok.type == "inline" and cells is not None:
            cells.append(plain_inline(tok.content)[0])
    return tuple(rows)


def lead_ins(agent: Agent) -> frozenset[int]:
    """Uids of the paragraphs that end with `:` (a keep-all label aside) and stand right before a list:
    they introduce it."""
    from ..normalize import ends_with_colon, unlabelled

    found: set[int] = set()
    kinds = {u.uid: u for u in agent.units}
    slots = [s for s in agent.layout]
    for i, slot in enumerate(slots[:-1]):
        if slot.kind != "unit":
            continue
        unit = kinds[slot.ref]
        after = slots[i + 1]
        if (unit.kind == model.PARAGRAPH and ends_with_colon(unlabelled(unit.text)) and after.kind == "unit"
                and kinds[after.ref].kind == model.ITEM):
            found.add(unit.uid)
    return frozenset(found)


def statements_of(agent: Agent, headings: bool = False) -> tuple[Statement, ...]:
    """Every statement of an agent's body, in source order (with `headings`, each section title as a
    `heading` statement, uid -1, before the statements of its units)."""
    introducing = lead_ins(agent)
    units = {u.uid: u for u in agent.units}
    out: list[Statement] = []
    for slot in agent.layout:
        if slot.kind == "section" and headings:
            section = agent.sections[slot.ref]
            text, code = plain_inline(section.title)
            a = analyse(text, code)
            out.append(Statement(uid=-1, path=agent.path, line=section.line, end_line=section.line, index=0,
                                 role="heading", text=text, modality=a.modality, negated=a.negated,
                                 actions=a.actions, terms=a.terms, heads=a.heads, numbers=a.numbers,
                                 order=a.order, section=section.path, code=code, quantities=a.quantities))
        elif slot.kind == "unit":
            unit = units[slot.ref]
            out.extend(unit_statements(unit, agent.sections[unit.section].path, unit.uid in introducing))
    return tuple(out)
