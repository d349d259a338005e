"""Merge: align sections, place every kept unit, and render one agent that reads as one.

Order: the first input's sections in order; a section only later inputs have goes after the nearest
matched section before it; inside a section, the first input's units in order and other inputs' units
after their nearest matched neighbour. The first input's text, separators and all, is reproduced exactly
wherever nothing was added or removed.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import model
from .match import DUPLICATE, RELATED, Matching, lead_ins, other_context
from .model import ITEM, Agent, Unit
from .normalize import LABEL, ends_with_colon, plain, words
from .split import is_one_paragraph

_ATX = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)")
_CHECKBOX = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\[[ xX]\]")
_ITEM = re.compile(r"^( {0,3})(?:([-*+])|(\d{1,9})([.)]))([ \t]+|$)")

SectionKey = tuple[int, int]
# token_set_ratio at which two units count as covering the same ground when aligning sections
SIMILAR_UNITS = 70.0
SIMILAR_WORDS = 2  # content terms each needs for a look-alike to count
# _section_score at which a later input's section joins an earlier one
SECTION_MATCH = 0.35  # (input index, section index)


@dataclass(eq=False)
class Node:
    """A block of the merged body. Sections hold their children in output order."""

    kind: str  # "root" | "section" | "unit" | "rule" | "conflict"
    agent: int = 0
    ref: int = -1  # section index, or the uid of the unit whose slot this is
    uid: int | None = None  # the unit rendered here (a kept variant may stand in another unit's slot)
    text: str = ""  # for rules and conflict blocks
    level: int = 0
    children: list["Node"] = field(default_factory=list)
    parent: "Node | None" = None
    layout_pos: int = -1  # position in its input's layout, to reuse the original separators
    shows: tuple[int, ...] = ()  # every uid whose text this block carries


@dataclass(frozen=True)
class Block:
    """A rendered block of the merged body."""

    text: str
    agent: int
    layout_pos: int
    is_item: bool
    shows: tuple[int, ...]
    is_heading: bool = False


_TITLE_STOP = frozenset("a an the and or of for to in on at by with from as your you our we my this that when how what".split())


def _title_words(title: str) -> str:
    """A title's content words; a title of stop words only (`## The`) keeps them all, and one with no word
    at all is its own stripped text, so that equal headings always have words in common."""
    every = words(title.lower())
    return " ".join(w for w in every if w not in _TITLE_STOP) or " ".join(every) or f"\0{title.strip()}"


def _procedure_share(agent: Agent, section_index: int, units: dict[int, Unit]) -> float:
    uids = agent.sections[section_index].units
    if not uids:
        return 0.0
    return sum(1 for u in uids if units[u].kind == model.ITEM and units[u].marker[:1].isdigit()) / len(uids)


def _checklist_share(agent: Agent, section_index: int, units: dict[int, Unit]) -> float:
    uids = agent.sections[section_index].units
    if not uids:
        return 0.0
    return sum(1 for u in uids if _CHECKBOX.match(units[u].text)) / len(uids)


def _introduces(unit: Unit) -> bool:
    """A paragraph ending with `:` introduces what follows; it says little of its own."""
    return unit.kind == model.PARAGRAPH and ends_with_colon(unit.text)


def align_sections(agents: Sequence[Agent], matching: Matching) -> dict[SectionKey, SectionKey]:
    """Map each later input's section onto an earlier input's section that covers the same ground.

    Shared units (duplicates or related) count first; a title counts when most of its words are shared
    ("Quality Standards" ~ "Code Quality Standards"); two checklists with a title word in common align
    ("Quality Verification" ~ "Self-Verification Checklist"). Preambles always align.
    """
    units = {u.uid: u for a in agents for u in a.units}
    section_of = {u.uid: (u.source, u.section) for u in units.values()}
    links: dict[SectionKey, dict[SectionKey, int]] = defaultdict(lambda: defaultdict(int))
    linked = {(p.a, p.b) for p in matching.pairs if p.relation in (DUPLICATE, RELATED)}
    # a look-alike counts when both say enough to look alike: a two-word lead-in ("When addressing database
    # tasks:") scores high against anything that names its subject
    norms = matching.norms
    linked |= {(a, b) for a, b, score in matching.similar if score >= SIMILAR_UNITS
               and len(norms[a].tokens) >= SIMILAR_WORDS and len(norms[b].tokens) >= SIMILAR_WORDS
               and not _introduces(units[a]) and not _introduces(units[b])}
    for a, b in sorted(linked):
        sa, sb = section_of[a], section_of[b]
        if sa[0] != sb[0]:
            links[sa][sb] += 1
            links[sb][sa] += 1
    titles = {(a.index, s.index): set(_title_words(s.title).split()) for a in agents for s in a.sections}
    checklist = {(a.index, s.index): _checklist_share(a, s.index, units) >= 0.5 for a in agents for s in a.sections}
    # a numbered procedure never runs into another list (its steps would continue the other list, or the
    # other list's items would become steps)
    procedure = {(a.index, s.index): _procedure_share(a, s.index, units) >= 0.5 for a in agents for s in a.sections}
    # a pseudo-heading (`**Title:**` over a list) heads only the list right under it: a section holding
    # anything else would end it, and its units would read back under the heading above
    not_a_list = {(a.index, s.index) for a in agents for s in a.sections
                  if any(units[u].kind != model.ITEM for u in s.units)}
    pseudo = {(a.index, s.index) for a in agents for s in a.sections if s.pseudo}
    raw_titles = {(a.index, s.index): s.title for a in agents for s in a.sections}
    raw_of = {u.uid: raw_titles[section_of[u.uid]] for u in units.values()}
    # uid -> the titles its duplicate group's members and its exact copies stand under (one set per group
    # and per text, shared by its members: linear however many copies there are)
    partners: dict[int, set[str]] = defaultdict(set)
    for g in matching.groups:
        if g.kind == DUPLICATE:
            shared = {raw_of[m.uid] for m in g.members}
            for m in g.members:
                partners[m.uid] |= shared
    copies: dict[str, list[int]] = defaultdict(list)
    for u in units.values():
        if u.kind not in (model.CODE, model.TABLE, model.HTML, model.CONFLICT):
            copies[plain(u.text)].append(u.uid)
    for uids in copies.values():
        if len(uids) > 1:
            shared = {raw_of[u] for u in uids}
            for uid in uids:
                partners[uid] |= shared
    scoped: dict[SectionKey, frozenset[str]] = {}  # a section -> the titles its units' copies stand under
    mapping: dict[SectionKey, SectionKey] = {}
    for agent in agents[1:]:
        for section in agent.sections:
            key = (agent.index, section.index)
            if section.index == 0:
                mapping[key] = (0, 0)
                continue
            best = None
            for earlier in agents[: agent.index]:
                for other in earlier.sections[1:]:
                    okey = (earlier.index, other.index)
                    if okey in mapping or procedure[key] or procedure[okey]:
                        # only onto sections that stand in the output in their own right; and a numbered
                        # procedure takes in no other section's units, nor goes into another section (its
                        # items would become steps, or its steps continue another list's count)
                        continue
                    if okey in pseudo and key in not_a_list:
                        continue
                    if other_context(raw_titles[key], raw_titles[okey]):
                        # titles that scope their units differently (the matcher keeps the same line under
                        # each apart): joined, the output would move a rule into the other scope
                        continue
                    if key not in scoped:
                        scoped[key] = frozenset().union(*(partners.get(uid, ()) for uid in section.units))
                    if _rescoped(scoped[key], raw_titles[okey], raw_titles[key]):
                        continue
                    score = _section_score(links[key].get(okey, 0), len(section.units), len(other.units),
                                           titles[key], titles[okey], checklist[key] and checklist[okey])
                    if score >= SECTION_MATCH and (best is None or (score, -okey[0], -okey[1]) > best[0]):
                        best = ((score, -okey[0], -okey[1]), okey)
            if best is not None:
                mapping[key] = best[1]
    return mapping


def _rescoped(others: frozenset[str], title: str, own: str) -> bool:
    """Whether joining a section titled `own` under `title` would change how one of its units is scoped
    against a duplicate or an exact copy of it elsewhere (`others`: the titles those stand under): apart
    where its own title is not, or the other way round. Merged again, under the joined title, the two would be judged otherwise, and the merged
    file would not be a fixpoint."""
    return any(other_context(title, other) != other_context(own, other) for other in sorted(others))


def _section_score(shared: int, size_a: int, size_b: int, title_a: set[str], title_b: set[str], checklists: bool) -> float:
    """How strongly two sections cover the same ground: link density between their units (cosine-like,
    so big sections do not win by size), plus title word overlap, plus two checklists sharing a word."""
    density = shared / math.sqrt(max(size_a, 1) * max(size_b, 1))
    common = title_a & title_b
    title = len(common) / len(title_a | title_b) if common else 0.0
    score = density + 0.6 * title + (0.3 if checklists and common else 0.0)
    return score if shared or title >= 0.5 else 0.0


class Builder:
    """Builds the merged body as a tree, the first input's structure first, later inputs placed into it."""

    def __init__(self, agents: Sequence[Agent], matching: Matching, losing: set[int],
                 marked: dict[int, tuple[int, ...]], mark_text, mapping: dict[SectionKey, SectionKey]):
        self.agents = agents
        self.units: dict[int, Unit] = {u.uid: u for a in agents for u in a.units}
        self.introducing = lead_ins(list(self.units.values()))  # paragraphs that introduce the list after them
        self.dropped = matching.dropped
        self.losing = losing
        self.marked = marked  # first uid of a marked conflict -> every uid it shows
        self.marked_other = {u for uids in marked.values() for u in uids} - set(marked)
        self.mark_text = mark_text
        self.mapping = mapping
        self.node_of_unit: dict[int, Node] = {}
        self.node_of_section: dict[SectionKey, Node] = {}
        # A kept variant from a later input stands in the slot of its group's earliest member.
        self.anchor: dict[int, int] = {}
        title = lambda uid: agents[self.units[uid].source].sections[self.units[uid].section].title  # noqa: E731
        for g in matching.groups:
            first = min(m.uid for m in g.members)
            # never under a title that scopes a member otherwise than the kept unit's own title does: merged
            # again, it would keep that member's copy apart
            if self.units[first].source != self.units[g.kept].source and not any(
                    other_context(title(first), title(m.uid)) and not other_context(title(g.kept), title(m.uid))
                    for m in g.members):
                self.anchor[g.kept] = first
        self.anchored_slot = {v: k for k, v in self.anchor.items()}
        self.related: dict[int, list[tuple[float, int]]] = defaultdict(list)
        for p in matching.pairs:
            if p.relation == RELATED:
                self.related[p.a].append((p.score, p.b))
                self.related[p.b].append((p.score, p.a))
        self.after_anchor: dict[int, Node] = {}
        self.slot_pos = {(a.index, s.ref): i for a in agents for i, s in enumerate(a.layout) if s.kind == "unit"}

    # What stands in a unit's slot, if anything.
    def content(self, uid: int) -> Node | None:
        unit = self.units[uid]
        pos = self.slot_pos[(unit.source, uid)]
        if uid in self.marked:
            return Node("conflict", unit.source, uid, uid=uid, text=self.mark_text(uid), layout_pos=-1, shows=self.marked[uid])
        if uid in self.marked_other or uid in self.losing:
            return None
        if uid in self.anchored_slot:
            kept = self.anchored_slot[uid]
            if kept in self.marked or kept in self.marked_other:
                return None  # the kept variant stands in its conflict block
            if kept in self.losing:
                return None  # it lost a conflict: it and what it carries leave the output with its side
            return Node("unit", unit.source, uid, uid=kept, layout_pos=pos, shows=(kept,))
        if uid in self.dropped or uid in self.anchor:
            return None
        return Node("unit", unit.source, uid, uid=uid, layout_pos=pos, shows=(uid,))

    def counterpart(self, uid: int) -> Node | None:
        """Where a unit that does not stand in its own slot is represented in the output."""
        for other in (self.dropped.get(uid), uid):
            if other is not None and other in self.node_of_unit:
                return self.node_of_unit[other]
        return None

    def _register(self, node: Node) -> None:
        for uid in node.shows:
            self.node_of_unit[uid] = node

    def build(self) -> Node:
        root = Node("root", level=0)
        first = self.agents[0]
        self.node_of_section[(0, 0)] = root
        for pos, slot in enumerate(first.layout):
            if slot.kind == "section":
                s = first.sections[slot.ref]
                node = Node("section", 0, s.index, level=s.level, layout_pos=pos)
                self._append(self.node_of_section[(0, s.parent)], node)
                self.node_of_section[(0, s.index)] = node
            elif slot.kind == "rule":
                current = self._innermost(first, pos)
                self._append(current, Node("rule", 0, text=slot.text, layout_pos=pos))
            else:
                node = self.content(slot.ref)
                if node is not None:
                    owner = self.node_of_section[(0, self.units[slot.ref].section)]
                    self._append(owner, node)
                    self._register(node)
        for agent in self.agents[1:]:
            self._place(agent)
        return root

    def _innermost(self, agent: Agent, pos: int) -> Node:
        for slot in reversed(agent.layout[:pos]):
            if slot.kind == "section":
                return self.node_of_section[(agent.index, slot.ref)]
            if slot.kind == "unit":
                return self.node_of_section[(agent.index, self.units[slot.ref].section)]
        return self.node_of_section[(agent.index, 0)]

    @staticmethod
    def _append(parent: Node, node: Node) -> None:
        node.parent = parent
        parent.children.append(node)

    @staticmethod
    def _insert_after(parent: Node, after: Node | None, node: Node, default: str = "units") -> None:
        node.parent = parent
        if after is not None and after.parent is parent:
            parent.children.insert(parent.children.index(after) + 1, node)
            return
        kids = parent.children
        first_section = next((i for i, k in enumerate(kids) if k.kind == "section"), len(kids))
        if default == "units":
            # after the section's own units, before its subsections
            parent.children.insert(first_section, node)
        else:
            parent.children.insert(first_section if default == "sections-first" else len(kids), node)

    def _place(self, agent: Agent) -> None:
        cursor: dict[int, Node | None] = defaultdict(lambda: None)  # id(container) -> insert after this
        containers: dict[int, Node] = {0: self.node_of_section[(0, 0)]}
        for pos, slot in enumerate(agent.layout):
            if slot.kind == "rule":
                continue  # a thematic break carries no guidance; the first input's layout stands
            if slot.kind == "section":
                s = agent.sections[slot.ref]
                parent = containers.get(s.parent, containers[0])
                target = self.mapping.get((agent.index, s.index))
                if target is not None and target in self.node_of_section:
                    node = self.node_of_section[target]
                    if node.parent is parent:
                        cursor[id(parent)] = node
                else:
                    hint = self._descendant_anchor(agent, s.index, parent)
                    if hint is not None:
                        last = self.after_anchor.get(id(hint))
                        cursor[id(parent)] = last if last is not None and last.parent is parent else hint
                    level = s.level
                    if parent.kind == "section" and not s.pseudo:
                        parent_level = agent.sections[s.parent].level if s.parent is not None else 0
                        level = min(6, parent.level + max(1, s.level - parent_level))
                    node = Node("section", agent.index, s.index, level=level, layout_pos=pos)
                    # a top-level section with no section placed before it goes after the first input's
                    # sections (their order leads), not above them; a subsection, first in its parent
                    after = cursor[id(parent)]
                    if parent.kind == "root" and (after is None or after.kind != "section"):
                        after, where = None, "end"
                    else:
                        where = "sections-first"
                    self._insert_after(parent, after, node, default=where)
                    cursor[id(parent)] = node
                    if hint is not None:
                        self.after_anchor[id(hint)] = node
                    self.node_of_section[(agent.index, s.index)] = node
                containers[s.index] = node
                continue
            uid = slot.ref
            unit = self.units[uid]
            container = containers.get(unit.section, containers[0])
            node = self.content(uid)
            if node is None:
                other = self.counterpart(uid)
                # after what stands for it, if an earlier input placed that: what this input placed itself
                # is behind its cursor already (going back would put its next section above its own units)
                if other is not None and other.parent is container and other.agent != agent.index:
                    cursor[id(container)] = other
                continue
            # a unit joins the unit it is related to, unless that would take it out of the list it
            # continues: the items after a lead-in, or after an item of their own list, stay with it
            anchor = None if self._continues_list(agent, pos) else self._related_anchor(uid, container)
            after = None
            if anchor is not None:
                # next to the unit it is related to, after earlier inputs' units related to it
                last = self.after_anchor.get(id(anchor))
                after = last if last is not None and last.parent is container else anchor
            if after is None:
                after = cursor[id(container)]
            if after is None:
                after = self._next_matched(agent, pos, container)
                if after is not None:
                    # before the next matched neighbour: insert after whatever precedes it
                    idx = container.children.index(after)
                    after = container.children[idx - 1] if idx > 0 else None
                    if after is None:
                        node.parent = container
                        container.children.insert(0, node)
                        self._register(node)
                        cursor[id(container)] = node
                        continue
            self._insert_after(container, after, node)
            self._register(node)
            cursor[id(container)] = node
            if anchor is not None:
                self.after_anchor[id(anchor)] = node

    def _descendant_anchor(self, agent: Agent, index: int, parent: Node) -> Node | None:
        """For a section no earlier input has: if one of its subsections was matched, the section of
        `parent` that holds that match, so the new section goes after the part of the output it joins."""
        for s in agent.sections[index + 1 :]:
            ancestor = s.parent
            while ancestor is not None and ancestor != index:
                ancestor = agent.sections[ancestor].parent
            if ancestor != index:
                continue
            target = self.mapping.get((agent.index, s.index))
            node = self.node_of_section.get(target) if target is not None else None
            while node is not None and node.parent is not None and node.parent is not parent:
                node = node.parent
            if node is not None and node.parent is parent:
                return node
        return None

    def _continues_list(self, agent: Agent, pos: int) -> bool:
        """Whether the unit at `pos` of the layout is a list item right after an item of its section or
        after a lead-in (a paragraph ending in `:`) that introduces it."""
        unit = self.units[agent.layout[pos].ref]
        if unit.kind != ITEM or pos == 0:
            return False
        before = agent.layout[pos - 1]
        if before.kind != "unit":
            return False
        prev = self.units[before.ref]
        if prev.section != unit.section:
            return False
        return prev.kind == ITEM or prev.uid in self.introducing

    def _related_anchor(self, uid: int, container: Node) -> Node | None:
        """The earlier unit this one is related to, if it stands in this section."""
        for _score, other in sorted(self.related.get(uid, ()), key=lambda t: (-t[0], t[1])):
            if self.units[other].source < self.units[uid].source and other in self.node_of_unit:
                anchor = self.node_of_unit[other]
                if anchor.parent is container:
                    return anchor
        return None

    def _next_matched(self, agent: Agent, pos: int, container: Node) -> Node | None:
        for slot in agent.layout[pos + 1 :]:
            if slot.kind == "section":
                return None
            if slot.kind == "unit":
                other = self.counterpart(slot.ref)
                if other is not None and other.parent is container:
                    return other
        return None


