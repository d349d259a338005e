"""The labelled conflict pairs (fixtures/conflicts, the tuning half, and fixtures/holdout, the held-back
half) are data that the conflict benchmark trusts: every file must parse, every side must name the first
line of a real unit (or a frontmatter key, or line 1 for a key the file lacks), every form must be one the
benchmark scores, and the two halves must cover every form in about equal numbers. Failures name the file
and side, never the text, so the held-back half stays unread."""

from collections import Counter
from pathlib import Path

import pytest
import yaml

from agentmerge import read_agents

ROOT = Path(__file__).resolve().parent.parent / "fixtures"
HALVES = {"tune": ROOT / "conflicts", "holdout": ROOT / "holdout"}
# More tuning pairs in other domains, labelled the same way; not part of the two balanced halves.
MORE = ROOT / "conflicts-more"
EXTRA = ROOT / "conflicts-extra"
FRESH = ROOT / "conflicts-fresh"
GENERAL2 = ROOT / "conflicts-general2"
GENERAL3 = ROOT / "conflicts-general3"
GENERAL4 = ROOT / "conflicts-general4"
# Short, mostly agreeing pairs laid out as public collections write them (not held to the length rule).
QUIET = ROOT / "conflicts-quiet"
CONFLICT_FORMS = {"modality", "value", "choice", "order", "scope", "code", "frontmatter"}
AGREEMENT_FORMS = {"opposite-polarity", "same-value", "capability-list", "history", "different-scope", "persona",
                   "different-quantity"}
# Forms only the quiet pairs label: a quoted message or request takes no stance.
QUOTED_FORMS = {"example-message", "example-request"}
BODY_FORMS = CONFLICT_FORMS - {"frontmatter"}
# Minimum planted items over both halves, by form.
MINIMUM = {"choice": 12, "value": 8, "modality": 6, "scope": 6, "order": 5, "code": 5}
OLD_DOMAINS = {p.name for p in (ROOT / "pairs").iterdir() if p.is_dir()}


def _pairs(half):
    return sorted(p for p in HALVES[half].iterdir() if (p / "expected.yaml").exists())


ALL = [(half, d) for half in HALVES for d in _pairs(half)] + [
    ("more", d) for d in sorted(p for p in MORE.iterdir() if (p / "expected.yaml").exists())] + [
    ("extra", d) for d in sorted(p for p in EXTRA.iterdir() if (p / "expected.yaml").exists())] + [
    ("fresh", d) for d in sorted(p for p in FRESH.iterdir() if (p / "expected.yaml").exists())] + [
    ("general2", d) for d in sorted(p for p in GENERAL2.iterdir() if (p / "expected.yaml").exists())] + [
    ("general3", d) for d in sorted(p for p in GENERAL3.iterdir() if (p / "expected.yaml").exists())] + [
    ("general4", d) for d in sorted(p for p in GENERAL4.iterdir() if (p / "expected.yaml").exists())]
CHECKED = ALL + [("quiet", d) for d in sorted(p for p in QUIET.iterdir() if (p / "expected.yaml").exists())]


def _expected(d):
    return yaml.safe_load((d / "expected.yaml").read_text(encoding="utf-8"))


def _anchors(d):
    """file name -> (lines a side may name, frontmatter keys present)."""
    out = {}
    for name in ("a.md", "b.md"):
        agent = read_agents([str(d / name)])[0]
        lines = {u.line for u in agent.units}
        keys = {}
        if agent.frontmatter is not None:
            keys = {k: span[0] for k, span in agent.frontmatter.lines.items()}
            lines |= set(keys.values())
        out[name] = (lines | {1}, keys)
    return out


@pytest.mark.parametrize("half,d", ALL, ids=[f"{h}-{d.name}" for h, d in ALL])
def test_each_body_is_a_realistic_length(half, d):
    for name in ("a.md", "b.md"):
        agent = read_agents([str(d / name)])[0]
        body_lines = len(agent.text.rstrip("\n").split("\n")) - agent.body_line + 1
        assert 60 <= body_lines <= 150, f"{half}/{d.name}/{name}: {body_lines} body lines"


@pytest.mark.parametrize("half,d", CHECKED, ids=[f"{h}-{d.name}" for h, d in CHECKED])
def test_each_pair_parses_and_every_side_is_a_unit(half, d):
    anchors = _anchors(d)
    data = _expected(d)
    assert set(data) <= {"conflicts", "agreements"}
    assert data["conflicts"] and data["agreements"]
    for section in ("conflicts", "agreements"):
        for n, item in enumerate(data[section]):
            where = f"{half}/{d.name} {section}[{n}]"
            assert len(item["sides"]) == 2, where
            assert item.get("why"), where
            for side in item["sides"]:
                name, line = side.split(":")
                assert name in anchors and int(line) in anchors[name][0], f"{where}: {side} is not a unit's first line"
            if section == "conflicts":
                assert item["form"] in CONFLICT_FORMS and item["kind"] == item["form"], where
                assert item.get("topic"), where
                if item["form"] == "frontmatter":
                    for side in item["sides"]:
                        name, line = side.split(":")
                        keys = anchors[name][1]
                        if int(line) == 1:  # a key this file lacks
                            assert item["topic"] not in keys, f"{where}: {side} but the key is present"
                        else:
                            assert keys.get(item["topic"]) == int(line), f"{where}: {side} is not the key's line"
                else:
                    for side in item["sides"]:
                        name, line = side.split(":")
                        assert int(line) not in anchors[name][1].values(), f"{where}: body side on a key line"
            else:
                assert item["form"] in AGREEMENT_FORMS | QUOTED_FORMS, where
    conflict_sides = {tuple(sorted(c["sides"])) for c in data["conflicts"]}
    for n, ag in enumerate(data["agreements"]):
        assert tuple(sorted(ag["sides"])) not in conflict_sides, f"{half}/{d.name} agreements[{n}] is also a conflict"


