"""Split an agent's body into sections and units with markdown-it-py.

Sections come from ATX and setext headings and from bold pseudo-headings (`**ORM & Migrations:**` on a
line of its own, followed by a list). Units are the top-level blocks: one list item with everything nested
in it, a paragraph, a code block, a table, a blockquote, an HTML block. Each keeps its exact source text
and 1-based line range from the token `map`. Text that looks like a heading inside a code fence stays code,
because markdown-it-py has already read the fence as one block.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from . import markers, model
from .normalize import LABEL
from .statements import read_without_tokens
from .model import Section, Slot, Unit

_BLOCK_KIND = {
    "paragraph_open": model.PARAGRAPH,
    "fence": model.CODE,
    "code_block": model.CODE,
    "table_open": model.TABLE,
    "blockquote_open": model.QUOTE,
    "html_block": model.HTML,
}
_LIST_OPEN = ("bullet_list_open", "ordered_list_open")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """Block structure only: inline parsing is done just for the few paragraphs that may be
    pseudo-headings (it is most of markdown-it's work, and units keep their source text anyway)."""
    return MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])


@lru_cache(maxsize=1)
def _inline_parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


def is_one_paragraph(text: str) -> bool:
    """Whether the text reads back as one paragraph, and nothing else."""
    return [t.type for t in _parser().parse(text + "\n")] == ["paragraph_open", "inline", "paragraph_close"]


@dataclass
class Block:
    """A top-level piece of the body, in source order: a heading or a unit (before numbering)."""

    kind: str  # "heading", "rule", or a unit kind
    start: int  # 0-based first line within the body
    end: int  # 0-based line after the last non-blank line
    title: str = ""
    level: int = 0
    marker: str = ""
    pseudo: bool = False
    # the body's own markdown-it tokens of this block, read as the block alone would be (a list item inside
    # the opening of its list), and the line of the parsed text where the block starts (token maps count
    # from there): so the block's statements need no second parse. None for a block made of loose lines.
    tokens: list[Token] | None = None
    base: int = 0


def blocks_of(lines: list[str]) -> list[Block]:
    """The body's top-level blocks, with list items as separate blocks and pseudo-headings marked.

    An unresolved conflict block (`<<<<<<<` … `=======` … `>>>>>>>`, outside code) is one block of its own:
    Markdown would read its `=======` as a heading underline and its `>>>>>>>` as a quote."""
    if any(line.startswith(markers.OPEN) for line in lines):
        conflicts = markers.spans(lines, _code_lines(lines))
        if conflicts:
            blocks: list[Block] = []
            pos = 0
            for start, end in conflicts:
                blocks += [_shifted(b, pos) for b in _blocks(lines[pos:start])]
                blocks.append(Block(model.CONFLICT, start, end))
                pos = end
            blocks += [_shifted(b, pos) for b in _blocks(lines[pos:])]
            return _with_labels(lines, _cover_gaps(lines, _pseudo_over_blocks(lines, blocks)))
    return _with_labels(lines, _cover_gaps(lines, _blocks(lines)))


def _pseudo_over_blocks(lines: list[str], blocks: list[Block]) -> list[Block]:
    """A bold pseudo-heading right before a conflict block whose sides are list items still heads its
    list: the block stands where items of that list stood (`--on-conflict mark` writes it there)."""
    for k, block in enumerate(blocks[:-1]):
        after = blocks[k + 1]
        if block.kind != model.PARAGRAPH or after.kind != model.CONFLICT:
            continue
        first = next((line for line in lines[after.start + 1:after.end] if line.strip()), "")
        opening = _blocks([first]) if first else []
        if not opening or opening[0].kind != model.ITEM:
            continue
        probe = _blocks(lines[block.start:block.end] + ["", "- x"])
        if probe and probe[0].kind == "heading" and probe[0].pseudo:
            blocks[k] = Block("heading", block.start, block.end, title=probe[0].title, pseudo=True)
    return blocks



