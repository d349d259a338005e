"""Conflict detection and resolution.

Detectors are small modules run in order (as markdown-it-py runs its block rules); each takes the
`Context` and returns the conflicts it found. `resolve` then decides, per `--on-conflict`/`--prefer`,
which sides stay in the merged agent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ..match import Matching
from ..model import Agent, Conflict, MergeOptions, Resolution, Unit


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
GENERAL = ("modality", "choice", "quantity", "order", "scope", "rulecode")


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
    """Every conflict the chain finds, each disagreement once: a general detector's conflict whose sides
    pair units that an earlier conflict already opposes says nothing new and is left out (topics name
    different disagreements, so theirs all stay)."""
    found: list[Conflict] = []
    opposed_pairs: set[tuple[int, int]] = set()
    for name, run in detectors():
        for c in run(ctx):
            pairs = _opposed_pairs(c)
            if name in GENERAL and pairs and pairs <= opposed_pairs:
                continue
            opposed_pairs |= pairs
            found.append(c)
    return [replace(c, id=f"C{i}") for i, c in enumerate(found, 1)]


def _opposed_pairs(c: Conflict) -> set[tuple[int, int]]:
    """The pairs of units on different sides of a conflict."""
    out = set()
    for i, a in enumerate(c.sides):
        for b in c.sides[i + 1 :]:
            out.update((min(x, y), max(x, y)) for x in a.uids for y in b.uids if x != y)
    return out


def resolve(conflicts: Sequence[Conflict], agents: Sequence[Agent], units: dict[int, Unit],
            options: MergeOptions) -> tuple[list[Conflict], set[int], dict[int, tuple[int, ...]]]:
    """Decide each conflict. Returns the conflicts with their resolution, the uids that leave the
    output as losing sides, and for `mark` the blocks to write (first uid -> every uid shown).

    - `--prefer FILE`: that input's side wins every conflict it takes part in.
    - `prefer-first`: the side from the earliest input wins; sides from that same input all stay.
    - `keep-all`: every side stays, labelled in the output; nothing is settled.
    - `mark`: every side stays inside a git-style conflict block; nothing is settled. Conflicts that share
      a unit share a block.
    A conflict whose sides all come from one input is never settled by input order.
    """
    prefer = _input_index(agents, options.prefer)
    resolved: list[Conflict] = []
    losing: set[int] = set()
    marked: dict[int, tuple[int, ...]] = {}
    open_sets: list[set[int]] = []  # for `mark`: the units of each conflict left open
    preferred: set[int] = set()  # units on the side whose input won a conflict
    for c in conflicts:
        sources = [_side_source(c, i, units) for i in range(len(c.sides))]
        winner: list[int] | None = None
        strategy = options.on_conflict
        if c.kind == "frontmatter" and c.topic == "tools":
            # every input's tools are allowed: the union (or every tool) is what the merged agent gets
            resolved.append(replace(c, resolution=Resolution(strategy="union", kept=tuple(range(len(c.sides))))))
            continue
        if c.kind == "frontmatter" and any(f.get("value") is None for f in c.fields):
            # a key some inputs leave out: the merged agent has the value of the preferred input, else of
            # the first that sets it (as merge_frontmatter takes it; see frontmatter._absent)
            setting = [s for s, f in zip(sources, c.fields) if f.get("value") is not None]
            first = prefer if prefer in setting else setting[0]
            winner = [i for i, s in enumerate(sources) if s == first]
            strategy = "prefer" if prefer == first else "prefer-first"
        elif prefer is not None and prefer in sources and len(set(sources)) > 1:
            winner = [i for i, s in enumerate(sources) if s == prefer]
            strategy = "prefer"
        elif c.kind == "frontmatter" or (options.on_conflict == "prefer-first" and len(set(sources)) > 1):
            first = min(sources)
            winner = [i for i, s in enumerate(sources) if s == first]
            strategy = "prefer-first"
        if winner is not None:
            for i in winner:
                preferred.update(c.sides[i].uids)
        if winner is not None and c.kind != "frontmatter":
            # a side that takes the winning stance agrees with the winner: it stays too
            stances = {c.sides[i].stance for i in winner}
            winner = [i for i, side in enumerate(c.sides) if i in winner or side.stance in stances]
        if winner is not None:
            resolved.append(replace(c, resolution=Resolution(strategy=strategy, kept=tuple(winner))))
            for i, side in enumerate(c.sides):
                if i not in winner:
                    losing.update(side.uids)
            continue
        resolved.append(replace(c, resolution=None))
        if options.on_conflict == "mark" and all(side.uids for side in c.sides):
            open_sets.append({u for side in c.sides for u in side.uids})
    # A unit whose input wins one conflict stays even if it loses another: guidance leaves only when its
    # input never wins. Merely agreeing with a winner does not count: the same unit would come back when
    # the merged file is merged again and the conflict it agreed in gets settled the other way round.
    losing -= preferred
    # and the report does not call it kept where it only agreed: it leaves the output
    resolved = [c if c.resolution is None or c.kind == "frontmatter" else
                replace(c, resolution=replace(c.resolution, kept=tuple(
                    i for i in c.resolution.kept if not set(c.sides[i].uids) <= losing)))
                for c in resolved]
    # Conflicts that share a unit share one block, so that every side of each of them is shown.
    for uids in connected(open_sets):
        marked[uids[0]] = uids
    return resolved, losing, marked


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
