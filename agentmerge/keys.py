"""Stable keys: the identity of a unit or a conflict from one run to the next.

A key is 12 hex digits of a BLAKE2b digest of what the thing *is*, never where it stands:

- a unit: its input's file name (the last part of the path, so moving the folder or running from another
  directory keeps it), its kind, and its text folded as the matcher folds it (list markers and their
  numbers, emphasis, case and whitespace; code, tables and HTML by whitespace only). agentmerge's own
  keep-all labels are left out, so a labelled unit keeps the key it had before it was labelled.
- a conflict: its kind, its topic (except where the topic restates a side's words), and each side as its
  input's file name with the side's folded text, sorted, so neither input order nor line numbers change it.

What changes a key: editing the text of a side, or renaming the file it comes from. A rename must change
it: decisions name the inputs whose sides stay (`keep: [b.md]`), and the same texts under other names
(or swapped between files) are not the decision that was made. A decision whose key no longer matches is
reported as stale, never applied to something else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

try:  # the BLAKE2 module alone: hashlib would also load OpenSSL (3 ms of every run) for nothing
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

from . import model
from .model import Agent, Conflict, Unit
from .normalize import LABEL, plain

KEY_DIGITS = 12
KEY_PATTERN = re.compile(r"[0-9a-f]{12}")
_SPACE = re.compile(r"\s+")
# kinds whose topic is made of one side's words (so it depends on which side came first)
_TOPIC_FROM_TEXT = frozenset({"polarity"})


def digest(*parts: str) -> str:
    h = blake2b(digest_size=KEY_DIGITS // 2)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def input_name(path: str) -> str:
    """An input's identity in keys: its file name."""
    return os.path.basename(os.path.normpath(path)) or path


def folded(text: str, kind: str) -> str:
    """A unit's text as keys see it: what its source lines say, not how they are laid out."""
    if "<!-- agentmerge conflict" in text:  # what every label starts with (most units have none)
        text = LABEL.sub("", text)
    if kind in (model.CODE, model.TABLE, model.HTML, model.CONFLICT):
        return _SPACE.sub(" ", text).strip()
    return plain(text)


def unit_key(unit: Unit) -> str:
    return digest("unit", input_name(unit.path), unit.kind, folded(unit.text, unit.kind))


def unit_keys(agents: Sequence[Agent]) -> dict[int, str]:
    return {u.uid: unit_key(u) for a in agents for u in a.units}


def conflict_key(conflict: Conflict, units: dict[int, Unit]) -> str:
    sides = []
    for i, side in enumerate(conflict.sides):
        if side.uids:
            name = input_name(units[side.uids[0]].path)
            text = "\n".join(folded(units[u].text, units[u].kind) for u in side.uids)
        else:
            field = conflict.fields[i]
            name = input_name(field["path"])
            text = " ".join(str(field["text"]).split())
        sides.append(f"{name}\x1f{text}")
    topic = "" if conflict.kind in _TOPIC_FROM_TEXT else conflict.topic
    return digest("conflict", conflict.kind, topic, *sorted(sides))
