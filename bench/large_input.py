"""How long deduplicating one very large file takes, as a whole process.

    python bench/large_input.py [--cases checklist,numbered,identical] [--timeout 600] [--keep DIR]

Generates each input (deterministically: same bytes every run) and times
`python -m agentmerge merge FILE... -o OUT --report OUT.json -q` as a subprocess, so the times include
start-up, reading, splitting, matching, conflict detection, merging and writing. Prints, per case, the
wall time and the units in and out from the JSON report. A run that exceeds --timeout is killed and
reported as such.

Cases:
  checklist  60 sections x 1,000 checklist items of Zipf-distributed words (the input of
             tests/test_bad_input.py::test_a_60000_item_file)
  numbered   60,000 near-identical items `- item 1` ... `- item 60000` under one heading: every unit
             shares the same single word, so a word index alone cannot split them
  identical  60,000 copies of `- same rule here`
  mixed      the checklist's items, each also written again as a numbered variant (`... 2.`): 120,000
             units, every second one carried by its numbered twin
  halves     the checklist cut in two files of 30 sections, merged: matching across inputs (related
             units, section alignment) on top of the deduplication
  seed       the checklist merged with a seed agent (fixtures/seeds/db-engineer-performance.md)
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def checklist_60k() -> str:
    """60 sections x 1,000 checklist items of Zipf-distributed words (also the input of
    tests/test_bad_input.py::test_a_60000_item_file)."""
    rng = random.Random(7)
    syllables = "ka lo mi ten sor vel dra qui pan rez tol fin gar bu ne xi".split()
    base = ("check verify ensure index query cache schema migration test review deploy log metric alert user "
            "token session commit rollback lock timeout retry validate sanitize document").split()
    words = base + sorted({"".join(rng.choice(syllables) for _ in range(3)) for _ in range(3000)})
    weights = [1 / (i + 1) for i in range(len(words))]
    lines = ["---", "name: huge-checklist", "description: A generated checklist.", "---", ""]
    for s in range(60):
        lines += [f"## Area {s}", ""]
        lines += [f"- [ ] {' '.join(rng.choices(words, weights, k=rng.randint(6, 14))).capitalize()}."
                  for _ in range(1000)]
        lines.append("")
    return "\n".join(lines) + "\n"


def numbered_60k() -> str:
    return "# Items\n\n" + "".join(f"- item {i}\n" for i in range(1, 60_001))


def identical_60k() -> str:
    return "# Rules\n\n" + "- same rule here\n" * 60_000


def mixed_120k() -> str:
    out = []
    for line in checklist_60k().split("\n"):
        out.append(line)
        if line.startswith("- [ ] "):
            out.append(line[:-1] + " 2.")
    return "\n".join(out)


def halves() -> list[str]:
    text = checklist_60k()
    cut = text.index("## Area 30\n")
    return [text[:cut], "# More checks\n\n" + text[cut:]]


def with_seed() -> list[str]:
    """The checklist and a real seed agent: a very large file merged with an ordinary one (matching across
    inputs, related units and section alignment against 60,000 units)."""
    seed = Path(__file__).resolve().parent.parent / "fixtures" / "seeds" / "db-engineer-performance.md"
    return [checklist_60k(), seed.read_text(encoding="utf-8")]


CASES = {"checklist": checklist_60k, "seed": with_seed, "numbered": numbered_60k, "identical": identical_60k, "mixed": mixed_120k,
         "halves": halves}


def run(name: str, directory: Path, timeout: float) -> str:
    made = CASES[name]()
    sources = []
    for i, text in enumerate([made] if isinstance(made, str) else made):
        sources.append(directory / (f"{name}.md" if isinstance(made, str) else f"{name}-{i + 1}.md"))
        sources[-1].write_text(text, encoding="utf-8")
    out, report = directory / f"{name}.out.md", directory / f"{name}.report.json"
    cmd = [sys.executable, "-m", "agentmerge", "merge", *map(str, sources), "-o", str(out), "--report", str(report),
           "-q"]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{name:10s} did not finish in {timeout:.0f} s"
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        return f"{name:10s} exit {proc.returncode} after {seconds:.1f} s: {proc.stderr.strip()[-300:]}"
    stats = json.loads(report.read_text(encoding="utf-8"))["stats"]
    return (f"{name:10s} {seconds:7.1f} s  units in {stats['input_units']:,}  out {stats['output_units']:,}  "
            f"duplicates dropped {stats['duplicates_dropped']:,}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="checklist,seed,numbered,identical",
                        help="comma-separated, from: " + ", ".join(CASES))
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a run is killed")
    parser.add_argument("--keep", type=Path, help="write inputs and outputs here instead of a temporary directory")
    args = parser.parse_args()
    names = [n.strip() for n in args.cases.split(",") if n.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for name in names:
            print(run(name, args.keep, args.timeout), flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            print(run(name, Path(tmp), args.timeout), flush=True)


if __name__ == "__main__":
    main()
