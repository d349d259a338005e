#!/usr/bin/env python3
"""Library-scale benchmark of `agentmerge scan`, against a naive all-pairs baseline.

    python bench/scale.py [--sizes 1000,10000] [--seed 1] [--jobs 2] [--repeat 1] [--no-naive]

For each size, a synthetic library (bench/synth.py, default duplicate rates, plus the same-role libraries
of bench/role_synth.py under `role-libraries/`: agents written independently for one job, in four
collections' own styles) is generated under bench/out/scale/ (reused when it is already there with the
same arguments) and scanned by
`python -m agentmerge scan LIB --json` as a user would run it, twice: in full (every cluster merged for its
conflicts and merged size) and with `--no-conflicts` (discovery, fingerprints, LSH blocking, verification
and clustering only). Printed for each: wall time, files per second, peak memory (the scan's main process
and its largest worker), recall and precision of the planted duplicate pairs from manifest.json, and
recall and precision of same-role pairs (a found role pair is right when both agents do one job: the same
planted job, or the same role of bench/synth.py); then the scaling ratio time(largest)/time(smallest).

The naive baseline runs on the smallest library in the same run: the same verifier (rapidfuzz on the
units of two files) and the same clustering, on every pair of files instead of the LSH candidates, with
the same number of worker processes. It shows what blocking saves, and that it loses no planted pair.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agentmerge import scan as S  # noqa: E402


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ROLE_PREFIX = "role-libraries/"


def library(size: int, seed: int, base: Path) -> tuple[Path, dict]:
    out = base / f"lib-{size}-seed{seed}"
    manifest_path = out / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("agents") == size and manifest.get("seed") == seed and "role_clusters" in manifest:
            return out, manifest
    manifest = _script("synth").generate(out, agents=size, seed=seed, overwrite=True)
    roles = _script("role_synth").generate(out / ROLE_PREFIX.rstrip("/"), seed=seed, collections=4)
    manifest["role_clusters"] = [[ROLE_PREFIX + p for p in c] for c in roles["role_clusters"]]
    manifest["role_jobs"] = {ROLE_PREFIX + p: job for p, job in roles["jobs"].items()}
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return out, manifest


def by_kind(data: dict) -> dict[str, list[list[str]]]:
    """Clusters by kind; a role cluster's exact copies and near duplicates of one member (which it took in
    whole) also count as that exact or near cluster."""
    out: dict[str, list[list[str]]] = {"exact": [], "near": [], "role": []}
    for c in data["clusters"]:
        paths = [m["path"] for m in c["members"]]
        out[c["kind"]].append(paths)
        if c["kind"] == "role":
            for link, kind in (("exact_of", "exact"), ("near_of", "near")):
                groups: dict[str, list[str]] = {}
                for m in c["members"]:
                    if m.get(link):
                        groups.setdefault(m[link], [m[link]]).append(m["path"])
                out[kind] += list(groups.values())
    return out


def role_quality(found: list[list[str]], manifest: dict) -> tuple[float, float]:
    """(recall of the planted same-role pairs, precision: found role pairs whose agents do one job)."""
    job = {**{p: f"synth:{r}" for p, r in manifest["roles"].items()}, **manifest["role_jobs"]}
    f = pairs(found)
    p = pairs(manifest["role_clusters"])
    recall = len(p & f) / len(p) if p else 1.0
    right = sum(1 for a, b in f if job.get(a) is not None and job.get(a) == job.get(b))
    return recall, (right / len(f) if f else 1.0)


def pairs(clusters) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for c in clusters for p in itertools.combinations(c, 2)}


def quality(found_clusters: list[list[str]], planted: list[list[str]]) -> tuple[float, float, int, int]:
    """(recall, precision, planted pairs, found pairs) of duplicate pairs."""
    p, f = pairs(planted), pairs(found_clusters)
    recall = len(p & f) / len(p) if p else 1.0
    precision = len(p & f) / len(f) if f else 1.0
    return recall, precision, len(p), len(f)


def run_scan(lib: Path, jobs: int, conflicts: bool) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "agentmerge", "scan", str(lib), "--json", "--quiet", "--jobs", str(jobs)]
    if not conflicts:
        cmd.append("--no-conflicts")
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"scan failed ({proc.returncode}): {proc.stderr.strip()}")
    return wall, json.loads(proc.stdout)


def naive_all_pairs(lib: Path, manifest: dict, jobs: int, threshold: float, cutoff: int) -> dict:
    """Every pair of files through the scan's verifier, then the scan's clustering."""
    files = manifest["files"]
    sources = [str(lib / f) for f in files]
    start = time.perf_counter()
    tasks = [(sources[i], sources[i + 1 :], "utf-8", cutoff) for i in range(len(sources) - 1)]
    edges: dict[int, dict[int, float]] = {i: {} for i in range(len(sources))}
    compared = 0
    with S.workers(jobs) as pool:
        for i, scores in enumerate(pool.imap(S.verify, tasks, 4)):
            compared += len(scores)
            for j, s in enumerate(scores, start=i + 1):
                if s >= threshold:
                    edges[i][j] = edges[j][i] = s
    edges = {k: v for k, v in edges.items() if v}
    clusters = [[files[a], *(files[m] for m in members)]
                for comp in S.components(edges) for a, members in S.stars(comp, edges)]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "pairs": compared, "clusters": clusters}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated library sizes (default 1000,10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2, help="worker processes for the scan and the baseline")
    ap.add_argument("--repeat", type=int, default=1, help="scan each library this many times, keep the fastest")
    ap.add_argument("--no-naive", action="store_true", help="skip the all-pairs baseline")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "scale"))
    args = ap.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    base = Path(args.out)
    base.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"agentmerge scan benchmark: seed {args.seed}, {args.jobs} job(s), {S.available_cores()} core(s) available, "
          f"Python {platform.python_version()}, load average {load:.2f} at start")
    print(f"near threshold {S.THRESHOLD}, unit cutoff {S.UNIT_CUTOFF}, MinHash {S.NUM_PERM} permutations in "
          f"{S.BANDS} bands x {S.ROWS} rows")
    print()
    header = (f"{'library':>14} {'mode':>13} {'files':>6} {'MB':>5} {'seconds':>8} {'files/s':>8} "
              f"{'peak MB main/worker':>20} {'candidates':>10} {'exact recall':>12} {'near recall':>11} "
              f"{'near precision':>14} {'role recall':>11} {'role precision':>14}")
    print(header)
    print("-" * len(header))
    results: dict[tuple[int, str], float] = {}
    libs = {}
    for size in sizes:
        lib, manifest = library(size, args.seed, base)
        libs[size] = (lib, manifest)
        for mode, conflicts in (("full", True), ("no-conflicts", False)):
            best = None
            for _ in range(max(1, args.repeat)):
                wall, data = run_scan(lib, args.jobs, conflicts)
                if best is None or wall < best[0]:
                    best = (wall, data)
            wall, data = best
            results[(size, mode)] = wall
            kinds = by_kind(data)
            er, ep, _, _ = quality(kinds["exact"], manifest["exact_clusters"])
            nr, npr, _, _ = quality(kinds["near"], manifest["near_clusters"])
            rr, rp = role_quality(kinds["role"], manifest)
            peak = data["stats"].get("peak_rss_mb", {})
            print(f"{size:>8,} agents {mode:>13} {data['files']:>6} {manifest['bytes'] / 1e6:>5.1f} {wall:>8.2f} "
                  f"{data['files'] / wall:>8.1f} {peak.get('main', 0):>10.0f}/{peak.get('largest_worker', 0):<9.0f} "
                  f"{data['stats']['candidate_pairs']:>10} {er:>12.1%} {nr:>11.1%} {npr:>14.1%} {rr:>11.1%} "
                  f"{rp:>14.1%}", flush=True)
            if mode == "full":
                tokens = f"{data['tokens_saved']:,} of {data['tokens']:,} tokens saved"
                stages = ", ".join(f"{k} {v:.2f}" for k, v in data["stats"]["stage_seconds"].items())
                n = {k: sum(1 for c in data["clusters"] if c["kind"] == k) for k in ("exact", "near", "role")}
                print(f"{'':>29}{n['exact']} exact + {n['near']} near + {n['role']} role clusters; {tokens}; "
                      f"stages (s): {stages}", flush=True)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print()
        for mode in ("full", "no-conflicts"):
            ratio = results[(large, mode)] / results[(small, mode)]
            print(f"scaling time({large:,})/time({small:,}), {mode}: {ratio:.2f} (linear would be {large / small:.0f})")
    if not args.no_naive:
        small = sizes[0]
        lib, manifest = libs[small]
        print()
        print(f"naive all-pairs baseline on the same {small:,} files ({args.jobs} job(s)):", flush=True)
        naive = naive_all_pairs(lib, manifest, args.jobs, S.THRESHOLD, S.UNIT_CUTOFF)
        found = naive["clusters"]
        er, _, _, _ = quality(found, manifest["exact_clusters"])
        nr, _, _, _ = quality(found, manifest["near_clusters"])
        planted = pairs(manifest["exact_clusters"]) | pairs(manifest["near_clusters"])
        f = pairs(found)
        precision = len(planted & f) / len(f) if f else 1.0
        blocked = results[(small, "no-conflicts")]
        print(f"  {naive['pairs']:,} pairs verified in {naive['seconds']:.1f} s; exact recall {er:.1%}, near recall "
              f"{nr:.1%}, precision {precision:.1%}")
        print(f"  blocked scan without conflicts: {blocked:.2f} s for the same files (whole process): "
              f"{naive['seconds'] / blocked:.0f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