def _counts(half):
    conflicts, agreements = Counter(), Counter()
    for d in _pairs(half):
        data = _expected(d)
        conflicts.update(c["form"] for c in data["conflicts"])
        agreements.update(a["form"] for a in data["agreements"])
    return conflicts, agreements


def test_halves_cover_every_form_in_about_equal_numbers():
    tune, tune_ag = _counts("tune")
    hold, hold_ag = _counts("holdout")
    assert len(_pairs("tune")) >= 7 and len(_pairs("holdout")) >= 7
    for form in CONFLICT_FORMS:
        assert tune[form] and hold[form], form
        assert min(tune[form], hold[form]) / max(tune[form], hold[form]) >= 0.6, form
    for form, least in MINIMUM.items():
        assert tune[form] + hold[form] >= least, form
    for form in AGREEMENT_FORMS:
        assert tune_ag[form] and hold_ag[form], form
    assert sum(tune_ag.values()) + sum(hold_ag.values()) >= 15


def test_domains_are_new_and_not_shared_between_halves():
    tune = {d.name for d in _pairs("tune")}
    hold = {d.name for d in _pairs("holdout")}
    more = {d.name for d in MORE.iterdir() if (d / "expected.yaml").exists()}
    extra = {d.name for d in EXTRA.iterdir() if (d / "expected.yaml").exists()}
    assert not tune & hold and not more & (tune | hold) and not extra & (tune | hold | more)
    assert not (tune | hold | more | extra) & (OLD_DOMAINS | {"databases"})


def test_missing_frontmatter_keys_are_labelled_in_both_halves():
    """A key one file lacks (no `model` = inherit, no `tools` = every tool) is a conflict the data must carry."""
    missing = Counter()
    for half in HALVES:
        for d in _pairs(half):
            for c in _expected(d)["conflicts"]:
                if c["form"] == "frontmatter" and any(s.endswith(":1") for s in c["sides"]):
                    missing[(half, c["topic"])] += 1
    assert missing[("tune", "model")] and missing[("holdout", "model")]
    assert missing[("tune", "tools")]


def test_general2_domains_are_not_used_by_any_other_set():
    other = set(OLD_DOMAINS)
    for folder in ("conflicts", "holdout", "conflicts-more", "conflicts-extra", "conflicts-fresh", "conflicts-phrasing"):
        other |= {d.name for d in (ROOT / folder).iterdir() if d.is_dir()}
    general2 = {d.name for d in GENERAL2.iterdir() if (d / "expected.yaml").exists()}
    assert len(general2) >= 6 and not general2 & other


def _bench():
    import importlib.util

    spec = importlib.util.spec_from_file_location("cq", ROOT.parent / "bench" / "conflict_quality.py")
    cq = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cq)
    return cq


@pytest.mark.parametrize("folder, held_name, before", [
    (GENERAL3, "GENERAL3_HELD", ("conflicts", "holdout", "conflicts-more", "conflicts-extra", "conflicts-fresh",
                                 "conflicts-phrasing", "conflicts-general2")),
    (GENERAL4, "GENERAL4_HELD", ("conflicts", "holdout", "conflicts-more", "conflicts-extra", "conflicts-fresh",
                                 "conflicts-phrasing", "conflicts-general2", "conflicts-general3", "conflicts-quiet")),
], ids=["general3", "general4"])
def test_split_sets_have_new_domains_and_every_form_in_each_half(folder, held_name, before):
    """conflicts-general3 and -general4 are split like conflicts-fresh: four pairs tuned on, four held back
    (bench's list), in domains no set before them covers."""
    other = set(OLD_DOMAINS)
    for name in before:
        other |= {d.name for d in (ROOT / name).iterdir() if d.is_dir()}
    pairs = {d.name for d in folder.iterdir() if (d / "expected.yaml").exists()}
    assert len(pairs) == 8 and not pairs & other
    held = set(getattr(_bench(), held_name))
    assert len(held) == 4 and held <= pairs
    for half in (pairs - held, held):
        forms = Counter(c["form"] for d in half for c in _expected(folder / d)["conflicts"])
        assert set(forms) == CONFLICT_FORMS, sorted(half)


def test_quiet_domains_are_not_used_by_any_other_set():
    other = set(OLD_DOMAINS)
    for folder in ("conflicts", "holdout", "conflicts-more", "conflicts-extra", "conflicts-fresh", "conflicts-phrasing",
                   "conflicts-general2", "conflicts-general3", "conflicts-general4"):
        other |= {d.name for d in (ROOT / folder).iterdir() if d.is_dir()}
    quiet = {d.name for d in QUIET.iterdir() if (d / "expected.yaml").exists()}
    assert len(quiet) == 4 and not quiet & other
