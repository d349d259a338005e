"""Aligned statements: what the general detectors (modality, choice, value, order, scope, rule-code) read.

Every unit that stands for itself (not a dropped duplicate) is read into statements (`agentmerge.statements`),
once per run. Detectors look only at pairs of statements about the same thing: statements are filed under
keys (a rare term, an alternatives category, a quantity's name) and pairs come from inside each key's
block, as the matcher's word blocks do; a key held by too many statements says nothing specific and is
skipped. Each detector then decides, pair by pair, whether the two contradict, and says why in one line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .. import model
from ..lazy import compiled_when_used
from ..model import Conflict, Side
from ..normalize import WORD, plain, quotation

# A key held by more statements than this is too common to align on (blocks stay small: pairs per block
# grow with its square).
BLOCK_LIMIT = 40

# Capability lists, mentions and history take no stance on what they name.
CAPABILITY = re.compile(
    r"\b(?:experience[ds]?|expertise|expert (?:in|with|at)|proficien\w*|familiar\w*|knowledge of|knowledgeable|"
    r"skilled|skills?|fluent|fluency|background in|worked with|comfortable with|versed in|mastery|"
    r"specializ\w+|specialis\w+|such as|e\.g\.|for example|for instance|including|etc\b|like\b|tools?:|"
    r"stack:|technologies|frameworks?:|supports\b|support for|integrat\w+ with|compatible with|whether|either)",
    re.IGNORECASE)
HISTORY = re.compile(
    r"\b(?:migrated|moved (?:from|off|away)|switched|used to|previously|formerly|(?<!for )(?<!in )legacy|deprecated|"
    r"in the past|historically|originally|no longer|were using|was using|we had|replaced|until \d{4}|"
    r"until (?:recently|last (?:year|month|quarter|release|spring|summer|autumn|fall|winter))|\w+ years? ago|"
    r"in \d{4}|since \d{4}|ran on|back in|old (?:setup|stack|system)|before the move|sunset\w*)\b",
    re.IGNORECASE)
QUESTION = re.compile(r"\?\s*$")
# Qualifiers that limit where a statement holds ("in an emergency", "for payments", "only in dev").
SCOPE = compiled_when_used(
    r"\b(?:only (?:when|if|for|in|on|during|after)\b[^.;,]{0,60}|in (?:an |a )?(?:emergenc\w+|incident\w*|hotfix\w*)"
    r"|(?:for|in|on|during|within|against) (?:the )?(?:small|minor|trivial|tiny|one-line|urgent|emergency|"
    r"payments?|billing|checkout|prototypes?|prototyping|spikes?|experiments?|scripts?|tests?|testing|"
    r"local(?: development)?|dev(?:elopment)?|staging|sandbox|production|prod|ci|legacy|internal|admin|"
    r"mobile|ios|android|web|backend|frontend|migrations?|notebooks?|demos?|hot paths?|read paths?|"
    r"write paths?|reads|writes|public apis?|internal apis?|libraries|library code|application code|"
    r"the \w+ (?:cluster|environment|service|team|module|package))\b[^.;,]{0,30}"
    r"|unless\b[^.;,]{0,60}|except\b[^.;,]{0,60}|when (?:needed|necessary|required|appropriate)"
    r"|if (?:needed|necessary|required|the user asks|asked)|small fixes|minor fixes|trivial fixes"
    r"|one-line (?:fixes|changes)|typo fixes|hotfix(?:es)?)",
    re.IGNORECASE)
NEGATOR = compiled_when_used(r"\b(?:not|never|no|don't|do not|avoid|without|instead of|rather than|stop|nor|n't)\b",
                             re.IGNORECASE)


@dataclass(frozen=True)
class Said:
    """A statement a detector may compare: its unit, the input that says it, and what it says."""

    index: int  # position in `statements(ctx)`
    uid: int
    source: int  # the earliest input that says it (a dropped duplicate speaks for its input too)
    st: object  # agentmerge.statements.Statement
    text: str  # plain text
    lower: str
    opening: bool = False  # a sentence of a paragraph that opens "You are …" (see `opening`)
    quoted: bool = False  # its unit quotes someone (see `quotation`)
    listed: bool = False  # its unit is an item of a list of what the agent knows (see `capability_items`)

    @cached_property  # every detector reads them, some for every pair (the instance's dict; fields unchanged)
    def terms(self) -> frozenset[str]:
        return frozenset(t for t in self.st.terms if not t.startswith("~"))

    @cached_property
    def actions(self) -> frozenset[str]:
        return frozenset(t for t in self.st.actions if not t.startswith("~"))


def statements(ctx) -> list[Said]:
    """Every statement of every unit that stands for itself, in input and source order (cached)."""
    cached = ctx.__dict__.get("_said")
    if cached is not None:
        return cached
    from ..statements import lead_ins, unit_statements
    from .policy import effective_source

    out: list[Said] = []
    dropped = ctx.matching.dropped
    for agent in ctx.agents:
        introducing = lead_ins(agent)
        skills = capability_items(agent, introducing)
        for unit in agent.units:
            if unit.uid in dropped or unit.uid not in ctx.units or unit.kind in (model.CODE, model.HTML,
                                                                                    model.TABLE):
                continue
            source = effective_source(ctx, unit.uid)
            persona = unit.kind == model.PARAGRAPH and _OPENING.match(unit.text) is not None
            quoted = quotation(unit.text)
            skill = unit.uid in skills and _OWN.search(unit.text) is None  # "…; we standardised on it"
            for st in unit_statements(unit, agent.sections[unit.section].path, unit.uid in introducing):
                if st.role in ("code", "table", "html"):
                    continue
                out.append(Said(len(out), unit.uid, source, st, st.text, st.text.lower(), persona, quoted, skill))
    ctx.__dict__["_said"] = out
    return out


def code_blocks(ctx) -> list[tuple[int, str]]:
    """(uid, code) for every code block that stands for itself, and every fenced block inside a list item."""
    cached = ctx.__dict__.get("_code_blocks")
    if cached is not None:
        return cached
    from ..knowledge import _code_regions

    out: list[tuple[int, str]] = []
    for uid, unit in sorted(ctx.units.items()):
        if uid in ctx.matching.dropped:
            continue
        if unit.kind == model.CODE or "```" in unit.text or "~~~" in unit.text:
            for start, end in _code_regions(unit.text):
                code = unit.text[start:end]
                if code.strip():
                    out.append((uid, code))
    ctx.__dict__["_code_blocks"] = out
    return out


class Quick:
    """Whether a pattern matches, answered by RE2 for printable ASCII text: a DFA over the text instead of
    trying each of a long alternation's words at every word boundary. On such text (no control characters,
    so `\\s` is a space in both; no other letters, so ignoring case is the same) RE2 and Python's `re` find a
    match in the same texts; other text, and a pattern RE2 cannot read, goes to `re` itself."""

    __slots__ = ("pattern", "_fast")

    def __init__(self, pattern: re.Pattern) -> None:
        self.pattern = pattern
        self._fast = None
        if pattern.pattern.isascii() and not pattern.flags & ~(re.IGNORECASE | re.UNICODE):
            import re2

            options = re2.Options()
            options.case_sensitive = not pattern.flags & re.IGNORECASE
            options.log_errors = False
            try:
                self._fast = re2.compile(pattern.pattern, options)
            except re2.error:
                pass

    def found(self, text: str) -> bool:
        if self._fast is not None and text.isascii() and text.isprintable():
            return self._fast.search(text) is not None
        return self.pattern.search(text) is not None


_PARENTHESES = re.compile(r"\([^()]*\)")
_CAPABILITY, QUICK_HISTORY = Quick(CAPABILITY), Quick(HISTORY)


def may_hold(text: str, words: tuple[str, ...]) -> bool:
    """False when ASCII `text` holds none of `words` (lower case) in any case: a pattern ignoring case each
    of whose matches holds one of them cannot match it (on ASCII text, ignoring case is lower-casing).
    Other text may hold them: its pattern decides."""
    if not text.isascii():
        return True
    lower = text.lower()
    return any(w in lower for w in words)


# A string each match of CAPABILITY holds, and one each match of HISTORY holds in a text without digits
# (its years need one): most statements hold none.
_CAPABILITY_WORDS = ("experience", "expertise", "expert ", "proficien", "familiar", "knowledge", "skill", "fluen",
                     "background in", "worked with", "comfortable with", "versed in", "mastery", "speciali",
                     "such as", "e.g.", "for example", "for instance", "including", "etc", "like", "tool", "stack:",
                     "technologies", "framework", "supports", "support for", "integrat", "compatible with",
                     "whether", "either")
_HISTORY_WORDS = ("migrated", "moved ", "switched", "used to", "previously", "formerly", "legacy", "deprecated",
                  "in the past", "historically", "originally", "no longer", "were using", "was using", "we had",
                  "replaced", "until ", "year", "ran on", "back in", "old ", "before the move", "sunset")
_DIGIT = re.compile(r"\d")


def takes_no_stance(s: Said) -> bool:
    """Mentions, capability lists, history and questions state no rule, nor does a quotation or an item
    of a list of what the agent knows, unless that item requires something or speaks of the team's own
    setup ("Async Rust on async-std; we standardised on it"). An example in parentheses ("(for example
    API-Version: 2024-06-01)") illustrates the rule; it does not make it a list."""
    return aside(s) or _no_stance(s.text)


