"""Write ``knowledge/terms.prepared.json``: the built-in term data, read and lemmatised ahead of time.

    python -m agentmerge.statements.prepare           # rewrite the file
    python -m agentmerge.statements.prepare --check   # exit 1 if it is stale

Run it after editing ``knowledge/terms.yaml``. Reading the YAML and lemmatising its entries takes a good
part of merging two agents; as one JSON document the same data loads in a tenth of that. (The English
prior, ``knowledge/english.txt``, is already in the form that loads fastest: one line per frequency.) The file records a
fingerprint of both source files; a run ignores a stale file (and reads the sources), and a test fails
while the committed one is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .terms import fingerprint

PATH = Path(__file__).resolve().parent.parent / "knowledge" / "terms.prepared.json"


def build() -> str:
    from dataclasses import fields

    from .terms import load_terms

    terms = load_terms()
    data = {}
    for f in fields(terms):
        value = getattr(terms, f.name)
        data[f.name] = sorted(value) if isinstance(value, frozenset) else value
    document = {"fingerprint": fingerprint(), "terms": data}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def write_or_check(path: Path, build_text, description: str, argv: list[str] | None = None) -> int:
    """The command line of a generated data file: rewrite `path` with `build_text()`, or with `--check`
    exit 1 if it differs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = build_text()
    if args.check:
        return 0 if path.exists() and path.read_text(encoding="utf-8") == text else 1
    path.write_text(text, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    return write_or_check(PATH, build, __doc__.split("\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
