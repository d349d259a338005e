"""Running a scan: the stages in order, batched over worker processes."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from ..model import AgentmergeError, printable
from .analyse import analyse, analysis_task, apply_analysis, mergeable
from .cluster import _anchor, components, stars
from .discover import Discovery, Skipped, discover_all
from .fingerprint import _tokens, fingerprint
from .lsh import BandIndex, _template
from .repeated import RepeatedCounter
from .results import Cluster, FileInfo, Progress, ScanOptions, ScanResult
from .roles import ROLE_THRESHOLD, name_key, name_rules, role_edges
from .settings import ANCHOR_CHECK_LIMIT
from .verify import _unit_texts, verify
from .workers import _chunk, _peak_rss_mb, available_cores, workers


def scan(paths: Sequence[str], options: ScanOptions | None = None, progress: Progress | None = None,
         found: Discovery | None = None,
         analyse_hook: Callable[[Cluster, dict[str, Any]], None] | None = None,
         output_path: Callable[[Cluster, Sequence[FileInfo]], str] | None = None) -> ScanResult:
    """Scan `paths` for agent-like files and cluster exact, near and same-role duplicates.

    `found` is a discovery already made (see `discover_all`); by default the PATHs are walked.

    With `analyse_hook`, each cluster's merge outcome (see `analyse`) is handed to it as soon as it is
    ready; with `output_path` (where a cluster's merged agent will be written), that outcome includes the
    merged text and its report, so consolidation writes clusters as they come instead of holding every
    merged agent in memory.
    """
    options = options or ScanOptions()
    progress = progress or Progress()
    if not 0 < options.threshold <= 1:
        raise AgentmergeError(f"--threshold must be in (0, 1], not {options.threshold}")
    if not 0 < options.unit_cutoff <= 100:
        raise AgentmergeError(f"--unit-cutoff must be in (0, 100], not {options.unit_cutoff}")
    jobs = options.jobs or available_cores()
    if jobs < 1:
        raise AgentmergeError(f"--jobs must be at least 1, not {jobs}")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    clock = started

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 3)
        clock = now

    progress.stage("discovering agent files", None)
    if found is None:
        found = discover_all(paths, options.exclude, options.include, options.gitignore)
    warnings: list[str] = list(found.warnings)
    skipped: list[Skipped] = list(found.skipped)
    rules = name_rules(tuple(options.role_names)) if options.roles else None
    role_threshold = options.role_threshold if options.role_threshold is not None else ROLE_THRESHOLD
    found = found.found
    lap("discover")
    # Small libraries are faster without worker processes.
    jobs = min(jobs, max(1, len(found) // 50))
    # Load what every worker needs once, before the workers fork.
    _tokens("paragraph", "warm up the vocabulary before workers fork")
    if len(found) >= 2:
        _template()
        from rapidfuzz import process  # noqa: F401  (verification)

        from .. import frontmatter, read, report, split  # noqa: F401  (fingerprints)
        if options.conflicts or output_path is not None:
            from .. import pipeline  # noqa: F401  (merges)
    files: list[FileInfo] = []
    counter = RepeatedCounter()
    with workers(jobs) as pool:
        # 1-3: fingerprint, group exact copies, block near-duplicate candidates with MinHash LSH.
        progress.stage("fingerprinting", len(found))
        first_with_key: dict[bytes, int] = {}
        bands = BandIndex(len(found))
        # a name that is not UTF-8 is shown escaped (reports and JSON stay valid UTF-8), read by its bytes
        tasks = [(i, printable(f.path), f.source, options.encoding) for i, f in enumerate(found)]
        unreadable = 0
        terms: dict[int, Any] = {}
        df: dict[int, int] = defaultdict(int)
        for info, signature, repeated, role, note in pool.imap_guided(fingerprint, tasks):
            progress.advance()
            if note:
                reason, message = note
                warnings.append(message)
                if reason:
                    unreadable += 1
                    skipped.append(Skipped(info.path, reason, message))
                    continue
            info.index = len(files)
            files.append(info)
            if info.body_key is not None:
                first = first_with_key.setdefault(info.body_key, info.index)
                if first != info.index:
                    info.copy_of = first
                    continue
            counter.add(info.index, repeated)
            if signature is not None:
                bands.add(info.index, *signature)
            if role is not None and rules is not None:
                terms[info.index] = role
                for t in {*role[0], *role[1]}:
                    df[t] += 1
        del first_with_key
        candidates = bands.candidates()
        bucket_pairs = bands.bucket_pairs
        del bands
        lap("fingerprint")
        candidate_pairs = sum(len(v) for v in candidates.values())

        # 4: verify candidates, each file against all its candidates in one batch.
        progress.stage("verifying candidates", len(candidates))
        edges: dict[int, dict[int, float]] = defaultdict(dict)
        verified = 0

        def run_verify(blocks: list[tuple[int, list[int]]]) -> None:
            nonlocal verified
            vtasks = [(files[a].source, [files[b].source for b in bs], options.encoding, options.unit_cutoff)
                      for a, bs in blocks]
            for (a, bs), scores in zip(blocks, pool.imap(verify, vtasks, _chunk(len(vtasks), jobs))):
                progress.advance()
                for b, s in zip(bs, scores):
                    if s >= options.threshold:
                        edges[a][b] = edges[b][a] = s
                        verified += 1

        run_verify(sorted(candidates.items()))
        del candidates
        # Anchors: every member of a cluster must verify against its anchor; check the pairs LSH did not offer.
        missing: dict[int, list[int]] = defaultdict(list)
        for comp in components(edges):
            if 2 < len(comp) <= ANCHOR_CHECK_LIMIT:
                anchor = _anchor(comp, edges, set(comp))
                for m in comp:
                    if m != anchor and m not in edges[anchor]:
                        missing[anchor].append(m)
        if missing:
            progress.stage("verifying anchors", len(missing))
            run_verify(sorted(missing.items()))
        lap("verify")

        # 5: clusters. Exact copies first; near clusters take in the copies of their members.
        copies: dict[int, list[int]] = defaultdict(list)
        for f in files:
            if f.copy_of is not None:
                copies[f.copy_of].append(f.index)
        clusters: list[Cluster] = []
        in_near: set[int] = set()
        for comp in components(edges):
            for anchor, members in stars(comp, edges):
                scores = {anchor: 1.0, **{m: edges[anchor][m] for m in members}}
                exact_of: dict[int, int] = {}
                everyone = [anchor, *members]
                for m in [anchor, *members]:
                    for c in copies.get(m, ()):
                        exact_of[c] = m
                        scores[c] = scores[m]
                        everyone.append(c)
                ordered = [anchor, *sorted(everyone[1:], key=lambda i: files[i].path)]
                clusters.append(Cluster("near", ordered, scores, exact_of))
                in_near.update(everyone)
        exact = [Cluster("exact", [first, *rest], {first: 1.0, **{r: 1.0 for r in rest}},
                         {r: first for r in rest})
                 for first, rest in copies.items() if first not in in_near]
        roles: list[Cluster] = []
        if rules is not None:
            roles, exact, clusters = role_clusters(files, terms, df, exact, clusters, role_threshold, rules)
        del terms, df
        by_path = lambda c: files[c.members[0]].path  # noqa: E731
        clusters = sorted(exact, key=by_path) + sorted(clusters, key=by_path) + sorted(roles, key=by_path)
        for n, c in enumerate(clusters, 1):
            c.id = f"K{n}"
            c.tokens_in = sum(files[m].tokens for m in c.members)
            c.mergeable, c.why_not = mergeable(c, files)
            if c.kind == "exact":
                c.tokens_merged = files[c.members[0]].tokens
        lap("cluster")

        # 6: conflicts and merged sizes, from the merge pipeline.
        if options.conflicts or output_path is not None:
            progress.stage("merging clusters", len(clusters))
            # every cluster is planned (output_path), only the mergeable ones get a merged text
            planned = [output_path(c, files) if output_path else None for c in clusters]
            atasks = [analysis_task(c, files, options, out if out and c.mergeable else None)
                      for c, out in zip(clusters, planned)]
            for c, outcome in _analysed(clusters, atasks, files, pool, progress, streamed=output_path is not None):
                apply_analysis(c, outcome)
                if c.error:
                    warnings.append(f"{c.id}: {c.error}")
                if analyse_hook is not None:
                    analyse_hook(c, outcome)
        lap("analyse")
        progress.done()
    seconds = time.perf_counter() - started
    stats = {
        "seconds": round(seconds, 3),
        "files_per_second": round(len(files) / seconds, 1) if seconds > 0 else None,
        "stage_seconds": timings,
        "jobs": jobs,
        "bytes": sum(f.bytes for f in files),
        "distinct_bodies": sum(1 for f in files if f.copy_of is None),
        "unreadable": unreadable,
        "bucket_pairs": bucket_pairs,
        "candidate_pairs": candidate_pairs,
        "verified_pairs": verified,
        "repeated_count_error": counter.error,
        "peak_rss_mb": _peak_rss_mb(),
    }
    repeated = counter.top(options.top, files, lambda f: _unit_texts(f.source, options.encoding))
    skipped.sort(key=lambda x: x.path)
    return ScanResult(roots=list(paths), files=files, clusters=clusters, repeated=repeated, warnings=warnings,
                      stats=stats, options=options, skipped=skipped)


def _merge_cost(c: Cluster, files: Sequence[FileInfo]) -> int:
    """What a cluster's merge roughly costs: the bytes of the members whose bodies are merged (an exact copy
    only brings its frontmatter)."""
    if c.kind == "exact":
        return files[c.members[0]].bytes
    return sum(files[m].bytes for m in c.members if m not in c.exact_of)


def _analysed(clusters: list[Cluster], atasks: list[dict[str, Any]], files: Sequence[FileInfo], pool,
              progress: Progress, streamed: bool):
    """(cluster, outcome) for every cluster, in cluster order.

    The merges are handed to the workers largest first, so that one big cluster does not run alone at the
    end while the other workers wait (the outcomes are put back in cluster order). When the outcomes carry
    merged texts (`streamed`: consolidation writes each as it comes), they go in cluster order instead, so
    that no more than a few merged agents are held in memory at once."""
    if streamed or pool.jobs < 2:
        for c, outcome in zip(clusters, pool.imap(analyse, atasks, 1)):
            progress.advance()
            yield c, outcome
        return
    order = sorted(range(len(clusters)), key=lambda k: (-_merge_cost(clusters[k], files), k))
    outcomes: list[dict[str, Any] | None] = [None] * len(clusters)
    for k, outcome in zip(order, pool.imap(analyse, [atasks[k] for k in order], 1)):
        progress.advance()
        outcomes[k] = outcome
    for c, outcome in zip(clusters, outcomes):
        yield c, outcome


def role_clusters(files: Sequence[FileInfo], terms: dict[int, Any], df: dict[int, int], exact: list[Cluster],
                  near: list[Cluster], threshold: float, rules) -> tuple[list[Cluster], list[Cluster], list[Cluster]]:
    """Same-role clusters among the distinct agents. An exact or near cluster takes part through its
    anchor; when the role cluster can be merged it joins it whole (copies marked `exact_of`, near
    duplicates `near_of`), otherwise it stays as it is and the role cluster names it (`also_in`).
    Returns (role clusters, exact clusters left, near clusters left)."""
    from .roles import role_stars

    near_by_anchor = {c.members[0]: c for c in near}
    exact_by_first = {c.members[0]: c for c in exact}
    in_near = {m for c in near for m in c.members}
    names = {f.index: f.name for f in files
             if f.copy_of is None and f.index in terms and (f.index not in in_near or f.index in near_by_anchor)}
    edges = role_edges(names, {f.index: f.format for f in files}, terms, df, len(terms), threshold, rules)
    jobs = {i: (name_key(names[i], rules) or ((), None))[1] for i in edges}
    absorbed: set[int] = set()
    out: list[Cluster] = []
    for comp in components(edges):
        for kept in role_stars(comp, edges, jobs, rules):
            anchor = kept[0]
            scores = {anchor: 1.0, **{m: edges[anchor][m] for m in kept[1:]}}
            role = Cluster("role", [anchor, *sorted(kept[1:], key=lambda i: files[i].path)], scores)
            if not mergeable(role, files)[0]:
                # listed, not merged: the exact and near clusters it touches stay whole, and are named
                role.also_in = {m: c for m in kept for c in (near_by_anchor.get(m), exact_by_first.get(m)) if c}
                out.append(role)
                continue
            exact_of: dict[int, int] = {}
            near_of: dict[int, int] = {}
            everyone = list(kept)
            for m in kept:
                if m in near_by_anchor:
                    c = near_by_anchor[m]
                    absorbed.add(id(c))
                    for x in c.members[1:]:
                        if x in c.exact_of:
                            exact_of[x] = c.exact_of[x]
                        else:
                            near_of[x] = m
                        scores[x] = scores[m]
                        everyone.append(x)
                elif m in exact_by_first:
                    c = exact_by_first[m]
                    absorbed.add(id(c))
                    for x in c.members[1:]:
                        exact_of[x] = m
                        scores[x] = scores[m]
                        everyone.append(x)
            ordered = [anchor, *sorted(everyone[1:], key=lambda i: files[i].path)]
            out.append(Cluster("role", ordered, scores, exact_of, near_of=near_of))
    return (out, [c for c in exact if id(c) not in absorbed], [c for c in near if id(c) not in absorbed])