_OWN = re.compile(r"\b(?:we|our|us|this (?:project|repo|repository|team|codebase|service|app))\b", re.IGNORECASE)


def aside(s: Said) -> bool:
    """A quotation, or a skill listed under a capabilities heading or lead-in that says nothing of its own."""
    return s.quoted or (s.listed and s.st.modality == "describe")


# Headings and lead-ins of a list of what the agent knows ("Charting expertise:", "## Core capabilities",
# "Areas of expertise"): its items name skills; they choose, require or forbid nothing.
CAPABILITY_CONTEXT = re.compile(
    r"\b(?:capabilit(?:y|ies)|expertise|skills?(?: ?set)?|proficienc(?:y|ies)|competenc(?:y|ies|e|es)|"
    r"specialt(?:y|ies)|specializations?|specialisations?|focus areas?|areas? of (?:focus|expertise)|"
    r"knowledge areas?|example (?:requests?|prompts?|interactions?|questions?|tasks?)|"
    r"examples?|sample (?:requests?|prompts?|questions?))\b", re.IGNORECASE)
CONTEXT_WORDS = 5  # a heading or lead-in longer than this says more than what its list is


def _capability_label(text: str) -> bool:
    words = WORD.findall(text)
    return 0 < len(words) <= CONTEXT_WORDS and CAPABILITY_CONTEXT.search(text) is not None


