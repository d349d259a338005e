"""Identity statements: each input opens (or closes) with its own "You are an elite database engineer…",
and an agent has one. The first input's is kept (or the --prefer input's) and the others are listed with
their text, so a person can fold what they add ("…specializing in Alembic migrations") into the one that
stays.

Two openings for the same role are a merge note, not a contradiction: every opening stays (what each
adds about the role is guidance), the first input's leads, and the note says so. They are a conflict only
when they give the agent different roles: the role words of neither ("database engineer", "security
auditor", generic ones such as "senior" or "specialist" left out) appear anywhere in the other's identity
statement, and the inputs share almost no guidance (fewer than three statements of one input match, or
nearly match, a statement of another: two agents that repeat each other's rules do one job, whatever each
calls itself).
Then one is kept and the others are listed with their text."""

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


_GENERIC_ROLE = frozenset("""
a an the and or of in for with who ai assistant agent senior junior elite expert expert-level experienced
seasoned world-class principal staff lead highly skilled specialized specialised specialist engineer
developer architect consultant professional master guru ninja focused dedicated helpful meticulous
""".split())


def _role_words(text: str) -> set[str]:
    from ..normalize import stem

    return {stem(w) for w in re.findall(r"[a-z][a-z0-9+#.]*", text.lower()) if w not in _GENERIC_ROLE}


def _same_role(texts: list[str]) -> bool:
    """Whether, for every two identity statements, the role words of one appear in the other."""
    roles = [_role_words(_role(t)) for t in texts]
    whole = [_role_words(t) for t in texts]
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if roles[i] and roles[j] and not (roles[i] & whole[j] or roles[j] & whole[i]):
                return False
    return True


_SHARED_GUIDANCE = 3  # matched statements across inputs that make two openings one job
_NEAR = 75.0  # a candidate pair's token_set_ratio from which it counts as shared guidance


def _share_guidance(ctx, sources: set[int]) -> bool:
    """Whether every two of `sources` have at least _SHARED_GUIDANCE matched statements between them."""
    shared: dict[tuple[int, int], int] = {}
    both = {(p.a, p.b) for p in ctx.matching.pairs}
    both |= {(x, y) for x, y, score in ctx.matching.similar if score >= _NEAR}
    for ua, ub in sorted(both):
        a, b = ctx.units[ua].source, ctx.units[ub].source
        if a != b and a in sources and b in sources:
            key = (min(a, b), max(a, b))
            shared[key] = shared.get(key, 0) + 1
    ordered = sorted(sources)
    return all(shared.get((x, y), 0) >= _SHARED_GUIDANCE for i, x in enumerate(ordered) for y in ordered[i + 1:])


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
        verb = "open" if where == "opening" else "close"
        roles = "; ".join(f"{a.path}: {_role(ctx.units[uid].text)}" for a, uid in statements)
        if (_same_role([ctx.units[uid].text for _a, uid in statements])
                or _share_guidance(ctx, {ctx.units[uid].source for _a, uid in statements})):
            lead = statements[0][0].path
            ctx.notes.append(f"{len(statements)} inputs each {verb} with a \"You are …\" statement for the same role "
                             f"({roles}); the merged agent {'opens' if where == 'opening' else 'closes'} with "
                             f"{lead}'s and keeps the others' after it")
            continue
        found.append(Conflict(
            id="", kind="persona", topic=f"{where} identity statement", severity="medium",
            message=f"{len(statements)} inputs each {verb} with their own \"You are …\" statement and they give "
                    f"the agent different roles ({roles})",
            sides=tuple(Side(uids=(uid,), stance=_role(ctx.units[uid].text)) for _a, uid in statements),
            suggestion="Keep one identity statement and fold in what the others add (their specialities, "
                       "their stack), or pass --prefer FILE to choose whose it is.",
        ))
    return found
