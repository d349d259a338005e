"""The library commands: `agentmerge scan`, `agentmerge consolidate`, `agentmerge check`.

Registered on the main app by `register(app)`; the work is done by `agentmerge.scan` and
`agentmerge.consolidate`, this module only parses arguments and prints.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, List, Optional

import typer

from .model import AgentmergeError, printable

if TYPE_CHECKING:
    from .scan import Progress

# `agentmerge.scan` (and hashlib with it) is imported by the commands that use it, not here: this module is
# imported by every `agentmerge` run, plain merges included.

REPORT_SUFFIXES = (".md", ".json")
# A scan of 20,000 agent files with hundreds of clusters makes a baseline of a few MB: 100 MB is far above
# any real library and still loads in bounded memory (/dev/zero would grow without end).
MAX_BASELINE_BYTES = 100 * 1024 * 1024
ON_CONFLICT = ("prefer-first", "keep-all", "mark")

_PATHS = typer.Argument(..., metavar="PATH...", help="Folders (or files) to scan.")


def _threshold():
    return typer.Option(0.6, "--threshold", metavar="SHARE", min=0.01, max=1.0,
                        help="Near duplicates: the least share of units (both files counted) with a close "
                             "counterpart in the other file.")


def _jobs():
    return typer.Option(0, "-j", "--jobs", min=0, metavar="N", help="Worker processes (0: one per core).")


def _exclude():
    return typer.Option(None, "--exclude", metavar="GLOB",
                        help="Leave out files and folders matching this gitignore-style glob (repeatable).")


def _include():
    return typer.Option(None, "--include", metavar="GLOB",
                        help="Read Markdown files matching this gitignore-style glob as agents, whatever their "
                             "content or place (repeatable).")


def _no_gitignore():
    return typer.Option(False, "--no-gitignore", help="Do not honour .gitignore files and .git/info/exclude.")


def _role_names():
    return typer.Option(None, "--role-names", metavar="FILE",
                        help="YAML file of agent-name synonyms and job words added to the built-in ones "
                             "(repeatable; see docs/scale.md).")


def _no_roles():
    return typer.Option(False, "--no-roles", help="Do not look for same-role clusters.")


def _encoding():
    return typer.Option("utf-8", "--encoding", help="Encoding of the agent files.")


def _quiet():
    return typer.Option(False, "-q", "--quiet", help="No progress bar, no summary, no warnings (errors still show).")


class _Bar:
    """A rich progress bar on stderr, shown only when stderr is a terminal and the scan is long. Implements
    `agentmerge.scan.Progress`."""

    MIN_FILES = 200

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                  MofNCompleteColumn(), TimeElapsedColumn(),
                                  console=Console(stderr=True), transient=True, auto_refresh=False)
        self._task = None
        self._started = False
        self._ticks = 0

    def stage(self, name: str, total: int | None) -> None:
        if total is not None and total >= self.MIN_FILES and not self._started:
            self._progress.start()
            self._started = True
        if not self._started:
            return
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(name, total=total)
        self._progress.refresh()

    def advance(self, n: int = 1) -> None:
        if self._started and self._task is not None:
            self._progress.advance(self._task, n)
            self._ticks += 1
            if self._ticks % 16 == 0:
                self._progress.refresh()

    def done(self) -> None:
        if self._started:
            self._progress.stop()
            self._started = False


def _progress(quiet: bool) -> Progress:
    if quiet or not sys.stderr.isatty():
        from .scan import Progress

        return Progress()
    return _Bar()


def _options(threshold: float, jobs: int, exclude: Optional[List[str]], encoding: str, *,
             include: Optional[List[str]] = None, no_gitignore: bool = False,
             role_names: Optional[List[str]] = None, no_roles: bool = False, **extra: Any):
    from .scan import ScanOptions

    return ScanOptions(threshold=threshold, jobs=jobs or None, exclude=tuple(exclude or ()), encoding=encoding,
                       include=tuple(include or ()), gitignore=not no_gitignore,
                       role_names=tuple(role_names or ()), roles=not no_roles, **extra)


def _warn(warnings: list[str], quiet: bool = False, limit: int = 20) -> None:
    if quiet:
        return
    for w in warnings[:limit]:
        typer.echo(f"agentmerge: warning: {printable(' '.join(w.split()))}", err=True)
    if len(warnings) > limit:
        typer.echo(f"agentmerge: warning: ... and {len(warnings) - limit} more (see the JSON report)", err=True)


def _check_reports(reports: list[str]) -> None:
    for path in reports:
        if not path.endswith(REPORT_SUFFIXES):
            raise AgentmergeError(f"--report {path}: the suffix must be one of {', '.join(REPORT_SUFFIXES)}")
    from .write import refuse_same_targets

    refuse_same_targets(reports)


def _write_reports(reports: list[str], data: dict[str, Any], inputs: list[str]) -> None:
    from .scan import markdown
    from .write import check_writable, refuse_inputs, write_all

    refuse_inputs(reports, inputs)
    for path in reports:
        check_writable(path)
    write_all([(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n" if path.endswith(".json") else markdown(data))
               for path in reports])


def _human_size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} KB"


def _print_table(data: dict[str, Any], limit: int) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # highlight=False: rich would colour "file(s)" as a call and numbers at random places in the messages
    console = Console(width=None if sys.stdout.isatty() else 140, soft_wrap=False, highlight=False)
    stats = data["stats"]
    clusters = data["clusters"]
    exact = [c for c in clusters if c["kind"] == "exact"]
    near = [c for c in clusters if c["kind"] == "near"]
    share = f" ({data['tokens_saved'] * 100 / data['tokens']:.1f}% of the library)" if data["tokens"] else ""
    role = [c for c in clusters if c["kind"] == "role"]
    console.print(f"Scanned {data['files']} agent-like file(s), {_human_size(stats['bytes'])}, "
                  f"~{data['tokens']:,} tokens, in {stats['seconds']:.1f} s.", highlight=False)
    console.print(skipped_summary(data), highlight=False)
    if not clusters:
        console.print("No duplicate agents found.")
    else:
        console.print(f"{len(exact)} exact cluster(s) ({sum(len(c['members']) for c in exact)} files), "
                      f"{len(near)} near cluster(s) ({sum(len(c['members']) for c in near)} files), "
                      f"{len(role)} same-role cluster(s) ({sum(len(c['members']) for c in role)} files); "
                      f"consolidating them would save ~{data['tokens_saved']:,} tokens{share}.")
        table = Table(title="Duplicate agents", show_lines=True, title_justify="left")
        table.add_column("cluster")
        table.add_column("kind")
        table.add_column("score", justify="right")
        table.add_column("members (the first one leads)", overflow="fold")  # a long path folds, never cut
        table.add_column("conflicts", justify="right")
        table.add_column("saves (tokens)", justify="right")
        for c in clusters[: limit or None]:
            members = Text()
            for i, m in enumerate(c["members"]):
                if i:
                    members.append("\n")
                members.append(m["path"], style="bold" if i == 0 else "")
                if m.get("name"):
                    members.append(f"  {m['name']}", style="dim")
                if c["kind"] != "exact" and i:
                    members.append(f"  {m['score']:.2f}", style="cyan")
            if c["kind"] == "role" and c.get("shared") is not None:
                adds = ", ".join(f"{a['path'].rsplit('/', 1)[-1]} {a['units']}" for a in c.get("adds", []))
                members.append(f"\nshare {c['shared']['units']} unit(s); each adds: {adds}", style="dim")
            if not c.get("mergeable", True):
                members.append(f"\nnot merged: {c.get('not_merged', '')}", style="yellow")
            high = sum(1 for x in c["conflicts"] if x.get("severity") == "high")
            conflicts = str(len(c["conflicts"])) + (f" ({high} high)" if high else "")
            if c.get("error"):
                conflicts = "error"
            table.add_row(c["id"], c["kind"], f"{c['score']:.2f}", members, conflicts, f"{c['tokens_saved']:,}")
        console.print(table)
        if limit and len(clusters) > limit:
            console.print(f"... and {len(clusters) - limit} more cluster(s): see --json or --report, or --limit 0.")
    if data["repeated_guidance"]:
        table = Table(title="Most repeated guidance", title_justify="left")
        table.add_column("agents", justify="right")
        table.add_column("guidance", overflow="fold")
        for r in data["repeated_guidance"]:
            table.add_row(str(r["agents"]), r["text"])
        console.print(table)


def skipped_summary(data: dict[str, Any]) -> str:
    """One line: how many paths the scan passed over, and why (the JSON lists each under `skipped`)."""
    counts = data.get("skipped_by_reason") or {}
    if not counts:
        return "Skipped nothing."
    total = sum(counts.values())
    reasons = ", ".join(f"{n} {reason}" for reason, n in counts.items())
    return f"Skipped {total} path(s): {reasons} (listed under \"skipped\" in --json)."


def _scan_inputs(result) -> list[str]:
    return [f.source for f in result.files]


def register(app: typer.Typer) -> None:
    """Add `scan`, `consolidate` and `check` to the command line."""

    @app.command(
        "scan",
        help="Survey a library of agent definitions: exact, near and same-role duplicate agents, conflicts "
             "inside each cluster, the most repeated guidance, the tokens consolidation would save, and every "
             "file passed over with its reason.",
        epilog="Examples:\n\n  agentmerge scan .\n\n  agentmerge scan plugins/ --json > scan.json\n\n"
               "  agentmerge scan . --report library.md",
    )
    def scan_command(
        paths: List[str] = _PATHS,
        as_json: bool = typer.Option(False, "--json", help="Print the scan as JSON (agentmerge-scan/1) on stdout."),
        report: Optional[List[str]] = typer.Option(None, "--report", metavar="PATH",
                                                   help="Write the scan to a file; .md or .json by suffix. Repeatable."),
        threshold: float = _threshold(),
        top: int = typer.Option(10, "--top", min=0, metavar="N", help="How many of the most repeated guidance units to list."),
        limit: int = typer.Option(30, "--limit", min=0, metavar="N", help="Clusters shown in the terminal table (0: all)."),
        no_conflicts: bool = typer.Option(False, "--no-conflicts",
                                          help="Skip merging each cluster (no conflicts, no merged-size estimate for near clusters)."),
        jobs: int = _jobs(),
        exclude: Optional[List[str]] = _exclude(),
        include: Optional[List[str]] = _include(),
        no_gitignore: bool = _no_gitignore(),
        role_names: Optional[List[str]] = _role_names(),
        no_roles: bool = _no_roles(),
        encoding: str = _encoding(),
        quiet: bool = _quiet(),
    ) -> None:
        from .scan import scan

        reports = list(report or [])
        _check_reports(reports)
        if as_json:
            from .cli import stdout_open

            stdout_open()
        options = _options(threshold, jobs, exclude, encoding, include=include, no_gitignore=no_gitignore,
                           role_names=role_names, no_roles=no_roles, top=top, conflicts=not no_conflicts)
        result = scan(paths, options, progress=_progress(quiet))
        data = result.to_json()
        _warn(result.warnings, quiet)
        _write_reports(reports, data, _scan_inputs(result))
        if as_json:
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        elif not quiet:
            _print_table(data, limit)
            if reports:
                typer.echo("report: " + ", ".join(reports))

    @app.command(
        "consolidate",
        help="Merge every cluster of duplicate agents into one agent (with the merge core) and write it, its "
             "report, and an index to OUTDIR. Inputs are never modified or deleted.",
        epilog="Examples:\n\n  agentmerge consolidate . -o consolidated/\n\n  agentmerge consolidate . -o out/ --dry-run",
    )
    def consolidate_command(
        paths: List[str] = _PATHS,
        outdir: str = typer.Option(..., "-o", "--output", metavar="OUTDIR", help="Folder for the merged agents."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be written; write nothing."),
        on_conflict: str = typer.Option("prefer-first", "--on-conflict", metavar="MODE",
                                        help="How each merge settles conflicts: prefer-first, keep-all or mark "
                                             "(as for `agentmerge FILE...`)."),
        max_examples: int = typer.Option(6, "--max-examples", min=0,
                                         help="Most <example> blocks a merged description keeps."),
        threshold: float = _threshold(),
        jobs: int = _jobs(),
        exclude: Optional[List[str]] = _exclude(),
        include: Optional[List[str]] = _include(),
        no_gitignore: bool = _no_gitignore(),
        role_names: Optional[List[str]] = _role_names(),
        no_roles: bool = _no_roles(),
        encoding: str = _encoding(),
        quiet: bool = _quiet(),
    ) -> None:
        from .consolidate import consolidate

        if on_conflict not in ON_CONFLICT:
            raise AgentmergeError(f"--on-conflict must be one of {', '.join(ON_CONFLICT)}, not {on_conflict!r}")
        options = _options(threshold, jobs, exclude, encoding, include=include, no_gitignore=no_gitignore,
                           role_names=role_names, no_roles=no_roles, on_conflict=on_conflict,
                           max_examples=max_examples)
        outcome = consolidate(paths, outdir, options, dry_run=dry_run, progress=_progress(quiet))
        _warn(outcome.warnings, quiet)
        if not quiet or dry_run:
            typer.echo(outcome.summary())

    @app.command(
        "check",
        help="For CI and pre-commit: exit 1 when the library has duplicate agents or conflicts that the "
             "baseline does not list. Write or refresh the baseline with --update-baseline.",
        epilog="Examples:\n\n  agentmerge check . --baseline .agentmerge-baseline.json --update-baseline\n\n"
               "  agentmerge check . --baseline .agentmerge-baseline.json",
    )
    def check_command(
        paths: List[str] = _PATHS,
        baseline: str = typer.Option(..., "--baseline", metavar="FILE",
                                     help="A scan JSON (agentmerge-scan/1) listing the known duplicates and conflicts."),
        update_baseline: bool = typer.Option(False, "--update-baseline",
                                             help="Write the current findings to the baseline and exit 0."),
        report: Optional[List[str]] = typer.Option(None, "--report", metavar="PATH",
                                                   help="Write the new findings as SARIF 2.1.0 (.sarif), for "
                                                        "code scanning. Repeatable."),
        threshold: float = _threshold(),
        jobs: int = _jobs(),
        exclude: Optional[List[str]] = _exclude(),
        include: Optional[List[str]] = _include(),
        no_gitignore: bool = _no_gitignore(),
        role_names: Optional[List[str]] = _role_names(),
        no_roles: bool = _no_roles(),
        encoding: str = _encoding(),
        quiet: bool = _quiet(),
    ) -> None:
        from .scan import compare, scan
        from .write import atomic_write, check_writable

        sarif_reports = list(report or [])
        for path in sarif_reports:
            if not path.endswith(".sarif"):
                raise AgentmergeError(f"--report {path}: the suffix must be one of .sarif")
            check_writable(path)
        known = None
        if not update_baseline:
            known = load_baseline(baseline)
        else:
            check_writable(baseline)
        options = _options(threshold, jobs, exclude, encoding, include=include, no_gitignore=no_gitignore,
                           role_names=role_names, no_roles=no_roles)
        result = scan(paths, options, progress=_progress(quiet))
        data = result.to_json()
        _warn(result.warnings, quiet)
        if update_baseline:
            from .write import refuse_inputs

            refuse_inputs([baseline], _scan_inputs(result), what="a scanned agent")
            stable = {k: v for k, v in data.items() if k != "stats"}  # no timings: the file stays the same run to run
            atomic_write(baseline, json.dumps(stable, indent=2, ensure_ascii=False) + "\n")
            typer.echo(f"agentmerge: check: baseline {baseline} written: {len(data['clusters'])} cluster(s), "
                       f"{sum(len(c['conflicts']) for c in data['clusters'])} conflict(s)")
            return
        assert known is not None
        new = compare(known, data)
        marked = _with_markers(result, encoding)
        for where in marked:
            typer.echo(f"unresolved conflict markers: {where}")
        if sarif_reports:
            from . import report_sarif

            text = report_sarif.text(report_sarif.check_log(new, data["roots"]))
            for path in sarif_reports:
                atomic_write(path, text)
        for d in new["duplicates"]:
            sign = "=" if d["kind"] == "exact" else "~"
            typer.echo(f"new {d['kind']} duplicate ({d['cluster']}, score {d['score']:.2f}): "
                       f"{d['paths'][0]} {sign} {d['paths'][1]}")
        for c in new["conflicts"]:
            paths_in = ", ".join(dict.fromkeys(s["path"] for s in c["sides"]))
            typer.echo(f"new conflict ({c['cluster']}, {c['kind']} {c['topic']}, {c['severity']}): "
                       f"{' '.join(str(c['message']).split())} [{paths_in}]")
        if marked:  # never accepted by a baseline: a file with markers is a merge left half done
            typer.echo(f"agentmerge: check: {len(marked)} file(s) with unresolved conflict markers "
                       "(<<<<<<< … >>>>>>>); resolve them in the file", err=True)
        if new["duplicates"] or new["conflicts"]:
            typer.echo(f"agentmerge: check: {len(new['duplicates'])} new duplicate pair(s), "
                       f"{len(new['conflicts'])} new conflict(s) not in {baseline} "
                       "(fix them, or accept them with --update-baseline)", err=True)
        if marked or new["duplicates"] or new["conflicts"]:
            raise typer.Exit(1)
        if not quiet:
            typer.echo(f"agentmerge: check: no new duplicates or conflicts ({len(data['clusters'])} known cluster(s))")


def _with_markers(result, encoding: str) -> list[str]:
    """`path:line` of every scanned file that holds an unresolved conflict block, outside code."""
    from . import markers
    from .read import decode, read_bytes
    from .split import blocks_of

    found = []
    for f in result.files:
        try:
            text = decode(read_bytes(f.source), f.path, encoding)
        except AgentmergeError:
            continue  # the scan has already said why it could not read it
        if markers.has_markers(text):
            lines = text.replace("\r\n", "\n").split("\n")
            first = next((b.start for b in blocks_of(lines) if b.kind == "conflict"), None)
            if first is not None:
                found.append(f"{f.path}:{first + 1}")
    return found


def load_baseline(path: str) -> dict[str, Any]:
    from .scan import SCHEMA

    from .read import read_regular

    if not os.path.exists(path):
        raise AgentmergeError(f"{path}: no such baseline; create it with --update-baseline")
    try:
        data = json.loads(read_regular(path, MAX_BASELINE_BYTES, "a baseline").decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise AgentmergeError(f"{path}: cannot read the baseline ({exc})") from None
    except json.JSONDecodeError as exc:
        raise AgentmergeError(f"{path}:{exc.lineno}: the baseline is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("clusters"), list):
        raise AgentmergeError(f"{path}: not a scan baseline (expected \"schema\": \"{SCHEMA}\")")
    return data
