"""Reports: JSON for tools (the contract in CONTRACT.md), Markdown for people, a summary for the terminal.

Token counts are estimates (characters / 4, rounded up): nothing is downloaded to count them exactly.
"""

from __future__ import annotations

import json
import os
from typing import Any

from . import __version__
from .match import DUPLICATE, RELATED
from .model import Conflict, MergeResult, Unit

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


def _unit(u: Unit, **extra: Any) -> dict[str, Any]:
    return {"path": u.path, "line": u.line, "end_line": u.end_line, "text": u.text, **extra}


def _section(result: MergeResult, u: Unit) -> str:
    return result.agents[u.source].sections[u.section].title


def conflict_json(result: MergeResult, c: Conflict) -> dict[str, Any]:
    sides = []
    for i, side in enumerate(c.sides):
        if side.uids:
            units = [result.units[x] for x in side.uids]
            sides.append({"path": units[0].path, "line": units[0].line, "end_line": units[-1].end_line,
                          "text": "\n\n".join(u.text for u in units), "stance": side.stance,
                          "units": [{"line": u.line, "end_line": u.end_line} for u in units]})
        else:
            f = c.fields[i]
            sides.append({"path": f["path"], "line": f["line"], "end_line": f["end_line"], "text": f["text"],
                          "stance": side.stance})
    resolution = None
    if c.resolution is not None:
        resolution = {"strategy": c.resolution.strategy, "kept": list(c.resolution.kept)}
    kept_in_output = list(c.resolution.kept) if c.resolution else list(range(len(c.sides)))
    return {"id": c.id, "kind": c.kind, "topic": c.topic, "severity": c.severity, "message": c.message,
            "sides": sides, "resolution": resolution, "in_output": kept_in_output,
            "how_kept": c.resolution.strategy if c.resolution else result.options.on_conflict,
            "suggestion": c.suggestion}


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
            "members": [_unit(units[m.uid], score=m.score, kept=m.uid == g.kept or g.kind == RELATED,
                              **({"why": m.why} if m.why else {}))
                        for m in g.members],
        })
    in_conflict = {u for c in result.conflicts for side in c.sides for u in side.uids}
    unique = [_unit(units[uid], section=_section(result, units[uid]))
              for uid in sorted(result.kept) if uid not in grouped and uid not in in_conflict]
    conflicts = [conflict_json(result, c) for c in result.conflicts]
    return shared, unique, conflicts


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
            "warnings": list(a.warnings),
        })
    input_tokens = sum(i["tokens"] for i in inputs)
    output_tokens = tokens(result.text)
    dropped = sum(len(g.members) - 1 for g in result.groups if g.kind == DUPLICATE)
    unsettled = sum(1 for c in result.conflicts if c.resolution is None)
    return {
        "schema": SCHEMA,
        "tool": {"name": "agentmerge", "version": __version__},
        "inputs": inputs,
        "output": {"path": result.output_path, "units": len(result.kept), "tokens": output_tokens},
        "shared": shared,
        "unique": unique,
        "conflicts": conflicts,
        "frontmatter": {"notes": list(result.frontmatter_notes),
                        "examples_left_out": list(result.dropped_examples)},
        "options": {"on_conflict": result.options.on_conflict, "prefer": result.options.prefer,
                    "max_examples": result.options.max_examples},
        "stats": {
            "input_tokens": input_tokens, "output_tokens": output_tokens, "tokens_estimated": "characters/4",
            "input_units": len(result.units), "output_units": len(result.kept),
            "shared": len(shared), "duplicates_dropped": dropped, "unique": len(unique),
            "conflicts": len(result.conflicts), "unsettled_conflicts": unsettled,
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


def markdown(result: MergeResult) -> str:
    data = to_json(result)
    s = data["stats"]
    out = ["# agentmerge report", ""]
    target = f"`{result.output_path}`" if result.output_path else "the merged agent"
    out.append(f"{len(result.agents)} input(s) merged into {target}.")
    out += ["", "| | count |", "|---|---:|",
            f"| units in the inputs | {s['input_units']} |",
            f"| units in the output | {s['output_units']} |",
            f"| shared groups | {s['shared']} ({s['duplicates_dropped']} duplicate units dropped) |",
            f"| unique units | {s['unique']} |",
            f"| conflicts | {s['conflicts']} ({s['unsettled_conflicts']} unsettled) |",
            f"| tokens (estimated, characters/4) | {s['input_tokens']} in, {s['output_tokens']} out |", ""]
    out += ["## Inputs", "", "| file | format | name | units | tokens (est.) | frontmatter |", "|---|---|---|---:|---:|---|"]
    for i in data["inputs"]:
        fm = i["frontmatter"]
        state = "none" if not fm["present"] else "valid YAML" if fm["valid_yaml"] else "invalid YAML, recovered" if fm["recovered"] else "invalid YAML"
        out.append(f"| `{i['path']}` | {i['format']} | {i['name'] or ''} | {i['units']} | {i['tokens']} | {state} |")
    notes = data["frontmatter"]["notes"]
    if notes:
        out += ["", *[f"- {n}" for n in notes]]
    out += ["", "## Conflicts", ""]
    if not data["conflicts"]:
        out += ["None found.", ""]
    for c in data["conflicts"]:
        out += [f"### {c['id']} · {c['kind']} · {c['topic']} ({c['severity']})", "", c["message"], ""]
        for i, side in enumerate(c["sides"]):
            state = "kept" if i in c["in_output"] else "dropped"
            stance = f" **{side['stance']}**" if side.get("stance") else ""
            out.append(f"- {_loc(side['path'], side['line'], side['end_line'])}{stance} ({state}): {_cell(side['text'])}")
        resolution = c["resolution"]
        how = (f"settled by `{resolution['strategy']}`" if resolution else f"unsettled: both sides kept ({c['how_kept']})")
        out += ["", f"Merge: {how}."]
        if c["suggestion"]:
            out.append(f"Suggestion: {c['suggestion']}")
        out.append("")
    out += ["## Shared guidance", ""]
    if not data["shared"]:
        out += ["None found."]
    for g in data["shared"]:
        head = "kept" if g["kind"] == "duplicate" else "kept side by side"
        out.append(f"- **{g['id']}** {g['kind']} ({head}):")
        for m in g["members"]:
            mark = "kept" if m["kept"] else f"dropped, {m['score']:.2f}" + (f": {m['why']}" if m.get("why") else "")
            if g["kind"] == "related":
                mark = f"{m['score']:.2f}"
            out.append(f"  - {_loc(m['path'], m['line'], m['end_line'])} ({mark}): {_cell(m['text'])}")
    out += ["", "## Unique guidance", ""]
    if not data["unique"]:
        out.append("None.")
    by_path: dict[str, list[dict]] = {}
    for u in data["unique"]:
        by_path.setdefault(u["path"], []).append(u)
    for path, items in by_path.items():
        out += [f"### `{path}` ({len(items)})", ""]
        for u in items:
            where = f" · {u['section']}" if u["section"] else ""
            out.append(f"- {_loc(u['path'], u['line'], u['end_line'])}{where}: {_cell(u['text'])}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def summary(result: MergeResult, report_paths: list[str]) -> str:
    s = to_json(result)["stats"]
    saved = s["input_tokens"] - s["output_tokens"]
    share = f" ({-saved * 100 // max(s['input_tokens'], 1)}%)" if s["input_tokens"] else ""
    lines = [
        f"agentmerge: merged {len(result.agents)} input(s) into {result.output_path or 'stdout'}",
        f"  shared: {s['shared']} group(s), {s['duplicates_dropped']} duplicate unit(s) dropped",
        f"  unique: {s['unique']} unit(s)",
        f"  conflicts: {s['conflicts']} ({s['unsettled_conflicts']} unsettled)",
        f"  tokens (estimated): {s['input_tokens']} in -> {s['output_tokens']} out{share}",
    ]
    if report_paths:
        lines.append("  report: " + ", ".join(report_paths))
    return "\n".join(lines)
