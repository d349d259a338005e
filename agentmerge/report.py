"""Reports: JSON for tools (the contract in CONTRACT.md), Markdown for people, a summary for the terminal.

Token counts are estimates (characters / 4, rounded up): nothing is downloaded to count them exactly.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from typing import Any

from . import __version__
from .match import DUPLICATE, RELATED
from .merge import joined
from . import decisions as decisions_mod
from .model import CONFLICT, Conflict, MergeResult, Unit

SCHEMA = "agentmerge-report/1"


def tokens(text: str) -> int:
    """Estimated tokens: characters / 4, rounded up."""
    return (len(text) + 3) // 4


def format_of(path: str, has_frontmatter: bool) -> str:
    """What kind of agent-like file this is, by its name and shape."""
    name = os.path.basename(path)
    lower = name.lower()
    if lower == "skill.md":
        return "skill"
    if lower.endswith(".mdc"):
        return "cursor-rule"
    if lower in ("claude.md", "agents.md", "gemini.md"):
        return "instructions"
    if lower.endswith((".instructions.md", ".chatmode.md", ".agent.md")):
        return "copilot"
    if f"{os.sep}commands{os.sep}" in path or path.startswith(f"commands{os.sep}"):
        return "command"
    return "claude-agent" if has_frontmatter else "markdown"


def _unit(result: MergeResult, u: Unit, **extra: Any) -> dict[str, Any]:
    return {"path": u.path, "line": u.line, "end_line": u.end_line, "text": u.text,
            "key": result.unit_keys.get(u.uid, ""), **extra}


def _section(result: MergeResult, u: Unit) -> str:
    return result.agents[u.source].sections[u.section].title


DECIDING = ("prefer", "decision")  # what settles a conflict for --check; the default order does not


def is_decided(c: Conflict) -> bool:
    return c.resolution is not None and c.resolution.strategy in DECIDING


def undecided(result: MergeResult) -> list[Conflict]:
    """Conflicts settled by neither --prefer nor a decision: those `--check` fails on."""
    return [c for c in result.conflicts if not is_decided(c)]


def tools_widened(result: MergeResult) -> list[Conflict]:
    """Undecided `tools` conflicts: the merged agent may use tools an input did not allow."""
    return [c for c in undecided(result) if c.kind == "frontmatter" and c.topic == "tools"]


def _side_line(result: MergeResult, c: Conflict, i: int, kept: bool) -> int | None:
    """Where side i stands in the merged file, or None when it is not there."""
    side = c.sides[i]
    if side.uids:
        return result.output_lines.get(side.uids[0])
    return result.field_lines.get(c.topic) if kept else None


def conflict_json(result: MergeResult, c: Conflict) -> dict[str, Any]:
    # a side that lost this conflict but won another is still in the output: the report says so
    in_output = set(result.kept)
    kept_in_output = ([i for i, side in enumerate(c.sides)
                       if i in c.resolution.kept or any(u in in_output for u in side.uids)]
                      if c.resolution else list(range(len(c.sides))))
    sides = []
    for i, side in enumerate(c.sides):
        if side.uids:
            units = [result.units[x] for x in side.uids]
            sides.append({"path": units[0].path, "line": units[0].line, "end_line": units[-1].end_line,
                          "text": joined(units), "stance": side.stance,
                          "units": [{"line": u.line, "end_line": u.end_line, "key": result.unit_keys.get(u.uid, ""),
                                     **({"carried_by": _freed(result, u.uid)["carried_by"]} if u.uid in result.freed else {})}
                                    for u in units]})
        else:
            f = c.fields[i]
            sides.append({"path": f["path"], "line": f["line"], "end_line": f["end_line"], "text": f["text"],
                          "stance": side.stance})
        sides[-1]["output_line"] = _side_line(result, c, i, i in kept_in_output)
    resolution = None
    if c.resolution is not None:
        resolution = {"strategy": c.resolution.strategy, "kept": list(c.resolution.kept)}
    decision = None
    if c.resolution is not None and c.resolution.strategy == "decision":
        found = result.options.decisions.for_conflict(c.key)
        decision = {"keep": found.keep if found.keep == "all" else list(found.keep), "note": found.note,
                    "line": found.line}
    uids = {u for side in c.sides for u in side.uids}
    blocks = [{"line": b["line"], "end_line": b["end_line"], "labels": list(b["labels"])}
              for b in result.blocks if uids and uids <= set(b["uids"])]
    paths = list(dict.fromkeys(side["path"] for side in sides))
    return {"id": c.id, "key": c.key, "kind": c.kind, "topic": c.topic, "severity": c.severity, "message": c.message,
            "sides": sides, "resolution": resolution, "decided": is_decided(c), "decision": decision,
            "in_output": kept_in_output,
            "how_kept": c.resolution.strategy if c.resolution else result.options.on_conflict,
            "blocks": blocks, "suggestion": c.suggestion,
            "decide": [decisions_mod.line(c.key, [p]) for p in paths] + ([] if c.one_value else
                                                                        [decisions_mod.line(c.key, "all")])}


def _freed(result: MergeResult, uid: int) -> dict:
    """For a unit kept because the unit that carried it as a duplicate is a conflict side: which one, and why."""
    carrier = result.freed.get(uid)
    if carrier is None:
        return {}
    c = result.units[carrier]
    return {"carried_by": {"path": c.path, "line": c.line},
            "why": f"kept on its own: {c.where}, which says it too, is a side of a conflict"}


def classify(result: MergeResult) -> tuple[list[dict], list[dict], list[dict]]:
    """(shared, unique, conflicts) as the JSON report lists them."""
    units = result.units
    shared = []
    grouped: set[int] = set()
    for g in result.groups:
        kept = units[g.kept]
        grouped.update(m.uid for m in g.members)
        shared.append({
            "id": g.id, "kind": g.kind, "kept": {"path": kept.path, "line": kept.line},
            "members": [_unit(result, units[m.uid], score=m.score, kept=m.uid == g.kept or g.kind == RELATED,
                              **({"why": m.why} if m.why else {}))
                        for m in g.members],
        })
    in_conflict = {u for c in result.conflicts for side in c.sides for u in side.uids}
    unique = [_unit(result, units[uid], section=_section(result, units[uid]), **_freed(result, uid))
              for uid in sorted(result.kept) if uid not in grouped and uid not in in_conflict]
    conflicts = [conflict_json(result, c) for c in result.conflicts]
    return shared, unique, conflicts


def _dropped_by_default(result: MergeResult) -> int:
    return sum(len(c.sides) - len(c.resolution.kept) for c in undecided(result) if c.resolution is not None)


def to_json(result: MergeResult) -> dict[str, Any]:
    shared, unique, conflicts = classify(result)
    inputs = []
    for a in result.agents:
        fm = a.frontmatter
        inputs.append({
            "path": a.path, "format": format_of(a.path, fm is not None), "name": a.name,
            "units": len(a.units), "tokens": tokens(a.text),
            "frontmatter": {"present": fm is not None, "valid_yaml": fm.valid_yaml if fm else True,
                            "recovered": fm.recovered if fm else False},
            "conflict_blocks": sum(1 for u in a.units if u.kind == CONFLICT),
            "warnings": list(a.warnings),
        })
    input_tokens = sum(i["tokens"] for i in inputs)
    output_tokens = tokens(result.text)
    dropped = sum(len(g.members) - 1 for g in result.groups if g.kind == DUPLICATE)
    unsettled = sum(1 for c in result.conflicts if c.resolution is None)
    decisions = result.options.decisions
    return {
        "schema": SCHEMA,
        "tool": {"name": "agentmerge", "version": __version__},
        "inputs": inputs,
        "output": {"path": result.output_path, "units": len(result.kept), "tokens": output_tokens,
                   # as `grep -c '^<<<<<<<'` counts them: a block of n inputs is n - 1 two-sided blocks
                   "conflict_blocks": sum(len(b["labels"]) - 1 for b in result.blocks)
                   + sum(result.units[uid].text.count("\n<<<<<<<") + 1 for uid in result.kept
                         if result.units[uid].kind == CONFLICT)},
        "shared": shared,
        "unique": unique,
        "conflicts": conflicts,
        "decisions": {"path": decisions.path if decisions is not None else None,
                      "applied": [dict(d) for d in result.decided], "stale": [dict(d) for d in result.stale]},
        "frontmatter": {"notes": list(result.frontmatter_notes),
                        "examples_left_out": list(result.dropped_examples),
                        "descriptions_left_out": list(result.dropped_descriptions)},
        "options": {"on_conflict": result.options.on_conflict, "prefer": result.options.prefer,
                    "max_examples": result.options.max_examples},
        "stats": {
            "input_tokens": input_tokens, "output_tokens": output_tokens, "tokens_estimated": "characters/4",
            "input_units": len(result.units), "output_units": len(result.kept),
            "shared": len(shared), "duplicates_dropped": dropped, "unique": len(unique),
            "conflicts": len(result.conflicts), "unsettled_conflicts": unsettled,
            "undecided_conflicts": len(undecided(result)), "sides_dropped_by_default": _dropped_by_default(result),
            "stale_decisions": len(result.stale),
        },
    }


def json_text(result: MergeResult) -> str:
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"


def _cell(text: str, limit: int = 160) -> str:
    first = text.strip().split("\n", 1)[0]
    more = "\n" in text.strip() or len(first) > limit
    first = first[:limit]
    return (first.replace("|", "\\|") + (" …" if more else "")).strip()


def _loc(path: str, line: int, end: int | None = None) -> str:
    return f"`{path}:{line}`" if not end or end == line else f"`{path}:{line}-{end}`"


def _fenced(text: str) -> list[str]:
    """Text shown in full, as it stands in its file: in a fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}markdown", text, fence]


