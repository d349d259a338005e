"""The pipeline: read -> sections/units -> match -> classify -> merge -> render. Plain data flows one way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from . import conflicts as conflict_engine
from . import frontmatter as fm
from .match import DUPLICATE, FULL_MATRIX_LIMIT, RELATED, Thresholds, collector_paused, match
from .merge import Builder, align_sections, join_blocks, render_blocks
from .model import Agent, AgentmergeError, Conflict, Group, Member, MergeOptions, MergeResult, Unit
from .read import numbered, read_agents
from .statements.terms import use_terms


class AccountingError(RuntimeError):
    """A unit of an input is neither in the output, nor a recorded duplicate, nor a recorded conflict side.
    This is a bug in agentmerge, never the input's fault: nothing is written."""


def merge_files(paths: Sequence[str], options: MergeOptions | None = None, encoding: str = "utf-8") -> MergeResult:
    return merge(read_agents(paths, encoding=encoding), options)


def merge(agents: Sequence[Agent], options: MergeOptions | None = None) -> MergeResult:
    agents = numbered(agents)
    # a big run builds many small objects and no reference cycles: automatic collections only walk the heap
    with collector_paused(sum(len(a.units) for a in agents) > FULL_MATRIX_LIMIT):
        return _merge(agents, options or MergeOptions())


def _merge(agents: Sequence[Agent], options: MergeOptions) -> MergeResult:
    units = {u.uid: u for a in agents for u in a.units}
    thresholds = Thresholds()
    if options.duplicate_threshold is not None or options.related_threshold is not None:
        thresholds = replace(thresholds, **{k: v for k, v in (("missing", options.duplicate_threshold),
                                                             ("related", options.related_threshold)) if v is not None})
    use_terms(options.axes)  # users' `terms:` (synonyms, abbreviations, weights) from their --axes files
    titles = {u.uid: agents[u.source].sections[u.section].title for u in units.values()}
    matching = match(list(units.values()), thresholds, titles)
    topics = _topics(options)
    ctx = conflict_engine.Context(agents=agents, units=units, matching=matching, options=options, topics=topics)
    found = conflict_engine.detect(ctx)
    resolved, losing, marked = conflict_engine.resolve(found, agents, units, options)
    mapping = align_sections(agents, matching)
    builder = Builder(agents, matching, losing, marked, lambda uid: _mark_text(uid, marked, resolved, units),
                      mapping)
    root = builder.build()
    section_units = {(a.index, s.index): _subtree_units(a, s.index) for a in agents for s in a.sections}
    # keep-all labels every side; mark labels the sides of any open conflict outside a block: no conflict
    # stays in the output silently
    blocks_shown = [set(uids) for uids in marked.values()]
    unmarked = [c for c in resolved
                if not any({u for side in c.sides for u in side.uids} <= shown for shown in blocks_shown)]
    labels = _labels(unmarked, units) if options.on_conflict in ("keep-all", "mark") else {}
    blocks = render_blocks(root, agents, units, section_units, labels)
    body = join_blocks(blocks, agents)
    first = agents[0]
    if first.layout:
        body = first.head + body + first.tail
    elif body:
        body = first.head + body + "\n"
    else:
        body = first.head
    prefer = conflict_engine._input_index(agents, options.prefer)
    data, notes, left_out = fm.merge_frontmatter(agents, prefer, options.max_examples)
    notes = [*notes, *ctx.notes]  # and what the conflict detectors noted (same-role openings)
    text = body
    if data is not None:
        head = "---\n" + fm.dump(data) + "---\n"
        text = head + (body if first.frontmatter is not None or body.startswith("\n") else "\n" + body)
    if first.newline == "\r\n":
        text = text.replace("\n", "\r\n")
    kept = tuple(uid for b in blocks for uid in b.shows)
    groups = _numbered_groups(matching, kept, units)
    result = MergeResult(agents=agents, units=units, groups=tuple(groups), conflicts=tuple(resolved), kept=kept,
                         frontmatter=data, frontmatter_notes=tuple(notes), body=body, text=text, options=options,
                         dropped_examples=tuple(left_out))
    check_accounting(result, losing)
    return result


def _topics(options: MergeOptions) -> tuple:
    from .knowledge import KnowledgeError, load_topics

    try:
        return tuple(load_topics(options.axes))
    except KnowledgeError as exc:  # a user's --axes file: their input, reported as one line
        raise AgentmergeError(str(exc)) from None


def _subtree_units(agent: Agent, index: int) -> int:
    count = len(agent.sections[index].units)
    for s in agent.sections:
        if s.parent == index:
            count += _subtree_units(agent, s.index)
    return count


