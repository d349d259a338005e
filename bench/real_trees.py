#!/usr/bin/env python3
"""Discovery and same-role clustering of `agentmerge scan` on real collections, counted independently.

    python bench/real_trees.py ROOT [--scan scan.json] [--jobs 2]

ROOT holds one folder per collection (for example public agent collections checked out side by side).
This script counts, on its own terms and without agentmerge's code, the Markdown files whose frontmatter
has both `name` and `description` (YAML first, then plain `key:` lines for frontmatter strict YAML
rejects), skipping only `.git`. It runs `agentmerge scan ROOT --json` (or reads `--scan`), then prints:

- the discovery rate: such files the scan read / all such files, and the ones it missed;
- names shared across collections (the same `name`, lower case, in two or more collections) and how many
  of them the scan put in one cluster with files of two or more collections;
- every same-role cluster (names and the start of each description), for a person to judge.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")


def frontmatter(path: Path) -> dict | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            block = "\n".join(lines[1:i])
            break
    else:
        return None
    try:
        data = yaml.safe_load(block)
        if isinstance(data, dict):
            return {str(k): v for k, v in data.items()}
    except yaml.YAMLError:
        pass
    out = {}
    for line in block.splitlines():
        m = KEY.match(line)
        if m:
            out[m.group(1)] = m.group(2).strip().strip("'\"")
    return out


def agents_under(root: Path) -> dict[str, dict]:
    """{path relative to root: frontmatter} of the Markdown files with `name` and `description`."""
    out = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for n in sorted(names):
            if not n.lower().endswith((".md", ".mdc", ".markdown")):
                continue
            p = Path(folder) / n
            data = frontmatter(p)
            if data and "name" in data and "description" in data:
                out[p.relative_to(root).as_posix()] = data
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root")
    ap.add_argument("--scan", help="a scan JSON of ROOT already made")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    root = Path(args.root)
    expected = agents_under(root)
    if args.scan:
        data = json.loads(Path(args.scan).read_text())
        seconds = data["stats"]["seconds"]
    else:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "agentmerge", "scan", str(root), "--json", "--quiet",
                               "--jobs", str(args.jobs)], capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(proc.stderr)
        data = json.loads(proc.stdout)
    read = {a["path"] for a in data["agents"]}
    skipped = {s["path"]: s for s in data["skipped"]}
    found = [p for p in expected if p in read]
    missed = [p for p in expected if p not in read]
    print(f"{root}: {len(expected)} Markdown files with name + description frontmatter; the scan read "
          f"{len(found)} ({len(found) / max(1, len(expected)):.1%}) of them, {len(read)} files in all, "
          f"in {seconds:.1f} s (whole process)")
    for p in missed:
        print(f"  missed: {p} ({skipped.get(p, {}).get('reason', 'not listed')})")
    print(f"  skipped: {data.get('skipped_by_reason')}")
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in expected:
        per[p.split("/", 1)[0]][0] += 1
        per[p.split("/", 1)[0]][1] += p in read
    for c, (n, got) in sorted(per.items()):
        print(f"    {c}: {got} of {n} ({got / n:.1%})")

    collection = lambda p: p.split("/", 1)[0]  # noqa: E731
    by_name: dict[str, set[str]] = defaultdict(set)
    paths_by_name: dict[str, list[str]] = defaultdict(list)
    for p, fm in expected.items():
        name = str(fm["name"]).strip().lower()
        by_name[name].add(collection(p))
        paths_by_name[name].append(p)
    shared = sorted(n for n, cs in by_name.items() if len(cs) > 1)
    cluster_of = {m["path"]: c for c in data["clusters"] for m in c["members"]}
    together = []
    for name in shared:
        ids = defaultdict(set)
        for p in paths_by_name[name]:
            if p in cluster_of:
                ids[cluster_of[p]["id"]].add(collection(p))
        if any(len(cs) > 1 for cs in ids.values()):
            together.append(name)
    print(f"  names shared across collections: {len(shared)}; clustered together: {len(together)} "
          f"({len(together) / max(1, len(shared)):.1%})")
    for name in shared:
        if name not in together:
            print(f"    apart: {name}: {', '.join(sorted(paths_by_name[name]))}")
    kinds = defaultdict(int)
    for c in data["clusters"]:
        kinds[c["kind"]] += 1
    print(f"  clusters: {dict(kinds)}")
    for c in data["clusters"]:
        if c["kind"] != "role":
            continue
        print(f"  {c['id']} role {c['score']:.2f} {'merge' if c.get('mergeable') else 'list'}:")
        for m in c["members"]:
            fm = expected.get(m["path"], {})
            desc = " ".join(str(fm.get("description", "")).split())[:110]
            print(f"      {m['path']} [{m['name']}] {desc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