def capability_items(agent, introducing: frozenset[int]) -> frozenset[int]:
    """Uids of the list items under a lead-in or a heading that names capabilities, expertise, skills or
    examples ("Charting expertise:" then its items; every item of a "## Core capabilities" section and of
    its subsections)."""
    units = {u.uid: u for u in agent.units}
    capable_sections = set()
    for section in agent.sections:
        if any(_capability_label(plain(title)) for title in _headings(agent, section)):
            capable_sections.add(section.index)
    found: set[int] = set()
    label = False
    for slot in agent.layout:
        if slot.kind != "unit":
            label = False
            continue
        unit = units[slot.ref]
        if unit.uid in introducing:
            label = _capability_label(plain(unit.text).rstrip(": "))
            continue
        if unit.kind == model.ITEM and (label or unit.section in capable_sections):
            found.add(unit.uid)
        elif unit.kind != model.ITEM:
            label = False
    return frozenset(found)


def contexts_of(ctx, uid: int) -> tuple[frozenset[tuple[str, str]], int]:
    """What a unit's context says it is for, and which list it is an item of (-1: none).

    The context is the lead-in its list stands under, else its innermost heading below the title; what
    it says are the `contexts:` words of `knowledge/quantities.yaml` it names (part, stage, purpose)."""
    held = ctx.__dict__.get("_contexts")
    if held is None:
        held = ctx.__dict__["_contexts"] = _contexts(ctx)
    return held.get(uid, (frozenset(), -1))


