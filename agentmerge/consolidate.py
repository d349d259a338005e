"""Consolidate a library: every cluster of duplicate agents becomes one merged agent.

`consolidate(paths, outdir)` scans the library (see `agentmerge.scan`), merges each cluster with the merge
pipeline, the cluster's anchor leading, and writes to OUTDIR, and nowhere else:

- `<name><suffix>`: the merged agent, named after the anchor's `name` (`-2`, `-3` ... when names repeat),
  in the anchor's own format and ending (`.md`, `.mdc`, `.agent.md`, `.prompt.md`...; a skill as
  `<name>/SKILL.md`). An exact cluster's merged agent is its anchor, byte for byte. A near or same-role
  cluster whose members are not the same kind of thing (an agent and a Cursor rule, two slash commands
  with other arguments) is listed, not merged;
- `<name>.report.md`: the merge report of that cluster (what was shared, dropped, in conflict);
- `apply.sh`: the apply plan, a shell script to review and run: it replaces each cluster's anchor with
  the merged agent and removes the other members, after checking that none of them changed since the
  plan was made (same-role clusters are written commented out: which agent to keep is a team's call);
- `index.md` and `index.json`: every cluster, the files it replaces, and where its merged agent went.

Inputs are only ever read. The only existing files replaced are those an earlier consolidation wrote to
OUTDIR (its index.json lists them); any other file in the way is refused before anything is written. An
earlier consolidation's outputs are not scanned as part of the library. Writes are atomic.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any, Sequence

from .model import AgentmergeError
from .scan import (INSTRUCTION_NAMES, SCHEMA, Cluster, FileInfo, Progress, ScanOptions, ScanResult, discover_all,
                   markdown, scan)
from .scan.fingerprint import suffix_of
from .write import atomic_write

INDEX_MD = "index.md"
INDEX_JSON = "index.json"
APPLY = "apply.sh"


@dataclass
class Planned:
    cluster: str
    kind: str
    members: list[str]
    agent: str | None  # path of the merged agent (None: listed, not merged)
    report: str
    sources: list[str] = field(default_factory=list)  # the members' paths for the OS
    not_merged: str = ""
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
            if p.agent is None:
                lines.append(f"  {p.cluster} {p.kind}: {', '.join(p.members)} -> listed, not merged: {p.not_merged} "
                             f"({p.conflicts} conflict(s); see {p.report})")
            else:
                lines.append(f"  {p.cluster} {p.kind}: {', '.join(p.members)} -> {p.agent} ({what})")
        merged = [p for p in done if p.agent is not None]
        lines.append(f"  {verb} {len(merged)} merged agent(s), the reports, {', '.join(self.index)} "
                     f"to {self.outdir}; ~{saved:,} tokens saved; inputs untouched")
        if not self.dry_run:
            lines.append(f"  review, then apply: sh {shlex.quote(os.path.join(self.outdir, APPLY))}")
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
    out = [index, os.path.join(outdir, INDEX_MD), os.path.join(outdir, APPLY)]
    for c in data["clusters"]:
        output = c.get("output") if isinstance(c, dict) else None
        if isinstance(output, dict):
            for key in ("agent", "report"):
                name = output.get(key)
                parts = name.split("/") if isinstance(name, str) else []
                if 1 <= len(parts) <= 2 and all(p not in ("", ".", "..") for p in parts):
                    out.append(os.path.join(outdir, *parts))
    return out


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_file(source: str, target: str) -> None:
    """Copy bytes as they are (an exact cluster's merged agent is its leader), atomically."""
    folder = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(prefix=".agentmerge-", dir=folder)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def consolidate(paths: Sequence[str], outdir: str, options: ScanOptions | None = None, dry_run: bool = False,
                progress: Progress | None = None) -> ConsolidateOutcome:
    options = options or ScanOptions()
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise AgentmergeError(f"{outdir}: exists and is not a folder")
    # What an earlier consolidation into OUTDIR wrote may be replaced, and is not scanned as library; any
    # other existing file (an input above all) is never overwritten.
    ours = {ident for ident in map(_identity, earlier_outputs(outdir)) if ident is not None}
    found = discover_all(paths, options.exclude, options.include, options.gitignore)
    found.found = [f for f in found.found if _identity(f.source) not in ours]
    warnings: list[str] = []

    def refuse(path: str) -> None:
        ident = _identity(path)
        if ident is not None and ident not in ours:
            raise AgentmergeError(f"{path}: already exists and is not an earlier output of agentmerge consolidate; "
                                  "agentmerge never overwrites it (choose another OUTDIR)")

    for name in (INDEX_MD, INDEX_JSON, APPLY):
        refuse(os.path.join(outdir, name))

    def make_outdir() -> None:  # at the first write: a run refused while planning leaves nothing behind
        try:
            os.makedirs(outdir, exist_ok=True)
        except OSError as exc:
            raise AgentmergeError(f"{outdir}: cannot create the folder ({exc.strerror or exc})") from None

    taken: set[str] = {"index", "apply"}
    planned: dict[str, Planned] = {}

    def plan_for(c: Cluster, files: Sequence[FileInfo]) -> Planned:
        if c.id in planned:
            return planned[c.id]
        anchor = files[c.members[0]]
        base = slug(anchor.name or os.path.splitext(os.path.basename(anchor.path))[0])
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        own = os.path.basename(anchor.path)
        # a skill or a project's instructions are named by their folder: keep the file's own name
        agent = (os.path.join(outdir, name, own) if own.lower() in INSTRUCTION_NAMES
                 else os.path.join(outdir, name + suffix_of(anchor.path)))
        report = os.path.join(outdir, name + ".report.md")
        if c.mergeable:
            refuse(agent)
        refuse(report)
        planned[c.id] = Planned(cluster=c.id, kind=c.kind, members=[files[m].path for m in c.members],
                                agent=agent if c.mergeable else None, report=report,
                                sources=[files[m].source for m in c.members], not_merged=c.why_not)
        return planned[c.id]

    def output_path(c: Cluster, files: Sequence[FileInfo]) -> str:
        return plan_for(c, files).agent or ""

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
        if plan.agent is not None:
            os.makedirs(os.path.dirname(plan.agent), exist_ok=True)
            if "copy" in outcome:
                copy_file(outcome["copy"], plan.agent)
            else:
                atomic_write(plan.agent, outcome["text"])
            atomic_write(plan.report, outcome["result_markdown"])
        else:
            atomic_write(plan.report, listed_report(c.id, data_of(c)))
        plan.written = True

    def data_of(c: Cluster) -> dict[str, Any]:
        return {"kind": c.kind, "not_merged": c.why_not, "conflicts": c.conflicts, "shared": c.shared,
                "adds": c.adds}

    result = scan(paths, options, progress=progress, found=found, analyse_hook=write, output_path=output_path)
    data = result.to_json()
    for c in data["clusters"]:
        plan = planned[c["id"]]
        if plan.error:
            c["output"] = None
        else:
            rel = lambda p: os.path.relpath(p, outdir).replace(os.sep, "/")  # noqa: E731
            c["output"] = {"agent": rel(plan.agent) if plan.agent else None, "report": rel(plan.report),
                           "replaces": c["anchor"] if plan.agent else None,
                           "removes": [m["path"] for m in c["members"][1:]] if plan.agent else []}
    order = [planned[c.id] for c in result.clusters]
    if not dry_run:
        make_outdir()
        atomic_write(os.path.join(outdir, INDEX_JSON), json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        atomic_write(os.path.join(outdir, INDEX_MD), index_markdown(data))
        atomic_write(os.path.join(outdir, APPLY), apply_plan(order, outdir))
        os.chmod(os.path.join(outdir, APPLY), 0o755)
    return ConsolidateOutcome(outdir=outdir, dry_run=dry_run, files=len(result.files), planned=order,
                              index=[INDEX_MD, INDEX_JSON, APPLY], warnings=warnings + result.warnings, scan=result)


def listed_report(cluster_id: str, c: dict[str, Any]) -> str:
    """The report of a cluster that is listed, not merged: why, what its members share and add, conflicts."""
    out = [f"# {cluster_id} · {c['kind']} · listed, not merged", "", f"Not merged: {c['not_merged']}.", "",
           "Keep one of these files (or merge them by hand); they stay as they are.", ""]
    if c.get("shared") is not None:
        out += [f"They share {c['shared']['units']} unit(s) of guidance.", ""]
        for a in c.get("adds") or ():
            out.append(f"- `{a['path']}` adds {a['units']} unit(s)" +
                       (": " + "; ".join(a["examples"]) if a["examples"] else ""))
        out.append("")
    if c["conflicts"]:
        out += ["## Conflicts", ""]
        for x in c["conflicts"]:
            out.append(f"- **{x['kind']}** {x.get('topic') or ''}: {' '.join(str(x['message']).split())}")
            for s in x["sides"]:
                out.append(f"  - `{s['path']}:{s['line']}` {s.get('stance') or ''}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


_APPLY_HEAD = """#!/bin/sh
# The apply plan of `agentmerge consolidate`: review it, then run it with `sh {plan}`.
# Each merged agent replaces the first member of its cluster; the cluster's other members are removed.
# Nothing is changed unless every file named below is still as it was when the plan was made (SHA-256).
# Same-role clusters are commented out: their members were written independently, so which one to keep
# (or whether to keep the merge) is for you to decide; uncomment the lines of those you accept.
set -eu

sha256() {{
  if command -v sha256sum >/dev/null 2>&1; then sha256sum -- "$1" | cut -d' ' -f1
  else shasum -a 256 -- "$1" | cut -d' ' -f1; fi
}}
unchanged() {{
  if [ ! -f "$1" ] || [ "$(sha256 "$1")" != "$2" ]; then
    echo "agentmerge apply: $1 changed since the plan was made; nothing applied" >&2
    exit 1
  fi
}}
replace() {{ cp -- "$2" "$1" && echo "replaced $1 with $2"; }}
remove() {{ rm -- "$1" && echo "removed $1"; }}
"""


def _shell_word(path: str) -> str:
    """`path` as one word for sh. A name that is not UTF-8 (its bytes held as surrogates) is spelled with
    printf's octal escapes, so the script stays valid UTF-8 and still names the real file."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        spelled = "".join(
            f"\\{b:03o}" if b >= 0x80 else {"%": "%%", "\\": "\\\\", "'": "'\\''"}.get(chr(b), chr(b))
            for b in os.fsencode(path))
        return f"\"$(printf '{spelled}')\""
    return shlex.quote(path)


def apply_plan(planned: Sequence[Planned], outdir: str) -> str:
    """The shell script that applies a consolidation (paths absolute, each quoted for the shell)."""
    q = lambda p: _shell_word(os.path.abspath(p))  # noqa: E731
    checks: list[str] = []
    steps: list[str] = []
    for p in planned:
        head = f"# {p.cluster} {p.kind}: {', '.join(p.members)}"
        if p.error or p.agent is None:
            why = f"merge failed: {p.error}" if p.error else f"listed, not merged: {p.not_merged}"
            steps += ["", head, f"# {why}; see {q(p.report)}"]
            continue
        hold = "# " if p.kind == "role" else ""
        steps += ["", head, f"# saves ~{p.tokens_saved:,} tokens; {p.conflicts} conflict(s); report {q(p.report)}"]
        if p.kind == "exact":
            steps.append(f"# keep {q(p.sources[0])}: the merged agent is this file, byte for byte")
        else:
            steps.append(f"{hold}replace {q(p.sources[0])} {q(p.agent)}")
        steps += [f"{hold}remove {q(s)}" for s in p.sources[1:]]
        checks += [f"{hold}unchanged {q(s)} {_sha256(s)}" for s in p.sources]
    text = _APPLY_HEAD.format(plan=shlex.quote(os.path.join(outdir, APPLY)))
    return text + "\n# every file still as planned\n" + "\n".join(checks) + "\n" + "\n".join(steps) + "\n"


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
