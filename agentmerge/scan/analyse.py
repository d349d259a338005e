"""Analysis: the merge pipeline on one cluster gives its conflicts, what is shared and what each adds.

An exact cluster's merged agent is its leader, byte for byte: only the members' frontmatter is merged, for
the conflicts between them (another name, other tools). A near or same-role cluster is merged only when
its members are the same kind of thing (see `mergeable`); otherwise it is listed, with its conflicts and
what each member adds, for people to decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model import AgentmergeError
from .fingerprint import read_text, split_text, suffix_of
from .results import Cluster, FileInfo, ScanOptions
from .settings import HEAD_BYTES

# Formats whose files are procedures run with arguments (slash commands, Copilot prompt files): two of them
# merge only when they take the same arguments and carry the same code (schemas, scripts).
COMMAND_FORMATS = frozenset({"command", "copilot-prompt"})
EXAMPLES = 3


def mergeable(c: Cluster, files: Sequence[FileInfo]) -> tuple[bool, str]:
    """Whether a cluster's members can become one file, and if not, why (one line)."""
    if c.kind == "exact":
        return True, ""
    members = [files[m] for m in c.members]
    distinct = [f for f in members if f.index not in c.exact_of]
    kinds = {(f.format, suffix_of(f.path).lower()) for f in members}
    if len(kinds) > 1:
        shown = ", ".join(sorted(f"{fmt} ({sfx})" for fmt, sfx in kinds))
        return False, f"its members are different kinds of file: {shown}"
    fmt = members[0].format
    if fmt in COMMAND_FORMATS:
        if c.kind == "role":
            return False, "independently written commands: their arguments and steps differ; keep one"
        hints = {f.argument_hint for f in distinct}
        if len(hints) > 1:
            shown = " vs ".join(repr(h) if h is not None else "none" for h in sorted(hints, key=str))
            return False, f"commands with different arguments ({shown}); keep one"
        if len({f.code_key for f in distinct}) > 1:
            return False, "commands with different code blocks (schemas, scripts, steps); keep one"
    if any(f.large for f in members):
        return False, "a member is too large to merge"
    return True, ""


def analysis_task(c: Cluster, files: Sequence[FileInfo], options: ScanOptions, output_path: str | None) -> dict[str, Any]:
    # Exact copies add nothing to the body: only their frontmatter is merged, which keeps the merge cheap.
    exact = c.kind == "exact"
    return {
        "kind": c.kind,
        "members": [(files[m].path, files[m].source, exact or m in c.exact_of) for m in c.members],
        "encoding": options.encoding,
        # a cluster that is listed, not merged, loses nothing: every side is kept, so no input order settles
        # its conflicts and no unit a losing side carried needs a second reading
        "on_conflict": options.on_conflict if c.mergeable else "keep-all",
        "max_examples": options.max_examples,
        "output_path": output_path,
    }


def frontmatter_text(source: str, display: str, encoding: str) -> str | None:
    """The frontmatter block of a file (with its `---` lines), read from the file's head only."""
    with open(source, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    try:
        text = head.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding,
                           errors="replace")
    except LookupError:
        raise AgentmergeError(f"--encoding {encoding}: unknown encoding") from None
    front, _body, _unclosed = split_text(text)
    if front is None:
        return None
    return "---\n" + "".join(line + "\n" for line in front) + "---\n"


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shared_and_added(result) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What the members of a cluster share (guidance groups spanning two or more files) and what each adds
    (its units no other member says), from the merge report."""
    from ..report import classify

    shared, unique, _conflicts = classify(result)
    spanning = [g for g in shared if len({m["path"] for m in g["members"]}) > 1]
    common = {"units": len(spanning),
              "examples": [_short(" ".join(g["members"][0]["text"].split()), 200) for g in spanning[:EXAMPLES]]}
    adds = []
    for agent in result.agents:
        own = [u for u in unique if u["path"] == agent.path]
        adds.append({"path": agent.path, "units": len(own),
                     "examples": [_short(" ".join(u["text"].split()), 200) for u in own[:EXAMPLES]]})
    return common, adds


def analyse(task: dict[str, Any]) -> dict[str, Any]:
    """Merge one cluster's files (runs in a worker). Returns its conflicts between different files, the
    merged agent's token count, for a role cluster what is shared and what each adds, and, when asked, the
    merged text and its Markdown report (an exact cluster's text is its leader's: see `copy`)."""
    from ..model import MergeOptions
    from ..pipeline import AccountingError, merge
    from ..read import parse_agent
    from ..report import conflict_json, markdown, tokens

    try:
        agents = []
        for display, source, copy in task["members"]:
            if copy:
                text = frontmatter_text(source, display, task["encoding"])
                if text is None:
                    continue
            else:
                text = read_text(source, display, task["encoding"])
            agents.append(parse_agent(text, display, index=len(agents)))
        options = MergeOptions(on_conflict=task["on_conflict"], max_examples=task["max_examples"])
        result = merge(agents, options) if agents else None
    except (AgentmergeError, AccountingError, OSError) as exc:
        return {"error": " ".join(str(exc).split())}
    conflicts = []
    for c in result.conflicts if result is not None else ():
        data = conflict_json(result, c)
        if len({s["path"] for s in data["sides"]}) < 2:
            continue  # a conflict inside one file is that file's business, not the cluster's
        sides = [{"path": s["path"], "line": s["line"], "end_line": s["end_line"], "stance": s["stance"],
                  "text": _short(s["text"])} for s in data["sides"]]
        conflicts.append({"kind": data["kind"], "topic": data["topic"], "severity": data["severity"],
                          "message": data["message"], "sides": sides, "resolution": data["resolution"]})
    outcome: dict[str, Any] = {"conflicts": conflicts, "tokens_merged": tokens(result.text) if result else 0}
    if task["kind"] == "role" and result is not None:
        outcome["shared"], outcome["adds"] = _shared_and_added(result)
    if task["output_path"] is not None:
        if task["kind"] == "exact":
            outcome["copy"] = task["members"][0][1]  # the leader, byte for byte
            leader = task["members"][0][0]
            note = (f"The merged agent is `{leader}` byte for byte: the other members are exact copies of its "
                    "body. Their frontmatter was compared for the conflicts below.\n\n")
            outcome["result_markdown"] = note + (markdown(result) if result is not None else "")
        else:
            result.output_path = task["output_path"]
            outcome["text"] = result.text
            outcome["result_markdown"] = markdown(result)
    return outcome


def apply_analysis(c: Cluster, outcome: dict[str, Any]) -> None:
    if "error" in outcome:
        c.error = outcome["error"]
        return
    c.conflicts = [{"id": f"{c.id}.C{i}", **x} for i, x in enumerate(outcome["conflicts"], 1)]
    if "shared" in outcome:
        c.shared, c.adds = outcome["shared"], outcome["adds"]
    if c.kind != "exact" and c.mergeable:  # exact copies save all copies but one, whatever the frontmatter weighs
        c.tokens_merged = outcome["tokens_merged"]