def render_blocks(root: Node, agents: Sequence[Agent], units: dict[int, Unit], section_units: dict[SectionKey, int],
                  labels: dict[int, str] | None = None) -> list[Block]:
    """Depth-first walk of the tree; sections that lost every unit are left out; `labels` (uid -> an HTML
    comment) are attached to units so that conflicting sides kept together say so."""
    labels = labels or {}
    blocks: list[Block] = []

    def originally_empty(node: Node) -> bool:
        return section_units.get((node.agent, node.ref), 0) == 0

    def has_units(node: Node) -> bool:
        # a heading its input left empty is written too, so the section above it stays to hold it
        return any(k.kind in ("unit", "conflict") or (k.kind == "section" and (has_units(k) or originally_empty(k)))
                   for k in node.children)

    def walk(node: Node) -> None:
        for child in node.children:
            if child.kind == "section":
                agent = agents[child.agent]
                section = agent.sections[child.ref]
                if not has_units(child) and not originally_empty(child):
                    continue
                text = section.heading
                if child.level != section.level and not section.pseudo:
                    text = _ATX.sub(lambda m: "#" * child.level, text, count=1)
                blocks.append(Block(text, child.agent, child.layout_pos, False, (), is_heading=True))
                walk(child)
            elif child.kind == "rule":
                blocks.append(Block(child.text, child.agent, child.layout_pos, False, ()))
            elif child.kind == "conflict":
                blocks.append(Block(child.text, child.agent, -1, False, child.shows))
            else:
                kept = units[child.uid]
                slot_unit = units[child.ref]
                text = kept.text
                is_item = slot_unit.kind == model.ITEM
                if child.uid != child.ref and is_item:
                    text = restyle_item(text if kept.kind == model.ITEM else _as_item(text), slot_unit.marker)
                elif child.uid != child.ref and kept.kind == model.ITEM and not is_item:
                    text = _strip_marker(text)
                if child.uid in labels:
                    text = _label(text, kept.kind, labels[child.uid])
                blocks.append(Block(text, child.agent, child.layout_pos, is_item, child.shows))

    walk(root)
    return blocks


