"""Consolidate a library: every cluster of duplicate agents becomes one merged agent.

`consolidate(paths, outdir)` scans the library (see `agentmerge.scan`), merges each cluster with the merge
pipeline, the cluster's anchor leading, and writes to OUTDIR, and nowhere else:

- `<name>.md`: the merged agent, named after the anchor's `name` (`-2`, `-3` ... when names repeat);
- `<name>.report.md`: the merge report of that cluster (what was shared, dropped, in conflict);
- `index.md` and `index.json`: every cluster, the files it replaces, and where its merged agent went.

Inputs are only ever read. The only existing files replaced are those an earlier consolidation wrote to
OUTDIR (its index.json lists them); any other file in the way is refused before anything is written. An
earlier consolidation's outputs are not scanned as part of the library. Writes are atomic.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from .model import AgentmergeError
from .scan import SCHEMA, Cluster, FileInfo, Progress, ScanOptions, ScanResult, discover, markdown, scan
from .write import atomic_write

INDEX_MD = "index.md"
INDEX_JSON = "index.json"


@dataclass
class Planned:
    cluster: str
    kind: str
    members: list[str]
    agent: str  # path of the merged agent
    report: str
    tokens_saved: int = 0
    conflicts: int = 0
    error: str | None = None
    written: bool = False


@dataclass
class ConsolidateOutcome:
    outdir: str
    dry_run: bool
    files: int
    planned: list[Planned]
    index: list[str]
    warnings: list[str] = field(default_factory=list)
    scan: ScanResult | None = None

    def summary(self) -> str:
        done = [p for p in self.planned if not p.error]
        saved = sum(p.tokens_saved for p in done)
        verb = "would write" if self.dry_run else "wrote"
        lines = [
            f"agentmerge: consolidate{' (dry run, nothing written)' if self.dry_run else ''}: {self.files} agent-like "
            f"file(s), {len(self.planned)} cluster(s) of duplicates",
        ]
        for p in self.planned:
            what = f"error: {p.error}" if p.error else f"saves ~{p.tokens_saved:,} tokens, {p.conflicts} conflict(s)"
            lines.append(f"  {p.cluster} {p.kind}: {', '.join(p.members)} -> {p.agent} ({what})")
        lines.append(f"  {verb} {len(done)} merged agent(s) and their reports, and {', '.join(self.index)}, "
                     f"to {self.outdir}; ~{saved:,} tokens saved; inputs untouched")
        return "\n".join(lines)


def slug(name: str) -> str:
    """A file name for a merged agent: lower case letters, digits, '.', '_' and '-'."""
    text = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._")
    return text[:80] or "agent"


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def earlier_outputs(outdir: str) -> list[str]:
    """Files an earlier consolidation wrote to `outdir`, as its index.json lists them."""
    index = os.path.join(outdir, INDEX_JSON)
    try:
        with open(index, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("clusters"), list):
        return []
    out = [index, os.path.join(outdir, INDEX_MD)]
    for c in data["clusters"]:
        output = c.get("output") if isinstance(c, dict) else None
        if isinstance(output, dict):
            for key in ("agent", "report"):
                name = output.get(key)
                if isinstance(name, str) and name == os.path.basename(name) and name not in ("", ".", ".."):
                    out.append(os.path.join(outdir, name))
    return out


def consolidate(paths: Sequence[str], outdir: str, options: ScanOptions | None = None, dry_run: bool = False,
                progress: Progress | None = None) -> ConsolidateOutcome:
    options = options or ScanOptions()
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise AgentmergeError(f"{outdir}: exists and is not a folder")
    # What an earlier consolidation into OUTDIR wrote may be replaced, and is not scanned as library; any
    # other existing file (an input above all) is never overwritten.
    ours = {ident for ident in map(_identity, earlier_outputs(outdir)) if ident is not None}
    found, warnings = discover(paths, options.exclude)
    found = [f for f in found if _identity(f.source) not in ours]

    def refuse(path: str) -> None:
        ident = _identity(path)
        if ident is not None and ident not in ours:
            raise AgentmergeError(f"{path}: already exists and is not an earlier output of agentmerge consolidate; "
                                  "agentmerge never overwrites it (choose another OUTDIR)")

    for name in (INDEX_MD, INDEX_JSON):
        refuse(os.path.join(outdir, name))

    def make_outdir() -> None:  # at the first write: a run refused while planning leaves nothing behind
        try:
            os.makedirs(outdir, exist_ok=True)
        except OSError as exc:
            raise AgentmergeError(f"{outdir}: cannot create the folder ({exc.strerror or exc})") from None

    taken: set[str] = {"index"}
    planned: dict[str, Planned] = {}

    def output_path(c: Cluster, files: Sequence[FileInfo]) -> str:
        anchor = files[c.members[0]]
        base = slug(anchor.name or os.path.splitext(os.path.basename(anchor.path))[0])
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        agent = os.path.join(outdir, name + ".md")
        report = os.path.join(outdir, name + ".report.md")
        refuse(agent)
        refuse(report)
        planned[c.id] = Planned(cluster=c.id, kind=c.kind, members=[files[m].path for m in c.members],
                                agent=agent, report=report)
        return agent

    def write(c: Cluster, outcome: dict[str, Any]) -> None:
        plan = planned[c.id]
        if "error" in outcome:
            plan.error = outcome["error"]
            return
        plan.tokens_saved = c.tokens_saved
        plan.conflicts = len(c.conflicts)
        if dry_run:
            return
        make_outdir()
        atomic_write(plan.agent, outcome["text"])
        atomic_write(plan.report, outcome["result_markdown"])
        plan.written = True

    result = scan(paths, options, progress=progress, found=found, analyse_hook=write, output_path=output_path)
    data = result.to_json()
    for c in data["clusters"]:
        plan = planned[c["id"]]
        c["output"] = None if plan.error else {"agent": os.path.basename(plan.agent),
                                              "report": os.path.basename(plan.report)}
    if not dry_run:
        make_outdir()
        atomic_write(os.path.join(outdir, INDEX_JSON), json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        atomic_write(os.path.join(outdir, INDEX_MD), index_markdown(data))
    order = [planned[c.id] for c in result.clusters]
    return ConsolidateOutcome(outdir=outdir, dry_run=dry_run, files=len(result.files), planned=order,
                              index=[INDEX_MD, INDEX_JSON], warnings=warnings + result.warnings, scan=result)


def index_markdown(data: dict[str, Any]) -> str:
    """The index of a consolidation: each merged agent and the files it stands for, then the scan report."""
    out = ["# Consolidated agents", "",
           "Each merged agent below stands for the files of one cluster of duplicates; the first file led "
           "the merge. The inputs were not changed: replace or delete them once you have reviewed the "
           "merged agent and its report.", "",
           "| merged agent | report | kind | replaces | conflicts | saves (tokens) |",
           "|---|---|---|---|---:|---:|"]
    for c in data["clusters"]:
        members = "<br>".join(f"`{m['path']}`" for m in c["members"])
        if c.get("output"):
            agent, report = f"[{c['output']['agent']}]({c['output']['agent']})", f"[report]({c['output']['report']})"
        else:
            agent, report = f"({c['id']}: not merged: {c.get('error', '')})", ""
        out.append(f"| {agent} | {report} | {c['kind']} | {members} | {len(c['conflicts'])} | {c['tokens_saved']:,} |")
    out += ["", "---", ""]
    scan_report = markdown(data)
    return "\n".join(out) + scan_report.replace("# agentmerge library scan", "# Scan", 1)