def _labels(conflicts: Sequence[Conflict], units: dict[int, Unit]) -> dict[int, str]:
    """keep-all never leaves both sides of a conflict silently: each side says it is one, and with what."""
    labels: dict[int, list[str]] = {}
    for c in conflicts:
        if c.resolution is not None or c.kind == "frontmatter":
            continue
        for i, side in enumerate(c.sides):
            others = ", ".join(f"{units[s.uids[0]].where} ({s.stance})" for j, s in enumerate(c.sides) if j != i and s.uids)
            for uid in side.uids:
                label = f"{c.id} {c.topic or c.kind}: {side.stance}, against {others}"
                if label not in labels.setdefault(uid, []):
                    labels[uid].append(label)
    return {uid: "<!-- agentmerge conflict " + "; ".join(texts) + " -->" for uid, texts in labels.items()}


def _joined(texts: list[Unit]) -> str:
    """Units of one side, as they would stand in a document: list items tight, other blocks apart."""
    out = ""
    for i, unit in enumerate(texts):
        if i:
            out += "\n" if unit.kind == "item" and texts[i - 1].kind == "item" else "\n\n"
        out += unit.text
    return out


def _mark_text(uid: int, marked: dict[int, tuple[int, ...]], conflicts: Sequence[Conflict], units: dict[int, Unit]) -> str:
    """A git-style conflict block holding every side, so editors' merge-conflict actions work on it.

    The block holds every conflict among its units; sides of different conflicts that share a unit are
    one part of the block. Parts go in input order, each labelled with the files its units come from."""
    shown = set(marked[uid])
    sides = [set(side.uids) for c in conflicts for side in c.sides
             if side.uids and {u for s in c.sides for u in s.uids} <= shown]
    parts = conflict_engine.connected(sides)
    paths = [[units[u].path for u in sorted(part, key=lambda u: (units[u].source, u))] for part in parts]
    texts = [_joined([units[u] for u in part]) for part in parts]
    first_paths = ", ".join(dict.fromkeys(paths[0]))
    rest_paths = ", ".join(dict.fromkeys(p for part in paths[1:] for p in part))
    middle = "\n=======\n".join(texts[1:])
    return f"<<<<<<< {first_paths}\n{texts[0]}\n=======\n{middle}\n>>>>>>> {rest_paths}"


def _numbered_groups(matching, kept: tuple[int, ...], units: dict[int, Unit]) -> list[Group]:
    """Duplicate groups, then related groups (kept units of different inputs side by side), numbered S1..."""
    groups: list[Group] = [g for g in matching.groups]
    in_output = set(kept)
    in_duplicate = {m.uid for g in groups for m in g.members}
    related: dict[int, list[Member]] = {}
    taken: set[int] = set()
    for p in sorted(matching.pairs, key=lambda p: (-p.score, p.a, p.b)):
        if p.relation != RELATED:
            continue
        a, b = sorted((p.a, p.b))
        if units[a].source == units[b].source or a not in in_output or b not in in_output:
            continue
        if b in taken or b in related or b in in_duplicate and b not in {g.kept for g in groups}:
            continue
        anchor = a
        if anchor in taken:
            continue
        related.setdefault(anchor, [Member(anchor, 1.0)])
        related[anchor].append(Member(b, p.score))
        taken.add(b)
    groups.extend(Group(id="", kind=RELATED, kept=anchor, members=tuple(ms)) for anchor, ms in sorted(related.items()))
    return [replace(g, id=f"S{i}") for i, g in enumerate(groups, 1)]


def check_accounting(result: MergeResult, losing: set[int]) -> None:
    """Every unit of every input is in exactly one place: kept, a dropped duplicate, or a losing side."""
    kept = set(result.kept)
    dropped = {m.uid for g in result.groups if g.kind == DUPLICATE for m in g.members if m.uid != g.kept}
    lost = {u for c in result.conflicts if c.resolution is not None
            for i, side in enumerate(c.sides) if i not in c.resolution.kept for u in side.uids}
    problems = []
    if len(result.kept) != len(kept):
        problems.append("a unit is written twice")
    for uid, unit in sorted(result.units.items()):
        places = (uid in kept) + (uid in dropped) + (uid in lost and uid not in kept and uid not in dropped)
        if places != 1:
            problems.append(f"{unit.where} is {'missing from' if places == 0 else 'in more than one place in'} the output")
    if problems:
        raise AccountingError("; ".join(problems[:3]) + ("" if len(problems) <= 3 else f" (+{len(problems) - 3} more)"))
