"""How long a merge takes as a whole process, against the cost of importing its dependencies.

    python bench/merge_speed.py [--runs 15]

Prints the median wall time of
  - `python -c "import yaml, rapidfuzz, markdown_it, typer"` (the floor any CLI on these libraries pays),
  - `agentmerge` merging two seed agents, and all five,
and the ratio merge(two) / import. Runs are interleaved so that machine noise hits both alike; compare
ratios from one run, not seconds across machines.

Every run may write and read bytecode caches (`PYTHONDONTWRITEBYTECODE` is dropped from the environment), as
for an installed package: the dependencies' caches were written when they were installed, and without
this agentmerge's own modules would be compiled from source on every run (about 100 ms here) while theirs
are not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "fixtures" / "seeds").glob("*.md"))
TWO = [ROOT / "fixtures" / "seeds" / "db-engineer-fastapi.md", ROOT / "fixtures" / "seeds" / "db-engineer-performance.md"]


ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "import": [py, "-c", "import yaml, rapidfuzz, markdown_it, typer"],
            "merge two seeds": [py, "-m", "agentmerge", *map(str, TWO), "-o", f"{tmp}/two.md", "-q"],
            "merge five seeds": [py, "-m", "agentmerge", *map(str, SEEDS), "-o", f"{tmp}/five.md", "-q"],
        }
        for cmd in commands.values():  # warm the file cache and bytecode
            timed(cmd)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(timed(cmd))
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, value in medians.items():
        print(f"{name:18s} median {value * 1000:7.1f} ms  (min {min(times[name]) * 1000:.1f} ms, {args.runs} runs)")
    print(f"ratio merge(two seeds) / import: {medians['merge two seeds'] / medians['import']:.2f}")


if __name__ == "__main__":
    main()
