"""Value conflicts between any two quantities of one thing: time and latency budgets, cadences, limits,
availability targets, coverage, retries, timeouts, page sizes, sizes ("CI must finish within 10 minutes" /
"pipeline budget: 25 min"; "retry at most 3 times" / "up to 5 retries").

Quantities are read by `agentmerge.quantities` (units normalised: 1.5 s = 1500 ms, "half an hour",
"twice a day", "two nines" = 99%). Two quantities are of one thing when they have the same dimension and
the same name ("test coverage 90% and type coverage 100%" are two things); they conflict when both cannot
hold (`quantities.disagree`). Two budgets of one kind ("under 10 minutes" / "under 25 minutes") conflict
too, and the stricter one is suggested. Two inputs that name one thing in different words meet through
their statements' own words (`_same_subject`). The settings of `knowledge/settings.yaml` are the `value`
detector's; this one finds what those names do not cover.
"""

from __future__ import annotations

import re

from ..quantities import _PLACING, comparable, disagree, load_table, quantities, similarity, stricter
from .align import conflict, one_list, other_contexts, pairs, same_scope, scope_of, sort, statements, takes_no_stance
from .align import QUESTION, aside, history

# A statement with this many values of one dimension gives a scale of tiers, not a budget.
SCALE = 3
# Dimensions whose bare numbers say too little to compare ("number": "React 18", "step 3").
COMPARED = ("time", "percent", "size", "cadence", "count", "ratio", "frequency", "usd", "eur", "gbp")


def _quantities(s, table, head: str = "") -> list:
    """The comparable quantities a statement states. A labelled item's details ("**ISR budget**: 50
    microseconds") are read with their label, which names the quantity the details only give a value for."""
    if head and s.st.role == "details":
        text = f"{head}: {s.text}"
        found = [q for q in quantities(text, table) if q.start >= len(head) + 2]
    else:
        found = s.st.quantities or quantities(s.text, table)
    return [q for q in found if q.dimension in COMPARED and q.terms]


def detect(ctx) -> list:
    table = load_table(tuple(ctx.options.axes))
    stated = {}
    subjects: dict[int, frozenset[str]] = {}  # each statement's words besides its values (`_subject`)
    heads: dict[int, str] = {}
    for s in statements(ctx):
        if s.st.role == "head":
            heads[s.uid] = s.text
            continue
        if aside(s) or history(s.text) or QUESTION.search(s.text):
            continue  # a quoted message's numbers are one task's, a skill's are no budget
        if takes_no_stance(s) and s.st.modality == "describe":
            continue
        qs = _quantities(s, table, heads.get(s.uid, ""))
        if any(sum(q.dimension == d.dimension for q in qs) >= SCALE for d in qs):
            continue  # a scale ("Pass Rate: >95% (green), >90% (yellow), <90% (red)"): tiers, no one budget
        if qs:
            stated[s.index] = (s, qs)
            subjects[s.index] = _subject(s, qs)
    items = [s for s, _ in stated.values()]
    found = []

    def keys(s):
        # every word of the name: a name the keys cover meets one they do not through the words besides;
        # and the statement's own words, for two inputs that name one thing in different places
        qs = stated[s.index][1]
        return {(q.dimension, t) for q in qs for t in q.terms} | {
            (q.dimension, "~" + t[:_STEM]) for q in qs for t in subjects[s.index]}

    for a, b in pairs(items, keys):
        scope_a, scope_b = scope_of(a.text).lower(), scope_of(b.text).lower()
        if scope_a and scope_b and not same_scope(scope_a, scope_b):
            continue  # "timeout 30 s for reads" / "5 s for writes": two situations
        if other_contexts(ctx, a.uid, b.uid):
            continue  # the same, said by the headings or lead-ins the two stand under
        # one side scoped ("at most once in CI" / "up to 3 times"): the other's rule covers that scope too
        qs_a, qs_b = stated[a.index][1], stated[b.index][1]
        for qa in qs_a:
            # each quantity meets the one of the other statement it is most like, and only if that one is
            # most like it too ("crash-free users 99.9% and crash-free sessions 99.95%": sessions meet sessions)
            candidates = [qb for qb in qs_b if comparable(qa, qb, table)]
            if not candidates:
                candidates = _same_subject(a, qa, qs_a, subjects[a.index], b, qs_b, subjects[b.index])
            if not candidates:
                continue
            match = max(candidates, key=lambda qb: similarity(qa, qb))
            if max((similarity(q, match) for q in qs_a if comparable(q, match, table)), default=0) > similarity(qa, match):
                continue
            if not disagree(qa, match):
                continue
            if (qa.dimension == "count" and len(qa.terms) == 1 and not _RATE_OF.search(f"{qa.text} {match.text}")
                    and not _share_a_word(subjects[a.index], subjects[b.index])):
                continue  # "run all six phases" / "a five-phase pipeline for requirements": counts of two things
            if (qa.terms != match.terms and _labelled(a, qa) and _labelled(b, match)
                    and one_list(ctx, a.uid, b.uid)):
                continue  # a list of labelled values, each its own thing: "- Read-heavy APIs: …" / "- Mixed workload: …"
            strict = stricter(qa, match)
            what = qa.name or match.name or "value"
            why = f"two values for {what}: {qa.text} and {match.text}"
            if scope_a or scope_b:
                why += f" (one side scoped: {scope_a or scope_b})"
            if strict is not None:
                suggestion = f"Keep the stricter {what}: {strict.text} (it satisfies both)."
            else:
                suggestion = f"Pick one {what} and state it once."
            found.append(conflict(ctx, "value", "_".join(sorted(qa.terms)), a, b, (qa.text, match.text), why,
                                  suggestion))
            break
    return sort(found)