def join_blocks(blocks: list[Block], agents: Sequence[Agent], starts: list[int] | None = None) -> str:
    """Join blocks with the original separators where two blocks were neighbours in their input,
    a tight or loose list break between list items, and a blank line elsewhere. Lists that received
    items from elsewhere, or lost some, get one marker style and consecutive numbers. `starts`, when
    given, receives each block's offset in the text."""
    blocks = _restyle_runs(blocks)
    out: list[str] = []
    size = 0
    run_tight = True
    for i, block in enumerate(blocks):
        if i:
            prev = blocks[i - 1]
            if not prev.is_item:
                run_tight = _tight(block, agents) if block.is_item else True
            sep = _separator(prev, block, agents)
            if prev.is_item and block.is_item and _other_list(prev, block) and not _adjacent(prev, block):
                run_tight = _tight(block, agents)  # another list of the input begins
            elif prev.is_item and block.is_item and not _adjacent(prev, block):
                sep = "\n" if run_tight else "\n\n"  # a list keeps the spacing of the list it joins
            out.append(sep)
            size += len(sep)
        elif block.is_item:
            run_tight = _tight(block, agents)
        if starts is not None:
            starts.append(size)
        out.append(block.text)
        size += len(block.text)
    return "".join(out)


def joined(units: Sequence[Unit]) -> str:
    """Units of one side, as they would stand in a document: list items tight, other blocks apart."""
    out = ""
    for i, unit in enumerate(units):
        if i:
            out += "\n" if unit.kind == model.ITEM and units[i - 1].kind == model.ITEM else "\n\n"
        out += unit.text
    return out