def _with_labels(lines: list[str], blocks: list[Block]) -> list[Block]:
    """A keep-all label that an earlier merge wrote on the line before a block (`<!-- agentmerge conflict …
    -->` above a code block or a table) is part of that block: merged again, the label is replaced, never
    labelled or left behind as a unit of its own."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (prev is not None and prev.kind == model.HTML and prev.end == prev.start + 1 and block.start == prev.end
                and block.kind not in ("heading", "rule") and LABEL.fullmatch(lines[prev.start] + "\n")):
            out[-1] = Block(block.kind, prev.start, block.end, marker=block.marker)
            continue
        out.append(block)
    return out


def _shifted(block: Block, by: int) -> Block:
    block.start += by
    block.end += by
    return block


def _code_lines(lines: list[str]) -> set[int]:
    """Lines inside fenced or indented code, at any depth: a conflict marker there is an example."""
    found: set[int] = set()
    for tok in _parser().parse("\n".join(lines) + "\n"):
        if tok.type in ("fence", "code_block") and tok.map is not None:
            found.update(range(tok.map[0], tok.map[1]))
    return found


def _blocks(lines: list[str]) -> list[Block]:
    tokens = _parser().parse("\n".join(lines) + "\n")
    blocks: list[Block] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok.level != 0 or tok.map is None:
            i += 1
            continue
        start, end = tok.map
        if tok.type == "heading_open":
            title = tokens[i + 1].content.strip() if i + 1 < n else ""
            blocks.append(Block("heading", start, end, title=title, level=int(tok.tag[1])))
        elif tok.type == "hr":
            blocks.append(Block("rule", start, end))
        elif tok.type in _LIST_OPEN:
            i = _list_items(tokens, i, blocks)
            continue
        elif tok.type in _BLOCK_KIND:
            kind = _BLOCK_KIND[tok.type]
            title = _pseudo_title(tokens, i) if kind == model.PARAGRAPH else None
            if title is not None:
                blocks.append(Block("heading", start, end, title=title, pseudo=True))
            elif kind in (model.PARAGRAPH, model.QUOTE):
                close = _closing(tokens, i)
                blocks.append(Block(kind, start, end, tokens=tokens[i : close + 1], base=start))
                i = close
            else:
                blocks.append(Block(kind, start, end))
        i += 1
    for block in blocks:
        block.end = _trim(lines, block.start, block.end)
    return blocks


def _closing(tokens: list[Token], i: int) -> int:
    """The index of the token that closes the top-level block opening at `i`."""
    close = tokens[i].type.replace("_open", "_close")
    j = i + 1
    while j < len(tokens) and not (tokens[j].type == close and tokens[j].level == tokens[i].level):
        j += 1
    return min(j, len(tokens) - 1)


def _list_items(tokens: list[Token], i: int, blocks: list[Block]) -> int:
    """Add each top-level item of the list opening at `i` as a block; return the index after the list."""
    close = tokens[i].type.replace("_open", "_close")
    depth = 0
    j = i + 1
    item: Block | None = None  # the item whose tokens are being gathered
    while j < len(tokens):
        tok = tokens[j]
        if tok.type == tokens[i].type:
            depth += 1
        elif tok.type == close:
            if depth == 0:
                return j + 1
            depth -= 1
        elif tok.type == "list_item_open" and tok.level == 1 and tok.map is not None:
            marker = f"{tok.info}{tok.markup}" if tok.info else tok.markup
            item = Block(model.ITEM, tok.map[0], tok.map[1], marker=marker, base=tok.map[0])
            item.tokens = [tokens[i], tok]  # the list's opening says whether the item is a numbered step
            blocks.append(item)
            j += 1
            continue
        elif tok.type == "list_item_close" and tok.level == 1:
            if item is not None and item.tokens is not None:
                item.tokens.append(tok)
            item = None
        if item is not None and item.tokens is not None:
            item.tokens.append(tok)
        j += 1
    return j


def _pseudo_title(tokens: list[Token], i: int) -> str | None:
    """`**Title:**` (or `**Title**:` / `**Title**`) alone in a paragraph, directly followed by a list."""
    inline = tokens[i + 1] if i + 1 < len(tokens) else None
    after = tokens[i + 3] if i + 3 < len(tokens) else None
    if inline is None or inline.type != "inline" or after is None or after.type not in _LIST_OPEN:
        return None
    content = inline.content.strip()
    if not content.startswith(("**", "__")) or "\n" in content or len(content) > 300:
        return None
    parsed = _inline_parser().parseInline(content)
    children = parsed[0].children if parsed else []
    children = [c for c in children or [] if not (c.type == "text" and not c.content.strip())]
    if len(children) < 3 or children[0].type != "strong_open":
        return None
    if children[-1].type == "text" and children[-1].content.strip() == ":":
        children = children[:-1]
    if children[-1].type != "strong_close" or any(c.type in ("strong_open", "strong_close") for c in children[1:-1]):
        return None
    if any(c.type in ("softbreak", "hardbreak") for c in children):
        return None
    title = "".join(c.content for c in children[1:-1]).strip().rstrip(":").strip()
    return title or None


def _blank(line: str) -> bool:
    """Blank as CommonMark (and markdown-it) means it: spaces and tabs only. Python's str.strip() also
    removes U+3000, U+2028, form feeds and the like, which are text to Markdown."""
    return not line.strip(" \t")


def _trim(lines: list[str], start: int, end: int) -> int:
    end = min(end, len(lines))
    while end > start + 1 and _blank(lines[end - 1]):
        end -= 1
    return end


def _cover_gaps(lines: list[str], blocks: list[Block]) -> list[Block]:
    """Any non-blank line no block covers (link reference definitions, say) becomes a paragraph unit,
    so no text of the input can go missing between the parser and the output."""
    out: list[Block] = []
    pos = 0
    for block in sorted(blocks, key=lambda b: b.start):
        if block.start < pos:  # overlapping maps should not happen; never emit a line twice
            continue
        out.extend(_loose_lines(lines, pos, block.start))
        out.append(block)
        pos = block.end
    out.extend(_loose_lines(lines, pos, len(lines)))
    return out


def _loose_lines(lines: list[str], start: int, end: int) -> list[Block]:
    found: list[Block] = []
    i = start
    while i < end:
        if not _blank(lines[i]):
            j = i
            while j < end and not _blank(lines[j]):
                j += 1
            found.append(Block(model.PARAGRAPH, i, j))
            i = j
        else:
            i += 1
    return found


def split(
    lines: list[str], *, source: int, path: str, first_line: int, first_uid: int
) -> tuple[tuple[Section, ...], tuple[Unit, ...], tuple[Slot, ...], str, str]:
    """Sections, units and layout of a body whose first line is line `first_line` of the file.

    Returns (sections, units, layout, head, tail): `layout` is every block in source order with the exact
    separator before it; `head` is the text before the first block, `tail` the text after the last one,
    so that head + (sep + text for each slot) + tail == the body, byte for byte.
    """
    blocks = blocks_of(lines)
    sections: list[dict] = [dict(title="", level=0, heading="", line=first_line, parent=None, pseudo=False, units=[])]
    units: list[Unit] = []
    layout: list[Slot] = []
    stack = [0]  # open sections, innermost last (real headings only)
    pseudo_open: int | None = None  # a pseudo-heading's section, open until its list ends
    prev_end = 0
    for n, block in enumerate(blocks):
        sep = "" if n == 0 else "\n" + "".join(line + "\n" for line in lines[prev_end : block.start])
        prev_end = block.end
        text = "\n".join(lines[block.start : block.end])
        line = first_line + block.start
        if block.kind == "heading" and not block.pseudo:
            while len(stack) > 1 and sections[stack[-1]]["level"] >= block.level:
                stack.pop()
            pseudo_open = None
            sections.append(dict(title=block.title, level=block.level, heading=text, line=line,
                                 parent=stack[-1], pseudo=False, units=[]))
            stack.append(len(sections) - 1)
            layout.append(Slot("section", len(sections) - 1, text, sep))
        elif block.kind == "heading":
            parent = stack[-1]
            sections.append(dict(title=block.title, level=sections[parent]["level"] + 1, heading=text, line=line,
                                 parent=parent, pseudo=True, units=[]))
            pseudo_open = len(sections) - 1
            layout.append(Slot("section", pseudo_open, text, sep))
        elif block.kind == "rule":
            pseudo_open = None
            layout.append(Slot("rule", -1, text, sep))
        else:
            # a conflict block of list items in the list (or right under its pseudo-heading) is part of it
            in_list = block.kind == model.ITEM or (block.kind == model.CONFLICT and n + 1 < len(blocks)
                                                   and blocks[n + 1].kind == model.ITEM)
            if pseudo_open is not None and not in_list and sections[pseudo_open]["units"]:
                pseudo_open = None  # a pseudo-heading groups the list that follows it, no more
            owner = pseudo_open if pseudo_open is not None else stack[-1]
            uid = first_uid + len(units)
            units.append(Unit(uid=uid, source=source, path=path, kind=block.kind, text=text, line=line,
                              end_line=first_line + block.end - 1, section=owner, marker=block.marker,
                              read=_read_of(block, text)))
            sections[owner]["units"].append(uid)
            layout.append(Slot("unit", uid, text, sep))
    if blocks:
        head = "".join(line + "\n" for line in lines[: blocks[0].start])
        rest = lines[prev_end:]
        tail = "\n" + "\n".join(rest) if rest else ""
    else:
        head, tail = "\n".join(lines), ""
    built = tuple(_section(i, s, sections) for i, s in enumerate(sections))
    return built, tuple(units), tuple(layout), head, tail


def _read_of(block: Block, text: str) -> tuple | None:
    """A unit's `read` (see `model.Unit`): the block's tokens from the body's reading, unless its statements
    are read without them (`statements.read_without_tokens`: most items of a large input)."""
    if block.tokens is None or read_without_tokens(text, block.kind):
        return None
    return block.tokens, block.base


def _section(index: int, s: dict, all_sections: list[dict]) -> Section:
    path: list[str] = []
    cur: int | None = index
    while cur is not None and cur != 0:
        path.append(all_sections[cur]["title"])
        cur = all_sections[cur]["parent"]
    return Section(index=index, title=s["title"], level=s["level"], heading=s["heading"], line=s["line"],
                   parent=s["parent"], path=tuple(reversed(path)), units=tuple(s["units"]), pseudo=s["pseudo"])
