"""The pipeline: read -> sections/units -> match -> classify -> merge -> render. Plain data flows one way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from . import conflicts as conflict_engine
from . import frontmatter as fm
from . import keys, markers, model
from .match import DUPLICATE, FULL_MATRIX_LIMIT, RELATED, Thresholds, collector_paused, match, rehomed, restored
from .merge import Builder, align_sections, join_blocks, joined, render_blocks
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
    unit_keys = keys.unit_keys(agents)
    unit_outcomes: list[dict] = []
    if options.decisions is not None and options.decisions.units:
        from .decisions import apply_unit_decisions

        matching, unit_outcomes = apply_unit_decisions(matching, units, unit_keys, options.decisions.units)
    topics = _topics(options)
    ctx = conflict_engine.Context(agents=agents, units=units, matching=matching, options=options, topics=topics)
    found = conflict_engine.detect(ctx)
    resolved, losing, marked, outcomes = conflict_engine.resolve(found, agents, units, options)
    # What a losing side carried as duplicates stays unless it loses a conflict itself, and so does what a
    # side standing in a conflict block carried (resolving the block may delete that side): read again with
    # those units standing for themselves, until no such unit carries one (each round frees more). A unit
    # that left in one reading carries no freed unit in a later one, even if it stays there: otherwise two
    # sides that take turns leaving (each reading's conflicts decide the next) pass a freed unit back and
    # forth, one full detection per round
    left: set[int] = set()
    for _round in range(len(units)):
        leaving = _leaving(losing, marked)
        left |= leaving
        freed = rehomed(matching, units, leaving, thresholds, left)
        if freed is None:
            break
        matching = freed
        ctx = conflict_engine.Context(agents=agents, units=units, matching=matching, options=options, topics=topics)
        found = conflict_engine.detect(ctx)
        resolved, losing, marked, outcomes = conflict_engine.resolve(found, agents, units, options)
    # a unit freed from a carrier that stays after all (read again, its side won) goes back into it
    matching = restored(matching, units, _leaving(losing, marked))
    outcomes += unit_outcomes
    mapping = align_sections(agents, matching)
    writer = _BlockWriter(marked, resolved, units)
    builder = Builder(agents, matching, losing, marked, writer, mapping)
    root = builder.build()
    section_units = {(a.index, index): count for a in agents for index, count in enumerate(_subtree_counts(a))}
    # keep-all labels every side; mark labels the sides of any open conflict outside a block: no conflict
    # stays in the output silently
    blocks_shown = [set(uids) for uids in marked.values()]
    unmarked = [c for c in resolved
                if not any({u for side in c.sides for u in side.uids} <= shown for shown in blocks_shown)]
    labels = _labels(unmarked, units) if options.on_conflict in ("keep-all", "mark") else {}
    blocks = render_blocks(root, agents, units, section_units, labels)
    starts: list[int] = []
    written = join_blocks(blocks, agents, starts)
    first = agents[0]
    if first.layout:
        body = first.head + written + first.tail
    elif written:
        body = first.head + written + "\n"
    else:
        body = first.head
    prefer = conflict_engine._input_index(agents, options.prefer)
    decided_fields = {c.topic: tuple(conflict_engine._side_source(c, i, units) for i in c.resolution.kept)
                      for c in resolved
                      if c.kind == "frontmatter" and c.resolution is not None and c.resolution.strategy == "decision"}
    data, notes, left_out = fm.merge_frontmatter(agents, prefer, options.max_examples, decided_fields)
    prose_left_out = fm.descriptions_left_out(agents, prefer, (data or {}).get("description"))
    if prose_left_out:
        notes.append(f"description: the prose of {len(prose_left_out)} other description(s) is not in the merged "
                     "one; the report lists it")
    notes = [*notes, *ctx.notes]  # and what the conflict detectors noted (same-role openings)
    text = body
    head = ""
    if data is not None:
        head = "---\n" + fm.dump(data) + "---\n"
        if first.frontmatter is None and not body.startswith("\n"):
            head += "\n"
        text = head + body
    elif fm._FENCE.fullmatch(body.split("\n", 1)[0]) and not any(fm._CLOSE.fullmatch(line)
                                                                   for line in body.split("\n")[1:]):
        # a body that now opens with a thematic break (what stood before it left as a duplicate) would be
        # read back as an unclosed frontmatter fence: a blank line before it keeps it a break
        head = "\n"
        text = head + body
    # where each kept unit and each conflict block stands in the merged file (1-based lines)
    body_line = head.count("\n") + first.head.count("\n") + 1
    output_lines: dict[int, int] = {}
    block_rows = []
    line, counted = body_line, 0
    for block, start in zip(blocks, starts):
        line += written.count("\n", counted, start)  # counted on from the block before: linear in the body
        counted = start
        for uid in block.shows:
            # a keep-all label stands on a line of its own above a block that is not prose (merge._label)
            above = uid in labels and units[uid].kind not in (model.ITEM, model.PARAGRAPH, model.QUOTE)
            output_lines.setdefault(uid, line + writer.offsets.get(uid, 0) + above)
        if block.shows and block.shows[0] in writer.layouts:
            labels_, parts = writer.layouts[block.shows[0]]
            block_rows.append({"line": line, "end_line": line + block.text.count("\n"), "labels": labels_,
                               "parts": parts, "uids": block.shows})
    field_lines = {}
    for number, row in enumerate(head.split("\n")[1:], 2):
        name = row.split(":", 1)[0] if ":" in row and not row[:1].isspace() else None
        if name:
            field_lines.setdefault(name.strip("'\""), number)
    if first.newline == "\r\n":
        text = text.replace("\n", "\r\n")
    kept = tuple(uid for b in blocks for uid in b.shows)
    groups = _numbered_groups(matching, kept, units)
    result = MergeResult(agents=agents, units=units, groups=tuple(groups), conflicts=tuple(resolved), kept=kept,
                         frontmatter=data, frontmatter_notes=tuple(notes), body=body, text=text, options=options,
                         dropped_examples=tuple(left_out), unit_keys=unit_keys, output_lines=output_lines,
                         field_lines=field_lines, blocks=tuple(block_rows),
                         decided=tuple(sorted((o for o in outcomes if o["applied"]), key=lambda o: o["line"])),
                         stale=tuple(sorted((o for o in outcomes if not o["applied"]), key=lambda o: o["line"])),
                         dropped_descriptions=tuple(prose_left_out),
                         freed={u: c for u, c in sorted(matching.freed.items()) if u not in matching.dropped})
    check_accounting(result, losing)
    check_frontmatter_accounting(result)
    return result


def _leaving(losing: set[int], marked: dict[int, tuple[int, ...]]) -> set[int]:
    """Units that leave the output (losing sides) or may (sides standing in a mark block)."""
    return losing | {u for uids in marked.values() for u in uids}


def _topics(options: MergeOptions) -> tuple:
    from .knowledge import KnowledgeError, load_topics

    try:
        return tuple(load_topics(options.axes))
    except KnowledgeError as exc:  # a user's --axes file: their input, reported as one line
        raise AgentmergeError(str(exc)) from None


def _subtree_counts(agent: Agent) -> list[int]:
    """Units under each section, its subsections' included, in one pass: a section's parent comes before it,
    so adding each count to its parent from the last section up gives every subtree's total."""
    counts = [len(s.units) for s in agent.sections]
    for s in reversed(agent.sections):
        if s.parent is not None:
            counts[s.parent] += counts[s.index]
    return counts


