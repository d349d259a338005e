"""SARIF 2.1.0 (`--report x.sarif`), so code scanning (GitHub's included) annotates the lines of a conflict.

One result per conflict (and, for `check`, per new duplicate pair) with every side as a location (code
scanning shows the first; the others are also related locations, linked from the message); one rule per
conflict kind. SARIF is JSON with a published schema: the log is built as plain dictionaries and the
tests validate it against the official 2.1.0 schema. (The Python SARIF object models are either
unmaintained since 2019 and need three more packages to serialise, or built on Pydantic, whose import
alone costs more than a merge.)
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any
from urllib.parse import quote

from . import __version__

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
STDIN = "<stdin>"

LEVELS = {"high": "error", "medium": "warning", "low": "note", "note": "note"}

RULES = {
    "frontmatter": ("FrontmatterConflict", "Inputs give a frontmatter key different values",
                    "Two agents set the same frontmatter key (model, tools, color, ...) differently; the merged "
                    "agent can keep only one value."),
    "policy": ("PolicyConflict", "Inputs take opposing stances on a topic",
               "One agent's guidance takes one side of a known topic (for example eventual versus strict "
               "consistency) and another agent's takes the other."),
    "polarity": ("PolarityConflict", "One input says do, another says don't",
                 "The same instruction appears with opposite polarity (always/never, X before Y / Y before X)."),
    "value": ("ValueConflict", "Inputs give one setting different values",
              "The same setting (a page size, a coverage target, a timeout) has different numbers or values."),
    "code": ("CodeConflict", "A code example contradicts a rule or another example",
             "A code block does what a rule of another input forbids, or two examples disagree."),
    "duplicate": ("DuplicateAgent", "Two agent files say the same thing",
                  "A library scan found two agent definitions that are exact or near copies; consolidate "
                  "them with `agentmerge consolidate`."),
}


def _rule_id(kind: str) -> str:
    return f"agentmerge/{kind}"


def _rule(kind: str) -> dict[str, Any]:
    name, short, full = RULES.get(kind, (kind.title().replace("-", "") + "Conflict", f"{kind} conflict",
                                         f"Inputs conflict ({kind})."))
    level = "note" if kind == "duplicate" else "warning"
    return {"id": _rule_id(kind), "name": name, "shortDescription": {"text": short},
            "fullDescription": {"text": full}, "defaultConfiguration": {"level": level}}


def _uri(path: str, root: str | None = None) -> str:
    """A relative URI reference for a path (relative to the current folder when it lies under it)."""
    if root:
        path = os.path.join(root, path)
    if os.path.isabs(path):
        rel = os.path.relpath(path)
        path = rel if not rel.startswith("..") else path
    path = os.path.normpath(path).replace(os.sep, "/")
    if os.path.isabs(path):
        return "file://" + quote(path)
    return quote(path)


def _location(side: dict[str, Any], root: str | None = None, message: str | None = None) -> dict[str, Any]:
    path = str(side["path"])
    text = message or " ".join(str(side.get("stance") or "").split())
    location: dict[str, Any] = {}
    if path != STDIN:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(path, root)}}
        if side.get("line"):
            physical["region"] = {"startLine": int(side["line"]), "endLine": int(side.get("end_line") or side["line"])}
        location["physicalLocation"] = physical
    else:
        text = f"{STDIN}:{side.get('line')}" + (f" {text}" if text else "")
    if text:
        location["message"] = {"text": text}
    return location


def _fingerprint(conflict: dict[str, Any]) -> str:
    """The conflict's `key` when the report has one; else a hash of what identifies it (not line numbers)."""
    if conflict.get("key"):
        return str(conflict["key"])
    sides = sorted((str(s.get("path", "")), str(s.get("stance", "")), " ".join(str(s.get("text", "")).split()))
                   for s in conflict.get("sides", []))
    blob = json.dumps([conflict.get("kind"), conflict.get("topic"), sides], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _sentence(text: Any) -> str:
    text = " ".join(str(text or "").split())
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def _conflict_result(c: dict[str, Any], root: str | None = None, where: str = "") -> dict[str, Any]:
    """A conflict of a merge (with how it was settled) or of a scanned cluster (`where` says which)."""
    sides = c["sides"]
    # a side made of several units apart is one location per unit: a region over both would take in
    # everything between them
    locations = [_location({**s, **u}, root) for s in sides for u in (s.get("units") or [{}])]
    message = _sentence(c.get("message", ""))
    kept = (c.get("resolution") or {}).get("kept")
    if where:
        pass  # a scan's trial merge settled it only to measure: not a decision anyone made
    elif kept is not None:
        names = ", ".join(f"{s['path']}:{s['line']}" for i, s in enumerate(sides) if i in kept)
        message += f" Kept: {names} ({c['resolution']['strategy']})."
    else:
        message += " Unsettled: every side stays in the merged agent."
    if c.get("suggestion"):
        message += " " + _sentence(c["suggestion"])
    result: dict[str, Any] = {
        "ruleId": _rule_id(c["kind"]),
        "level": LEVELS.get(str(c.get("severity")), "warning"),
        "message": {"text": (where + message).strip()},
        "locations": locations,
        "partialFingerprints": {"agentmergeConflictKey/v1": _fingerprint(c)},
        "properties": {"severity": c.get("severity"), "topic": c.get("topic") or ""},
    }
    if len(locations) > 1:
        result["relatedLocations"] = [{"id": i, **loc} for i, loc in enumerate(locations[1:], 1)]
    if c.get("id"):
        result["properties"]["id"] = c["id"]
    if c.get("key"):
        result["properties"]["key"] = c["key"]
    return result


def _log(results: list[dict[str, Any]]) -> dict[str, Any]:
    kinds = sorted({r["ruleId"].split("/", 1)[1] for r in results})
    rules = [_rule(k) for k in kinds]
    index = {r["id"]: i for i, r in enumerate(rules)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "agentmerge", "version": __version__, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def text(log: dict[str, Any]) -> str:
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def merge_log(data: dict[str, Any]) -> dict[str, Any]:
    """A merge's report data (`agentmerge-report/1`) as a SARIF log: one result per conflict."""
    return _log([_conflict_result(c) for c in data["conflicts"]])


def check_log(new: dict[str, list], roots: list[str]) -> dict[str, Any]:
    """`check`'s new findings (`scan.compare`) as a SARIF log; paths are relative to the scanned root."""
    root = roots[0] if len(roots) == 1 and os.path.isdir(roots[0]) else None
    results = []
    for d in new["duplicates"]:
        sign = "the same as" if d["kind"] == "exact" else "a near copy of"
        message = (f"New {d['kind']} duplicate ({d['cluster']}, score {d['score']:.2f}): {d['paths'][0]} is {sign} "
                   f"{d['paths'][1]}. Consolidate them, or accept them with --update-baseline.")
        locations = [_location({"path": p}, root, message=f"{d['kind']} duplicate") for p in d["paths"]]
        fingerprint = hashlib.sha256(json.dumps(sorted(d["paths"])).encode("utf-8")).hexdigest()[:16]
        results.append({"ruleId": _rule_id("duplicate"), "level": "warning", "message": {"text": message},
                        "locations": locations,
                        "relatedLocations": [{"id": i, **loc} for i, loc in enumerate(locations[1:], 1)],
                        "partialFingerprints": {"agentmergeDuplicate/v1": fingerprint},
                        "properties": {"cluster": d["cluster"], "kind": d["kind"], "score": d["score"]}})
    for c in new["conflicts"]:
        results.append(_conflict_result(c, root, where=f"New conflict in {c.get('cluster', '')}: "))
    return _log(results)