def _adjacent(prev: Block, cur: Block) -> bool:
    return prev.agent == cur.agent and prev.layout_pos >= 0 and cur.layout_pos == prev.layout_pos + 1


def _slot_class(agents: Sequence[Agent], agent: int, pos: int, units: dict[int, Unit] | None = None) -> str:
    slot = agents[agent].layout[pos]
    if slot.kind == "section":
        return "heading"
    if slot.kind == "unit":
        return "item" if any(u.uid == slot.ref and u.kind == model.ITEM for u in _units_near(agents[agent], slot.ref)) else "other"
    return "other"


def _units_near(agent: Agent, uid: int) -> tuple[Unit, ...]:
    first = agent.units[0].uid if agent.units else 0
    i = uid - first
    return agent.units[i : i + 1] if 0 <= i < len(agent.units) else ()


def _block_class(block: Block) -> str:
    return "heading" if block.is_heading else "item" if block.is_item else "other"


def _separator(prev: Block, cur: Block, agents: Sequence[Agent]) -> str:
    if _adjacent(prev, cur):
        return agents[cur.agent].layout[cur.layout_pos].sep
    if prev.is_item and cur.is_item and _other_list(prev, cur):
        return "\n\n"  # two lists of the input, apart as they were
    if prev.agent == cur.agent and 0 <= prev.layout_pos < cur.layout_pos:
        # Only blocks between them were removed: keep the spacing the input had after `prev`, as long as
        # what followed `prev` there is the same kind of block as `cur` (an item after an item, ...).
        following = prev.layout_pos + 1
        if _slot_class(agents, cur.agent, following) == _block_class(cur):
            return agents[cur.agent].layout[following].sep
    if prev.is_item and cur.is_item:
        return "\n" if _tight(prev, agents) else "\n\n"
    return "\n\n"


