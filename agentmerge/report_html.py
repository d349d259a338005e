"""The HTML report (`--report x.html`): one self-contained file for reviewing a merge in a browser.

Rendered from the JSON report's data (`report.to_json`) with a Jinja2 template whose autoescaping is on
for every value: the inputs are untrusted text, and a unit that says `<script>` shows as those characters.
No network: the CSS and the filter script are inline, and the page's Content-Security-Policy allows only
that one script (by its hash) and inline styles, so nothing is fetched and nothing else runs.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from importlib import resources
from typing import Any

SEVERITIES = ("high", "medium", "low", "note")


def _script() -> str:
    return resources.files("agentmerge").joinpath("templates", "report.js").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2  # only for this report: merges without it never pay the import

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("agentmerge", "templates"),
        autoescape=True,  # every {{ value }} is escaped; nothing in the template marks input text safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["code_spans"] = code_spans
    return environment


def code_spans(text: Any):
    """`model` differs: ... -> the backticked parts as <code>, every part escaped (markupsafe, Jinja2's own)."""
    from markupsafe import Markup, escape

    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an odd backtick: no spans, the text as it is
        return escape(str(text))
    return Markup("").join(escape(p) if i % 2 == 0 else Markup("<code>%s</code>") % p for i, p in enumerate(parts))


def _lines(line: int | None, end: int | None) -> str:
    return "" if line is None else str(line) if not end or end == line else f"{line}-{end}"


def _location(item: dict[str, Any]) -> str:
    """`a.md:12-14`; a side made of units apart lists each (`a.md:43, 148`), not one range over both."""
    if item.get("line") is None:
        return str(item["path"])
    units = item.get("units") or []
    if len(units) > 1:
        return f"{item['path']}:" + ", ".join(_lines(u["line"], u.get("end_line")) for u in units)
    return f"{item['path']}:{_lines(item['line'], item.get('end_line'))}"


def _view(data: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, worked out here so the template only lays it out."""
    conflicts = []
    for c in data["conflicts"]:
        settled = c.get("resolution") is not None
        sides = []
        for i, side in enumerate(c["sides"]):
            kept = i in c.get("in_output", [])
            state = ("kept" if settled else "kept, unsettled") if kept else "dropped"
            sides.append({**side, "where": _location(side), "kept": kept, "state": state})
        how = (f"settled by {c['resolution']['strategy']}" if settled
               else f"unsettled: every side stays ({c.get('how_kept', '')})")
        conflicts.append({**c, "sides": sides, "how": how, "settled": settled, "key": c.get("key") or ""})
    kinds = sorted({c["kind"] for c in conflicts})
    severities = [s for s in SEVERITIES if any(c["severity"] == s for c in conflicts)]
    severities += sorted({c["severity"] for c in conflicts} - set(severities))
    shared = [{**g, "members": [{**m, "where": _location(m)} for m in g["members"]]} for g in data["shared"]]
    order = {i["path"]: n for n, i in enumerate(data["inputs"])}
    unique: dict[str, list[dict[str, Any]]] = {}
    for u in data["unique"]:
        unique.setdefault(u["path"], []).append({**u, "where": _location(u)})
    return {
        "data": data,
        "conflicts": conflicts,
        "kinds": [(k, sum(1 for c in conflicts if c["kind"] == k)) for k in kinds],
        "severities": [(s, sum(1 for c in conflicts if c["severity"] == s)) for s in severities],
        "shared": shared,
        "unique": sorted(unique.items(), key=lambda kv: order.get(kv[0], len(order))),
    }


def html(data: dict[str, Any]) -> str:
    """The report (the JSON report's data, `agentmerge-report/1`) as one self-contained HTML page."""
    script = _script()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    template = _environment().get_template("report.html")
    return template.render(script=script, script_hash=f"sha256-{digest}", **_view(data))