def _contexts(ctx) -> dict[int, tuple[frozenset[tuple[str, str]], int]]:
    from ..quantities import contexts_in, load_table
    from ..statements import lead_ins

    table = load_table(tuple(ctx.options.axes))
    out: dict[int, tuple[frozenset[tuple[str, str]], int]] = {}
    lists = 0
    for agent in ctx.agents:
        units = {u.uid: u for u in agent.units}
        introducing = lead_ins(agent)
        headed: dict[int, frozenset[tuple[str, str]]] = {}  # section -> what its innermost heading says
        label: frozenset[tuple[str, str]] = frozenset()
        previous = None  # the item before, for telling one list from the next
        for slot in agent.layout:
            if slot.kind != "unit":
                label, previous = frozenset(), None
                continue
            unit = units[slot.ref]
            if unit.uid in introducing:
                label, previous = contexts_in(plain(unit.text), table), None
                continue
            if unit.kind != model.ITEM:
                label, previous = frozenset(), None
            elif previous is None or previous.section != unit.section:
                lists += 1
            previous = unit if unit.kind == model.ITEM else None
            if unit.section not in headed:
                titles = _headings(agent, agent.sections[unit.section])
                headed[unit.section] = contexts_in(titles[0], table) if titles else frozenset()
            said = label or headed[unit.section]
            out[unit.uid] = (said, lists if unit.kind == model.ITEM else -1)
    return out


def other_contexts(ctx, uid_a: int, uid_b: int) -> bool:
    """Whether two units hold for two things by their contexts (`contexts_of`): both name a word of one
    class and none in common ("Memory Usage: <512MB per instance" under "*Backend Performance:*",
    "<100MB baseline" under "*Mobile Performance:*"), or one is a trigger's ("Scaling triggers", "Red
    flags") and the other not."""
    (ca, _la), (cb, _lb) = contexts_of(ctx, uid_a), contexts_of(ctx, uid_b)
    # a value under no purpose is a target: a trigger's or a red flag's threshold is no target
    if (("purpose", "trigger") in ca) != (("purpose", "trigger") in cb):
        return True
    kinds = {k for k, _ in ca} & {k for k, _ in cb}
    return any({w for k, w in ca if k == kind}.isdisjoint({w for k, w in cb if k == kind}) for kind in kinds)


def one_list(ctx, uid_a: int, uid_b: int) -> bool:
    """Whether two units are two items of one list (`contexts_of`)."""
    la, lb = contexts_of(ctx, uid_a)[1], contexts_of(ctx, uid_b)[1]
    return la >= 0 and la == lb and uid_a != uid_b


def _headings(agent, section) -> list[str]:
    """The titles of the section and the sections it stands under, the file's title (level 1) aside: a
    title names the whole agent ("# Charting expertise"), not a list of it."""
    out = []
    current = section
    while current is not None:
        if (current.level >= 2 or current.pseudo) and current.title:
            out.append(current.title)
        current = agent.sections[current.parent] if current.parent is not None else None
    return out


@lru_cache(maxsize=262144)  # every detector asks it of every statement
def _no_stance(text: str) -> bool:
    bare = _PARENTHESES.sub("", text) if "(" in text else text
    return (_capability(bare) or history(text) or QUESTION.search(text) is not None
            or ("," in bare and _enumeration(bare)))


# Capability words that state a rule here: "including" before no list ("at most four interviews,
# including the hiring manager"), and an imperative "Integrate with …" (not "integrations with Slack").
_STANCE_CAPABILITY = re.compile(r"\bincluding\b(?![^.;]*(?:,| and | or ))|^\W*integrate with\b", re.IGNORECASE)