def _tight(block: Block, agents: Sequence[Agent]) -> bool:
    if block.layout_pos < 0:
        return True
    layout = agents[block.agent].layout
    seps = []
    if block.layout_pos > 0 and layout[block.layout_pos - 1].kind == "unit":
        seps.append(layout[block.layout_pos].sep)
    if block.layout_pos + 1 < len(layout) and layout[block.layout_pos + 1].kind == "unit":
        seps.append(layout[block.layout_pos + 1].sep)
    return not seps or min(len(s) for s in seps) == 1


def _list_kind(text: str) -> str:
    """What starts a new list in CommonMark when it changes: the bullet character, or the ordered delimiter."""
    m = _ITEM.match(text)
    return "" if m is None else m.group(2) or m.group(4)


def _other_list(prev: Block, cur: Block) -> bool:
    """Two items of one input that stood in different lists there (a bullet list, then a numbered one):
    they stay two lists, each with its own markers (a numbered procedure keeps its numbers)."""
    return prev.agent == cur.agent and _list_kind(prev.text) != _list_kind(cur.text)


def _restyle_runs(blocks: list[Block]) -> list[Block]:
    out = list(blocks)
    i = 0
    while i < len(out):
        if not out[i].is_item:
            i += 1
            continue
        j = i
        while j + 1 < len(out) and out[j + 1].is_item and not _other_list(out[j], out[j + 1]):
            j += 1
        run = out[i : j + 1]
        if any(not _adjacent(run[k - 1], run[k]) for k in range(1, len(run))):
            m = _ITEM.match(run[0].text)
            if m:
                bullet, number, delim = m.group(2), m.group(3), m.group(4)
                for k, block in enumerate(run):
                    marker = bullet if bullet else f"{int(number) + k}{delim}"
                    text = restyle_item(block.text, marker)
                    out[i + k] = Block(text, block.agent, block.layout_pos, True, block.shows)
        i = j + 1
    return out