def resolve_command(result: MergeResult) -> str:
    """The command that walks this merge's undecided conflicts."""
    words = ["agentmerge", "resolve", *(a.path for a in result.agents)]
    words += ["-o", result.output_path or "merged.md"]
    if result.options.decisions is not None:
        words += ["--decisions", result.options.decisions.path]
    return " ".join(shlex.quote(w) for w in words)


def conflict_outcome(result: MergeResult) -> str:
    """The conflicts in one phrase that never reads "nothing to do" while sides were dropped undecided."""
    total = len(result.conflicts)
    if not total:
        return "none"
    open_ = undecided(result)
    done = total - len(open_)
    if not open_:
        return f"{total}, all decided"
    parts = []
    dropped = _dropped_by_default(result)
    settled = sum(1 for c in open_ if c.resolution is not None)
    if settled:
        how = {"prefer-first": "the default order", "union": "the union of tools"}
        names = sorted({how.get(c.resolution.strategy, c.resolution.strategy) for c in open_ if c.resolution})
        parts.append(f"{settled} settled by {' and '.join(names)}, which dropped {dropped} side(s)")
    left = len(open_) - settled
    if left:
        parts.append(f"{left} left open in the output")
    return f"{total}, {len(open_)} not decided ({'; '.join(parts)}), {done} decided"


