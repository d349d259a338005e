"""Frontmatter conflicts: any key whose value differs across inputs (`description` is merged, not compared)."""

from __future__ import annotations

from ..frontmatter import field_text, tools_of
from ..model import Conflict, Side

SEVERITY = {"tools": "high", "model": "medium", "name": "low", "color": "low"}
MERGED_KEYS = {"description"}
# Keys whose absence means something: an agent without `model` runs on the model of the session that
# calls it; one without `color` is shown in the default colour. (`tools` has its own rule: no `tools` is
# every tool.)
ABSENCE = {"model": "inherits the calling session's model", "color": "is shown in the default colour"}


def detect(ctx) -> list[Conflict]:
    found: list[Conflict] = []
    keys: list[str] = []
    for agent in ctx.agents:
        if agent.frontmatter is not None:
            keys.extend(k for k in agent.frontmatter.data if k not in keys)
    for key in keys:
        if key in MERGED_KEYS:
            continue
        holders = [a for a in ctx.agents if a.frontmatter is not None and key in a.frontmatter.data]
        if key == "tools":
            conflict = _tools(ctx, holders)
            if conflict is not None:
                found.append(conflict)
            continue
        if key in ABSENCE and len(holders) < len([a for a in ctx.agents if a.frontmatter is not None]):
            conflict = _absent(ctx, key, holders)
            if conflict is not None:
                found.append(conflict)
                continue
        values = [a.frontmatter.data[key] for a in holders]
        distinct = []
        for v in values:
            if v not in distinct:
                distinct.append(v)
        if len(distinct) < 2:
            continue
        fields = tuple(_field(a, key) for a in holders)
        listed = "; ".join(f"{a.path} has {_show(a.frontmatter.data[key])}" for a in holders)
        found.append(Conflict(
            id="", kind="frontmatter", topic=key, severity=SEVERITY.get(key, "low"),
            message=f"`{key}` differs: {listed}",
            sides=tuple(Side(uids=(), stance=_show(a.frontmatter.data[key])) for a in holders),
            suggestion=f"Choose one `{key}` for the merged agent (or pass --prefer FILE).",
            fields=fields,
        ))
    return found


def _absent(ctx, key: str, holders) -> Conflict | None:
    """A key some inputs set and others leave out, where leaving it out is a value of its own. The merged
    agent takes the value of the first input that sets it (as `merge_frontmatter` does), so that side is
    listed first and wins."""
    absent = [a for a in ctx.agents if a.frontmatter is not None and key not in a.frontmatter.data]
    meaning = ABSENCE[key]
    fields = tuple(_field(a, key) for a in holders) + tuple(
        {"source": a.index, "path": a.path, "line": a.frontmatter.start_line, "end_line": a.frontmatter.end_line,
         "text": f"(no {key}: {meaning})", "value": None} for a in absent)
    said = "; ".join(f"{a.path} has {_show(a.frontmatter.data[key])}" for a in holders)
    left = ", ".join(a.path for a in absent)
    return Conflict(
        id="", kind="frontmatter", topic=key, severity=SEVERITY.get(key, "low"),
        message=f"`{key}` is set in some inputs only: {said}; {left} has no `{key}` and {meaning}",
        sides=tuple(Side(uids=(), stance=_show(a.frontmatter.data[key])) for a in holders)
        + tuple(Side(uids=(), stance=f"no {key} ({meaning})") for _a in absent),
        suggestion=f"The merged agent takes {_show(holders[0].frontmatter.data[key])}; remove `{key}` from it "
                   f"to keep what {left} does (without `{key}` an agent {meaning}).",
        fields=fields,
    )


def _tools(ctx, holders) -> Conflict | None:
    """Inputs without `tools` may use every tool; the merged agent gets the union."""
    with_agents = [a for a in ctx.agents if a.frontmatter is not None]
    lists = {a.index: tools_of(a) for a in with_agents}
    if all(v is None for v in lists.values()):
        return None
    distinct = []
    for v in lists.values():
        key = None if v is None else frozenset(v)  # the same tools in another order agree
        if key not in distinct:
            distinct.append(key)
    if len(distinct) < 2:
        return None
    union: list[str] | None = []
    for v in lists.values():
        if v is None:
            union = None
            break
        union.extend(t for t in v if t not in union)
    gains = []
    for a in with_agents:
        mine = lists[a.index]
        if mine is None:
            continue
        if union is None:
            gains.append(f"{a.path} allowed only {', '.join(mine) or 'no tools'}, the merged agent may use every tool")
        else:
            extra = [t for t in union if t not in mine]
            if extra:
                gains.append(f"{a.path} did not allow {', '.join(extra)}")
    message = "`tools` differ; " + ("; ".join(gains) if gains else "the merged agent gets their union")
    fields = tuple(_field(a, "tools") if lists[a.index] is not None else
                   {"source": a.index, "path": a.path, "line": a.frontmatter.start_line,
                    "end_line": a.frontmatter.end_line, "text": "(no tools: every tool)",
                    "value": None} for a in with_agents)
    return Conflict(
        id="", kind="frontmatter", topic="tools", severity="high", message=message,
        sides=tuple(Side(uids=(), stance="all tools" if lists[a.index] is None else ", ".join(lists[a.index]))
                    for a in with_agents),
        suggestion="Review the tools the merged agent gains; list `tools` explicitly to restrict it.",
        fields=fields,
    )


def _field(agent, key: str) -> dict:
    fm = agent.frontmatter
    line, end = fm.lines.get(key, (fm.start_line, fm.start_line))
    return {"source": agent.index, "path": agent.path, "line": line, "end_line": end,
            "text": field_text(agent, key), "value": fm.data[key]}


def _show(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return f"`{value}`"