def _labels(conflicts: Sequence[Conflict], units: dict[int, Unit]) -> dict[int, str]:
    """keep-all never leaves both sides of a conflict silently: each side says it is one, and with what."""
    labels: dict[int, list[str]] = {}
    for c in conflicts:
        if c.resolution is not None or c.kind == "frontmatter":
            continue
        if all("<!-- agentmerge conflict" in units[u].text for side in c.sides for u in side.uids):
            continue  # an earlier merge labelled every side: its labels, naming the original inputs, stand
        for i, side in enumerate(c.sides):
            others = ", ".join(f"{units[s.uids[0]].where} ({s.stance})" for j, s in enumerate(c.sides) if j != i and s.uids)
            for uid in side.uids:
                label = f"{c.id} {c.topic or c.kind}: {side.stance}, against {others}"
                if label not in labels.setdefault(uid, []):
                    labels[uid].append(label)
    return {uid: "<!-- agentmerge conflict " + "; ".join(texts) + " -->" for uid, texts in labels.items()}


class _BlockWriter:
    """Writes the conflict blocks of `mark` (agentmerge.markers: exactly as `git merge-file` does), and
    remembers where each unit stands in its block and how the block was laid out, for the report.

    A block holds every open conflict among its units. Its parts are its inputs, in input order, each
    the units that input contributes; when every unit comes from one input, the parts are the groups of
    sides (sides of different conflicts that share a unit are one part), labelled `path:line`."""

    def __init__(self, marked: dict[int, tuple[int, ...]], conflicts: Sequence[Conflict], units: dict[int, Unit]):
        self.marked, self.conflicts, self.units = marked, conflicts, units
        self.offsets: dict[int, int] = {}  # uid -> line within its block text
        self.layouts: dict[int, tuple[list[str], list[list[int]]]] = {}  # first uid -> (labels, uids per part)

    def __call__(self, uid: int) -> str:
        units = self.units
        shown = set(self.marked[uid])
        by_input: dict[int, list[int]] = {}
        for u in sorted(shown, key=lambda u: (units[u].source, u)):
            by_input.setdefault(units[u].source, []).append(u)
        if len(by_input) > 1:
            parts = list(by_input.values())
            labels = [units[p[0]].path for p in parts]
        else:
            sides = [set(side.uids) for c in self.conflicts for side in c.sides
                     if side.uids and {u for s in c.sides for u in s.uids} <= shown]
            parts = [list(p) for p in conflict_engine.connected(sides)]
            labels = [f"{units[p[0]].path}:{units[p[0]].line}" for p in parts]
        text, starts = markers.write([(label, joined([units[u] for u in part])) for label, part in zip(labels, parts)])
        for part, start in zip(parts, starts):
            line = start
            for i, u in enumerate(part):
                if i:
                    line += units[part[i - 1]].text.count("\n") + (1 if units[u].kind == "item" and units[part[i - 1]].kind == "item" else 2)
                self.offsets[u] = line
        self.layouts[uid] = (labels, parts)
        return text


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