def _where(result: MergeResult, line: int | None) -> str:
    name = result.output_path or "the merged agent"
    return f"`{name}:{line}`" if line is not None else ""


def _side_state(result: MergeResult, c: dict, i: int) -> str:
    side = c["sides"][i]
    at = _where(result, side["output_line"])
    if i in c["in_output"]:
        return f"kept, at {at}" if at else "kept"
    if at:  # it lost here but another conflict keeps it
        return f"lost here, but stays for another conflict, at {at}"
    how = {"prefer-first": "by the default order (first input wins)", "prefer": "by --prefer",
           "decision": "by your decision"}.get(c["how_kept"], f"by {c['how_kept']}")
    return f"dropped {how}"


def _blocks_note(result: MergeResult, c: dict) -> list[str]:
    if not c["blocks"]:
        return []
    name = result.output_path or "the merged agent"
    block = c["blocks"][0]
    labels = block["labels"]
    where = f"`{name}:{block['line']}-{block['end_line']}`"
    if len(labels) == 2:
        return [f"In the output: a conflict block at {where}, `{labels[0]}` above `=======`, `{labels[1]}` below.", ""]
    return [f"In the output: {len(labels) - 1} two-sided conflict blocks, one after the other, at {where}: the "
            f"first holds `{labels[0]}` against `{labels[1]}`; each later one holds one more input "
            f"({', '.join(f'`{x}`' for x in labels[2:])}) below `=======` against an empty upper side "
            f"(`{labels[0]}`'s side is the first block's). Keep the upper sides for `{labels[0]}`'s guidance.", ""]


