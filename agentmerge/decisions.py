"""Decisions files (`agentmerge-decisions/1`): what a reviewer decided, remembered from run to run.

```yaml
schema: agentmerge-decisions/1
decisions:
  - conflict: c3f9a1c0b2d4        # a conflicts[].key from a report
    keep: [b.md]                  # paths (as given) of the inputs whose sides stay; or: keep: all
    note: "payments need strict consistency"   # optional
  - units: [5e1d0a9c7b21, 0b8e44f1a2c3]        # two unit keys from a report
    same: true                    # true: one guidance (keep one); false: never collapse them
```

Reading is strict: anything else is one error line naming the file and the line. Applying never guesses:
a decision whose key matches nothing in the run, or whose `keep` names an input that takes no side in
that conflict, is reported as stale and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from .keys import KEY_PATTERN
from .model import AgentmergeError

SCHEMA = "agentmerge-decisions/1"
MAX_BYTES = 1024 * 1024
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./+-")


@dataclass(frozen=True)
class ConflictDecision:
    """A conflict's key and the inputs whose sides stay: a tuple of paths, or "all"."""

    key: str
    keep: tuple[str, ...] | str
    note: str = ""
    line: int = 0


@dataclass(frozen=True)
class UnitDecision:
    """Two unit keys, and whether they are one guidance (`same`)."""

    keys: tuple[str, str]
    same: bool
    note: str = ""
    line: int = 0


@dataclass(frozen=True)
class Decisions:
    """A decisions file as read: its conflict decisions and unit decisions, each with its line."""

    path: str
    conflicts: tuple[ConflictDecision, ...] = ()
    units: tuple[UnitDecision, ...] = ()

    def for_conflict(self, key: str) -> ConflictDecision | None:
        return next((d for d in self.conflicts if d.key == key), None)


def load(path: str) -> Decisions:
    from .read import read_bytes

    data = read_bytes(path)
    if len(data) > MAX_BYTES:
        raise AgentmergeError(f"{path}: larger than the {MAX_BYTES}-byte limit for a decisions file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AgentmergeError(f"{path}: not valid UTF-8 (byte offset {exc.start})") from None
    return parse(text, path)


def parse(text: str, path: str) -> Decisions:
    def fail(node, message: str):
        where = f":{node.start_mark.line + 1}" if node is not None else ""
        raise AgentmergeError(f"{path}{where}: {message}")

    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise AgentmergeError(f"{path}{where}: not valid YAML ({problem})") from None
    finally:
        loader.dispose()
    if not isinstance(root, yaml.MappingNode):
        fail(root, f"not a decisions file (expected a mapping with schema: {SCHEMA})")
    top = _mapping(root, fail)
    schema = top.get("schema")
    if schema is None or _scalar(schema[1], fail) != SCHEMA:
        fail(schema[1] if schema else root, f"not a decisions file (expected schema: {SCHEMA})")
    for name, (key_node, _value) in top.items():
        if name not in ("schema", "decisions"):
            fail(key_node, f"unknown field {name!r} (a decisions file has schema and decisions)")
    entries = top.get("decisions")
    if entries is None or entries[1].tag == "tag:yaml.org,2002:null":
        return Decisions(path=path)
    if not isinstance(entries[1], yaml.SequenceNode):
        fail(entries[1], "decisions must be a list")
    conflicts: dict[str, ConflictDecision] = {}
    units: dict[frozenset[str], UnitDecision] = {}
    for node in entries[1].value:
        if not isinstance(node, yaml.MappingNode):
            fail(node, "each decision is a mapping (conflict: KEY, keep: [...]) or (units: [KEY, KEY], same: ...)")
        entry = _mapping(node, fail)
        line = node.start_mark.line + 1
        note = ""
        if "note" in entry:
            note = _scalar(entry["note"][1], fail)
            if not isinstance(note, str):
                fail(entry["note"][1], "note must be text")
        if "conflict" in entry and "units" in entry:
            fail(node, "a decision is about a conflict or about two units, not both")
        if "conflict" in entry:
            _only(entry, ("conflict", "keep", "note"), fail)
            key = _key(entry["conflict"][1], fail)
            if "keep" not in entry:
                fail(node, f"conflict {key}: keep is missing (keep: [PATH, ...] or keep: all)")
            keep = _keep(entry["keep"][1], fail)
            decision = ConflictDecision(key=key, keep=keep, note=note, line=line)
            earlier = conflicts.get(key)
            if earlier is not None:
                fail(node, f"conflict {key} is decided twice (line {earlier.line} and here)")
            conflicts[key] = decision
        elif "units" in entry:
            _only(entry, ("units", "same", "note"), fail)
            value = entry["units"][1]
            if not isinstance(value, yaml.SequenceNode) or len(value.value) != 2:
                fail(value, "units must list two unit keys")
            pair = (_key(value.value[0], fail), _key(value.value[1], fail))
            if pair[0] == pair[1]:
                fail(value, "units must be two different keys")
            if "same" not in entry or not isinstance(_scalar(entry["same"][1], fail), bool):
                fail(entry.get("same", (None, node))[1], "same must be true or false")
            decision = UnitDecision(keys=pair, same=_scalar(entry["same"][1], fail), note=note, line=line)
            earlier = units.get(frozenset(pair))
            if earlier is not None:
                fail(node, f"units {pair[0]}, {pair[1]} are decided twice (line {earlier.line} and here)")
            units[frozenset(pair)] = decision
        else:
            fail(node, "a decision needs conflict: KEY or units: [KEY, KEY]")
    return Decisions(path=path, conflicts=tuple(conflicts.values()), units=tuple(units.values()))


def _mapping(node, fail) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for key_node, value in node.value:
        name = _scalar(key_node, fail)
        if not isinstance(name, str):
            fail(key_node, f"unexpected key {name!r}")
        if name in out:
            fail(key_node, f"{name!r} appears twice")
        out[name] = (key_node, value)
    return out


def _scalar(node, fail):
    if not isinstance(node, yaml.ScalarNode):
        fail(node, "expected a single value here")
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node)
    except yaml.YAMLError as exc:
        fail(node, f"cannot read this value ({getattr(exc, 'problem', exc)})")
    finally:
        loader.dispose()


