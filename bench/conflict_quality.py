"""How well the conflict detectors do on labelled agent pairs: recall by form, precision, agreements flagged.

    python bench/conflict_quality.py                 # every set below, held-back ones as totals
    python bench/conflict_quality.py --show-misses   # also list misses and unlabelled reports (legacy, tune)
    python bench/conflict_quality.py --self          # re-analyse each merged agent on its own
    python bench/conflict_quality.py --json          # the same numbers as JSON
    python bench/conflict_quality.py --cross         # body conflicts between agents of different pairs

Sets: `legacy` is fixtures/pairs, `tune` is fixtures/conflicts, `more` is fixtures/conflicts-more (more
tuning pairs, not balanced against the held-back half), `extra` is fixtures/conflicts-extra (six more pairs
in other domains, labelled before the detectors were tuned on them), `fresh` and `fresh-held` are the two
halves of fixtures/conflicts-fresh (eight pairs in further domains; `fresh-held` is printed as totals only,
like `holdout`), `phrasing` is fixtures/conflicts-phrasing (four pairs worded in the rule phrasings agent files
use, labelled before the statement model was widened for them), `general2` is fixtures/conflicts-general2 (six
pairs in further domains, labelled before the general detectors were widened for them), `general3` and
`general3-held` are the two halves of fixtures/conflicts-general3 (eight pairs in eight more domains;
`general3-held` is printed as totals only), `general4` and `general4-held` the two halves of
fixtures/conflicts-general4 (eight pairs in eight more domains, labelled before any detector change was
measured on them; `general4-held` is totals only), `quiet` and
`quiet-held` are the two halves of fixtures/conflicts-quiet (four pairs laid out as public agent collections
write them, mostly agreeing: quoted example requests and summary messages, capability lists, two coverage
figures side by side; `quiet-held` is totals only), `holdout` is fixtures/holdout. Each pair
directory holds a.md, b.md and expected.yaml (see fixtures/conflicts/README.md). Every pair is merged with
`merge_files([a, b], MergeOptions())` and the report's conflicts are matched to the expected ones by their
sides: a reported conflict matches an expected one when each expected side's `file:line` falls inside one
of the reported sides' line ranges (its units' ranges when it lists units) in the same file. The kind need
not match; how often it does is printed as "kind agrees".

For the held-back set only totals and per-form counts are printed, never which items were missed or what
was reported, and `--show-misses` does not apply to it.

`--cross` merges the a.md of each pair with the b.md of every other pair of the chosen sets (never the
held-back one) and counts the body conflicts reported, by kind: agents for different jobs rarely
contradict each other, so a rise there is mostly false reports (some are real: two files can disagree on
testing first across domains). With `--show-misses` each is listed.

`--self` merges each pair under every `--on-conflict` strategy, writes the merged agent to a temporary
file, runs `merge_files([merged])` on it alone and counts the conflicts still reported inside it; the five
seeds (fixtures/seeds) are merged together as one more case.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agentmerge import MergeOptions, merge_files  # noqa: E402
from agentmerge.report import to_json  # noqa: E402

SETS = {"legacy": ROOT / "fixtures" / "pairs", "tune": ROOT / "fixtures" / "conflicts",
        "more": ROOT / "fixtures" / "conflicts-more",
        "extra": ROOT / "fixtures" / "conflicts-extra",
        "fresh": ROOT / "fixtures" / "conflicts-fresh",
        "fresh-held": ROOT / "fixtures" / "conflicts-fresh",
        "phrasing": ROOT / "fixtures" / "conflicts-phrasing",
        "general2": ROOT / "fixtures" / "conflicts-general2",
        "general3": ROOT / "fixtures" / "conflicts-general3",
        "general3-held": ROOT / "fixtures" / "conflicts-general3",
        "general4": ROOT / "fixtures" / "conflicts-general4",
        "general4-held": ROOT / "fixtures" / "conflicts-general4",
        "quiet": ROOT / "fixtures" / "conflicts-quiet",
        "quiet-held": ROOT / "fixtures" / "conflicts-quiet",
        "holdout": ROOT / "fixtures" / "holdout"}
# fixtures/conflicts-fresh is split in two halves (its README says which): `fresh` is tuned on, `fresh-held`
# is scored like the held-back set, totals only.
FRESH_HELD = ("observability", "media-transcoding", "health-interop", "hpc-cluster")
# fixtures/conflicts-general3 likewise: `general3` is tuned on, `general3-held` is totals only.
GENERAL3_HELD = ("iot-fleet", "data-governance", "chatbot-ops", "ecommerce-catalog")
# fixtures/conflicts-general4 likewise.
GENERAL4_HELD = ("procurement", "museum-collections", "tax-preparation", "podcast-production")
# fixtures/conflicts-quiet likewise: `quiet` is tuned on, `quiet-held` scored as totals only.
QUIET_HELD = ("chatbot-nlu", "pricing-engine")
HIDDEN = {"holdout", "fresh-held", "general3-held", "general4-held", "quiet-held"}  # sets whose items are never printed
STRATEGIES = ("prefer-first", "keep-all", "mark")
SEEDS = ROOT / "fixtures" / "seeds"


def pair_dirs(name: str) -> list[Path]:
    dirs = sorted(p for p in SETS[name].iterdir() if (p / "expected.yaml").exists())
    if name == "fresh":
        return [d for d in dirs if d.name not in FRESH_HELD]
    if name == "fresh-held":
        return [d for d in dirs if d.name in FRESH_HELD]
    if name == "general3":
        return [d for d in dirs if d.name not in GENERAL3_HELD]
    if name == "general3-held":
        return [d for d in dirs if d.name in GENERAL3_HELD]
    if name == "general4":
        return [d for d in dirs if d.name not in GENERAL4_HELD]
    if name == "general4-held":
        return [d for d in dirs if d.name in GENERAL4_HELD]
    if name == "quiet":
        return [d for d in dirs if d.name not in QUIET_HELD]
    if name == "quiet-held":
        return [d for d in dirs if d.name in QUIET_HELD]
    return dirs


def reported_sides(conflict: dict) -> list[tuple[str, list[tuple[int, int]]]]:
    """(file name, line ranges) of each side of a reported conflict."""
    out = []
    for side in conflict["sides"]:
        spans = [(u["line"], u["end_line"]) for u in side.get("units") or []]
        spans = spans or [(side["line"], side["end_line"])]
        out.append((Path(side["path"]).name, spans))
    return out


def matches(sides: list[tuple[str, list[tuple[int, int]]]], refs: list[str]) -> bool:
    """Every expected `file:line` lies inside a range of some reported side in that file."""
    for ref in refs:
        name, line = ref.rsplit(":", 1)
        n = int(line)
        if not any(s == name and any(lo <= n <= hi for lo, hi in spans) for s, spans in sides):
            return False
    return True


def form_of(item: dict) -> str:
    return item.get("form") or item["kind"]


def score_pair(d: Path) -> dict:
    expected = yaml.safe_load((d / "expected.yaml").read_text(encoding="utf-8"))
    report = to_json(merge_files([str(d / "a.md"), str(d / "b.md")], MergeOptions()))["conflicts"]
    found = [(c, reported_sides(c)) for c in report]
    conflicts = expected.get("conflicts") or []
    agreements = expected.get("agreements") or []
    items, matched_reports = [], set()
    for e in conflicts:
        hits = [i for i, (_c, sides) in enumerate(found) if matches(sides, e["sides"])]
        matched_reports.update(hits)
        kind_agrees = any(found[i][0]["kind"] == e["kind"] for i in hits)
        items.append(dict(form=form_of(e), kind=e["kind"], topic=e.get("topic", ""), sides=e["sides"],
                          found=bool(hits), kind_agrees=kind_agrees,
                          reported_kinds=sorted({found[i][0]["kind"] for i in hits})))
    flagged = []
    for ag in agreements:
        hits = [i for i, (_c, sides) in enumerate(found) if i not in matched_reports and matches(sides, ag["sides"])]
        if hits:
            flagged.append(dict(form=ag.get("form", ""), sides=ag["sides"],
                                reported=[f"{found[i][0]['kind']} {found[i][0]['topic']}" for i in hits]))
    flagged_reports = {i for i, (_c, sides) in enumerate(found) if i not in matched_reports
                       and any(matches(sides, ag["sides"]) for ag in agreements)}
    body = [i for i, (c, _s) in enumerate(found) if c["kind"] != "frontmatter"]
    unlabelled = [i for i in body if i not in matched_reports and i not in flagged_reports]
    return dict(
        pair=d.name, items=items, flagged=flagged,
        reported_body=len(body), matched_body=sum(1 for i in body if i in matched_reports),
        reported_persona=sum(1 for c, _s in found if c["kind"] == "persona"),
        unlabelled=len(unlabelled),
        unlabelled_items=[dict(kind=found[i][0]["kind"], topic=found[i][0]["topic"],
                               sides=[f"{n}:{s[0][0]}" for n, s in found[i][1]],
                               message=found[i][0]["message"][:160]) for i in unlabelled],
        agreements=len(agreements))


def summarise(name: str, pairs: list[dict]) -> dict:
    by_form: dict[str, list[int]] = {}
    kind_agrees = 0
    for p in pairs:
        for it in p["items"]:
            cell = by_form.setdefault(it["form"], [0, 0])
            cell[0] += it["found"]
            cell[1] += 1
            kind_agrees += it["found"] and it["kind_agrees"]
    body = [it for p in pairs for it in p["items"] if it["form"] != "frontmatter"]
    front = [it for p in pairs for it in p["items"] if it["form"] == "frontmatter"]
    reported = sum(p["reported_body"] for p in pairs)
    persona = sum(p["reported_persona"] for p in pairs)
    matched = sum(p["matched_body"] for p in pairs)
    found_total = sum(it["found"] for p in pairs for it in p["items"])
    return dict(
        set=name, pairs=len(pairs),
        found=found_total, total=sum(len(p["items"]) for p in pairs),
        body_found=sum(it["found"] for it in body), body_total=len(body),
        frontmatter_found=sum(it["found"] for it in front), frontmatter_total=len(front),
        by_form={f: {"found": v[0], "total": v[1]} for f, v in sorted(by_form.items())},
        kind_agrees=kind_agrees,
        agreements=sum(p["agreements"] for p in pairs),
        agreements_flagged=sum(len(p["flagged"]) for p in pairs),
        agreements_flagged_by_form=dict(sorted(Counter(f["form"] for p in pairs for f in p["flagged"]).items())),
        reported_body=reported, matched_body=matched,
        reported_persona=persona,
        unlabelled_body=sum(p["unlabelled"] for p in pairs),
        precision=round(matched / reported, 3) if reported else None,
        precision_without_persona=(round(matched / (reported - persona), 3) if reported - persona else None),
    )


def print_summary(s: dict) -> None:
    pct = lambda a, b: f"{a}/{b} ({100 * a / b:.0f}%)" if b else f"{a}/{b}"  # noqa: E731
    prec = "n/a" if s["precision"] is None else f"{s['precision']:.2f}"
    print(f"== {s['set']}: {s['pairs']} pairs")
    print(f"  planted conflicts found   {pct(s['found'], s['total'])}   kind agrees on {s['kind_agrees']} of those found")
    print(f"  body                      {pct(s['body_found'], s['body_total'])}")
    print(f"  frontmatter               {pct(s['frontmatter_found'], s['frontmatter_total'])}")
    print("  by form                   " + ", ".join(f"{f} {v['found']}/{v['total']}" for f, v in s["by_form"].items()))
    flagged = ", ".join(f"{f} {n}" for f, n in s["agreements_flagged_by_form"].items())
    print(f"  agreements flagged        {s['agreements_flagged']} of {s['agreements']}" + (f"  ({flagged})" if flagged else ""))
    print(f"  reported body conflicts   {s['reported_body']} (persona {s['reported_persona']}), matched {s['matched_body']}, "
          f"not in expected {s['unlabelled_body']}")
    prec2 = "n/a" if s["precision_without_persona"] is None else f"{s['precision_without_persona']:.2f}"
    print(f"  precision (body)          {prec}   without persona notices {prec2}")


def print_details(pairs: list[dict]) -> None:
    for p in pairs:
        for it in p["items"]:
            if not it["found"]:
                print(f"  miss  {p['pair']}: {it['form']} {it['topic']} {it['sides']}")
            elif not it["kind_agrees"]:
                print(f"  kind  {p['pair']}: {it['form']} {it['topic']} reported as {', '.join(it['reported_kinds'])}")
        for f in p["flagged"]:
            print(f"  agreement flagged  {p['pair']}: {f['form']} {f['sides']} as {'; '.join(f['reported'])}")
        for u in p["unlabelled_items"]:
            print(f"  unlabelled  {p['pair']}: {u['kind']} {u['topic']} {u['sides']}: {u['message']}")


def self_conflicts(paths: list[Path], strategy: str, tmp: Path) -> dict:
    """Merge `paths` under `strategy`, then count the conflicts the merged agent reports on its own."""
    merged = merge_files([str(p) for p in paths], MergeOptions(on_conflict=strategy))
    out = tmp / "merged.md"
    out.write_bytes(merged.text.encode("utf-8"))
    again = to_json(merge_files([str(out)], MergeOptions()))["conflicts"]
    return dict(count=len(again), kinds=dict(sorted(Counter(c["kind"] for c in again).items())),
                items=[f"{c['kind']} {c['topic']}: {c['message'][:140]}" for c in again])


def run_self(sets: list[str], show: bool) -> dict:
    cases: list[tuple[str, str, list[Path]]] = [
        (name, d.name, [d / "a.md", d / "b.md"]) for name in sets for d in pair_dirs(name)]
    cases.append(("seeds", "five-seeds", sorted(SEEDS.glob("*.md"))))
    result: dict = {}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for name, pair, paths in cases:
            for strategy in STRATEGIES:
                r = self_conflicts(paths, strategy, tmp)
                cell = result.setdefault(name, {}).setdefault(strategy, {"conflicts": 0, "pairs_with_conflicts": 0,
                                                                          "kinds": Counter(), "items": []})
                cell["conflicts"] += r["count"]
                cell["pairs_with_conflicts"] += bool(r["count"])
                cell["kinds"].update(r["kinds"])
                if name not in HIDDEN:
                    cell["items"] += [f"{pair}: {i}" for i in r["items"]]
    for name, per in result.items():
        print(f"== {name}: conflicts left inside the merged agent, re-analysed alone")
        for strategy, cell in per.items():
            cell["kinds"] = dict(sorted(cell["kinds"].items()))
            kinds = ", ".join(f"{k} {n}" for k, n in cell["kinds"].items())
            print(f"  {strategy:<13} {cell['conflicts']:>3} in {cell['pairs_with_conflicts']} merges" + (f"  ({kinds})" if kinds else ""))
            if show and name not in HIDDEN:
                for item in cell["items"]:
                    print(f"      {item}")
            if name in HIDDEN:
                del cell["items"]
    return result


def run_cross(sets: list[str], show: bool) -> dict:
    """Body conflicts between agents of different pairs (a.md of one, b.md of another)."""
    dirs = [d for name in sets if name not in HIDDEN for d in pair_dirs(name)]
    kinds: Counter = Counter()
    items: list[str] = []
    for x in dirs:
        for y in dirs:
            if x == y:
                continue
            report = to_json(merge_files([str(x / "a.md"), str(y / "b.md")], MergeOptions()))["conflicts"]
            for c in report:
                if c["kind"] in ("frontmatter", "persona"):
                    continue
                kinds[c["kind"]] += 1
                items.append(f"{x.name}/a.md + {y.name}/b.md: {c['kind']} {c['topic']}")
    total = sum(kinds.values())
    print(f"== cross: {len(dirs)} pairs' agents merged across pairs: {total} body conflicts  ("
          + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) + ")")
    if show:
        for item in items:
            print(f"      {item}")
    return {"conflicts": total, "kinds": dict(sorted(kinds.items()))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default="legacy,tune,more,extra,fresh,phrasing,general2,general3,general4,quiet,"
                    "fresh-held,general3-held,general4-held,quiet-held,holdout",
                    help="comma-separated: legacy, tune, more, extra, fresh, phrasing, general2, general3, general4, "
                    "quiet, fresh-held, general3-held, general4-held, quiet-held, holdout")
    ap.add_argument("--show-misses", action="store_true", help="list misses and unlabelled reports (not for holdout)")
    ap.add_argument("--self", dest="self_check", action="store_true", help="re-analyse each merged agent on its own")
    ap.add_argument("--json", action="store_true", help="print JSON instead of text")
    ap.add_argument("--cross", action="store_true", help="count body conflicts between agents of different pairs")
    args = ap.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        ap.error(f"unknown set: {', '.join(unknown)}")
    out: dict = {}
    check = ("cross", run_cross) if args.cross else ("self", run_self) if args.self_check else None
    if check is not None:
        name, run = check
        if args.json:  # the check's text goes nowhere; its numbers go in the JSON
            import contextlib
            import io

            with contextlib.redirect_stdout(io.StringIO()):
                out[name] = run(sets, show=False)
        else:
            out[name] = run(sets, show=args.show_misses)
    else:
        for name in sets:
            pairs = [score_pair(d) for d in pair_dirs(name)]
            summary = summarise(name, pairs)
            if name not in HIDDEN:
                summary["pairs_detail"] = pairs
            out[name] = summary
            if not args.json:
                print_summary(summary)
                if args.show_misses and name not in HIDDEN:
                    print_details(pairs)
    if args.json:
        print(json.dumps(out, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
