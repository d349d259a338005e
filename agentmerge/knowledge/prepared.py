"""Write ``topics.prepared.json``: the built-in knowledge base, parsed, checked and reduced ahead of time.

    python -m agentmerge.knowledge.prepared           # rewrite the file
    python -m agentmerge.knowledge.prepared --check   # exit 1 if it is stale

Run it after editing ``topics.yaml``, ``literals.py``, ``alternatives.yaml``, ``quantities.yaml`` or ``settings.yaml``
(those three are written parsed to ``<name>.prepared.json`` beside them). The file holds what ``topics.yaml`` parses to (it has
passed every check ``load_topics`` makes, duplicate keys included) and the prefilter clauses of each of its
patterns, so that a run reads one JSON document instead of parsing YAML and reducing about 700 patterns.
It records fingerprints of both source files; a run ignores a stale file (see ``knowledge._prepared``), and
a test fails while the committed one is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import (
    BUILTIN_PATH,
    DATA_FILES,
    PREPARED_FORMAT,
    PREPARED_PATH,
    KnowledgeError,
    _merge_file,
    _parse,
    _RawTopic,
    _read_bytes,
    data_payload,
    data_prepared_path,
    prepared_sources,
)
from .literals import clauses


def _sources_of(state: dict[str, _RawTopic], global_unless: list) -> list[str]:
    cells = list(global_unless)
    for topic in state.values():
        cells += topic.unless
        for stance in topic.stances.values():
            cells += stance.patterns + stance.unless + stance.code
    return sorted({cell.source for cell in cells})


def payload() -> dict[str, Any]:
    """The document, derived afresh from ``topics.yaml``."""
    path = str(BUILTIN_PATH)
    raw = _read_bytes(path)
    data = _parse(raw, path)
    if json.loads(json.dumps(data)) != data:
        raise KnowledgeError(f"{path}: holds values JSON cannot carry exactly (non-string keys, dates...)")
    state: dict[str, _RawTopic] = {}
    global_unless: list = []
    _merge_file(state, global_unless, data, path, lazy=True)
    return {
        "format": PREPARED_FORMAT,
        "sources": prepared_sources(raw),
        "data": data,
        # clause order matters (the first one files the pattern); the strings of a clause are a set
        "clauses": {source: [sorted(clause) for clause in clauses(source)] for source in _sources_of(state, global_unless)},
    }


def render() -> str:
    """The file's exact text: one value per line, so that a change to topics.yaml reads as a small diff."""
    return json.dumps(payload(), ensure_ascii=False, indent=0) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agentmerge.knowledge.prepared", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is missing or stale; write nothing")
    args = parser.parse_args(argv)
    stale = 0
    for name in DATA_FILES:
        target = data_prepared_path(name)
        text = json.dumps(data_payload(name), ensure_ascii=False, indent=0) + "\n"
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            print(f"{target} is stale: run python -m agentmerge.knowledge.prepared", file=sys.stderr)
            stale = 1
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if stale:
        return 1
    text = render()
    try:
        current = PREPARED_PATH.read_text(encoding="utf-8")
    except OSError:
        current = None
    if args.check:
        if current != text:
            print(f"{PREPARED_PATH} is stale: run python -m agentmerge.knowledge.prepared", file=sys.stderr)
            return 1
        return 0
    if current != text:
        PREPARED_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {PREPARED_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
