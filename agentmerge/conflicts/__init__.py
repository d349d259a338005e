"""Conflict detection and resolution.

Detectors are small modules run in order (as markdown-it-py runs its block rules); each takes the
`Context` and returns the conflicts it found. `resolve` then decides, per `--on-conflict`/`--prefer`,
which sides stay in the merged agent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ..match import Matching
from ..model import CONFLICT, Agent, Conflict, MergeOptions, Resolution, Unit


@dataclass
class Context:
    """Everything a detector may look at: the inputs, their units, how units matched, the options."""

    agents: Sequence[Agent]
    units: dict[int, Unit]
    matching: Matching
    options: MergeOptions
    topics: tuple = ()
    notes: list[str] = field(default_factory=list)  # merge notes detectors leave (same-role openings)


Detector = Callable[[Context], list[Conflict]]

# The detectors that read aligned statements in any wording (see align.py), after the topics' detectors.
GENERAL = ("modality", "choice", "quantity", "version", "order", "scope", "rulecode")


def detectors() -> list[tuple[str, Detector]]:
    """The chain, in order. Names are what `--disable-detector`-style options and tests refer to."""
    from . import frontmatter

    chain: list[tuple[str, Detector]] = [("frontmatter", frontmatter.detect)]
    # the topics first (they name what they find), then the general detectors over aligned statements
    for name in ("policy", "polarity", "value", "code", *GENERAL, "persona"):
        module = __import__(f"{__name__}.{name}", fromlist=["detect"])
        chain.append((name, module.detect))
    return chain


def detect(ctx: Context) -> list[Conflict]:
    """Every conflict the chain finds, each disagreement once, numbered C1... and with its stable key: a
    general detector's conflict whose sides pair units that an earlier conflict already opposes says nothing
    new and is left out (topics name different disagreements, so theirs all stay). An unresolved conflict
    block read from an input is never a side: it is already a conflict, kept whole (agentmerge.markers)."""
    from ..keys import conflict_key

    found: list[Conflict] = []
    opposed_pairs: set[tuple[int, int]] = set()
    for name, run in detectors():
        for c in run(ctx):
            if any(ctx.units[u].kind == CONFLICT for side in c.sides for u in side.uids):
                continue
            pairs = _opposed_pairs(c)
            if name in GENERAL and pairs and pairs <= opposed_pairs:
                continue
            opposed_pairs |= pairs
            found.append(c)
    return [replace(c, id=f"C{i}", key=conflict_key(c, ctx.units)) for i, c in enumerate(found, 1)]


def _opposed_pairs(c: Conflict) -> set[tuple[int, int]]:
    """The pairs of units on different sides of a conflict."""
    out = set()
    for i, a in enumerate(c.sides):
        for b in c.sides[i + 1 :]:
            out.update((min(x, y), max(x, y)) for x in a.uids for y in b.uids if x != y)
    return out


def resolve(conflicts: Sequence[Conflict], agents: Sequence[Agent], units: dict[int, Unit],
            options: MergeOptions) -> tuple[list[Conflict], set[int], dict[int, tuple[int, ...]], list[dict]]:
    """Decide each conflict. Returns the conflicts with their resolution, the uids that leave the
    output as losing sides, for `mark` the blocks to write (first uid -> every uid shown), and what became
    of each decision of the decisions file (applied, or stale and why).

    - a decision (`options.decisions`, by the conflict's key): the sides of the inputs it keeps stay, the
      others leave, whatever input order or other conflicts say; `keep: all` keeps every side, settled.
    - `--prefer FILE`: that input's side wins every conflict it takes part in.
    - `prefer-first`: the side from the earliest input wins; sides from that same input all stay.
    - `keep-all`: every side stays, labelled in the output; nothing is settled.
    - `mark`: every side stays inside a git-style conflict block; nothing is settled. Conflicts that share
      a unit share a block.
    A conflict whose sides all come from one input is never settled by input order.
    """
    prefer = _input_index(agents, options.prefer)
    resolved: list[Conflict | None] = []
    marked: dict[int, tuple[int, ...]] = {}
    open_sets: list[set[int]] = []  # for `mark`: the units of each conflict left open
    decisions = options.decisions
    outcomes: list[dict] = []
    decided_keep: set[int] = set()  # units a decision keeps
    decided_drop: set[int] = set()  # units a decision drops
    settled: list[_Settled] = []  # body conflicts settled by input order (or --prefer), decided below
    fixed_losing: set[int] = set()  # losing sides of frontmatter conflicts (they hold no units)
    for c in conflicts:
        sources = [_side_source(c, i, units) for i in range(len(c.sides))]
        decision = decisions.for_conflict(c.key) if decisions is not None else None
        if decision is not None:
            kept, why = _decided_sides(c, decision, sources, agents)
            outcomes.append({"conflict": c.key, "id": c.id, "line": decision.line, "applied": kept is not None,
                             "reason": why})
            if kept is not None:
                resolved.append(replace(c, resolution=Resolution(strategy="decision", kept=kept), note=decision.note))
                for i, side in enumerate(c.sides):
                    (decided_keep if i in kept else decided_drop).update(side.uids)
                continue
        if c.kind == "frontmatter" and c.topic == "tools":
            # every input's tools are allowed: the union (or every tool) is what the merged agent gets
            resolved.append(replace(c, resolution=Resolution(strategy="union", kept=tuple(range(len(c.sides))))))
            continue
        if c.kind == "frontmatter":
            if any(f.get("value") is None for f in c.fields):
                # a key some inputs leave out: the merged agent has the value of the preferred input, else of
                # the first that sets it (as merge_frontmatter takes it; see frontmatter._absent)
                setting = [s for s, f in zip(sources, c.fields) if f.get("value") is not None]
                first = prefer if prefer in setting else setting[0]
                strategy = "prefer" if prefer == first else "prefer-first"
            elif prefer is not None and prefer in sources and len(set(sources)) > 1:
                first, strategy = prefer, "prefer"
            else:
                first, strategy = min(sources), "prefer-first"
            winner = tuple(i for i, s in enumerate(sources) if s == first)
            resolved.append(replace(c, resolution=Resolution(strategy=strategy, kept=winner)))
            for i, side in enumerate(c.sides):
                if i not in winner:
                    fixed_losing.update(side.uids)
            continue
        if prefer is not None and prefer in sources and len(set(sources)) > 1:
            rank = sorted(set(sources), key=lambda s: (s != prefer, s))
            settled.append(_Settled(len(resolved), c, sources, rank, "prefer"))
            resolved.append(None)
            continue
        if options.on_conflict == "prefer-first" and len(set(sources)) > 1:
            settled.append(_Settled(len(resolved), c, sources, sorted(set(sources)), "prefer-first"))
            resolved.append(None)
            continue
        resolved.append(replace(c, resolution=None))
        if options.on_conflict == "mark" and all(side.uids for side in c.sides):
            open_sets.append({u for side in c.sides for u in side.uids})
    losing = _settle(settled, decided_keep, decided_drop) | fixed_losing
    for s in settled:
        resolved[s.index] = replace(s.conflict, resolution=Resolution(strategy=s.strategy, kept=s.winner()))
    # A decision outweighs the default order and --prefer; two decisions that disagree about a unit keep it.
    losing = (losing | decided_drop) - decided_keep
    if decisions is not None:
        seen = {c.key for c in conflicts}
        outcomes += [{"conflict": d.key, "id": None, "line": d.line, "applied": False,
                      "reason": "no conflict has this key in this run (its sides changed, or it belongs to another merge)"}
                     for d in decisions.conflicts if d.key not in seen]
    # and the report does not call it kept where it only agreed: it leaves the output
    resolved = [c if c.resolution is None or c.kind == "frontmatter" or c.resolution.strategy == "decision" else
                replace(c, resolution=replace(c.resolution, kept=tuple(
                    i for i in c.resolution.kept if not set(c.sides[i].uids) <= losing)))
                for c in resolved]
    # Conflicts that share a unit share one block, so that every side of each of them is shown.
    for uids in connected(open_sets):
        marked[uids[0]] = uids
    return resolved, losing, marked, outcomes


@dataclass
class _Settled:
    """A body conflict settled by input order: `rank` lists its sides' inputs, the one that wins first."""

    index: int  # its place in `resolve`'s list
    conflict: Conflict
    sources: list[int]  # each side's input
    rank: list[int]
    strategy: str
    at: int = 0  # the place in `rank` of the input that wins it now

    def winner(self) -> tuple[int, ...]:
        """The winning input's sides, and every side that takes one of their stances (it agrees)."""
        first = self.rank[self.at]
        stances = {side.stance for side, s in zip(self.conflict.sides, self.sources) if s == first}
        return tuple(i for i, (side, s) in enumerate(zip(self.conflict.sides, self.sources))
                     if s == first or side.stance in stances)


def _settle(settled: Sequence[_Settled], keep: set[int], drop: set[int]) -> set[int]:
    """The units that leave as losing sides of the conflicts settled by input order.

    A unit that loses one conflict leaves even where it is on the winning side of another: kept, it would
    contradict the winner of the first, and the merged agent would hold a conflict with itself. A conflict
    whose winning sides have all left that way is won by the next input in its order whose side still
    stands (every loser leaving for a winner that left too would lose that guidance twice, and bring the
    loser back when the merged file is merged with its input again). Units a decision keeps always stand;
    units it drops never do. Each change moves a conflict's winner later in its order, so this ends."""
    while True:
        lost: dict[int, set[int]] = {}  # uid -> the settled conflicts it loses
        for k, s in enumerate(settled):
            winner = s.winner()
            for i, side in enumerate(s.conflict.sides):
                if i not in winner:
                    for u in side.uids:
                        lost.setdefault(u, set()).add(k)

        def stands(uids, k: int) -> bool:
            return any(u in keep or (u not in drop and not (lost.get(u, set()) - {k})) for u in uids)

        changed = False
        for k, s in enumerate(settled):
            if any(stands(s.conflict.sides[i].uids, k) for i in s.winner()):
                continue
            for at in range(s.at + 1, len(s.rank)):
                if any(stands(side.uids, k) for side, src in zip(s.conflict.sides, s.sources) if src == s.rank[at]):
                    s.at = at
                    changed = True
                    break
            if changed:
                break  # one move at a time: the others are judged again against it
        if not changed:
            return {u for u, ks in lost.items() if ks} - keep


def _decided_sides(c: Conflict, decision, sources: list[int], agents: Sequence[Agent]) -> tuple[tuple[int, ...] | None, str]:
    """The sides a decision keeps, or None and why it cannot apply (it is then stale: nothing is guessed)."""
    if decision.keep == "all":
        if c.one_value:
            return None, f"keep: all cannot apply: `{c.topic}` has one value in the merged agent; keep one input"
        return tuple(range(len(c.sides))), ""
    chosen = set()
    for path in decision.keep:
        index = _input_index(agents, path)
        if index is None:
            return None, f"keep names {path}, which is not an input of this run"
        if index not in sources:
            return None, f"keep names {path}, which takes no side in this conflict"
        chosen.add(index)
    kept = tuple(i for i, source in enumerate(sources) if source in chosen)
    if c.one_value and len({c.sides[i].stance for i in kept}) > 1:
        return None, f"keep names inputs with different `{c.topic}` values; the merged agent has one: keep one input"
    return kept, ""


def connected(sets: Sequence[set[int]]) -> list[tuple[int, ...]]:
    """The connected components of overlapping sets of uids, each sorted, in order of their first uid."""
    parent: dict[int, int] = {}

    def find(u: int) -> int:
        while parent.setdefault(u, u) != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for members in sets:
        first, *rest = sorted(members)
        for u in rest:
            a, b = find(first), find(u)
            if a != b:
                parent[max(a, b)] = min(a, b)
    components: dict[int, list[int]] = {}
    for u in sorted({u for members in sets for u in members}):
        components.setdefault(find(u), []).append(u)
    return [tuple(c) for _root, c in sorted(components.items())]


def _input_index(agents: Sequence[Agent], path: str | None) -> int | None:
    if path is None:
        return None
    for a in agents:
        if a.path == path:
            return a.index
    import os

    for a in agents:
        if os.path.abspath(a.path) == os.path.abspath(path):
            return a.index
    return None


def _side_source(c: Conflict, i: int, units: dict[int, Unit]) -> int:
    side = c.sides[i]
    if side.uids:
        return min(units[u].source for u in side.uids)
    return c.fields[i]["source"]
