"""Matching quality on the labelled pairs and on the seeds' repeated guidance, through the public API only.

    python bench/match_quality.py [--files legacy,tune,extra,fresh,fresh2,fresh2-held,holdout,seed] [--json]
                                  [--show-misses]

For each labelled pair, `a` and `b` become the bodies of two small agent files; `agentmerge.merge_files`
merges them with default options and the JSON report (`agentmerge.report.to_json`) says whether a unit of
each ended up in one `shared` group, and of which kind (`duplicate` or `related`). Per file it prints: the
`same` and `different` counts; `same` pairs grouped (duplicate or related) and as duplicates; look-alikes
(`different` pairs) collapsed as duplicates and grouped as related; precision and recall of `duplicate` and
of "grouped"; and how many pairs of each label the report lists as a conflict (look-alikes that differ in a
number, a negation or an order should be; paraphrases should not). The tuning file also gets same-recall by
`style` and by `domain`.

The held-back file (tests/data/holdout/) is scored for its totals only: no per-pair line, no breakdown by
style or domain, no misses. So are `fresh` (tests/data/match_fresh.yaml), pairs written before a round of
matcher changes and never read while making them, and `fresh2-held` (tests/data/holdout/match_fresh2_held.yaml),
the held-back half of the ten-domain pairs whose tuning half is `fresh2` (tests/data/match_fresh2.yaml).
`--show-misses` prints the misses of the other files and leaves those out (asking for one is an error).

Then the five seeds are merged (sorted, default options) and every cluster of
tests/data/seed_clusters.yaml whose members are still two or more in the output is counted, with the lines
they take, and how many of those stand more than 20 lines apart in the merged text (related guidance should
be placed together). A member is in the output unless the report lists it as a dropped member of a
duplicate group or as a unit of a conflict side that is not in the output.

Everything is deterministic: same data and same matcher, same numbers.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
FILES = {  # short name -> path; `holdout` is the held-back half
    "legacy": DATA / "match_pairs.yaml",
    "tune": DATA / "match_tune.yaml",
    "holdout": DATA / "holdout" / "match_holdout.yaml",
    "seed": DATA / "seed_pairs.yaml",
    "extra": DATA / "match_extra.yaml",
    "fresh": DATA / "match_fresh.yaml",
    "fresh2": DATA / "match_fresh2.yaml",
    "fresh2-held": DATA / "holdout" / "match_fresh2_held.yaml",
}
HELD_BACK = "holdout"
# scored for totals only, like the held-back half: pairs written before a round of changes, never read
# while making them
TOTALS_ONLY = (HELD_BACK, "fresh", "fresh2-held")
BROKEN_DOWN = "tune"  # the only file with per-style and per-domain lines
CLUSTERS = DATA / "seed_clusters.yaml"
SEEDS = sorted((ROOT / "fixtures" / "seeds").glob("*.md"))


def _agent(name: str, body: str) -> str:
    return f"---\nname: {name}\ndescription: Labelled pair side {name}.\n---\n\n{body}\n"


def relation(report: dict, a_path: str, b_path: str) -> str | None:
    """'duplicate', 'related' or None: how the report groups a unit of `a_path` with one of `b_path`."""
    kinds = set()
    for group in report["shared"]:
        paths = {m["path"] for m in group["members"]}
        if a_path in paths and b_path in paths:
            kinds.add(group["kind"])
    return "duplicate" if "duplicate" in kinds else "related" if "related" in kinds else None


def in_conflict(report: dict, a_path: str, b_path: str) -> bool:
    """Whether the report lists a conflict between body units of the two files (frontmatter fields aside)."""
    return any({a_path, b_path} <= {side["path"] for side in c["sides"] if side.get("units")}
               for c in report["conflicts"])


def judge_pairs(pairs: list[dict], workdir: Path) -> tuple[list[str | None], list[bool]]:
    """The relation the merge gives each pair, and whether it reports them as a conflict, in order."""
    from agentmerge import MergeOptions, merge_files
    from agentmerge.report import to_json

    a_path, b_path = str(workdir / "a.md"), str(workdir / "b.md")
    found, conflicts = [], []
    for p in pairs:
        Path(a_path).write_text(_agent("pair-a", p["a"]), encoding="utf-8")
        Path(b_path).write_text(_agent("pair-b", p["b"]), encoding="utf-8")
        report = to_json(merge_files([a_path, b_path], MergeOptions()))
        found.append(relation(report, a_path, b_path))
        conflicts.append(in_conflict(report, a_path, b_path))
    return found, conflicts


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def _ratio(n: int, d: int) -> float | None:
    return round(n / d, 3) if d else None


def score(pairs: list[dict], found: list[str | None], conflicts: list[bool] | None = None) -> dict:
    same = [f for p, f in zip(pairs, found) if p["label"] == "same"]
    diff = [f for p, f in zip(pairs, found) if p["label"] != "same"]
    same_dup, same_grp = same.count("duplicate"), sum(f is not None for f in same)
    diff_dup, diff_rel = diff.count("duplicate"), diff.count("related")
    conflicts = conflicts or [False] * len(pairs)
    return {
        "same": len(same), "different": len(diff),
        "same_grouped_pct": _pct(same_grp, len(same)), "same_duplicate_pct": _pct(same_dup, len(same)),
        "lookalikes_collapsed": diff_dup, "lookalikes_collapsed_pct": _pct(diff_dup, len(diff)),
        "lookalikes_related": diff_rel, "lookalikes_related_pct": _pct(diff_rel, len(diff)),
        "duplicate_precision": _ratio(same_dup, same_dup + diff_dup), "duplicate_recall": _ratio(same_dup, len(same)),
        "grouped_precision": _ratio(same_grp, same_grp + diff_dup + diff_rel),
        "grouped_recall": _ratio(same_grp, len(same)),
        "same_in_conflict": sum(c for p, c in zip(pairs, conflicts) if p["label"] == "same"),
        "lookalikes_in_conflict": sum(c for p, c in zip(pairs, conflicts) if p["label"] != "same"),
    }


def breakdown(pairs: list[dict], found: list[str | None], key: str) -> dict:
    """Per value of `key`: same pairs grouped/duplicate, look-alikes collapsed/related."""
    rows: dict[str, dict] = defaultdict(lambda: {"same": 0, "grouped": 0, "duplicate": 0,
                                                 "different": 0, "collapsed": 0, "related": 0})
    for p, f in zip(pairs, found):
        row = rows[p.get(key, "?")]
        if p["label"] == "same":
            row["same"] += 1
            row["grouped"] += f is not None
            row["duplicate"] += f == "duplicate"
        else:
            row["different"] += 1
            row["collapsed"] += f == "duplicate"
            row["related"] += f == "related"
    return {k: rows[k] for k in sorted(rows)}


def misses(pairs: list[dict], found: list[str | None]) -> list[dict]:
    out = []
    for p, f in zip(pairs, found):
        if (p["label"] == "same" and f != "duplicate") or (p["label"] != "same" and f is not None):
            out.append({"label": p["label"], "found": f, "style": p.get("style"), "where": p["where"],
                        "a": p["a"], "b": p["b"]})
    return out


def unit_accounting(report: dict) -> dict[tuple[str, int], tuple[bool, int]]:
    """(path, first line) -> (in the output, lines it takes) for every unit the report mentions."""
    units: dict[tuple[str, int], tuple[bool, int]] = {}

    def note(path, line, end, kept):
        key = (path, line)
        old = units.get(key, (True, 0))[0]
        units[key] = (old and kept, (end or line) - line + 1)

    for u in report["unique"]:
        note(u["path"], u["line"], u.get("end_line"), True)
    for group in report["shared"]:
        for m in group["members"]:
            note(m["path"], m["line"], m.get("end_line"), bool(m.get("kept", True)))
    for c in report["conflicts"]:
        for i, side in enumerate(c["sides"]):
            for u in side.get("units") or []:
                note(side["path"], u["line"], u.get("end_line"), i in c["in_output"])
    return units


def unit_texts(report: dict) -> dict[tuple[str, int], str]:
    """(path, first line) -> text, for every unit the report mentions."""
    texts = {(u["path"], u["line"]): u["text"] for u in report["unique"]}
    texts.update({(m["path"], m["line"]): m["text"] for g in report["shared"] for m in g["members"]})
    for c in report["conflicts"]:
        for side in c["sides"]:
            units = side.get("units") or []
            parts = side["text"].split("\n\n") if len(units) > 1 else [side["text"]]
            if len(parts) == len(units):
                texts.update({(side["path"], u["line"]): t for u, t in zip(units, parts)})
    return texts


_MARKER = re.compile(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)")


def output_line(text: str, out_lines: list[str], taken: frozenset[int] | set[int] = frozenset()) -> int | None:
    """Where the unit's first line stands in the merged text (list markers aside, lines in `taken` skipped)."""
    first = _MARKER.sub("", text.strip().split("\n", 1)[0]).strip()
    if not first:
        return None
    return next((i for i, line in enumerate(out_lines)
                 if i not in taken and _MARKER.sub("", line).strip() == first), None)