def _label(text: str, kind: str, label: str) -> str:
    """`label` on a unit, in place of any label an earlier merge left on it: a label is never labelled."""
    if "<!-- agentmerge conflict" in text:
        text = LABEL.sub("", text)
    if kind == model.ITEM:
        first, _, rest = text.partition("\n")
        return f"{first} {label}" + (f"\n{rest}" if rest else "")
    if kind in (model.PARAGRAPH, model.QUOTE):
        return f"{text} {label}"
    return f"{label}\n{text}"


def restyle_item(text: str, marker: str) -> str:
    """Give a list item another marker, shifting its continuation lines to the new content indent."""
    m = _ITEM.match(text)
    if not m or not marker:
        return text
    old_marker = m.group(2) or f"{m.group(3)}{m.group(4)}"
    if old_marker == marker:
        return text
    spacing = m.group(5) or " "
    old_indent = len(m.group(1)) + len(old_marker) + len(spacing)
    new_indent = len(m.group(1)) + len(marker) + len(spacing)
    lines = text.split("\n")
    lines[0] = f"{m.group(1)}{marker}{spacing}{lines[0][m.end():]}" if m.group(5) else f"{m.group(1)}{marker}"
    if new_indent != old_indent:
        for k in range(1, len(lines)):
            line = lines[k]
            lead = len(line) - len(line.lstrip(" "))
            if line.strip() and lead >= old_indent:
                lines[k] = " " * (lead - old_indent + new_indent) + line.lstrip(" ")
    return "\n".join(lines)


def _as_item(text: str) -> str:
    lines = text.split("\n")
    return "\n".join(["- " + lines[0], *["  " + line if line.strip() else line for line in lines[1:]]])


def _strip_marker(text: str) -> str:
    """An item standing in a paragraph's slot, as a paragraph. An item whose text is more than one paragraph
    (nested items, code, a second paragraph) keeps its marker: without it, it would read back as other
    blocks than the unit it is."""
    m = _ITEM.match(text)
    if not m:
        return text
    indent = len(m.group(0))
    lines = text.split("\n")
    lines[0] = lines[0][m.end():]
    stripped = "\n".join([lines[0], *[line[indent:] if line[:indent].strip() == "" else line for line in lines[1:]]])
    return stripped if is_one_paragraph(stripped) else text
