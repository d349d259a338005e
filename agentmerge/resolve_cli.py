"""`agentmerge resolve FILE... -o OUT`: decide the undecided conflicts in the terminal, then merge.

Each conflict is shown with every side in full and its `file:line`; the answer is one input's side, every
side, skip, or quit. The answers go to the decisions file (default `<OUT without .md>.decisions.yaml`,
kept beside the merged agent so the next run and `--check` find it), and the merge is written with them.
Questions are asked with rich's prompts; without a terminal the command refuses, before reading anything.
"""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from .model import AgentmergeError


def default_decisions_path(output: str) -> str:
    base = output[:-3] if output.endswith(".md") else output
    return base + ".decisions.yaml"


def register(app: typer.Typer) -> None:
    @app.command(
        "resolve",
        help="Decide each undecided conflict in the terminal (keep one input's side, keep all, skip, quit), "
             "write the decisions file, then merge with it.",
        epilog="Examples:\n\n  agentmerge resolve a.md b.md -o merged.md\n\n"
               "  agentmerge resolve a.md b.md -o merged.md --decisions team.decisions.yaml\n\n"
               "The decisions file defaults to OUT without .md plus .decisions.yaml (merged.decisions.yaml); "
               "merge again with `agentmerge a.md b.md -o merged.md --decisions merged.decisions.yaml --check`.",
    )
    def resolve_command(
        files: List[str] = typer.Argument(..., metavar="FILE...", help="Agent files, the first one leading."),
        output: str = typer.Option(..., "-o", "--output", metavar="OUT", help="Where to write the merged agent."),
        decisions: Optional[str] = typer.Option(None, "--decisions", metavar="FILE",
                                                help="The decisions file to read and extend "
                                                     "(default: OUT without .md, plus .decisions.yaml)."),
        report: Optional[List[str]] = typer.Option(None, "--report", metavar="PATH",
                                                   help="Write a report; .md or .json by suffix. Repeatable."),
        on_conflict: str = typer.Option("prefer-first", "--on-conflict", metavar="prefer-first|keep-all|mark",
                                        help="How conflicts you skip are written (as for the merge)."),
        prefer: Optional[str] = typer.Option(None, "--prefer", metavar="FILE",
                                             help="This input wins every conflict it takes part in."),
        axes: Optional[List[str]] = typer.Option(None, "--axes", metavar="YAML", help="Extra conflict topics."),
        max_examples: int = typer.Option(6, "--max-examples", min=0, help="Most <example> blocks kept."),
        encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of the inputs."),
        verbose: bool = typer.Option(False, "-v", "--verbose", help="List unique guidance in full in the report."),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="No summary."),
    ) -> None:
        from . import decisions as decisions_mod
        from .cli import prepare
        from .report import undecided
        from .write import atomic_write, check_writable

        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise AgentmergeError("resolve asks its questions in a terminal, and this is not one; without one, "
                                  "copy the decision lines from the report into a decisions file and merge "
                                  "with --decisions FILE")
        if output == "-":
            raise AgentmergeError("resolve writes the merged agent to a file: give -o OUT")
        path = decisions or default_decisions_path(output)
        plan = prepare(files, output, report, on_conflict, prefer, axes, max_examples, path, new_decisions=True)
        check_writable(path)
        result = plan.merge(encoding)
        known = plan.options.decisions or decisions_mod.Decisions(path=path)
        todo = undecided(result)
        added = ask(result, todo)
        if added:
            known = decisions_mod.Decisions(path=path, conflicts=(*known.conflicts, *added), units=known.units)
            atomic_write(path, decisions_mod.dump(known))
            plan.options.decisions = decisions_mod.parse(decisions_mod.dump(known), path)
            typer.echo(f"agentmerge: resolve: {len(added)} decision(s) written to {path}")
            result = plan.merge(encoding, warn=False)
        elif not todo:
            typer.echo("agentmerge: resolve: nothing to decide")
        plan.write(result, verbose=verbose, quiet=quiet)


def ask(result, conflicts) -> list:
    """One question per conflict; returns the decisions made, stopping at `q`."""
    from rich.console import Console
    from rich.markup import escape
    from rich.prompt import Prompt

    from .decisions import ConflictDecision
    from .report import conflict_json

    console = Console(highlight=False)
    made = []
    for number, conflict in enumerate(conflicts, 1):
        data = conflict_json(result, conflict)
        console.rule(f"[bold]{number}/{len(conflicts)} · {data['id']} · {data['kind']} · {escape(str(data['topic']))} "
                     f"({data['severity']}) · {data['key']}")
        console.print(escape(data["message"]))
        paths = list(dict.fromkeys(side["path"] for side in data["sides"]))
        for i, side in enumerate(data["sides"]):
            where = f"{side['path']}:{side['line']}" + (f"-{side['end_line']}" if side["end_line"] != side["line"] else "")
            state = "kept now" if i in data["in_output"] else "dropped now"
            console.print()
            console.print(f"[bold][{paths.index(side['path']) + 1}] {escape(where)}[/bold] · {escape(side['stance'] or '')}"
                          f" · {state}")
            console.print(escape(side["text"]), soft_wrap=True)
        console.print()
        choices = [str(i) for i in range(1, len(paths) + 1)]
        legend = ", ".join(f"{i} keep {p}" for i, p in zip(choices, paths))
        legend += ("" if conflict.one_value else ", a keep all") + ", s skip, q quit"
        console.print(escape(legend))
        answer = Prompt.ask("Decision", choices=[*choices, *([] if conflict.one_value else ["a"]), "s", "q"], default="s",
                            console=console)
        if answer == "q":
            break
        if answer == "s":
            continue
        keep = "all" if answer == "a" else (paths[int(answer) - 1],)
        note = Prompt.ask("Note (optional, Enter for none)", default="", show_default=False, console=console)
        made.append(ConflictDecision(key=conflict.key, keep=keep, note=note.strip()))
    return made