def seed_clusters() -> dict:
    from agentmerge import MergeOptions, merge_files
    from agentmerge.report import to_json

    clusters = yaml.safe_load(CLUSTERS.read_text(encoding="utf-8"))
    result = merge_files([str(p) for p in SEEDS], MergeOptions())
    report = to_json(result)
    out_lines = result.text.split("\n")
    units = {(Path(path).name, line): v for (path, line), v in unit_accounting(report).items()}
    texts = {(Path(path).name, line): v for (path, line), v in unit_texts(report).items()}
    repeated, lines, members_out, unknown, still, spans = 0, 0, 0, [], [], []
    for c in clusters:
        kept, where = [], []
        for m in c["members"]:
            name, line = m.rsplit(":", 1)
            state = units.get((name, int(line)))
            if state is None:
                unknown.append(m)  # the splitter no longer starts a unit there: count it as kept
                state = (True, 1)
            if state[0]:
                kept.append(state[1])
                at = output_line(texts.get((name, int(line)), ""), out_lines, set(where))
                if at is not None:
                    where.append(at)
        members_out += len(kept)
        if len(kept) >= 2:
            repeated += 1
            lines += sum(kept)
            still.append(c["what"])
            if len(where) >= 2:
                spans.append(max(where) - min(where))
    return {"clusters": len(clusters), "members": sum(len(c["members"]) for c in clusters),
            "still_repeated": repeated, "lines_of_repeated": lines, "members_in_output": members_out,
            "output_units": report["stats"]["output_units"], "input_units": report["stats"]["input_units"],
            "output_lines": len(out_lines),
            "repeated_more_than_20_lines_apart": sum(s > 20 for s in spans),
            "widest_apart_lines": max(spans, default=0),
            "members_not_units": unknown, "repeated_what": still}


