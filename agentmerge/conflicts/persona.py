"""Persona conflicts: each input opens (or closes) with its own identity statement — "You are an elite
database engineer…" — and an agent has one. Every input's opening statement is a side; the resolution
keeps one (prefer-first: the first input's), and the others are listed in the report with their text,
so a person can fold what they add ("…specializing in Alembic migrations") into the one that stays."""

from __future__ import annotations

import re

from .. import model
from ..model import Conflict, Side

_PERSONA = re.compile(r"^(?:\*\*|__)?(?:you are|you're|you’re)\b", re.IGNORECASE)


def _statement(agent, dropped, where: str) -> int | None:
    """The uid of the input's opening (or closing) identity paragraph, if it has one."""
    units = [u for u in agent.units if u.uid not in dropped]
    if not units:
        return None
    if where == "opening":
        first = next((u for u in units if u.section == 0), None)
        candidates = [first] if first is not None else []
    else:
        candidates = [units[-1]] if len(units) > 1 else []
    for unit in candidates:
        if unit.kind == model.PARAGRAPH and _PERSONA.match(unit.text.strip()):
            return unit.uid
    return None


def _role(text: str) -> str:
    """What the statement says the agent is: "an elite Database Engineer and Data Layer Specialist"."""
    rest = _PERSONA.sub("", text.strip(), count=1).strip().lstrip("*_ ")
    role = re.split(r"[,.;:]| with | who | that ", rest, maxsplit=1)[0].strip()
    return role[:80] or "identity statement"


def detect(ctx) -> list[Conflict]:
    found: list[Conflict] = []
    if len(ctx.agents) < 2:
        return found
    for where in ("opening", "closing"):
        statements = [(a, _statement(a, ctx.matching.dropped, where)) for a in ctx.agents]
        statements = [(a, uid) for a, uid in statements if uid is not None]
        texts = {ctx.units[uid].text.strip() for _a, uid in statements}
        if len(statements) < 2 or len(texts) < 2:
            continue
        found.append(Conflict(
            id="", kind="persona", topic=f"{where} identity statement", severity="low",
            message=f"{len(statements)} inputs each {'open' if where == 'opening' else 'close'} with their own "
                    "\"You are …\" statement; an agent has one",
            sides=tuple(Side(uids=(uid,), stance=_role(ctx.units[uid].text)) for _a, uid in statements),
            suggestion="Keep one identity statement and fold in what the others add (their specialities, "
                       "their stack), or pass --prefer FILE to choose whose it is.",
        ))
    return found