def _capability(text: str) -> bool:
    if not may_hold(text, _CAPABILITY_WORDS) or not _CAPABILITY.found(text):
        return False
    lower = text.lower()
    if "including" not in lower and not lower.lstrip(" *_`").startswith("integrate with"):
        return True
    return _CAPABILITY.found(_STANCE_CAPABILITY.sub(" ", text))


# words that make a comma-separated part a phrase with a stance rather than a name ("lint with Ruff")
_PHRASE_WORDS = frozenset("with for in on to by via using use than over instead not never no only always must should "
                          "is are be run prefer avoid".split())


def _imperatives() -> frozenset[str]:
    from ..statements.terms import terms_data

    return terms_data().imperatives


def _enumeration(text: str) -> bool:
    """A list of names ("Jenkins, GitHub Actions, GitLab CI, CircleCI"; "**IaC**: Terraform, Pulumi, Ansible"):
    three or more comma-separated parts of at most three words each, none a phrase of its own. It names
    what exists, it picks none of it."""
    head, colon, rest = text.partition(":")
    if colon:
        label = head.strip(" *_`").lower().split()
        if not label or len(label) > 6 or label[0] in _imperatives() or any(w in _PHRASE_WORDS for w in label):
            return False  # "Write the analysis plan: the question, the metric, the data": a rule, detailed
        body = rest
    else:
        body = text
    for sep in (" and ", " or "):
        if sep in body:
            body = body.replace(sep, ", ")
    parts = [p.strip(" .;*_`") for p in body.split(",")]
    parts = [p for p in parts if p]
    if len(parts) < 3:
        return False
    for part in parts:
        words = part.lower().split()
        if not words or len(words) > 3 or any(w in _PHRASE_WORDS for w in words):
            return False
    return True


# Phrases with a history word that tell no history: a limit ("no longer than 15 minutes") and a state
# change ("may be switched off for bench tests").
_NOT_HISTORY = re.compile(r"\bno longer than\b|\bswitched (?:off|on)\b", re.IGNORECASE)


def history(text: str) -> bool:
    """The statement tells of the past ("we migrated off Jenkins", "no longer used")."""
    lower = text.lower()
    if "longer than" in lower or "switched o" in lower:
        text = _NOT_HISTORY.sub("", text)
    if _DIGIT.search(text) is None and not may_hold(text, _HISTORY_WORDS):
        return False
    return QUICK_HISTORY.found(text)


_OPENING = re.compile(r"^\s*(?:you are|you're|you act as|you serve as|as an? )\b", re.IGNORECASE)


def opening(s: Said) -> bool:
    """A statement of a "You are …" opening: it says who the agent is and what it knows ("You are a data
    engineer … You work with Airflow, dbt and Python"), a persona the merge notes, not a rule it states."""
    return s.opening


@lru_cache(maxsize=65536)  # detectors ask it of each statement of every pair they look at
def scope_of(text: str) -> str:
    """The qualifiers that limit where a statement holds, as written ("in an emergency"), or ""."""
    return "; ".join(m.group(0).strip() for m in SCOPE.finditer(text))


_SCOPE_FILLER = frozenset("a an the in on for during within against only when if of to our your its this that these "
                          "those runners runner machines machine".split())


def same_scope(a: str, b: str) -> bool:
    """Whether two scopes as `scope_of` gives them name one situation: the words of one hold the other's
    ("on the CI runners" / "on CI"); "for reads" and "for writes" are two."""
    wa = {w for w in re.findall(r"[a-z0-9]+", a.lower()) if w not in _SCOPE_FILLER}
    wb = {w for w in re.findall(r"[a-z0-9]+", b.lower()) if w not in _SCOPE_FILLER}
    return a.lower() == b.lower() or bool(wa) and bool(wb) and (wa <= wb or wb <= wa)


