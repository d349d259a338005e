"""Conflicts reported between real agents for the same role, for judging by hand.

    python bench/real_conflicts.py A1.md B1.md [A2.md B2.md ...]
    python bench/real_conflicts.py --pairs pairs.txt [--judged verdicts.yaml] [--json]

Third-party agents are not redistributable, so nothing here ships their text: the paths point at local
copies (for example files taken out of a fetched public collection), given as pairs on the command line
or one pair per line (`a.md b.md`, `#` comments) in `--pairs`. Each pair is merged with
`merge_files([a, b], MergeOptions())` and every reported conflict is printed with an id (`P<pair>.<id>`),
its kind, topic, the one-line reason and both sides' `file:line` and first words, so that a reader can
judge it against the two files.

`--judged FILE` reads verdicts, a YAML mapping of those ids to `true` (the two sides really contradict) or
`false`, and prints per kind how many reported body conflicts were judged true; a body conflict without a
verdict is counted as unjudged. `--known FILE` reads expected conflicts that a reader found in the pairs
(`- {pair: 1, sides: ["a.md:12", "b.md:40"], why: ...}`, the file names as given) and prints how many were
reported, matching sides the way bench/conflict_quality.py does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from agentmerge import AgentmergeError, MergeOptions, merge_files  # noqa: E402
from agentmerge.report import to_json  # noqa: E402
from conflict_quality import matches, reported_sides  # noqa: E402


def read_pairs(args: argparse.Namespace) -> list[tuple[str, str]]:
    paths = list(args.paths)
    if args.pairs:
        for line in Path(args.pairs).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].split()
            if line:
                if len(line) != 2:
                    raise SystemExit(f"real_conflicts: error: a line of {args.pairs} must name two files")
                paths += line
    if not paths or len(paths) % 2:
        raise SystemExit("real_conflicts: error: give the agents as pairs: A1 B1 [A2 B2 ...]")
    return [(paths[i], paths[i + 1]) for i in range(0, len(paths), 2)]


def first_words(text: str, n: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--pairs", help="a file with one pair of agent paths per line")
    ap.add_argument("--judged", help="YAML: conflict id -> true/false")
    ap.add_argument("--known", help="YAML list of conflicts a reader found: {pair, sides, why}")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    pairs = read_pairs(args)
    verdicts = yaml.safe_load(Path(args.judged).read_text(encoding="utf-8")) if args.judged else {}
    known = yaml.safe_load(Path(args.known).read_text(encoding="utf-8")) if args.known else []
    rows, found_sides = [], {}
    for n, (a, b) in enumerate(pairs, 1):
        try:
            conflicts = to_json(merge_files([a, b], MergeOptions()))["conflicts"]
        except AgentmergeError as exc:  # a file agentmerge refuses: say so and go on with the others
            print(f"real_conflicts: P{n} skipped: {exc}", file=sys.stderr)
            conflicts = []
        found_sides[n] = [reported_sides(c) for c in conflicts]
        for c in conflicts:
            cid = f"P{n}.{c['id']}"
            rows.append(dict(id=cid, pair=n, kind=c["kind"], topic=c["topic"], message=c["message"],
                             body=c["kind"] != "frontmatter", verdict=verdicts.get(cid),
                             sides=[f"{Path(s['path']).name}:{s['line']}" for s in c["sides"]],
                             texts=[first_words(s.get("text", "")) for s in c["sides"]]))
    body = [r for r in rows if r["body"]]
    by_kind: dict[str, Counter] = {}
    for r in body:
        by_kind.setdefault(r["kind"], Counter())[{True: "true", False: "false", None: "unjudged"}[r["verdict"]]] += 1
    judged_true = sum(1 for r in body if r["verdict"] is True)
    judged = sum(1 for r in body if r["verdict"] is not None)
    known_found = []
    for k in known:
        refs = [s for s in k["sides"]]
        known_found.append(dict(k, found=any(matches(s, refs) for s in found_sides.get(k["pair"], []))))
    summary = dict(pairs=[list(p) for p in pairs], reported=len(rows), reported_body=len(body),
                   judged=judged, judged_true=judged_true,
                   by_kind={k: dict(sorted(v.items())) for k, v in sorted(by_kind.items())},
                   known=len(known), known_found=sum(k["found"] for k in known_found))
    if args.json:
        print(json.dumps(dict(summary, conflicts=rows, known_detail=known_found), indent=1, sort_keys=True))
        return 0
    for n, (a, b) in enumerate(pairs, 1):
        print(f"== P{n}: {a}  vs  {b}")
        for r in rows:
            if r["pair"] != n:
                continue
            mark = {True: "TRUE ", False: "false", None: "  ?  "}[r["verdict"]] if r["body"] else " fm  "
            print(f"  [{mark}] {r['id']} {r['kind']} {r['topic']}: {first_words(r['message'], 200)}")
            for side, text in zip(r["sides"], r["texts"]):
                print(f"           {side}: {text}")
    print(f"reported {len(rows)} conflicts, {len(body)} in bodies; judged {judged}, true {judged_true}"
          + (f" ({100 * judged_true / judged:.0f}%)" if judged else ""))
    for kind, c in summary["by_kind"].items():
        print(f"  {kind:<12} " + ", ".join(f"{v} {n}" for v, n in c.items()))
    if known:
        print(f"known conflicts reported: {summary['known_found']} of {len(known)}")
        for k in known_found:
            print(f"  {'found' if k['found'] else 'MISSED'}  P{k['pair']} {k['sides']}: {k.get('why', '')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
