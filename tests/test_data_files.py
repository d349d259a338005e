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
