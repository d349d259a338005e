"""The conflict knowledge base: built-in topics, users' --axes files, and stance detection.

Run ``python tests/test_knowledge.py`` for precision and recall over the labelled sentences.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import re2
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentmerge.knowledge import (
    KnowledgeError,
    Stance,
    StanceHit,
    Topic,
    load_topics,
    normalise,
    opposed,
    stances_in,
)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "fixtures" / "seeds"
SENTENCES = Path(__file__).with_name("data") / "stance_sentences.yaml"

TOPICS = load_topics()
BY_ID = {t.id: t for t in TOPICS}

REQUIRED = {
    "consistency": {"eventual", "strict"},
    "locking": {"optimistic", "pessimistic"},
    "priority": {"performance_first", "safety_first"},
    "deletion": {"soft", "hard"},
    "primary_keys": {"uuid", "integer"},
    "pagination": {"offset", "cursor"},
    "db_access": {"sync", "async"},
    "orm_query_style": {"legacy_query", "select_2_0"},
    "autonomy": {"ask_first", "act_and_state_assumptions"},
    "output_length": {"concise", "exhaustive"},
    "testing": {"test_first", "tests_later", "no_tests"},
    "logging": {"logger", "print"},
    "error_handling": {"fail_fast", "degrade_gracefully"},
    "comments": {"document_everything", "minimal"},
    "dependencies": {"pin_exact", "allow_ranges"},
    "state": {"immutable", "mutable"},
}


def found(text: str, topic: str, *, code: bool = False) -> set[str]:
    return {h.stance for h in stances_in(text, TOPICS, code=code) if h.topic == topic}


# --------------------------------------------------------------------------------------------------------
# Labelled sentences


def _cases() -> list[tuple[str, str, str | None, str, bool]]:
    """(kind, topic, expected stance or None, sentence, is_code) for every labelled sentence."""
    data = yaml.safe_load(SENTENCES.read_text(encoding="utf-8"))
    cases = []
    for tid, entry in data.items():
        for key, value in entry.items():
            if key == "none":
                cases += [("none", tid, None, s, False) for s in value]
            elif key == "negated":
                cases += [("negated", tid, sid, s, False) for sid, ss in value.items() for s in ss]
            elif key == "code":
                cases += [("code", tid, sid, s, True) for sid, ss in value.items() for s in ss]
            else:
                cases += [("positive", tid, key, s, False) for s in value]
    return cases


CASES = _cases()


@pytest.mark.parametrize(
    "kind, topic, expected, sentence, code",
    CASES,
    ids=[f"{c[1]}-{c[0]}-{c[2] or 'none'}-{i}" for i, c in enumerate(CASES)],
)
def test_sentence(kind, topic, expected, sentence, code):
    assert topic in BY_ID, f"unknown topic {topic!r} in {SENTENCES.name}"
    if expected is not None:
        assert BY_ID[topic].stance(expected) is not None, f"unknown stance {topic}.{expected}"
    want = {expected} if expected else set()
    assert found(sentence, topic, code=code) == want


def test_every_topic_has_labelled_sentences():
    per_topic: dict[str, dict[str | None, int]] = {}
    negatives: dict[str, int] = {}
    for kind, tid, expected, _, _ in CASES:
        if kind in ("positive", "negated", "code"):
            per_topic.setdefault(tid, {}).setdefault(expected, 0)
            per_topic[tid][expected] += 1
        if kind in ("none", "negated"):
            negatives[tid] = negatives.get(tid, 0) + 1
    for topic in TOPICS:
        for stance in topic.stances:
            assert per_topic.get(topic.id, {}).get(stance.id, 0) >= 2, f"{topic.id}.{stance.id}"
        assert negatives.get(topic.id, 0) >= 2, topic.id


def precision_recall() -> dict[str, dict[str, float]]:
    """Per kind of sentence: counts, precision and recall of the stance the sentence is labelled with.

    A hit of the labelled stance is a true positive; any other stance on the topic is a false positive;
    no stance on the topic is a false negative. For "none" sentences every stance is a false positive.
    """
    stats: dict[str, dict[str, float]] = {}
    for kind, tid, expected, sentence, code in CASES:
        s = stats.setdefault(kind, {"n": 0, "tp": 0, "fp": 0, "fn": 0})
        got = found(sentence, tid, code=code)
        s["n"] += 1
        if expected is None:
            s["fp"] += len(got)
            continue
        s["tp"] += expected in got
        s["fn"] += expected not in got
        s["fp"] += len(got - {expected})
    for s in stats.values():
        s["precision"] = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 1.0
        s["recall"] = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else 1.0
    return stats


def test_no_false_stances_on_neutral_sentences():
    assert precision_recall()["none"]["fp"] == 0


# --------------------------------------------------------------------------------------------------------
# The built-in knowledge base


def test_required_topics_and_stances_exist():
    for tid, stance_ids in REQUIRED.items():
        assert tid in BY_ID, tid
        assert stance_ids <= {s.id for s in BY_ID[tid].stances}, tid


def test_at_least_thirty_topics_with_complete_fields():
    assert len(TOPICS) >= 30
    assert len(BY_ID) == len(TOPICS)
    for topic in TOPICS:
        assert topic.title and topic.suggestion, topic.id
        assert topic.severity in ("high", "medium", "low"), topic.id
        assert len(topic.stances) >= 2, topic.id
        assert topic.opposed, topic.id
        for stance in topic.stances:
            assert stance.describe, (topic.id, stance.id)
            assert stance.patterns or stance.code, (topic.id, stance.id)


def all_patterns(topics=TOPICS):
    for topic in topics:
        for p in topic.unless:
            yield topic.id, "unless", p
        for stance in topic.stances:
            for field in ("patterns", "unless", "code"):
                for p in getattr(stance, field):
                    yield f"{topic.id}.{stance.id}", field, p


def test_every_pattern_is_compiled_by_re2():
    patterns = list(all_patterns())
    assert len(patterns) > 300
    for where, field, p in patterns:
        assert isinstance(p, re2._Regexp), (where, field)


def test_prose_patterns_ignore_case_and_code_patterns_do_not():
    assert found("USE SOFT DELETES FOR ALL RECORDS.", "deletion") == {"soft"}
    assert found("x = db.query(User).all()", "orm_query_style", code=True) == {"legacy_query"}
    assert found("x = DB.QUERY(User).all()", "orm_query_style", code=True) == set()


def test_built_in_set_is_cached():
    assert load_topics() is load_topics()


def test_opposed():
    consistency, testing = BY_ID["consistency"], BY_ID["testing"]
    assert opposed(consistency, "eventual", "strict")
    assert opposed(consistency, "strict", "eventual")
    assert not opposed(consistency, "strict", "strict")
    assert opposed(testing, "test_first", "no_tests")
    assert opposed(testing, "always_test", "no_tests")
    assert not opposed(testing, "always_test", "test_first")  # "always write the test first" is both


# --------------------------------------------------------------------------------------------------------
# The real seed agents


def seed_lines(name: str, first: int, last: int | None = None) -> str:
    lines = (SEEDS / name).read_text(encoding="utf-8").split("\n")
    return "\n".join(lines[first - 1 : (last or first)])


def seed_units(name: str) -> list[tuple[str, bool]]:
    """The body of a seed as (text, is_code): one unit per prose line, one per fenced block."""
    lines = (SEEDS / name).read_text(encoding="utf-8").split("\n")
    body_start = [i for i, line in enumerate(lines) if line.strip() == "---"][1] + 1
    units: list[tuple[str, bool]] = []
    block: list[str] | None = None
    for line in lines[body_start:]:
        if line.strip().startswith("```"):
            if block is None:
                block = [line]
            else:
                units.append(("\n".join(block + [line]), True))
                block = None
        elif block is not None:
            block.append(line)
        elif line.strip():
            units.append((line, False))
    return units


def seed_stances(name: str) -> set[tuple[str, str]]:
    return {
        (h.topic, h.stance)
        for text, code in seed_units(name)
        for h in stances_in(text, TOPICS, code=code)
    }


SEED_NAMES = sorted(p.name for p in SEEDS.glob("*.md"))


def test_performance_seed_defaults_to_eventual_consistency_and_optimistic_locking():
    assert seed_lines("db-engineer-performance.md", 36) == "### Eventual Consistency as Default"
    block = seed_lines("db-engineer-performance.md", 36, 40)
    assert found(block, "consistency") == {"eventual"}
    assert found(block, "locking") == {"optimistic"}
    assert found(seed_lines("db-engineer-performance.md", 37), "consistency") == {"eventual"}
    assert found(seed_lines("db-engineer-performance.md", 38), "consistency") == {"eventual"}
    # "Use optimistic locking patterns rather than long-held locks": not the pessimistic stance.
    assert found(seed_lines("db-engineer-performance.md", 40), "locking") == {"optimistic"}
    assert found(seed_lines("db-engineer-performance.md", 27, 28), "priority") == {"performance_first"}


def test_data_engineer_seed_demands_strict_guarantees():
    assert seed_lines("db-data-engineer.md", 64) == "3. **Safety First**:"
    assert found(seed_lines("db-data-engineer.md", 65), "consistency") == {"strict"}
    assert found(seed_lines("db-data-engineer.md", 66), "locking") == {"pessimistic"}
    assert found(seed_lines("db-data-engineer.md", 67), "consistency") == {"strict"}
    assert found(seed_lines("db-data-engineer.md", 128), "priority") == {"safety_first"}
    assert found(seed_lines("db-data-engineer.md", 128), "autonomy") == {"ask_first"}
    item = seed_lines("db-data-engineer.md", 64, 68)  # the whole numbered item with its sub-items
    assert found(item, "priority") == {"safety_first"}
    assert found(item, "consistency") == {"strict"}
    assert found(item, "locking") == {"pessimistic"}


def test_seed_conflicts_between_performance_and_data_engineer():
    performance = seed_stances("db-engineer-performance.md")
    data = seed_stances("db-data-engineer.md")
    for topic in ("consistency", "locking", "priority"):
        a = {s for t, s in performance if t == topic}
        b = {s for t, s in data if t == topic}
        assert a and b and all(opposed(BY_ID[topic], x, y) for x in a for y in b), topic


def test_seed_lines_that_take_no_stance():
    # Both pagination styles allowed.
    assert "limit/offset or cursor" in seed_lines("db-engineer-fastapi.md", 43)
    assert found(seed_lines("db-engineer-fastapi.md", 43), "pagination") == set()
    # Both key types allowed.
    assert found(seed_lines("db-engineer-fastapi.md", 120), "primary_keys") == set()
    assert found(seed_lines("db-engineer-sqlalchemy.md", 56), "primary_keys") == set()
    # Review autogenerated migrations: not a vote for hand-written ones, nor for blind autogenerate.
    assert found(seed_lines("db-data-engineer.md", 27), "migrations") == set()
    # Distributed locks across instances are not row locking.
    assert found(seed_lines("db-engineer-fastapi.md", 37), "locking") == set()
    # "when applicable" is not a default.
    assert found(seed_lines("db-data-engineer.md", 40), "db_access") == set()


def test_seed_prose_stances():
    assert found(seed_lines("db-engineer-fastapi.md", 32), "locking") == {"optimistic"}
    assert found(seed_lines("db-engineer-fastapi.md", 42), "orm_query_style") == {"select_2_0"}
    assert found(seed_lines("db-engineer-fastapi.md", 114), "db_access") == {"async"}
    assert found(seed_lines("db-engineer-seed-data.md", 14), "migrations") == {"autogenerate"}
    assert found(seed_lines("db-engineer-seed-data.md", 55), "schema_design") == {"normalize"}
    assert found(seed_lines("db-engineer-sqlalchemy.md", 146), "schema_design") == {"normalize"}
    assert found(seed_lines("db-engineer-sqlalchemy.md", 150), "deletion") == {"soft"}
    assert found(seed_lines("db-data-engineer.md", 95), "deletion") == {"soft"}
    assert found(seed_lines("db-data-engineer.md", 93), "index_naming") == {"ix"}
    assert found(seed_lines("db-data-engineer.md", 47), "test_doubles") == {"real_services"}


def test_seed_logger_rule_and_print_in_code():
    rule = seed_lines("db-engineer-seed-data.md", 159)
    assert "instead of `print()`" in rule
    assert found(rule, "logging") == {"logger"}  # "never print" is the logger stance
    block = seed_lines("db-engineer-seed-data.md", 135, 138)
    assert block.strip().startswith("```python")
    hits = [h for h in stances_in(block, TOPICS, code=True) if h.topic == "logging"]
    assert [(h.stance, h.phrase) for h in hits] == [("print", "print(")]
    assert block[hits[0].start : hits[0].end] == "print("


def test_seed_code_blocks():
    queries = seed_lines("db-engineer-performance.md", 65, 92)
    assert found(queries, "orm_query_style", code=True) == {"legacy_query"}
    assert found(queries, "pagination", code=True) == {"offset"}
    errors = seed_lines("db-engineer-performance.md", 95, 132)
    assert found(errors, "db_access", code=True) == {"sync"}
    assert found(errors, "logging", code=True) == {"logger"}
    seeding = seed_lines("db-engineer-seed-data.md", 127, 132)
    assert found(seeding, "orm_query_style", code=True) == {"select_2_0"}
    assert found(seeding, "db_access", code=True) == {"async"}
    assert found(seed_lines("db-engineer-seed-data.md", 109, 117), "db_access", code=True) == {"async"}
    template = seed_lines("db-engineer-sqlalchemy.md", 91, 142)
    assert found(template, "index_naming", code=True) == {"idx"}
    assert found(template, "primary_keys", code=True) == {"integer"}
    assert found(template, "deletion", code=True) == {"soft"}


def test_seeds_that_agree_are_not_split():
    """Stances none of the seeds take: finding one would report a conflict that is not there."""
    everything = set().union(*(seed_stances(name) for name in SEED_NAMES))
    for absent in [
        ("deletion", "hard"),
        ("primary_keys", "uuid"),
        ("pagination", "cursor"),
        ("migrations", "hand_written"),
        ("autonomy", "act_and_state_assumptions"),
        ("testing", "no_tests"),
        ("testing", "tests_later"),
        ("schema_design", "denormalize"),
        ("error_handling", "fail_fast"),
        ("output_length", "exhaustive"),
        ("comments", "minimal"),
    ]:
        assert absent not in everything, absent


# --------------------------------------------------------------------------------------------------------
# Detection rules


def test_both_sides_in_one_text_take_neither():
    assert found("Use optimistic locking for profile edits and pessimistic locks for payments.", "locking") == set()
    text = "Require strong consistency for payments. Prefer eventual consistency for activity feeds."
    assert found(text, "consistency") == set()
    # Stances that are not opposed survive together.
    assert found("Always add tests for new code. Write the failing test first.", "testing") == {"always_test", "test_first"}


def test_negation_picks_the_other_side_or_nothing():
    assert found("Never use print() in library code.", "logging") == {"logger"}
    assert found("Avoid offset pagination on large tables.", "pagination") == {"cursor"}
    assert found("Don't use UUIDs as primary keys.", "primary_keys") == {"integer"}
    assert found("Never rely on eventual consistency for payments.", "consistency") == set()


def test_hits_are_spans_of_the_normalised_text():
    text = "- [x] **Always** use `logger` instead of `print()`.\n- Use *soft deletes* for users."
    norm = normalise(text)
    hits = stances_in(text, TOPICS)
    assert [(h.topic, h.stance) for h in hits] == [("logging", "logger"), ("deletion", "soft")]
    for h in hits:
        assert isinstance(h, StanceHit)
        assert norm[h.start : h.end] == h.phrase
    assert hits[0].phrase == "Always use logger"


def test_results_are_ordered_and_deterministic():
    text = seed_lines("db-data-engineer.md", 64, 68) + "\n" + seed_lines("db-data-engineer.md", 128)
    first = stances_in(text, TOPICS)
    assert first == stances_in(text, TOPICS)
    assert [h.start for h in first] == sorted(h.start for h in first)
    assert len(first) >= 5


def test_code_mode_scans_only_fenced_blocks_when_there_are_fences():
    item = 'Avoid `print()` in handlers:\n```python\nlogger.info("x")\n```'
    assert found(item, "logging", code=True) == {"logger"}
    assert found('print("hello")', "logging", code=True) == {"print"}
    assert found('logger.debug("x")  # not print(', "logging", code=True) == {"logger"}


def test_prose_mode_ignores_fenced_code():
    item = "Seed the database:\n```python\nprint('done')\nsession.query(User)\n```"
    assert stances_in(item, TOPICS) == []


def test_subset_of_topics():
    only = [BY_ID["deletion"]]
    hits = stances_in("Use soft deletes. Use cursor pagination.", only)
    assert [(h.topic, h.stance) for h in hits] == [("deletion", "soft")]


# --------------------------------------------------------------------------------------------------------
# normalise


@pytest.mark.parametrize(
    "text, expected",
    [
        ("**Safety First**:", "Safety First"),  # a label is a statement of its own
        ("- [ ] All queries have appropriate bounds", "All queries have appropriate bounds"),
        ("* [x] done", "done"),
        ("1. **Reversible Migrations**: All migrations", "Reversible Migrations All migrations"),
        ("Always use `logger` instead of `print()`", "Always use logger instead of print()"),
        ("Name indexes `ix_tablename_column1_column2`", "Name indexes ix_tablename_column1_column2"),
        ("Name indexes ix_<table>_<column>", "Name indexes ix_<table>_<column>"),
        ("_emphasis_ and __strong__ and snake_case", "emphasis and strong and snake_case"),
        ("SELECT * FROM t", "SELECT * FROM t"),
        ("### Eventual Consistency as Default", "Eventual Consistency as Default"),
        ("> quoted\n> text", "quoted text"),
        ("a\n\n   b\t\tc  ", "a b c"),
        ("Don\u2019t use [Tailwind](https://tailwindcss.com)", "Don't use Tailwind"),
        ("Intro:\n```python\nprint(1)\n```\nafter", "Intro: after"),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


# --------------------------------------------------------------------------------------------------------
# Users' knowledge-base files


def write(tmp_path: Path, text: str, name: str = "axes.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_user_file_extends_a_topic_and_adds_one(tmp_path):
    path = write(
        tmp_path,
        r"""
        version: 1
        topics:
          consistency:
            severity: medium
            stances:
              eventual:
                patterns: ['\bbase semantics\b']
              causal:
                describe: "settles for causal consistency"
                patterns: ['\bcausal(ly)? consisten']
          orm_library:
            title: ORM library
            severity: low
            suggestion: "Use one ORM."
            stances:
              sqlalchemy:
                describe: "uses SQLAlchemy"
                patterns: ['\buse sqlalchemy\b']
              django_orm:
                describe: "uses the Django ORM"
                patterns: ['\buse the django orm\b']
                code: ['\.objects\.filter\(']
        """,
    )
    topics = load_topics([path])
    by_id = {t.id: t for t in topics}
    assert [t.id for t in topics][: len(TOPICS)] == [t.id for t in TOPICS]
    assert [t.id for t in topics][-1] == "orm_library"

    consistency = by_id["consistency"]
    assert consistency.severity == "medium"
    assert [s.id for s in consistency.stances] == ["eventual", "strict", "causal"]
    assert opposed(consistency, "causal", "strict") and opposed(consistency, "causal", "eventual")
    assert len(consistency.stance("eventual").patterns) == len(BY_ID["consistency"].stance("eventual").patterns) + 1

    hits = stances_in("We accept BASE semantics.", topics)
    assert [(h.topic, h.stance) for h in hits] == [("consistency", "eventual")]
    assert [(h.topic, h.stance) for h in stances_in("Aim for causal consistency.", topics)] == [
        ("consistency", "causal")
    ]
    assert [(h.topic, h.stance) for h in stances_in("Use SQLAlchemy.", topics)] == [("orm_library", "sqlalchemy")]
    code_hits = stances_in("users = User.objects.filter(active=True)", topics, code=True)
    assert [(h.topic, h.stance) for h in code_hits] == [("orm_library", "django_orm")]

    # The built-in set is untouched.
    assert load_topics() == TOPICS
    assert [s.id for s in BY_ID["consistency"].stances] == ["eventual", "strict"]
    assert stances_in("We accept BASE semantics.", TOPICS) == []


def test_user_opposed_pairs_and_unless(tmp_path):
    path = write(
        tmp_path,
        r"""
        version: 1
        unless: ['\bin the legacy app\b']
        topics:
          http_client:
            title: HTTP client
            opposed: [[httpx, requests]]
            stances:
              httpx:
                describe: "uses httpx"
                patterns: ['\buse httpx\b']
              requests:
                describe: "uses requests"
                patterns: ['\buse requests\b']
                unless: ['\bnot requests\b']
              aiohttp:
                describe: "uses aiohttp"
                patterns: ['\buse aiohttp\b']
        """,
    )
    topic = {t.id: t for t in load_topics([path])}["http_client"]
    assert opposed(topic, "httpx", "requests")
    assert not opposed(topic, "httpx", "aiohttp")
    topics = load_topics([path])
    assert stances_in("Use httpx, not requests.", topics) == [
        StanceHit("http_client", "httpx", 0, 9, "Use httpx")
    ]
    # The file-wide unless applies to every topic, built-in ones included.
    assert stances_in("Use soft deletes in the legacy app.", topics) == []
    assert found("Use soft deletes in the legacy app.", "deletion") == {"soft"}


def test_several_user_files_apply_in_order(tmp_path):
    first = write(
        tmp_path,
        r"""
        topics:
          tone:
            stances:
              pirate:
                describe: "talks like a pirate"
                patterns: ['\barr+\b']
        """,
        "first.yaml",
    )
    second = write(
        tmp_path,
        r"""
        topics:
          tone:
            severity: high
            stances:
              pirate:
                describe: "speaks like a pirate"
        """,
        "second.yaml",
    )
    tone = {t.id: t for t in load_topics([first, second])}["tone"]
    assert tone.severity == "high"
    assert tone.stance("pirate").describe == "speaks like a pirate"
    assert len(tone.stance("pirate").patterns) == 1


INVALID = [
    ("unknown top-level key", "version: 1\ntopic: {}\n", ["top level", "'topic'"]),
    ("bad version", "version: 2\ntopics: {}\n", ["version 2"]),
    ("missing topics", "version: 1\n", ["missing 'topics:'"]),
    ("empty file", "", ["empty"]),
    ("not a mapping", "- a\n- b\n", ["expected a mapping"]),
    ("invalid yaml", "topics: [unclosed\n", ["invalid YAML", "line"]),
    ("duplicate topic", "topics:\n  x: {}\n  x: {}\n", ["duplicate key 'x'"]),
    (
        "python tag",
        "topics: !!python/object/apply:os.system ['true']\n",
        ["invalid YAML"],
    ),
    (
        "unknown topic key",
        "topics:\n  t:\n    titel: T\n    stances: {a: {describe: a, patterns: [a]}, b: {describe: b, patterns: [b]}}\n",
        ["topic 't'", "'titel'"],
    ),
    ("missing stances", "topics:\n  t:\n    title: T\n", ["topic 't'", "missing 'stances'"]),
    (
        "one stance",
        "topics:\n  t:\n    stances: {a: {describe: a, patterns: [a]}}\n",
        ["topic 't'", "at least 2 stances"],
    ),
    (
        "bad severity",
        "topics:\n  t:\n    severity: urgent\n    stances: {a: {describe: a, patterns: [a]}, b: {describe: b, patterns: [b]}}\n",
        ["topic 't'", "severity", "'urgent'"],
    ),
    (
        "severity of an existing topic",
        "topics:\n  consistency:\n    severity: critical\n",
        ["topic 'consistency'", "severity"],
    ),
    (
        "unknown stance key",
        "topics:\n  t:\n    stances: {a: {describe: a, pattern: [a]}, b: {describe: b, patterns: [b]}}\n",
        ["topic 't', stance 'a'", "'pattern'"],
    ),
    (
        "lookahead",
        "topics:\n  t:\n    stances: {a: {describe: a, patterns: ['use (?=x)']}, b: {describe: b, patterns: [b]}}\n",
        ["topic 't', stance 'a'", "patterns[0]", "RE2 rejects", "(?=x)"],
    ),
    (
        "backreference",
        "topics:\n  consistency:\n    stances: {strict: {unless: ['(a)\\1']}}\n",
        ["topic 'consistency', stance 'strict'", "unless[0]", "RE2 rejects"],
    ),
    (
        "bad code pattern",
        "topics:\n  logging:\n    stances: {print: {code: ['print(']}}\n",
        ["topic 'logging', stance 'print'", "code[0]", "RE2 rejects"],
    ),
    (
        "empty match",
        "topics:\n  t:\n    stances: {a: {describe: a, patterns: ['x*']}, b: {describe: b, patterns: [b]}}\n",
        ["topic 't', stance 'a'", "empty text"],
    ),
    (
        "missing describe",
        "topics:\n  t:\n    stances: {a: {patterns: [a]}, b: {describe: b, patterns: [b]}}\n",
        ["stance 'a'", "describe"],
    ),
    (
        "no patterns",
        "topics:\n  t:\n    stances: {a: {describe: a}, b: {describe: b, patterns: [b]}}\n",
        ["stance 'a'", "no 'patterns'"],
    ),
    (
        "pattern not a string",
        "topics:\n  t:\n    stances: {a: {describe: a, patterns: [{x: 1}]}, b: {describe: b, patterns: [b]}}\n",
        ["stance 'a'", "patterns[0]", "non-empty string"],
    ),
    (
        "opposed names an unknown stance",
        "topics:\n  t:\n    opposed: [[a, c]]\n    stances: {a: {describe: a, patterns: [a]}, b: {describe: b, patterns: [b]}}\n",
        ["topic 't'", "unknown stance 'c'"],
    ),
    (
        "opposed pair of one",
        "topics:\n  t:\n    opposed: [[a]]\n    stances: {a: {describe: a, patterns: [a]}, b: {describe: b, patterns: [b]}}\n",
        ["topic 't'", "two different stance ids"],
    ),
    (
        "bad topic id",
        "topics:\n  'my topic':\n    stances: {a: {describe: a, patterns: [a]}, b: {describe: b, patterns: [b]}}\n",
        ["topic id 'my topic'"],
    ),
    (
        "bad global unless",
        "unless: ['(?<=x)y']\ntopics: {}\n",
        ["unless[0]", "RE2 rejects"],
    ),
]


@pytest.mark.parametrize("name, text, parts", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_user_files(tmp_path, name, text, parts):
    path = write(tmp_path, text)
    with pytest.raises(KnowledgeError) as info:
        load_topics([path])
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path) + ": ")
    for part in parts:
        assert part in message, (part, message)


def test_docs_worked_example(tmp_path):
    """docs/axes.md's example file loads and finds what the page says it finds."""
    doc = (ROOT / "docs" / "axes.md").read_text(encoding="utf-8")
    example = doc.split("## Worked example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    topics = load_topics([write(tmp_path, example, "team-axes.yaml")])

    def taken(text, code=False):
        return [(h.topic, h.stance) for h in stances_in(text, topics, code=code)]

    assert taken("Prefer httpx for outbound calls; never use requests.") == [("http_client", "httpx")] * 2
    assert taken("Use the requests library for the scraper.") == [("http_client", "requests")]
    assert taken("Use requests in the legacy monolith.") == []
    assert taken("Make HTTP requests with retries.") == []
    assert taken("Use httpx or requests, whichever the module already imports.") == []
    assert taken("Tests come with the PR.") == [("testing", "always_test")]
    assert taken("resp = requests.get(url, timeout=5)", code=True) == [("http_client", "requests")]


def test_missing_user_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(KnowledgeError) as info:
        load_topics([path])
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_knowledge_error_is_a_value_error():
    assert issubclass(KnowledgeError, ValueError)


# --------------------------------------------------------------------------------------------------------
# Hostile text: RE2 is linear, so all of this simply completes (no timing assertions).

N = 100_000


def _hostile_strings(pattern_source: str) -> list[str]:
    words = re.findall(r"[A-Za-z_]{2,}", pattern_source) or ["x"]
    fragment = " ".join(words)
    strings = [
        (fragment + " ") * (N // (len(fragment) + 1) + 1),
        "".join(words) * (N // max(1, len("".join(words))) + 1),
        (fragment + ". ") * (N // (len(fragment) + 2) + 1),
    ]
    return [s[:N] for s in strings]


GENERIC_HOSTILE = [
    "a" * N,
    " " * N,
    "\n" * N,
    ("!?.;,:-_()[]{}*`'\"\\/|<>=+#" * (N // 26 + 1))[:N],
    ("don't use " * (N // 10 + 1))[:N],
    ("**_`" * (N // 4 + 1))[:N],
    ("é✅ü中" * (N // 4 + 1))[:N],
    ("- [ ] " * (N // 6 + 1))[:N],
    # Shapes aimed at the Markdown clean-up in normalise().
    "# " + " " * N + "x",
    "``" + " " * N,
    "` " * (N // 2),
    "[" * N,
    "[a](" * (N // 4),
    "*a" * (N // 2),
    "\\*" * (N // 2),
    "|-" * (N // 2),
    "e.g. " * (N // 5),
    (" " * 999 + "\n") * (N // 1000),
]


def test_every_pattern_completes_on_hostile_text():
    count = 0
    for where, field, pattern in all_patterns():
        for text in _hostile_strings(pattern.pattern) + GENERIC_HOSTILE[:2]:
            pattern.search(text)
            count += 1
    assert count > 1000


@pytest.mark.parametrize("index", range(len(GENERIC_HOSTILE)))
def test_detector_completes_on_hostile_text(index):
    text = GENERIC_HOSTILE[index]
    for hit in stances_in(text, TOPICS):
        assert hit.end > hit.start
    stances_in(text, TOPICS, code=True)
    normalise(text)


def test_detector_completes_on_long_repeated_stance_text():
    text = "Use soft deletes for all records; never hard delete " * 2000
    hits = stances_in(text, TOPICS)
    assert all(h.topic == "deletion" and h.stance == "soft" for h in hits)
    stances_in("print(1)\n" * 10000, TOPICS, code=True)


# --------------------------------------------------------------------------------------------------------
# Properties

WORDS = sorted(
    {w.lower() for _, _, p in all_patterns() for w in re.findall(r"[A-Za-z]{3,}", p.pattern)}
)
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from([" ", "  ", "\n", "\n- ", "\n1. ", "- [ ] ", ". ", "; ", ", ", "**", "_", "`", "```\n", "#", "> ", "'", "print(", "db.query("]),
    st.text(max_size=5),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=40).map("".join))
def test_prose_hits_are_consistent(text):
    norm = normalise(text)
    assert "\n" not in norm and "  " not in norm and norm == norm.strip()
    hits = stances_in(text, TOPICS)
    assert [h.start for h in hits] == sorted(h.start for h in hits)
    for hit in hits:
        assert 0 <= hit.start < hit.end <= len(norm)
        assert norm[hit.start : hit.end] == hit.phrase
        topic = BY_ID[hit.topic]
        assert topic.stance(hit.stance) is not None
    taken: dict[str, set[str]] = {}
    for hit in hits:
        taken.setdefault(hit.topic, set()).add(hit.stance)
    for tid, stance_ids in taken.items():
        assert not any(opposed(BY_ID[tid], a, b) for a in stance_ids for b in stance_ids), (tid, stance_ids)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=40).map("".join))
def test_code_hits_are_spans_of_the_raw_text(text):
    for hit in stances_in(text, TOPICS, code=True):
        assert 0 <= hit.start < hit.end <= len(text)
        assert text[hit.start : hit.end] == hit.phrase


def test_public_types():
    topic = BY_ID["deletion"]
    assert isinstance(topic, Topic) and isinstance(topic.stances[0], Stance)
    with pytest.raises(AttributeError):
        topic.id = "x"  # frozen


if __name__ == "__main__":
    table = precision_recall()
    print(f"{'kind':10} {'n':>5} {'tp':>5} {'fp':>4} {'fn':>4} {'precision':>10} {'recall':>8}")
    for kind in ("positive", "negated", "code", "none"):
        s = table.get(kind)
        if s:
            print(
                f"{kind:10} {s['n']:5d} {s['tp']:5d} {s['fp']:4d} {s['fn']:4d} "
                f"{s['precision']:10.3f} {s['recall']:8.3f}"
            )


# --------------------------------------------------------------------------------------------------------
# The prefilter only skips patterns that cannot match: it never decides a stance


def _every_cell(topics=TOPICS):
    from agentmerge.knowledge import _cells

    for topic in topics:
        yield from _cells(topic.unless)
        for stance in topic.stances:
            for field in ("patterns", "unless", "code"):
                yield from _cells(getattr(stance, field))


CELLS = list(_every_cell())


def _assert_prefilter_keeps_every_match(texts):
    from agentmerge.knowledge import _fold

    for text in texts:
        folded = _fold(text)
        missed = [cell.source for cell in CELLS if cell.regex.search(text) and not cell.may_match(folded)]
        assert missed == [], f"prefilter ruled out patterns that match {text[:80]!r}: {missed[:3]}"


def test_prefilter_keeps_every_match_on_labelled_sentences_and_seeds():
    texts = [sentence for *_, sentence, _code in _cases()]
    for path in sorted(SEEDS.glob("*.md")):
        texts += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += [t.upper() for t in texts[:200]] + [t.replace(" ", "  ") for t in texts[:200]]
    assert len(CELLS) > 500
    _assert_prefilter_keeps_every_match(texts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=40).map("".join))
def test_prefilter_keeps_every_match_on_generated_text(text):
    _assert_prefilter_keeps_every_match([text, text.upper(), text.title()])


# --------------------------------------------------------------------------------------------------------
# topics.prepared.json: the built-in file parsed and reduced ahead of time, never a different answer


def test_prepared_file_is_fresh():
    from agentmerge.knowledge import PREPARED_PATH, prepared

    assert PREPARED_PATH.read_text(encoding="utf-8") == prepared.render(), (
        "topics.prepared.json is stale: run python -m agentmerge.knowledge.prepared"
    )


def test_builtin_topics_come_from_the_prepared_file():
    from agentmerge import knowledge

    assert knowledge._prepared(knowledge.BUILTIN_PATH.read_bytes()) is not None
    sources = {cell.source for cell in CELLS}
    assert sources <= set(knowledge._prepared_clauses)


def _loaded_afresh(monkeypatch) -> tuple:
    """The built-in topics and every pattern's clauses, parsed from topics.yaml and derived now."""
    from agentmerge import knowledge

    monkeypatch.setattr(knowledge, "_prepared", lambda raw: None)
    monkeypatch.setattr(knowledge, "_prepared_clauses", {})
    knowledge._builtin_state.cache_clear()
    knowledge._builtin_topics.cache_clear()
    try:
        topics = knowledge.load_topics()
        return topics, _clauses_of(topics)
    finally:
        knowledge._builtin_state.cache_clear()
        knowledge._builtin_topics.cache_clear()


def _clauses_of(topics) -> list:
    return [(cell.source, cell.code, cell.clauses) for cell in _every_cell(topics)]


def test_prepared_and_fresh_loading_agree(monkeypatch):
    topics, clauses = _loaded_afresh(monkeypatch)
    assert repr(topics) == repr(TOPICS)  # ids, titles, stances, describe texts, opposed pairs, pattern sources
    assert clauses == _clauses_of(TOPICS)
    assert any(clause for _, _, clause in clauses)


def test_stale_or_broken_prepared_file_is_ignored(tmp_path, monkeypatch):
    from agentmerge import knowledge

    raw = knowledge.BUILTIN_PATH.read_bytes()
    assert knowledge._prepared(raw + b"\n# edited\n") is None  # topics.yaml changed since it was written
    complete = json.loads(knowledge.PREPARED_PATH.read_text(encoding="utf-8"))
    without_data = json.dumps({key: value for key, value in complete.items() if key != "data"})
    for text in ("", "{", "[]", '{"format": 99}', without_data):
        path = tmp_path / "topics.prepared.json"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setattr(knowledge, "PREPARED_PATH", path)
        assert knowledge._prepared(raw) is None, text[:40]
    monkeypatch.setattr(knowledge, "PREPARED_PATH", tmp_path / "missing.json")
    assert knowledge._prepared(raw) is None


def test_prepared_check_command(capsys):
    from agentmerge.knowledge import prepared

    assert prepared.main(["--check"]) == 0
