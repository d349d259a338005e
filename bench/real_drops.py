"""What a merge drops as duplicates, listed for a person to judge: is each drop really the same guidance?

    python bench/real_drops.py AGENT.md AGENT.md [AGENT.md ...] [--json] [--width N]

Merges the files with default options (as `agentmerge a.md b.md ...` does) and lists every unit the report
drops as a duplicate, beside the unit kept in its place, with `file:line` for both. A dropped paragraph that
ends with a colon (emphasis aside: `**Label:**`, `*Label:*`) is marked `lead-in`: a `Label:` line that introduces the list after it, whose loss fuses
that list with the one before. The summary counts the drops by kind of unit.

Run it on agents you have locally (real collections are not redistributable); it prints what it reads and
writes nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter

_CHECK = re.compile(r"^\s*[-*+]\s+\[[ xX]\]\s")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s")
_BULLET = re.compile(r"^\s*[-*+]\s")


def kind_of(text: str) -> str:
    """checklist | numbered | item | code | table | lead-in | paragraph, from the unit's text."""
    first = text.lstrip("\n").split("\n", 1)[0]
    if _CHECK.match(first):
        return "checklist"
    if _NUMBERED.match(first):
        return "numbered"
    if _BULLET.match(first):
        return "item"
    if first.startswith(("```", "~~~")):
        return "code"
    if first.startswith("|"):
        return "table"
    return "lead-in" if text.rstrip().rstrip("*_").rstrip().endswith(":") else "paragraph"


def drops(report: dict) -> list[dict]:
    """Every member a duplicate group leaves out, with the unit kept for it."""
    out = []
    for group in report["shared"]:
        if group["kind"] != "duplicate":
            continue
        kept = next((m for m in group["members"] if m.get("kept")), None)
        for m in group["members"]:
            if m.get("kept") or kept is None:
                continue
            out.append({"dropped": {"path": m["path"], "line": m["line"], "text": m["text"], "kind": kind_of(m["text"])},
                        "kept": {"path": kept["path"], "line": kept["line"], "text": kept["text"],
                                 "kind": kind_of(kept["text"])},
                        "same_file": m["path"] == kept["path"]})
    return out


def _line(text: str, width: int) -> str:
    flat = " / ".join(part.strip() for part in text.strip().split("\n") if part.strip())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--width", type=int, default=150, help="characters of each unit to print")
    args = ap.parse_args(argv)
    if len(args.paths) < 2:
        print("real_drops: error: give two or more agent files", file=sys.stderr)
        return 2

    from agentmerge import AgentmergeError, MergeOptions, merge_files
    from agentmerge.report import to_json

    try:
        report = to_json(merge_files(args.paths, MergeOptions()))
    except AgentmergeError as e:
        print(f"real_drops: error: {e}", file=sys.stderr)
        return 2
    found = drops(report)
    summary = {"input_units": report["stats"]["input_units"], "output_units": report["stats"]["output_units"],
               "dropped": len(found), "dropped_in_own_file": sum(d["same_file"] for d in found),
               "by_kind": dict(sorted(Counter(d["dropped"]["kind"] for d in found).items()))}
    if args.json:
        json.dump({"summary": summary, "drops": found}, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return 0
    for i, d in enumerate(found, 1):
        a, k = d["dropped"], d["kept"]
        print(f"{i:>3}. DROP {a['path']}:{a['line']} [{a['kind']}] {_line(a['text'], args.width)}")
        print(f"     KEPT {k['path']}:{k['line']} [{k['kind']}] {_line(k['text'], args.width)}")
    kinds = ", ".join(f"{n} {k}" for k, n in summary["by_kind"].items()) or "none"
    print(f"\n{summary['dropped']} of {summary['input_units']} units dropped as duplicates "
          f"({summary['dropped_in_own_file']} into a unit of their own file): {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