def pairs(items: Sequence[Said], keys: Callable[[Said], Iterable], limit: int = BLOCK_LIMIT,
          kind: Callable[[Said], str] | None = None, meets: dict[str, frozenset[str]] | None = None,
          ) -> Iterator[tuple[Said, Said]]:
    """Pairs of statements sharing a key, each pair once, statements of one unit never paired; blocks
    larger than `limit` are skipped. Pairs come in a deterministic order.

    With `kind` and `meets`, only pairs whose kinds can disagree (`kind(b)` in `meets[kind(a)]`; meets
    is symmetric): the others are never yielded, so the pairs that are come in the same order as without."""
    blocks: dict = defaultdict(list)
    for s in items:
        for k in set(keys(s)):
            blocks[k].append(s)
    seen: set[tuple[int, int]] = set()
    for key in sorted(blocks, key=repr):
        block = blocks[key]
        if len(block) < 2 or len(block) > limit:
            continue
        if kind is not None and meets is not None:
            kinds = [kind(s) for s in block]
            for i, a in enumerate(block):
                others = meets.get(kinds[i])
                if not others:
                    continue
                for j in range(i + 1, len(block)):
                    if kinds[j] not in others:
                        continue
                    b = block[j]
                    if a.uid == b.uid or (a.index, b.index) in seen:
                        continue
                    seen.add((a.index, b.index))
                    yield a, b
            continue
        for i, a in enumerate(block):
            for b in block[i + 1 :]:
                if a.uid == b.uid or (a.index, b.index) in seen:
                    continue
                seen.add((a.index, b.index))
                yield a, b


def document_frequency(items: Sequence[Said]) -> dict[str, int]:
    df: dict[str, int] = defaultdict(int)
    for s in items:
        for t in s.terms:
            df[t] += 1
    return df


def short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def conflict(ctx, kind: str, topic: str, a: Said, b: Said, stances: tuple[str, str], why: str,
             suggestion: str, severity: str = "medium") -> Conflict:
    """A two-sided conflict between two statements, with its one-line reason."""
    ua, ub = ctx.units[a.uid], ctx.units[b.uid]
    first, second = (a, b) if a.uid < b.uid else (b, a)
    s_first, s_second = stances if a.uid < b.uid else stances[::-1]
    uf, us = (ua, ub) if a.uid < b.uid else (ub, ua)
    return Conflict(
        id="", kind=kind, topic=topic, severity=severity,
        message=f"{uf.path}:{first.st.line} says \"{short(first.text)}\" but {us.path}:{second.st.line} says "
                f"\"{short(second.text)}\": {why}",
        sides=(Side(uids=(first.uid,), stance=s_first, phrase=short(first.text, 120)),
               Side(uids=(second.uid,), stance=s_second, phrase=short(second.text, 120))),
        suggestion=suggestion,
    )


def sort(found: list[Conflict]) -> list[Conflict]:
    return sorted(found, key=lambda c: (min(u for s in c.sides for u in s.uids), c.kind, c.topic))


def grouped(ctx, kind: str, topic: str, clashes: Sequence[tuple[Said, str, Said, str]], why: str,
            suggestion: str, severity: str = "medium") -> Conflict:
    """One conflict from every clashing pair on one topic: a side per input and stance, holding every
    statement of that input that takes it (as the topics' conflicts are built)."""
    sides: dict[tuple[int, str], list[Said]] = {}
    for a, sa, b, sb in clashes:
        for s, stance in ((a, sa), (b, sb)):
            # by the file the statement stands in: a report side points into one file
            members = sides.setdefault((ctx.units[s.uid].source, stance), [])
            if all(m.uid != s.uid for m in members):
                members.append(s)
    keys = sorted(sides, key=lambda k: (min(m.uid for m in sides[k]), k))
    said = "; ".join(
        f"{ctx.agents[source].path} {stance} ({', '.join(f'line {m.st.line}' for m in sides[(source, stance)])})"
        for source, stance in keys)
    return Conflict(
        id="", kind=kind, topic=topic, severity=severity, message=f"{said}: {why}",
        sides=tuple(Side(uids=tuple(sorted({m.uid for m in sides[k]})), stance=k[1],
                         phrase="; ".join(short(m.text, 120) for m in sides[k])) for k in keys),
        suggestion=suggestion,
    )
