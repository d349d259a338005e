"""The command line: parse arguments, call the library, write files, report. No logic of its own.

`agentmerge a.md b.md -o merged.md` runs the `merge` command: the first word that is not a command
name starts a merge, so subcommands such as `scan` live beside it.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import List, Optional

import typer
from typer.core import TyperGroup

from .model import AgentmergeError, MergeOptions, printable
from .read import STDIN, STDIN_NAME  # `-` as an input reads standard input

ON_CONFLICT = ("prefer-first", "keep-all", "mark")
REPORT_SUFFIXES = (".md", ".json", ".html", ".sarif")


class DefaultCommandGroup(TyperGroup):
    """A group whose default command is `merge`: `agentmerge FILE... -o OUT` means `agentmerge merge ...`."""

    default_command = "merge"

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in self._own_options(ctx):
            if not ctx.resilient_parsing:
                _no_such_command(args[0], list(self.commands))
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def _own_options(self, ctx) -> set[str]:
        return {name for p in self.get_params(ctx) for name in (*p.opts, *p.secondary_opts)}

    def list_commands(self, ctx) -> list[str]:
        return list(self.commands)


def _no_such_command(word: str, commands: list[str]) -> None:
    """`agentmerge scna DIR`: a mistyped command, not a file to merge (a file of that name is merged)."""
    import difflib

    if word.startswith("-") or os.path.exists(word) or any(c in word for c in "./\\"):
        return
    close = difflib.get_close_matches(word, commands, n=1, cutoff=0.6)
    if close:
        raise AgentmergeError(f"No such command '{word}'. Did you mean '{close[0]}'?")


app = typer.Typer(
    cls=DefaultCommandGroup,
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Merge and deduplicate AI agent definitions, with a report of shared, unique and conflicting guidance.",
    epilog=(
        "Examples: `agentmerge a.md b.md -o merged.md` (report beside it: merged.report.md); "
        "`agentmerge a.md -o a.clean.md` (deduplicate one agent); "
        "`agentmerge a.md b.md -o - --report r.json`; "
        "`agentmerge a.md b.md -o m.md --on-conflict mark --check`. "
        "Exit codes: 0 done, 1 --check found an undecided conflict, 2 usage or input error, 3 internal error."
    ),
)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"agentmerge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Merge and deduplicate AI agent definitions."""