def markdown(result: MergeResult, verbose: bool = False) -> str:
    """The report for people: what to decide first, then what was decided, then the merge in numbers,
    shared guidance, and unique guidance (listed in full with `verbose`)."""
    data = to_json(result)
    s = data["stats"]
    target = f"`{result.output_path}`" if result.output_path else "the merged agent"
    out = ["# agentmerge report", "",
           f"{len(result.agents)} input(s) merged into {target}. Conflicts: {conflict_outcome(result)}.", ""]
    by_key = {c.key: c for c in result.conflicts}
    todo = [c for c in data["conflicts"] if not c["decided"]]
    done = [c for c in data["conflicts"] if c["decided"]]
    out += ["## To decide", ""]
    if not todo:
        out += ["Nothing: every conflict is decided." if done else "Nothing: no conflicts.", ""]
    else:
        out += [f"{len(todo)} conflict(s) that neither `--prefer` nor a decision settled. For each, add one of its "
                "decision lines under `decisions:` in a decisions file (`schema: agentmerge-decisions/1`) and "
                "pass it with `--decisions FILE`, or decide them one by one in the terminal:", "",
                "```sh", resolve_command(result), "```", ""]
    for c in todo:
        out += [f"### {c['id']} · {c['kind']} · {c['topic']} ({c['severity']}) · key `{c['key']}`", "", c["message"], ""]
        for i, side in enumerate(c["sides"]):
            stance = f" · **{side['stance']}**" if side.get("stance") else ""
            out += [f"{_loc(side['path'], side['line'], side['end_line'])}{stance} · {_side_state(result, c, i)}", ""]
            out += [*_fenced(side["text"]), ""]
        out += _blocks_note(result, c)
        if by_key[c["key"]].resolution is None:
            out += [f"Now: every side stays in the output ({c['how_kept']}); nothing is settled.", ""]
        out += ["Decide with one of:", "", "```yaml", *c["decide"], "```", ""]
        if c["suggestion"]:
            out += [f"Suggestion: {c['suggestion']}", ""]
    unit_rules = [d for d in data["decisions"]["applied"] if "units" in d]
    if done or unit_rules:
        out += ["## Decided", ""]
        for d in unit_rules:
            what = "one guidance (one is kept)" if d["same"] else "different guidance (never collapsed)"
            out.append(f"- units `{d['units'][0]}`, `{d['units'][1]}`: {what}, by your decision")
        for c in done:
            kept = ", ".join(f"`{c['sides'][i]['path']}`" for i in c["in_output"]) or "no side"
            how = "your decision" if c["resolution"]["strategy"] == "decision" else "`--prefer`"
            note = f" ({c['decision']['note']})" if c["decision"] and c["decision"]["note"] else ""
            out.append(f"- {c['id']} · {c['kind']} · {c['topic']} · `{c['key']}`: keeps {kept}, by {how}{note}")
        out.append("")
    stale = data["decisions"]["stale"]
    if stale:
        out += ["## Stale decisions", "",
                f"In `{data['decisions']['path']}`, these matched nothing in this run and changed nothing:", ""]
        for d in stale:
            what = f"conflict `{d['conflict']}`" if "conflict" in d else "units " + ", ".join(f"`{k}`" for k in d["units"])
            out.append(f"- line {d['line']}: {what}: {d['reason']}")
        out.append("")
    out += ["## Summary", "", "| | count |", "|---|---:|",
            f"| units in the inputs | {s['input_units']} |",
            f"| units in the output | {s['output_units']} |",
            f"| shared groups | {s['shared']} ({s['duplicates_dropped']} duplicate units dropped) |",
            f"| unique units | {s['unique']} |",
            f"| conflicts | {s['conflicts']} ({s['undecided_conflicts']} not decided; the default order dropped "
            f"{s['sides_dropped_by_default']} side(s) of them) |",
            f"| tokens (estimated, characters/4) | {s['input_tokens']} in, {s['output_tokens']} out "
            f"({_change(s['input_tokens'], s['output_tokens'])}) |", ""]
    out += ["## Inputs", "", "| file | format | name | units | tokens (est.) | frontmatter |", "|---|---|---|---:|---:|---|"]
    for i in data["inputs"]:
        fm = i["frontmatter"]
        state = "none" if not fm["present"] else "valid YAML" if fm["valid_yaml"] else "invalid YAML, recovered" if fm["recovered"] else "invalid YAML"
        out.append(f"| `{i['path']}` | {i['format']} | {i['name'] or ''} | {i['units']} | {i['tokens']} | {state} |")
    notes = data["frontmatter"]["notes"]
    if notes:
        out += ["", *[f"- {n}" for n in notes]]
    for d in data["frontmatter"]["descriptions_left_out"]:
        out.append(f"- description left out, {_loc(d['path'], d['line'])}: {_cell(d['text'], 400)} ({d['reason']})")
    marked = [i for i in data["inputs"] if i["conflict_blocks"]]
    if marked:
        out += ["", *[f"- `{i['path']}` has {i['conflict_blocks']} unresolved conflict block(s); each is kept whole"
                      for i in marked]]
    out += ["", "## Shared guidance", "",
            "Each unit's key can go in a unit decision: `- {units: [KEY, KEY], same: false}` keeps two units "
            "apart, `same: true` makes them one.", ""]
    if not data["shared"]:
        out += ["None found."]
    for g in data["shared"]:
        head = "kept" if g["kind"] == "duplicate" else "all kept"
        out.append(f"- **{g['id']}** {g['kind']} ({head}):")
        for m in g["members"]:
            mark = "kept" if m["kept"] else f"dropped, {m['score']:.2f}" + (f": {m['why']}" if m.get("why") else "")
            if g["kind"] == "related":
                mark = f"{m['score']:.2f}"
            out.append(f"  - {_loc(m['path'], m['line'], m['end_line'])} ({mark}) `{m['key']}`: {_cell(m['text'])}")
    out += ["", "## Unique guidance", ""]
    by_path: dict[str, list[dict]] = {}
    for u in data["unique"]:
        by_path.setdefault(u["path"], []).append(u)
    if not data["unique"]:
        out.append("None.")
    elif not verbose:
        counts = ", ".join(f"{len(items)} from `{path}`" for path, items in by_path.items())
        out += [f"{len(data['unique'])} unit(s) only one input has, all kept: {counts}. Listed in full with "
                "`--verbose`, and always in the JSON report (`--report x.json`)."]
    for path, items in by_path.items() if verbose else ():
        out += [f"### `{path}` ({len(items)})", ""]
        for u in items:
            where = f" · {u['section']}" if u["section"] else ""
            why = f" ({u['why']})" if u.get("why") else ""
            out.append(f"- {_loc(u['path'], u['line'], u['end_line'])}{where} `{u['key']}`{why}: {_cell(u['text'])}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _change(before: int, after: int) -> str:
    """A signed percentage: +3% for growth, -12% for a saving; never a bare number that hides the sign."""
    if not before:
        return f"+{after}" if after else "±0%"
    delta = after - before
    percent = round(abs(delta) * 100 / before)
    if delta == 0:
        return "±0%"
    sign = "+" if delta > 0 else "-"
    return f"{sign}{percent}%" if percent else f"{sign}<1%"


def summary(result: MergeResult, report_paths: list[str]) -> str:
    s = to_json(result)["stats"]
    lines = [
        f"agentmerge: merged {len(result.agents)} input(s) into {result.output_path or 'stdout'}",
        f"  shared: {s['shared']} group(s), {s['duplicates_dropped']} duplicate unit(s) dropped",
        f"  unique: {s['unique']} unit(s)",
        f"  conflicts: {conflict_outcome(result)}",
        f"  tokens (estimated): {s['input_tokens']} in -> {s['output_tokens']} out "
        f"({_change(s['input_tokens'], s['output_tokens'])})",
    ]
    if result.options.decisions is not None:
        lines.append(f"  decisions: {len(result.decided)} applied, {len(result.stale)} stale "
                     f"({result.options.decisions.path})")
    if report_paths:
        lines.append("  report: " + ", ".join(report_paths))
    return "\n".join(lines)