def _only(entry: dict, allowed: Sequence[str], fail) -> None:
    for name, (key_node, _v) in entry.items():
        if name not in allowed:
            fail(key_node, f"unknown field {name!r} here (allowed: {', '.join(allowed)})")


def _key(node, fail) -> str:
    # the text as written: a key of decimal digits only (000000000123) is a key, not a YAML number
    if not isinstance(node, yaml.ScalarNode):
        fail(node, "expected a key (12 hex digits) here")
    value = node.value
    if not KEY_PATTERN.fullmatch(value):
        fail(node, f"{value!r} is not a key (12 hex digits, as the report lists them)")
    return value


def _keep(node, fail) -> tuple[str, ...] | str:
    if isinstance(node, yaml.ScalarNode):
        if _scalar(node, fail) == "all":
            return "all"
        fail(node, "keep must be a list of input paths, or all")
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        fail(node, "keep must be a list of input paths, or all")
    paths = []
    for item in node.value:
        value = _scalar(item, fail)
        if not isinstance(value, str) or not value:
            fail(item, "keep lists input paths")
        if value in paths:
            fail(item, f"keep lists {value} twice")
        paths.append(value)
    return tuple(paths)


def yaml_scalar(text: str) -> str:
    """A path or note written so that YAML reads it back as the same string."""
    if text and set(text) <= _PLAIN and text != "all" and yaml.safe_load(text) == text:  # not 1.5, yes, null
        return text
    return json.dumps(text, ensure_ascii=False)


def keep_text(keep: Sequence[str] | str) -> str:
    return "all" if keep == "all" else "[" + ", ".join(yaml_scalar(p) for p in keep) + "]"


def line(key: str, keep: Sequence[str] | str, note: str = "") -> str:
    """One decision as one line of YAML flow style, ready to paste under `decisions:`."""
    extra = f", note: {json.dumps(note, ensure_ascii=False)}" if note else ""
    return f"- {{conflict: {key}, keep: {keep_text(keep)}{extra}}}"