_LABEL = re.compile(r"[^:.;]{1,50}:\s")


def _labelled(s, q) -> bool:
    """Whether a statement gives the value after a label of its own ("Read-heavy APIs: >1000 RPS", the
    details of "**Latency**: p99 under 200 ms")."""
    if s.st.role == "details":
        return True
    m = _LABEL.match(s.text)
    return m is not None and q.start >= m.end() - 1


# Two statements of different inputs that each state one value of a dimension are about one thing when
# their own words meet in two content words besides the value ("Reconcile the ledger against the bank
# statement every day" / "Bank reconciliation runs weekly"), whatever words stand right before the values.
# Words are compared by their first `_STEM` letters, so "reconcil" meets "reconcili".
_STEM = 6
_SHARED = 2
_GENERAL = frozenset("use make run set get have has keep must should need every each all any time new our not "
                     "onli only the and for with".split())
# Words of units and periods, wherever they stand ("during business days"): they place a value, they do
# not say what it is of.
_UNIT_WORDS = ("second", "minut", "hour", "day", "daili", "week", "month", "quarter", "year", "annual", "percent",
               "time", "busi", "work")
_SHARED_WEIGHT = 1.2  # their summed English priors: not two common words ("split" and "lines")
_SHARE = 1 / 3  # and those two are this share of the shorter side's content words at least


def _subject(s, qs) -> frozenset[str]:
    """The statement's content words that are not its values' own (their units and comparators)."""
    valued = {w for q in qs for w in q.text.lower().replace("-", " ").split()}
    return frozenset(t for t in s.terms if len(t) > 2 and t.isalpha() and t.islower() and t not in _GENERAL
                     and t not in _PLACING and not t.startswith(_UNIT_WORDS)
                     and not any(w.startswith(t[:4]) for w in valued))


_RATE_OF = re.compile(r"\b(?:per|each|every)\b", re.IGNORECASE)  # "5 profiles per target" says what of


def _share_a_word(subject_a: frozenset[str], subject_b: frozenset[str]) -> bool:
    """Whether two statements' own words (besides their values) meet in one (see `_STEM`): two counts of
    one plain noun count one thing only where they say what of ("at most four interviewers on a loop" /
    "six interviewers for the onsite loop")."""
    return not {t[:_STEM] for t in subject_a}.isdisjoint(t[:_STEM] for t in subject_b)


def _same_subject(a, qa, qs_a, subject_a: frozenset[str], b, qs_b, subject_b: frozenset[str]) -> list:
    """The one quantity of `b` that `qa` is a value of by the statements' words (see `_STEM`), or none."""
    from ..statements.terms import prior

    if a.source == b.source:
        return []
    same_a = [q for q in qs_a if q.dimension == qa.dimension]
    same_b = [q for q in qs_b if q.dimension == qa.dimension]
    if len(same_a) != 1 or len(same_b) != 1:
        return []
    qb = same_b[0]
    if qa.dimension == "count" and qa.unit != qb.unit:
        return []
    full_a = {t[:_STEM]: t for t in sorted(subject_a)}
    words_a, words_b = set(full_a), {t[:_STEM] for t in subject_b}
    common = words_a & words_b
    # two counts of one counted thing ("at most four interviews" / "six interviews") share that word too
    counted = qa.dimension == "count" and bool(qa.unit)
    shared = len(common) + counted
    weight = sum(prior(full_a[t]) for t in common) + (prior(qa.unit) if counted else 0.0)
    if shared < _SHARED or weight < _SHARED_WEIGHT:
        return []
    return [qb] if shared >= _SHARE * (min(len(words_a), len(words_b)) + counted) else []

