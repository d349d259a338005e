#!/usr/bin/env python3
"""Peak memory and time of `agentmerge scan` (and `consolidate`) on a library holding one very large agent.

    python bench/large_scan.py [--sizes 5,50] [--keep DIR]

For each size (MB), writes a library: `agents/huge.md` (frontmatter, then sections of checklist items of
Zipf-distributed words, deterministic), an exact copy of it under another name, and two small agents;
then runs `/usr/bin/time -v python -m agentmerge scan LIB --json` and `... consolidate LIB -o OUT` as
subprocesses and prints wall time, peak resident memory (the largest process of the run, as GNU time
reports it), whether the copy was clustered with the huge file, and the warnings.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def huge_agent(megabytes: float, seed: int = 11) -> str:
    rng = random.Random(seed)
    words = ("check verify ensure index query cache schema migration test review deploy log metric alert user "
             "order invoice payment retry timeout lock queue worker batch stream").split()
    weights = [1 / (i + 1) for i in range(len(words))]
    out = ["---", "name: huge-agent", "description: A very large agent definition.", "---", ""]
    size = 0
    target = int(megabytes * 1_000_000)
    section = 0
    while size < target:
        section += 1
        out.append(f"## Section {section}\n")
        size += 16
        for _ in range(200):
            line = "- [ ] " + " ".join(rng.choices(words, weights, k=rng.randint(6, 14))) + f" {rng.randint(1, 10**6)}"
            out.append(line)
            size += len(line) + 1
        out.append("")
    return "\n".join(out) + "\n"


def small(name: str, topic: str) -> str:
    return (f"---\nname: {name}\ndescription: Use for {topic} work.\n---\n\nYou work on {topic}.\n\n"
            f"- Keep {topic} changes small and reviewed.\n- Write a test for every {topic} fix.\n")


def timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return wall, int(m.group(1)) / 1024 if m else float("nan"), proc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="5,50")
    ap.add_argument("--keep", help="write the libraries here (default: a temporary folder)")
    args = ap.parse_args(argv)
    base = Path(args.keep or tempfile.mkdtemp(prefix="agentmerge-large-"))
    for mb in (float(s) for s in args.sizes.split(",")):
        lib = base / f"lib-{mb:g}mb"
        (lib / "agents").mkdir(parents=True, exist_ok=True)
        text = huge_agent(mb)
        (lib / "agents" / "huge.md").write_text(text)
        (lib / "agents" / "huge-copy.md").write_text(text.replace("name: huge-agent", "name: huge-copy", 1))
        (lib / "agents" / "tester.md").write_text(small("tester", "testing"))
        (lib / "agents" / "writer.md").write_text(small("writer", "documentation"))
        wall, peak, proc = timed([sys.executable, "-m", "agentmerge", "scan", str(lib), "--json", "--quiet"])
        if proc.returncode:
            print(f"{mb:g} MB: scan failed: {proc.stderr[-500:]}")
            continue
        data = json.loads(proc.stdout)
        clustered = any({m["path"] for m in c["members"]} >= {"agents/huge.md", "agents/huge-copy.md"}
                        for c in data["clusters"])
        print(f"{mb:g} MB agent ({len(text.encode()) / 1e6:.1f} MB, twice): scan {wall:.1f} s, peak {peak:.0f} MB; "
              f"{data['files']} files read, exact copy clustered: {clustered}")
        for w in data["warnings"]:
            print(f"    warning: {w}")
        out = base / f"out-{mb:g}mb"
        wall, peak, proc = timed([sys.executable, "-m", "agentmerge", "consolidate", str(lib), "-o", str(out), "-q"])
        same = False
        if proc.returncode == 0:
            cluster = json.loads((out / "index.json").read_text())["clusters"][0]
            same = (out / cluster["output"]["agent"]).read_bytes() == (lib / cluster["anchor"]).read_bytes()
        print(f"    consolidate {wall:.1f} s, peak {peak:.0f} MB, exit {proc.returncode}; merged agent = the leader "
              f"byte for byte: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
