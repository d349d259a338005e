"""The scan for people (Markdown) and against a baseline (`agentmerge check`)."""

from __future__ import annotations

from typing import Any

def pairs_of(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every pair of files that a scan put in one cluster, with that cluster."""
    out = {}
    for c in data.get("clusters", []):
        paths = sorted(m["path"] for m in c.get("members", []))
        for i, a in enumerate(paths):
            for b in paths[i + 1 :]:
                out[(a, b)] = c
    return out


def conflict_key(c: dict[str, Any]) -> tuple:
    """A conflict's identity across runs: its kind and topic and who takes which stance (not line numbers)."""
    return (c.get("kind"), c.get("topic"), tuple(sorted((s.get("path", ""), str(s.get("stance", ""))) for s in c.get("sides", []))))


def compare(baseline: dict[str, Any], current: dict[str, Any]) -> dict[str, list]:
    """What `current` finds that `baseline` does not list: pairs of duplicates, and conflicts."""
    known_pairs = pairs_of(baseline)
    new_pairs = []
    for pair, cluster in sorted(pairs_of(current).items()):
        if pair not in known_pairs:
            new_pairs.append({"paths": list(pair), "cluster": cluster["id"], "kind": cluster["kind"],
                              "score": cluster["score"]})
    known_conflicts = {conflict_key(x) for c in baseline.get("clusters", []) for x in c.get("conflicts", [])}
    new_conflicts = []
    for c in current.get("clusters", []):
        for x in c.get("conflicts", []):
            if conflict_key(x) not in known_conflicts:
                new_conflicts.append({"cluster": c["id"], **x})
    return {"duplicates": new_pairs, "conflicts": new_conflicts}


# --- the Markdown report ------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown(data: dict[str, Any]) -> str:
    """A scan (its JSON form) as a Markdown report for people."""
    stats = data.get("stats", {})
    clusters = data["clusters"]
    exact = [c for c in clusters if c["kind"] == "exact"]
    near = [c for c in clusters if c["kind"] == "near"]
    role = [c for c in clusters if c["kind"] == "role"]
    out = ["# agentmerge library scan", ""]
    out.append(f"Scanned {', '.join(f'`{r}`' for r in data.get('roots', []))}: {data['files']} agent-like file(s).")
    skipped = data.get("skipped_by_reason") or {}
    if skipped:
        out += ["", f"Skipped {sum(skipped.values())} path(s): " +
                ", ".join(f"{n} {reason}" for reason, n in skipped.items()) + " (each listed under `skipped` in the JSON)."]
    out += ["", "| | |", "|---|---:|",
            f"| exact duplicate clusters | {len(exact)} ({sum(len(c['members']) for c in exact)} files) |",
            f"| near duplicate clusters | {len(near)} ({sum(len(c['members']) for c in near)} files) |",
            f"| same-role clusters | {len(role)} ({sum(len(c['members']) for c in role)} files) |",
            f"| conflicts inside clusters | {sum(len(c['conflicts']) for c in clusters)} |",
            f"| library tokens (estimated, characters/4) | {data['tokens']:,} |",
            f"| tokens consolidation would save | {data['tokens_saved']:,} |"]
    if "seconds" in stats:
        out.append(f"| scan time | {stats['seconds']:.1f} s |")
    settings = data.get("settings", {})
    if settings:
        out += ["", f"Near duplicates: at least {settings['threshold']:.0%} of the units of both files have a close "
                    f"counterpart (token_sort_ratio >= {settings['unit_cutoff']}) in the other."]
    out += ["", "## Clusters", ""]
    if not clusters:
        out += ["No duplicate agents found.", ""]
    for c in clusters:
        out += [f"### {c['id']} · {c['kind']} · score {c['score']:.2f} · saves ~{c['tokens_saved']:,} tokens", "",
                "| member | name | format | tokens | score |", "|---|---|---|---:|---:|"]
        for i, m in enumerate(c["members"]):
            lead = " (leads)" if i == 0 else ""
            copy = f" = `{m['exact_of']}`" if m.get("exact_of") and c["kind"] == "near" else ""
            out.append(f"| `{m['path']}`{lead}{copy} | {_md(m.get('name', ''))} | {m.get('format', '')} | "
                       f"{m.get('tokens', '')} | {m['score']:.2f} |")
        if c.get("mergeable") is False:
            out += ["", f"Listed, not merged: {_md(c.get('not_merged', ''))}."]
        if c.get("shared") is not None:
            out += ["", f"They share {c['shared']['units']} unit(s) of guidance; each adds:", ""]
            for a in c.get("adds", []):
                examples = "; ".join(_md(e) for e in a["examples"])
                out.append(f"- `{a['path']}`: {a['units']} unit(s)" + (f", e.g. {examples}" if examples else ""))
        if c.get("error"):
            out += ["", f"Merge failed: {_md(c['error'])}"]
        if c["conflicts"]:
            out += ["", "Conflicts:", ""]
            for x in c["conflicts"]:
                out.append(f"- **{x['kind']}** {x.get('topic') or ''} ({x.get('severity')}): {_md(x['message'])}")
                for s in x["sides"]:
                    out.append(f"  - `{s['path']}:{s['line']}` {_md(s.get('stance') or '')}")
        out.append("")
    if data.get("repeated_guidance"):
        out += ["## Most repeated guidance", "", "| agents | guidance | for example |", "|---:|---|---|"]
        for r in data["repeated_guidance"]:
            out.append(f"| {r['agents']} | {_md(r['text'])} | {', '.join(f'`{p}`' for p in r['examples'])} |")
        out.append("")
    if data.get("warnings"):
        out += ["## Warnings", "", *[f"- {_md(w)}" for w in data["warnings"]], ""]
    return "\n".join(out).rstrip() + "\n"