def check_frontmatter_accounting(result: MergeResult) -> None:
    """Every input's frontmatter is accounted for too: each field's value is the merged one, or a side of a
    recorded frontmatter conflict; a description's prose is in the merged description or listed as left out
    with its reason; each tool name is in the merged tools (or `tools` was dropped: an input allows all)."""
    merged = result.frontmatter or {}
    contested = {c.topic for c in result.conflicts if c.kind == "frontmatter"}
    listed = {(d["path"], d["text"]) for d in result.dropped_descriptions}
    merged_prose = fm.prose_of(merged["description"]) if isinstance(merged.get("description"), str) else None
    merged_tools = set(fm.read_tools(merged["tools"])[0]) if merged.get("tools") is not None else None
    problems = []
    for agent in result.agents:
        if agent.frontmatter is None:
            continue
        for key, value in agent.frontmatter.data.items():
            where = f"{agent.path}: frontmatter `{key}`"
            if key == "description":
                if fm._same(value, merged.get(key)) or (agent.path, str(value)) in listed:
                    continue
                prose = fm.prose_of(value) if isinstance(value, str) else str(value)
                if prose and (merged_prose is None or prose not in merged_prose) and (agent.path, prose) not in listed:
                    from rapidfuzz import fuzz

                    if merged_prose is None or fuzz.ratio(prose, merged_prose) < 90:
                        problems.append(f"{where} is in neither the output nor the report")
            elif key == "tools":
                names = fm.tools_of(agent) or []
                if "tools" in merged and merged_tools is not None and not set(names) <= merged_tools:
                    problems.append(f"{where}: {', '.join(sorted(set(names) - merged_tools))} missing from the output")
            elif key not in merged and key not in contested:
                problems.append(f"{where} is missing from the output")
            elif not fm._same(value, merged.get(key)) and key not in contested:
                problems.append(f"{where} differs from the output and no conflict records it")
    if problems:
        raise AccountingError("; ".join(problems[:3]) + ("" if len(problems) <= 3 else f" (+{len(problems) - 3} more)"))