def run(names: list[str], show_misses: bool) -> dict:
    result: dict = {"files": {}}
    with tempfile.TemporaryDirectory(prefix="match-quality-") as tmp:
        for name in names:
            pairs = yaml.safe_load(FILES[name].read_text(encoding="utf-8"))
            found, conflicts = judge_pairs(pairs, Path(tmp))
            entry = score(pairs, found, conflicts)
            if name == BROKEN_DOWN:
                entry["by_style"] = breakdown(pairs, found, "style")
                entry["by_domain"] = breakdown(pairs, found, "domain")
            if show_misses and name not in TOTALS_ONLY:
                entry["misses"] = misses(pairs, found)
            result["files"][name] = entry
    result["seed_clusters"] = seed_clusters()
    return result


def _f(v, suffix=""):
    return "-" if v is None else f"{v}{suffix}"


def print_table(result: dict) -> None:
    cols = [("same", "same"), ("diff", "different"), ("grouped", "same_grouped_pct"),
            ("as dup", "same_duplicate_pct"), ("collapsed", "lookalikes_collapsed"),
            ("coll %", "lookalikes_collapsed_pct"), ("related %", "lookalikes_related_pct"),
            ("dup P", "duplicate_precision"), ("dup R", "duplicate_recall"),
            ("grp P", "grouped_precision"), ("grp R", "grouped_recall"),
            ("conf s", "same_in_conflict"), ("conf d", "lookalikes_in_conflict")]
    print("pairs: same = labelled same; grouped / as dup = % of same pairs grouped (duplicate or related) / as duplicate;")
    print("       collapsed = look-alikes (different) made duplicates; related % = look-alikes grouped as related;")
    print("       conf s / conf d = same / different pairs reported as a conflict")
    print(f"{'file':<12}" + "".join(f"{h:>10}" for h, _ in cols))
    for name, e in result["files"].items():
        print(f"{name:<12}" + "".join(f"{_f(e[k]):>10}" for _, k in cols))
    tune = result["files"].get(BROKEN_DOWN)
    if tune:
        for key in ("by_style", "by_domain"):
            print(f"\n{BROKEN_DOWN} {key.replace('_', ' ')}: same n, grouped %, duplicate % | different n, collapsed, related")
            for value, r in tune[key].items():
                left = (f"{r['same']:>4} {_f(_pct(r['grouped'], r['same'])):>6} {_f(_pct(r['duplicate'], r['same'])):>6}"
                        if r["same"] else " " * 18)
                right = f"{r['different']:>4} {r['collapsed']:>4} {r['related']:>4}" if r["different"] else ""
                print(f"  {value:<24}{left} | {right}")
    for name, e in result["files"].items():
        for m in e.get("misses", []):
            print(f"\nmiss [{name}] {m['label']} found={m['found']} {m['style'] or ''} {m['where']}")
            print("  a: " + m["a"].replace("\n", "\n     "))
            print("  b: " + m["b"].replace("\n", "\n     "))
    s = result["seed_clusters"]
    print(f"\nseed clusters: {s['still_repeated']} of {s['clusters']} still said twice or more in the five-seed merge, "
          f"taking {s['lines_of_repeated']} lines ({s['members_in_output']} of {s['members']} members kept; "
          f"{s['output_units']} of {s['input_units']} units in the output)")
    print(f"  of those, {s['repeated_more_than_20_lines_apart']} stand more than 20 lines apart in the "
          f"{s['output_lines']}-line merge (widest: {s['widest_apart_lines']} lines)")
    if s["members_not_units"]:
        print(f"  members that are no longer the first line of a unit (counted as kept): {', '.join(s['members_not_units'])}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", help=f"comma-separated, from {', '.join(FILES)} (default: all)")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--show-misses", action="store_true",
                    help="print the missed pairs of every file except the held-back one")
    args = ap.parse_args(argv)
    names = [n.strip() for n in (args.files or ",".join(FILES)).split(",") if n.strip()]
    unknown = [n for n in names if n not in FILES]
    if unknown:
        print(f"match_quality: error: unknown file {unknown[0]!r} (use {', '.join(FILES)})", file=sys.stderr)
        return 2
    if args.show_misses:
        shown = [n for n in names if n in TOTALS_ONLY]
        if args.files and shown:
            print(f"match_quality: error: the {shown[0]} pairs are scored for totals only; leave {shown[0]} out "
                  "of --files", file=sys.stderr)
            return 2
        names = [n for n in names if n not in TOTALS_ONLY]
    start = time.perf_counter()
    result = run(names, args.show_misses)
    seconds = time.perf_counter() - start
    if args.json:
        json.dump(result, sys.stdout, indent=1, sort_keys=False)
        print()
    else:
        print_table(result)
        print(f"\n({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
