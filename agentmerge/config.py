"""Defaults from configuration files: `.agentmerge.toml`, or `[tool.agentmerge]` in `pyproject.toml`.

As ruff finds its settings: from the current folder up, the first folder with a `.agentmerge.toml` or a
`pyproject.toml` that has a `[tool.agentmerge]` table is used (`.agentmerge.toml` first when a folder has
both); nothing is merged across folders. Keys are the long options without dashes (`on-conflict =
"mark"`); top-level keys are the merge's, a subtable per command (`[tool.agentmerge.scan]`) the others'.
The command line wins over the file. An unknown key is an error, as a mistyped option is.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from .model import AgentmergeError

FILE = ".agentmerge.toml"
PYPROJECT = "pyproject.toml"

# Options that describe one run, not a project's defaults.
NOT_SETTINGS = frozenset({"output", "help", "diff", "dry_run", "update_baseline", "version",
                          "install_completion", "show_completion"})
# Settings naming files: relative to the folder of the file that sets them.
PATH_SETTINGS = frozenset({"axes", "prefer", "baseline", "decisions"})


@dataclass
class Config:
    path: str | None = None  # the file the settings came from
    table: dict[str, Any] = field(default_factory=dict)  # [tool.agentmerge] (or .agentmerge.toml), as read


def _load_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise AgentmergeError(f"{os.path.relpath(path)}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise AgentmergeError(f"{os.path.relpath(path)}: cannot read ({exc.strerror or exc})") from None


def find(start: str | None = None) -> Config:
    """The settings that apply in `start` (the current folder): the nearest file that has some."""
    folder = os.path.abspath(start or os.getcwd())
    while True:
        own = os.path.join(folder, FILE)
        if os.path.isfile(own):
            return Config(own, _load_toml(own))
        project = os.path.join(folder, PYPROJECT)
        if os.path.isfile(project):
            try:
                with open(project, "rb") as handle:
                    mentions = b"agentmerge" in handle.read()
            except OSError:
                mentions = False
            if mentions:  # only then parse: most pyproject.toml files are someone else's business
                table = _load_toml(project).get("tool", {}).get("agentmerge")
                if isinstance(table, dict):
                    return Config(project, table)
        parent = os.path.dirname(folder)
        if parent == folder:
            return Config()
        folder = parent


def _where(config: Config, command: str | None) -> str:
    """Where a setting stands, for messages: `pyproject.toml: [tool.agentmerge.scan]`, `.agentmerge.toml`."""
    name = os.path.relpath(config.path) if config.path else ""
    prefix = ["tool", "agentmerge"] if name.endswith(PYPROJECT) else []
    table = ".".join(prefix + ([command] if command else []))
    return f"{name}: [{table}]" if table else name


def _settings(params) -> dict[str, Any]:
    """A command's configurable options: their setting names (`on-conflict`) -> the click parameter."""
    out = {}
    for p in params:
        if getattr(p, "param_type_name", "") != "option" or p.name in NOT_SETTINGS:
            continue
        long = [o for o in p.opts if o.startswith("--")]
        out[(long[0][2:] if long else p.name.replace("_", "-"))] = p
    return out


def _value(config: Config, where: str, key: str, param, value: Any) -> Any:
    multiple = getattr(param, "multiple", False)
    if multiple and not isinstance(value, list):
        value = [value]
    if param.name in PATH_SETTINGS and config.path:
        base = os.path.dirname(config.path)

        def resolve(v: Any) -> Any:
            if not isinstance(v, str) or os.path.isabs(v) or v == "-":
                return v
            return os.path.relpath(os.path.join(base, v))

        value = [resolve(v) for v in value] if multiple else resolve(value)
    is_flag = getattr(param, "is_flag", False)
    if is_flag and not isinstance(value, bool):
        raise AgentmergeError(f"{where}: {key} must be true or false, not {value!r}")
    if isinstance(value, (dict, list)) and not multiple:
        raise AgentmergeError(f"{where}: {key} must be a single value, not {value!r}")
    return value


def _unknown(where: str, key: str, known) -> AgentmergeError:
    import difflib

    close = difflib.get_close_matches(key.replace("_", "-"), list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(sorted(known))})"
    return AgentmergeError(f"{where}: unknown key {key!r}{hint}")


def default_map(config: Config, group) -> dict[str, Any]:
    """The settings as click's `default_map` for the group: {command: {parameter: value}}."""
    if config.path is None:
        return {}
    commands = dict(group.commands)
    out: dict[str, dict[str, Any]] = {}
    merge_known = _settings(commands["merge"].params)
    for key, value in config.table.items():
        if isinstance(value, dict) and key in commands and key != "merge":
            known = _settings(commands[key].params)
            where = _where(config, key)
            for sub, v in value.items():
                if sub not in known:
                    raise _unknown(where, sub, known)
                out.setdefault(key, {})[known[sub].name] = _value(config, where, sub, known[sub], v)
            continue
        where = _where(config, None)
        if key not in merge_known:
            raise _unknown(where, key, [*merge_known, *(c for c in commands if c != "merge")])
        out.setdefault("merge", {})[merge_known[key].name] = _value(config, where, key, merge_known[key], value)
    return out
