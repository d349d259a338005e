"""Quantities in prose: value, unit, comparator and the name of what is measured (agentmerge.quantities)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentmerge.quantities import comparable, disagree, numbers, quantities, stricter


def one(text):
    found = quantities(text)
    assert len(found) == 1, (text, found)
    return found[0]


@pytest.mark.parametrize("text, value, dimension, comparator", [
    ("CI must finish within 10 minutes", 600, "time", "<="),
    ("pipeline budget: 25 min", 1500, "time", "="),
    ("responses in 1.5 s", 1.5, "time", "="),
    ("p99 latency under 1500 ms", 1.5, "time", "<"),
    ("reply within half an hour", 1800, "time", "<="),
    ("within an hour", 3600, "time", "<="),
    ("twenty-five minutes", 1500, "time", "="),
    ("availability of two nines", 99, "percent", "="),
    ("three nines uptime", 99.9, "percent", "="),
    ("≥ 90% coverage", 90, "percent", ">="),
    ("90%+ coverage", 90, "percent", ">="),
    ("at least 80 percent coverage", 80, "percent", ">="),
    ("retry at most 3 times", 3, "count", "<="),
    ("up to 5 retries", 5, "count", "<="),
    ("three retries", 3, "count", "="),
    ("10k rows per batch", 10000, "count", "="),
    ("bundles of 500 KB max", 500000, "size", "<="),
    ("10 minutes or less", 600, "time", "<="),
    ("a 48-hour timelock", 172800, "time", "="),
    ("text contrast of at least 4.5:1", 4.5, "ratio", ">="),
    ("marts refresh every hour", 3600, "cadence", "="),
    ("ship every other week", 1209600, "cadence", "="),
    ("no model may scan more than 500 GB", 500e9, "size", "<="),
    ("never below 90% coverage", 90, "percent", ">="),
    ("flag functions longer than 40 lines", 40, "count", "<="),
    ("one approval is enough", 1, "count", "="),
])
def test_value_unit_and_comparator(text, value, dimension, comparator):
    q = one(text)
    assert math.isclose(q.value, value)
    assert (q.dimension, q.comparator) == (dimension, comparator)


def test_units_normalise_to_one_value():
    assert one("1.5 s").value == one("1500 ms").value
    assert one("half an hour").value == one("30 minutes").value == one("30min").value


def test_cadences_are_periods():
    assert one("run it twice a day").value == 43200
    assert one("every 12 hours").value == 43200
    assert one("3 times a day").dimension == "cadence"
    assert one("back up daily").value == one("once a day").value == 86400


def test_two_quantities_in_one_sentence_keep_their_own_names():
    test, types = quantities("test coverage 90% and type coverage 100%")
    assert (test.name, types.name) == ("test coverage", "type coverage")
    assert types.terms != test.terms
    assert not comparable(test, types)


def test_names_reduce_to_one_term_across_wordings():
    ci, pipeline = one("CI must finish within 10 minutes"), one("pipeline budget: 25 min")
    assert comparable(ci, pipeline) and disagree(ci, pipeline)
    retry, retries = one("retry at most 3 times"), one("up to 5 retries")
    assert comparable(retry, retries)
    assert stricter(retry, retries) is retry


def test_different_quantities_are_not_compared():
    assert not comparable(one("PRs touching at most 10 files"), one("PRs under 400 lines"))
    assert not comparable(one("at least 80% coverage"), one("within 10 minutes"))


def test_two_budgets_for_one_quantity_disagree_and_the_stricter_is_the_lower():
    a, b = one("CI under 10 minutes"), one("CI under 25 minutes")
    assert disagree(a, b)
    assert stricter(a, b) is a
    assert stricter(one("coverage at least 80%"), one("coverage at least 90%")).value == 90


def test_agreeing_values_do_not_disagree():
    assert not disagree(one("coverage at least 80%"), one("coverage 90%"))
    assert not disagree(one("at most 5 retries"), one("3 retries"))
    assert not disagree(one("1.5 s timeout"), one("1500 ms timeout"))
    assert disagree(one("coverage at least 90%"), one("coverage 80%"))


@pytest.mark.parametrize("text", [
    "Use one of the tools", "Python 3.11", "fix N+1 queries", "p99 dashboards", "use http/2", "see step v2",
    # a number after a name of an item of a sequence (`labels:` in quantities.yaml) names that item
    "Phase 2 artifacts must exist", "write your Phase 1 exploration findings", "Tier 1 support",
    "the §1.6 manifest wrapper", "append pass_started phase=4", "go back to step three",
])
def test_not_quantities(text):
    assert quantities(text) == []


def test_numbers_are_a_multiset():
    assert numbers("rule 3 of 3") == ("3", "3")
    assert numbers("rule 3 of 3") != numbers("rule 3")
    assert numbers("1,000 rows") == numbers("1000 rows")
    assert numbers("p99 and x2") == ()


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["ms", "s", "min", "h"]))
def test_any_time_value_is_read_with_its_unit(n, unit):
    factor = {"ms": 0.001, "s": 1, "min": 60, "h": 3600}[unit]
    q = one(f"the job must finish within {n} {unit}")
    assert math.isclose(q.value, n * factor) and q.comparator == "<="


@given(st.text(max_size=200))
def test_any_text_reads_without_error_and_spans_point_into_it(text):
    for q in quantities(text):
        assert 0 <= q.start < q.end <= len(text)
        assert q.low <= q.high


def test_a_digit_inside_a_word_and_a_label_name_the_quantity():
    assert one("Latency: p99 budget of 0.4 s").name == "latency p99"
    assert "timelock" in one("admin actions go through a 48-hour timelock").terms
    assert one("First stage: a new version opens at 10% of users").terms & {"rollout"}


def test_names_beyond_their_keys():
    deleted, retained = one("Raw event logs are deleted after 30 days"), one("Raw events: retained for 90 days")
    assert comparable(deleted, retained)
    assert comparable(one("Webhook handlers must answer within 2 seconds"), one("Acknowledge webhooks in under 10 s"))
    assert not comparable(one("p99 latency under 300 ms"), one("p95 latency under 150 ms"))
    assert not comparable(one("Jobs time out after 48 hours"), one("Tickets are anonymised after 18 months"))


def test_an_aside_in_parentheses_does_not_cut_the_name():
    assert "token" in one("Access tokens (JWT) expire after 15 minutes").terms
    assert one("Each component (gzipped) stays under 8 kB").name.startswith("each component") or \
        one("Each component (gzipped) stays under 8 kB").name.startswith("component")


def test_a_label_leaves_the_amounts_after_it():
    assert [q.text for q in quantities("Tier 1 support answers within 1 hour")] == ["within 1 hour"]
    assert [q.text for q in quantities("retry each task 3 times")] == ["3 times"]
    assert [q.text for q in quantities("keep each step under 5 minutes")] == ["under 5 minutes"]
    assert [q.value for q in quantities("set max_retries=3")] == [3.0]  # a setting's value, not a label's


def test_users_add_labels_with_axes(tmp_path):
    from agentmerge.quantities import load_table

    axes = tmp_path / "axes.yaml"
    assert quantities("ship 2 features") != []  # a plural noun after the number: a count
    axes.write_text("version: 1\nquantities:\n  labels: [ship]\n", encoding="utf-8")
    table = load_table((str(axes),))
    assert quantities("ship 2 features", table) == []
    assert quantities("Phase 2 artifacts", table) == []  # the built-in labels stay