@app.command(
    "merge",
    help="Merge agent files into one (one FILE: deduplicate it) and report shared, unique and conflicting guidance.",
    epilog=(
        "Examples:\n\n"
        "  agentmerge a.md b.md -o merged.md\n\n"
        "  agentmerge a.md b.md c.md -o merged.md --report merged.json --prefer b.md\n\n"
        "  agentmerge a.md -o a.clean.md"
    ),
)
def merge_command(
    files: List[str] = typer.Argument(..., metavar="FILE...", help="Agent files, the first one leading; '-' reads "
                                                                   "one from stdin."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="OUT",
                                         help="Where to write the merged agent; '-' for stdout."),
    report: Optional[List[str]] = typer.Option(None, "--report", metavar="PATH",
                                               help="Write a report; .md, .json, .html or .sarif by suffix. "
                                                    "Repeatable."),
    on_conflict: str = typer.Option("prefer-first", "--on-conflict", metavar="MODE",
                                    help="prefer-first: the earliest input wins; keep-all: keep and label every "
                                         "side; mark: git-style conflict blocks."),
    prefer: Optional[str] = typer.Option(None, "--prefer", metavar="FILE",
                                         help="This input wins every conflict it takes part in (frontmatter too)."),
    decisions: Optional[str] = typer.Option(None, "--decisions", metavar="FILE",
                                            help="Apply a decisions file (agentmerge-decisions/1, docs/decisions.md)."),
    check: bool = typer.Option(False, "--check",
                               help="Exit 1 while a conflict is decided by neither --prefer nor a decision, or the "
                                    "merged agent may use tools an input did not allow."),
    diff: bool = typer.Option(False, "--diff", help="Print a unified diff from the first input to the merged "
                                                    "agent; write nothing."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be written; write nothing."),
    axes: Optional[List[str]] = typer.Option(None, "--axes", metavar="YAML",
                                             help="Extra conflict topics and stances (see docs/axes.md). Repeatable."),
    max_examples: int = typer.Option(6, "--max-examples", min=0, metavar="N",
                                     help="Most <example> blocks the merged description keeps."),
    encoding: str = typer.Option("utf-8", "--encoding", metavar="NAME", help="Encoding of the inputs."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="List unique guidance in full in the Markdown report."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No summary, no warnings (errors still show)."),
) -> None:
    from .match import collector_paused

    plan = prepare(files, output, report, on_conflict, prefer, axes, max_examples, decisions, diff=diff,
                   dry_run=dry_run)
    # A merge makes no reference cycles worth collecting, and the collector's passes over a large input's
    # tokens, units and report rows took over a second of the 60,000-item file's run (merging pauses it
    # for large runs already; reading and writing them as well).
    with collector_paused(True):
        result = plan.merge(encoding, warn=not quiet)
        plan.write(result, verbose=verbose, quiet=quiet)
        if _ENDS_PROCESS:
            # the process ends after this command: what the merge made is frozen as run() freezes it at
            # exit, so that the collector, resumed, does not first walk all of it once (5 ms of two agents)
            gc.freeze()
    if check:
        check_result(result)


class Plan:
    """A merge whose arguments were checked: what to read, with which options, and where to write."""

    def __init__(self, files: list[str], output: str | None, reports: list[str], options: MergeOptions,
                 decisions_path: str | None, diff: bool = False, dry_run: bool = False):
        self.files, self.output, self.reports, self.options = files, output, reports, options
        self.decisions_path = decisions_path
        self.diff, self.dry_run = diff, dry_run

    def merge(self, encoding: str, warn: bool = True):
        """Read and merge; `warn`: print the inputs' warnings (a second merge of the same inputs does not)."""
        from .pipeline import merge_files

        result = merge_files(self.files, self.options, encoding=encoding)
        result.output_path = None if self.output in (None, "-") else printable(self.output)
        if warn:
            _print_warnings(result.agents)
        for stale in result.stale:
            what = f"conflict {stale['conflict']}" if "conflict" in stale else "units " + ", ".join(stale["units"])
            typer.echo(f"agentmerge: warning: {self.decisions_path}:{stale['line']}: stale decision ({what}): "
                       f"{stale['reason']}; not applied", err=True)
        return result

    def write(self, result, verbose: bool = False, quiet: bool = False) -> None:
        from . import report as reports
        from .write import write_all

        rendered = [(path, _render_report(path, result, verbose)) for path in self.reports]
        writes = not self.diff and not self.dry_run
        if self.diff:
            sys.stdout.write(_unified_diff(result))
            sys.stdout.flush()
        elif self.dry_run:
            typer.echo(_would_write(self.output, result.text, rendered), err=self.output == "-")
        else:
            # Every output is rendered, then written to its temporary file, before any replaces an old one.
            write_all([(None if self.output == "-" else self.output, result.text), *rendered])
        if not quiet:
            typer.echo(reports.summary(result, [printable(p) for p in self.reports] if writes else []),
                       err=self.output == "-" or self.diff)


def prepare(files: list[str], output: str, report: Optional[List[str]], on_conflict: str, prefer: Optional[str],
            axes: Optional[List[str]], max_examples: int, decisions: Optional[str], new_decisions: bool = False,
            diff: bool = False, dry_run: bool = False) -> Plan:
    """Check every argument before anything is read or written; one error line for the first problem.
    `new_decisions`: the decisions file may not exist yet (`resolve` writes it)."""
    from .write import check_writable, refuse_inputs, refuse_same_targets

    if output is None and not diff:
        raise AgentmergeError("Missing option '-o' / '--output' (or --diff to print the changes instead)")
    if on_conflict not in ON_CONFLICT:
        raise AgentmergeError(f"--on-conflict must be one of {', '.join(ON_CONFLICT)}, not {on_conflict!r}")
    if files.count(STDIN) > 1:
        raise AgentmergeError("'-' (stdin) can be given only once")
    writes = not diff and not dry_run
    reports_to_write = list(report or [])
    for path in reports_to_write:
        if not path.endswith(REPORT_SUFFIXES):
            raise AgentmergeError(f"--report {path}: the suffix must be one of {', '.join(REPORT_SUFFIXES)}")
    if output not in (None, "-") and not reports_to_write and not diff:
        base = output[:-3] if output.endswith(".md") else output.rstrip("/" + os.sep)
        reports_to_write.append(base + ".report.md")
    if output == "-" and writes:
        stdout_open()
    targets = ([output] if output not in (None, "-") else []) + reports_to_write
    refuse_same_targets(targets)
    if prefer is not None and not any(os.path.abspath(prefer) == os.path.abspath(f) for f in files):
        raise AgentmergeError(f"--prefer {prefer}: not one of the inputs")
    for path in [*files, *(axes or [])]:
        if path != STDIN and not os.path.exists(path):
            raise AgentmergeError(f"{path}: no such file")
    refuse_inputs(targets, [f for f in files if f != STDIN])
    if decisions is not None:
        refuse_inputs([decisions], files)
        for path in targets:
            if os.path.exists(decisions) and os.path.abspath(path) == os.path.abspath(decisions):
                raise AgentmergeError(f"{decisions}: is the decisions file; write the merge elsewhere")
    for path in targets:
        check_writable(path)
    for path in axes or []:  # read by several loaders: refused here, once, if not a bounded, regular YAML file
        from .knowledge import KnowledgeError, _read

        try:
            _read(path)
        except KnowledgeError as exc:
            raise AgentmergeError(str(exc)) from None

    loaded = None
    if decisions is not None and os.path.exists(decisions):
        from .decisions import load

        loaded = load(decisions)
    elif decisions is not None and not new_decisions:
        raise AgentmergeError(f"{decisions}: no such decisions file")
    if prefer == STDIN:
        prefer = STDIN_NAME  # the name the input from stdin goes by
    options = MergeOptions(on_conflict=on_conflict, prefer=None if prefer is None else printable(prefer),
                           max_examples=max_examples, axes=tuple(axes or ()),
                           decisions=loaded)
    return Plan(list(files), output, reports_to_write, options, decisions, diff=diff, dry_run=dry_run)


def check_result(result) -> None:
    """`--check`: exit 1, listing what is undecided and how to decide it."""
    from . import report as reports

    open_ = reports.undecided(result)
    if not open_:
        return
    widened = reports.tools_widened(result)
    lines = [f"agentmerge: check: {len(open_)} conflict(s) decided by neither --prefer nor a decision"
             + (" (and the merged agent may use tools an input did not allow)" if widened else "") + ":"]
    for c in open_:
        where = " / ".join(dict.fromkeys(
            f"{result.units[side.uids[0]].where}" if side.uids else f"{c.fields[i]['path']}:{c.fields[i]['line']}"
            for i, side in enumerate(c.sides)))
        lines.append(f"  {c.key}  {c.id} {c.kind} {c.topic} ({c.severity}): {where}")
    lines.append(f"agentmerge: check: decide them with `{reports.resolve_command(result)}`, "
                 "or add their decision lines (in the report) to a decisions file and pass --decisions FILE")
    typer.echo("\n".join(lines), err=True)
    raise typer.Exit(1)


def _render_report(path: str, result, verbose: bool = False) -> str:
    """A report in the format its suffix names."""
    from . import report as reports

    if path.endswith(".json"):
        return reports.json_text(result)
    if path.endswith(".html"):
        from .report_html import html

        return html(reports.to_json(result))
    if path.endswith(".sarif"):
        from . import report_sarif

        return report_sarif.text(report_sarif.merge_log(reports.to_json(result)))
    return reports.markdown(result, verbose=verbose)


def _print_warnings(agents) -> None:
    """Each warning once; the inputs whose frontmatter strict YAML rejected (and was recovered) in one line."""
    recovered = [a.path for a in agents if a.frontmatter is not None and a.frontmatter.recovered
                 and not a.frontmatter.valid_yaml]
    if len(recovered) < 2:
        recovered = []  # one input: its own warning, with what strict YAML said
    seen = set()
    for agent in agents:
        for warning in agent.warnings:
            if agent.path in recovered and warning.startswith(f"{agent.path}: frontmatter is not valid YAML"):
                continue
            if warning not in seen:
                seen.add(warning)
                typer.echo(f"agentmerge: warning: {warning}", err=True)
    if recovered:
        typer.echo(f"agentmerge: warning: frontmatter that strict YAML rejects, recovered as plain key: value "
                   f"lines: {', '.join(recovered)} (details in the report's Inputs)", err=True)


def _unified_diff(result) -> str:
    """`--diff`: from the first input to the merged agent, as `diff -u` prints it."""
    import difflib

    first = result.agents[0]
    merged = result.text.replace("\r\n", "\n")
    lines = difflib.unified_diff(first.text.splitlines(keepends=True), merged.splitlines(keepends=True),
                                 fromfile=first.path, tofile=result.output_path or "merged")
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _would_write(output: str | None, text: str, rendered: list[tuple[str, str]]) -> str:
    """`--dry-run`: what a run would write, one line per file."""
    where = "stdout" if output == "-" else output
    lines = [f"agentmerge: dry run: would write {where} ({len(text.encode('utf-8'))} bytes, "
             f"{text.count(chr(10))} lines)"]
    lines += [f"agentmerge: dry run: would write {path} ({len(body.encode('utf-8'))} bytes)" for path, body in rendered]
    return "\n".join(lines)


from .library_cli import register  # noqa: E402  (scan, consolidate, check)
from .resolve_cli import register as register_resolve  # noqa: E402

register(app)
register_resolve(app)


def _one_line(message: str) -> str:
    return printable(" ".join(str(message).split()))


def stdout_open() -> None:
    """Refuse, before any work, to print to a standard output that was closed (`>&-`)."""
    try:
        os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        raise AgentmergeError("standard output is closed; name a file to write with -o") from None


def main(argv: list[str] | None = None) -> int:
    """Entry point: every error ends as one line `agentmerge: error: ...` and exit code 2 (3 for a bug); a
    signal that ends the run, one line and exit code 128 + its number."""
    from .signals import Interrupted, install

    install()
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except Interrupted as exc:
        typer.echo(f"agentmerge: error: interrupted by {exc.name}", err=True)
        return exc.exit_code


def _main(args: list[str]) -> int:
    from .pipeline import AccountingError

    try:
        if not args:  # help, and the exit code of a usage error, with no error line after it
            app(args=["--help"], prog_name="agentmerge", standalone_mode=False)
            return 2
        command = typer.main.get_command(app)
        from .config import default_map, find

        defaults = default_map(find(), command)  # [tool.agentmerge] / .agentmerge.toml; the command line wins
        code = command.main(args=args, prog_name="agentmerge", standalone_mode=False, default_map=defaults or None)
    except AgentmergeError as exc:
        typer.echo(f"agentmerge: error: {_one_line(exc)}", err=True)
        return 2
    except typer.Abort:
        typer.echo("agentmerge: error: interrupted", err=True)
        return 130
    except AccountingError as exc:
        typer.echo(f"agentmerge: error: internal: {_one_line(exc)}; nothing was written (this is a bug in agentmerge)", err=True)
        return 3
    except RecursionError:
        typer.echo("agentmerge: error: input nested too deeply to process", err=True)
        return 2
    except MemoryError:
        typer.echo("agentmerge: error: out of memory", err=True)
        return 2
    except BrokenPipeError:
        try:  # the reader left (`| head`): no second error when Python flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except KeyboardInterrupt:
        typer.echo("agentmerge: error: interrupted", err=True)
        return 130
    except OSError as exc:  # the system refused (disk full, permissions, a vanished file): not a bug
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"agentmerge: error: {_one_line(where + (exc.strerror or str(exc)))}", err=True)
        return 2
    except typer.TyperException as exc:  # usage errors from argument parsing
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"agentmerge: error: {_one_line(message)}", err=True)
        return 2
    except Exception as exc:  # a bug: one line, unless asked for the traceback
        if os.environ.get("AGENTMERGE_DEBUG"):
            raise
        typer.echo(f"agentmerge: error: internal: {type(exc).__name__}: {_one_line(exc)} (set AGENTMERGE_DEBUG=1 for a traceback)", err=True)
        return 3
    return int(code or 0)


# Set by run(): the command is the last thing the process does (not so when main() is called in-process).
_ENDS_PROCESS = False


def run() -> None:
    """The process entry point (console script and `python -m agentmerge`)."""
    global _ENDS_PROCESS
    _ENDS_PROCESS = True
    # What is loaded by now (the modules, their patterns and tables) lasts as long as the process: frozen,
    # the collector never walks it again (`python -m agentmerge` loads the command line with it paused)
    gc.freeze()
    gc.enable()
    code = main()
    # The process ends here. Python's last garbage collections at exit walk every object the run made (about
    # 60 ms of a two-agent merge) only to free memory the system takes back anyway; frozen objects are
    # skipped. Files are closed and streams flushed as before: nothing written depends on it.
    gc.freeze()
    sys.exit(code)
