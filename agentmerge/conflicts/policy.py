"""Policy conflicts: opposing stances on a known topic, from the knowledge base (`knowledge/topics.yaml`
plus users' `--axes` files). One agent "defaults to eventual consistency" while another "requires strict
consistency"; one writes tests first, another adds them later.

Each unit is read for the stances it takes; a duplicate that was dropped speaks through the unit kept
for it, and counts for the earliest input it appeared in. For each topic, the inputs' stances are grouped
into sides (one per input and stance); a conflict holds every side whose stance another side opposes.
"""

from __future__ import annotations

from collections import defaultdict

from .. import model
from ..knowledge import opposed, stances_in, stances_in_statements
from ..model import Conflict, Side
from ..normalize import unlabelled
from ..statements import table_rows
from .align import statements

PROSE = "prose"
CODE = "code"


def effective_source(ctx, uid: int) -> int:
    """The earliest input that says what this unit says (itself or a duplicate dropped for it)."""
    carried = ctx.__dict__.get("_carried_sources")
    if carried is None:  # each carrier's earliest member input, from one pass over the groups
        carried = {}
        for group in ctx.matching.groups:
            earliest = min(ctx.units[m.uid].source for m in group.members) if group.members else None
            if earliest is not None and earliest < carried.get(group.kept, earliest + 1):
                carried[group.kept] = earliest
        ctx.__dict__["_carried_sources"] = carried
    source = ctx.units[uid].source
    return min(source, carried.get(uid, source))


def hits_by_topic(ctx) -> dict[str, list[tuple[int, str, str, str]]]:
    """topic -> [(uid, stance, phrase, PROSE|CODE)] over the units that stand for themselves."""
    cache = ctx.__dict__.setdefault("_stance_hits", None)
    if cache is not None:
        return cache
    found: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
    # what each unit says, as the general detectors read it (the one reading of its Markdown); a table's rows
    prose: dict[int, list[str]] = defaultdict(list)
    for said in statements(ctx):
        prose[said.uid].append(said.text)
    for uid, unit in sorted(ctx.units.items()):
        if uid in ctx.matching.dropped:
            continue
        if unit.kind != model.CODE:
            texts = table_rows(unit) if unit.kind == model.TABLE else prose.get(uid, ())
            for hit in stances_in_statements(texts, ctx.topics):
                found[hit.topic].append((uid, hit.stance, hit.phrase, PROSE))
        if unit.kind == model.CODE or "```" in unit.text or "~~~" in unit.text:
            for hit in stances_in(unlabelled(unit.text), ctx.topics, code=True):
                found[hit.topic].append((uid, hit.stance, hit.phrase, CODE))
    # A heading that takes a stance ("### Eventual Consistency as Default") makes its whole section a
    # statement of that stance: every unit under it joins the side.
    for agent in ctx.agents:
        for section in agent.sections[1:]:
            for hit in stances_in(section.title, ctx.topics):
                for uid in _subtree_units(agent, section.index):
                    if uid not in ctx.matching.dropped and ctx.units[uid].kind != model.CODE:
                        found[hit.topic].append((uid, hit.stance, section.title, PROSE))
    ctx.__dict__["_stance_hits"] = dict(found)
    return ctx.__dict__["_stance_hits"]


def _subtree_units(agent, index: int) -> list[int]:
    uids = list(agent.sections[index].units)
    for section in agent.sections:
        if section.parent == index:
            uids.extend(_subtree_units(agent, section.index))
    return uids


def sides_of(ctx, hits) -> dict[tuple[int, str], list[tuple[int, str]]]:
    sides: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for uid, stance, phrase, _where in hits:
        entry = (uid, phrase)
        key = (effective_source(ctx, uid), stance)
        if entry not in sides[key]:
            sides[key].append(entry)
    return sides


def build(ctx, topic, sides: dict, kind: str, require=None) -> Conflict | None:
    """A conflict from the sides whose stance another side opposes, or None."""
    keys = sorted(sides, key=lambda k: (min(u for u, _ in sides[k]), k))
    involved = [k for k in keys if any(opposed(topic, k[1], other[1]) for other in keys if other != k)]
    if len(involved) < 2 or (require is not None and not require(involved)):
        return None
    describe = {s.id: s.describe for s in topic.stances}
    by_stance: dict[str, list[str]] = defaultdict(list)
    for source, stance in involved:
        path = ctx.agents[source].path
        if path not in by_stance[stance]:
            by_stance[stance].append(path)
    parts = []
    for stance, paths in by_stance.items():
        who = paths[0] if len(paths) == 1 else ", ".join(paths[:-1]) + f" and {paths[-1]} each"
        parts.append(f"{who} {describe.get(stance, stance)}")
    what = "conflicting code" if kind == "code" else "opposing stances"
    return Conflict(
        id="", kind=kind, topic=topic.id, severity=topic.severity,
        message="; ".join(parts) + f" ({what} on {topic.title.lower()})",
        sides=tuple(Side(uids=tuple(sorted({u for u, _ in sides[k]})), stance=k[1],
                         phrase="; ".join(dict.fromkeys(p for _, p in sides[k]))) for k in involved),
        suggestion=topic.suggestion,
    )


def detect(ctx) -> list[Conflict]:
    found = []
    topics = {t.id: t for t in ctx.topics}
    for topic_id, hits in hits_by_topic(ctx).items():
        prose = [h for h in hits if h[3] == PROSE]
        conflict = build(ctx, topics[topic_id], sides_of(ctx, prose), "policy")
        if conflict is not None:
            found.append(conflict)
    return sorted(found, key=lambda c: (min(u for s in c.sides for u in s.uids), c.topic))
