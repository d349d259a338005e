"""The conflict engine on agent pairs from six domains (fixtures/pairs), with the conflicts and the
agreements a careful reviewer finds. Agreement flagged as conflict is the worst error this engine can
make, so no listed agreement may be reported; precision and recall are measured over all pairs."""

from pathlib import Path

import pytest
import yaml

from agentmerge import merge_files
from agentmerge.report import to_json

PAIRS = Path(__file__).resolve().parent.parent / "fixtures" / "pairs"
DOMAINS = sorted(p.name for p in PAIRS.iterdir() if (p / "expected.yaml").exists())


def _found(domain):
    a, b = PAIRS / domain / "a.md", PAIRS / domain / "b.md"
    data = to_json(merge_files([str(a), str(b)]))
    out = []
    for c in data["conflicts"]:
        if c["kind"] == "persona":  # a merge-structure conflict, not guidance the pairs label
            continue
        sides = []
        for s in c["sides"]:
            name = Path(s["path"]).name
            spans = [(u["line"], u["end_line"]) for u in s.get("units", [{"line": s["line"], "end_line": s["end_line"]}])]
            sides.append((name, spans))
        out.append((c, sides))
    return out


def _covers(sides, ref):
    name, line = ref.split(":")
    line = int(line)
    return any(n == name and any(lo <= line <= hi for lo, hi in spans) for n, spans in sides)


def _matches(found_sides, refs):
    return all(_covers(found_sides, r) for r in refs)


def evaluate():
    tp = fp = fn = 0
    agreements_flagged = []
    missed = []
    spurious = []
    for domain in DOMAINS:
        expected = yaml.safe_load((PAIRS / domain / "expected.yaml").read_text())
        found = _found(domain)
        used = set()
        for e in expected.get("conflicts", []):
            hit = next((i for i, (c, sides) in enumerate(found) if _matches(sides, e["sides"])), None)
            if hit is None:
                fn += 1
                missed.append(f"{domain}: {e['kind']} {e.get('topic', '')} {e['sides']}")
            else:
                tp += 1
                used.add(hit)
        for i, (c, sides) in enumerate(found):
            if i in used:
                continue
            if any(_matches(sides, ag["sides"]) for ag in expected.get("agreements", [])):
                agreements_flagged.append(f"{domain}: {c['kind']} {c['topic']}: {c['message'][:120]}")
            # a found conflict that matches no expected one and is not an agreement is still a false positive
            fp += 1
            spurious.append(f"{domain}: {c['kind']} {c['topic']} {[(n, s[0][0]) for n, s in sides]}")
    return tp, fp, fn, agreements_flagged, missed, spurious


def test_no_agreement_is_reported_as_a_conflict():
    _tp, _fp, _fn, flagged, _missed, _spurious = evaluate()
    assert flagged == []


def test_precision_and_recall_on_the_domain_pairs():
    tp, fp, fn, _flagged, missed, spurious = evaluate()
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    print(f"\nconflicts: tp={tp} fp={fp} fn={fn} precision={precision:.2f} recall={recall:.2f}")
    print("missed:", *missed, sep="\n  ")
    print("spurious:", *spurious, sep="\n  ")
    assert precision >= 0.8, spurious
    assert recall >= 0.5, missed


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_pair_merges_with_every_unit_accounted_for(domain):
    result = merge_files([str(PAIRS / domain / "a.md"), str(PAIRS / domain / "b.md")])
    assert result.kept
