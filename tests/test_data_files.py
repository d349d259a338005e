"""The labelled data files load, have every key, and keep their halves apart.

Failure messages name entries by index only: the held-back half must never be printed."""

from collections import Counter
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"
KEYS = {"a", "b", "label", "where", "domain", "style", "why"}
LABELS = {"same", "different"}


def _load(name):
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


TUNE = _load("match_tune.yaml")
HOLDOUT = _load("holdout/match_holdout.yaml")


def _key(p):
    return frozenset((p["a"], p["b"]))


def _bad_entries(pairs):
    bad = []
    for i, p in enumerate(pairs):
        ok = (isinstance(p, dict) and set(p) == KEYS and p["label"] in LABELS and p["where"] == "synthetic"
              and all(isinstance(p[k], str) and p[k].strip() for k in KEYS) and p["a"] != p["b"])
        if not ok:
            bad.append(i)
    return bad


def test_every_entry_has_all_keys_and_a_valid_label():
    assert isinstance(TUNE, list) and isinstance(HOLDOUT, list)
    assert _bad_entries(TUNE) == []
    assert _bad_entries(HOLDOUT) == [], "malformed held-back entries (indexes)"


def test_no_pair_twice_and_none_in_both_halves_or_in_the_legacy_file():
    legacy = {_key(p) for p in _load("match_pairs.yaml")}
    tune = [_key(p) for p in TUNE]
    hold = [_key(p) for p in HOLDOUT]
    assert len(set(tune)) == len(tune)
    assert len(set(hold)) == len(hold), "a held-back pair is there twice"
    shared = [i for i, k in enumerate(hold) if k in set(tune)]
    assert shared == [], f"held-back entries also in the tuning half (indexes): {shared}"
    assert [i for i, k in enumerate(tune) if k in legacy] == []
    assert [i for i, k in enumerate(hold) if k in legacy] == [], "held-back entries also in match_pairs.yaml"


def test_counts_labels_and_domains_per_half():
    assert len(TUNE) + len(HOLDOUT) >= 420
    assert abs(len(TUNE) - len(HOLDOUT)) <= 10
    for pairs in (TUNE, HOLDOUT):
        same = sum(p["label"] == "same" for p in pairs)
        assert 0.45 <= same / len(pairs) <= 0.55
        assert len({p["domain"] for p in pairs} - {"databases"}) >= 12
    tune_domains = Counter(p["domain"] for p in TUNE)
    hold_domains = Counter(p["domain"] for p in HOLDOUT)
    assert set(tune_domains) == set(hold_domains)
    assert all(abs(tune_domains[d] - hold_domains[d]) <= 3 for d in tune_domains)


def test_every_style_is_in_both_halves():
    tune_styles = Counter(p["style"] for p in TUNE)
    hold_styles = Counter(p["style"] for p in HOLDOUT)
    assert set(tune_styles) == set(hold_styles)
    for label in LABELS:  # a style names the kind of pair, so it belongs to one label
        styles = {p["style"] for p in TUNE + HOLDOUT if p["label"] == label}
        other = {p["style"] for p in TUNE + HOLDOUT if p["label"] != label}
        assert not styles & other
    assert all(abs(tune_styles[s] - hold_styles[s]) <= 3 for s in tune_styles)


SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
SEED_PAIRS = _load("seed_pairs.yaml")
SEED_CLUSTERS = _load("seed_clusters.yaml")


def _seed_lines(name):
    return (SEEDS / name).read_text(encoding="utf-8").split("\n")


def _verbatim(text, where):
    name, line = where.split(":")
    lines = _seed_lines(name)[int(line) - 1:]
    return "\n".join(lines[:text.count("\n") + 1]) == text


def test_seed_pairs_are_verbatim_new_and_both_labels_are_there():
    legacy = {_key(p) for p in _load("match_pairs.yaml")}
    bad = []
    for i, p in enumerate(SEED_PAIRS):
        where = [w.strip() for w in p["where"].split("~")]
        ok = ({"a", "b", "label", "where", "why"} <= set(p) and p["label"] in LABELS and len(where) == 2
              and _verbatim(p["a"], where[0]) and _verbatim(p["b"], where[1]) and _key(p) not in legacy)
        if not ok:
            bad.append(i)
    assert bad == []
    assert len({_key(p) for p in SEED_PAIRS}) == len(SEED_PAIRS)
    assert sum(p["label"] == "same" for p in SEED_PAIRS) >= 16
    assert sum(p["label"] == "different" for p in SEED_PAIRS) >= 12


def test_seed_clusters_name_first_lines_of_units_once_each():
    members = [m for c in SEED_CLUSTERS for m in c["members"]]
    assert len(SEED_CLUSTERS) >= 20 and all(len(c["members"]) >= 2 and c["what"].strip() for c in SEED_CLUSTERS)
    assert len(set(members)) == len(members), "a unit is in two clusters"
    for m in members:
        name, line = m.split(":")
        lines = _seed_lines(name)
        text, before = lines[int(line) - 1], lines[int(line) - 2]
        # a unit starts at a list marker at the margin, or a paragraph after a blank line
        assert text.strip() and not text.startswith(" "), m
        assert text.lstrip()[:2] in ("- ", "* ") or text[0].isdigit() or not before.strip(), m


def test_a_cluster_member_in_the_carriers_file_is_not_a_checklist_or_numbered_item():
    """The first member carries the others; one in its own file must be free to fold into it."""
    for c in SEED_CLUSTERS:
        carrier = c["members"][0].split(":")[0]
        for m in c["members"][1:]:
            name, line = m.split(":")
            if name == carrier:
                text = _seed_lines(name)[int(line) - 1]
                assert not text.startswith("- [ ]") and not text[0].isdigit(), m


FRESH2 = _load("match_fresh2.yaml")
FRESH2_HELD = _load("holdout/match_fresh2_held.yaml")


def test_the_ten_domain_halves_load_balanced_and_apart_from_every_other_file():
    assert _bad_entries(FRESH2) == []
    assert _bad_entries(FRESH2_HELD) == [], "malformed held-back entries (indexes)"
    others = {_key(p) for name in ("match_pairs.yaml", "match_tune.yaml", "holdout/match_holdout.yaml",
                                   "match_extra.yaml", "match_fresh.yaml", "seed_pairs.yaml")
              for p in _load(name)}
    tune, held = [_key(p) for p in FRESH2], [_key(p) for p in FRESH2_HELD]
    assert len(set(tune)) == len(tune) and len(set(held)) == len(held)
    assert not set(tune) & set(held), "a pair is in both halves"
    assert not (set(tune) | set(held)) & others, "a pair is also in an earlier file"
    assert len(FRESH2) == len(FRESH2_HELD) >= 40
    for pairs in (FRESH2, FRESH2_HELD):
        assert sum(p["label"] == "same" for p in pairs) * 2 == len(pairs)
    # every domain in both halves, with as many pairs of each label
    by = lambda pairs: Counter((p["domain"], p["label"]) for p in pairs)
    assert by(FRESH2) == by(FRESH2_HELD) and len({p["domain"] for p in FRESH2}) >= 8
    assert not {p["domain"] for p in FRESH2} & {p["domain"] for p in TUNE + HOLDOUT}