def dump(decisions: Decisions) -> str:
    """The file, one decision per entry in block style (stable order: as read, new ones appended)."""
    out = [f"schema: {SCHEMA}", "decisions:"]
    for d in decisions.conflicts:
        out.append(f"  - conflict: {d.key}")
        out.append(f"    keep: {keep_text(d.keep)}")
        if d.note:
            out.append(f"    note: {json.dumps(d.note, ensure_ascii=False)}")
    for u in decisions.units:
        out.append(f"  - units: [{u.keys[0]}, {u.keys[1]}]")
        out.append(f"    same: {'true' if u.same else 'false'}")
        if u.note:
            out.append(f"    note: {json.dumps(u.note, ensure_ascii=False)}")
    if len(out) == 2:
        out[-1] = "decisions: []"
    return "\n".join(out) + "\n"


def apply_unit_decisions(matching, units: dict, unit_keys: dict[int, str], rules: Sequence[UnitDecision]):
    """The matching with users' unit decisions laid over it. `same: true`: the two units are one guidance,
    the more complete one stays (groups they are in become one); `same: false`: they are never in one
    duplicate group (the one not kept, or the later one, leaves it and stays in the output on its own).
    Returns (matching, outcomes)."""
    from dataclasses import replace

    from rapidfuzz import fuzz

    from .match import DUPLICATE, Pair
    from .model import Group, Member

    by_key: dict[str, list[int]] = {}
    for uid, key in sorted(unit_keys.items()):
        by_key.setdefault(key, []).append(uid)
    members: dict[int, dict[int, Member]] = {g.kept: {m.uid: m for m in g.members} for g in matching.groups}
    group_of = {uid: kept for kept, ms in members.items() for uid in ms}
    pairs = list(matching.pairs)
    norms = matching.norms

    def completeness(uid: int) -> tuple:
        return (-len(norms[uid].tokens), -len(units[uid].text), uid)

    def score(a: int, b: int) -> float:
        return round(fuzz.ratio(norms[a].folded, norms[b].folded) / 100, 2)

    def join(a: int, b: int) -> None:
        ga, gb = group_of.get(a), group_of.get(b)
        if ga is not None and ga == gb:
            return
        heads = [g if g is not None else u for g, u in ((ga, a), (gb, b))]
        keeper = min(heads, key=completeness)
        joined = {keeper: Member(keeper, 1.0)}
        for g, u in ((ga, a), (gb, b)):
            for uid in (members.pop(g) if g is not None else (u,)):
                if uid != keeper:
                    joined[uid] = Member(uid, score(keeper, uid), "the same guidance, by your decision")
        members[keeper] = joined
        for uid in joined:
            group_of[uid] = keeper
        pairs.append(Pair(keeper, b if keeper != b else a, DUPLICATE, score(a, b)))

    def part(a: int, b: int) -> None:
        g = group_of.get(a)
        if g is None or g != group_of.get(b):
            return
        leaving = b if a == g else a if b == g else max(a, b)
        del members[g][leaving]
        del group_of[leaving]
        if len(members[g]) == 1:
            del members[g]
            del group_of[g]

    outcomes = []
    for rule in rules:
        found = [by_key.get(k, []) for k in rule.keys]
        missing = [k for k, uids in zip(rule.keys, found) if not uids]
        if missing:
            outcomes.append({"units": list(rule.keys), "line": rule.line, "applied": False,
                             "reason": f"no unit has key {', '.join(missing)} in this run"})
            continue
        for a in found[0]:
            for b in found[1]:
                if a != b:
                    (join if rule.same else part)(a, b)
        outcomes.append({"units": list(rule.keys), "line": rule.line, "applied": True, "same": rule.same, "reason": ""})
    parted = {frozenset((a, b)) for rule in rules if not rule.same
              for a in by_key.get(rule.keys[0], []) for b in by_key.get(rule.keys[1], [])}
    pairs = [p for p in pairs if not (p.relation == DUPLICATE and frozenset((p.a, p.b)) in parted)]
    groups = [Group(id="", kind=DUPLICATE, kept=kept,
                    members=(Member(kept, 1.0), *(m for u, m in sorted(ms.items()) if u != kept)))
              for kept, ms in sorted(members.items())]
    dropped = {m.uid: g.kept for g in groups for m in g.members if m.uid != g.kept}
    return replace(matching, groups=groups, dropped=dropped, pairs=pairs), outcomes
