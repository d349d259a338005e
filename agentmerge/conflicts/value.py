"""Value conflicts: the same setting with different values ("default page size 50" / "page size 20",
"80% coverage" / "at least 90% coverage", "Python 3.11+" / "Python 3.10", "timeout 30 s" / "5 s").

Settings and the words that name them are data (`knowledge/settings.yaml`). A number belongs to a setting
when it stands within a few words of the setting's name in the same clause. Values are compared as
intervals: a plain value is a point, "at least"/"min"/"+" opens upwards, "at most"/"max"/"up to" downwards;
two values conflict only when their intervals cannot both hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import model
from ..lazy import compiled_when_used
from ..model import Conflict, Side
from ..normalize import plain, unlabelled
from .align import other_contexts
from .quantity import SCALE  # this many values of one unit in one clause are a scale of tiers

_CLAUSE = re.compile(r"[;\n]|\.(?:\s|$)|\|")
# Not a number of its own after `N+`, `2^`, `x*`: "N+1 queries" states no retries value.
_NUMBER = re.compile(r"(?<![\w.])(?<!\w[-+*/^])(\d{1,9}(?:[.,]\d{1,6})*)(\+)?\s?(%|percent|ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)?(?![\w])")
_MIN = re.compile(r"(?:\b(?:at least|minimum|min|no less than|above|over|more than|exceeding|exceeds?)|>=|≥|>)\s*:?\s*$")
_MAX = re.compile(r"(?:\b(?:at most|maximum|max|up to|no more than|under|below|less than|fewer than|within)|<=|≤|<)\s*:?\s*$")
_TO_SECONDS = {"ms": 0.001, "millisecond": 0.001, "milliseconds": 0.001, "s": 1, "sec": 1, "secs": 1, "second": 1,
               "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600,
               "hrs": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400}
WINDOW_WORDS = 5
# A value right after a label's colon, comparator between or not: it is that label's.
_LABELLED = re.compile(r":\s*(?:[<>≤≥]=?|~|(?:at least|at most|up to|under|over|below|above|min(?:imum)?|max(?:imum)?)\s)?\s*\Z",
                       re.IGNORECASE)
_RATE = re.compile(r"\s+per\s+\w", re.IGNORECASE)
RATE_SUFFIX = "_rate"


@dataclass(frozen=True)
class Setting:
    """A setting agents give values for (`knowledge/settings.yaml`), with the words that name it."""

    id: str
    title: str
    names: tuple[str, ...]
    version: bool = False
    percent: bool = False  # its values are percentages (`unit: "%"`); no other setting's are


@dataclass(frozen=True)
class Value:
    """A value a text states for a setting, as the interval [low, high] it allows."""

    setting: str
    low: float
    high: float
    shown: str  # as written, e.g. "at least 90%"


@lru_cache(maxsize=1)
def builtin_settings() -> tuple[Setting, ...]:
    from ..knowledge import builtin_data

    data = builtin_data("settings.yaml")  # parsed ahead of time, as settings.prepared.json
    return tuple(Setting(id=k, title=v.get("title", k), names=tuple(v["names"]), version=bool(v.get("version")),
                         percent=v.get("unit") == "%")
                 for k, v in data["settings"].items())


@lru_cache(maxsize=None)  # one per setting (and per user's setting): asked for once per clause
def _name_pattern(names: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(n.lower()) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


@lru_cache(maxsize=None)
def _lowered(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n.lower() for n in names)


@lru_cache(maxsize=1)
def _longer_names() -> dict[str, tuple[str, ...]]:
    """setting id -> names of other quantities (`knowledge/quantities.yaml`) that end with one of the
    setting's names: "100% type coverage" and "95% branch coverage" are not test coverage."""
    from ..knowledge import builtin_data

    names = builtin_data("quantities.yaml").get("names", {})
    out: dict[str, tuple[str, ...]] = {}
    # every name of another quantity, lowered, with what follows each of its spaces (its possible endings)
    spelled = [(key, lowered, _endings(lowered)) for key, spellings in names.items()
               for lowered in (str(n).lower() for n in [key.replace("_", " "), *spellings])]
    for setting in builtin_settings():
        own = {n.lower() for n in setting.names} | {str(n).lower() for n in names.get(setting.id, ())}
        setting_names = {name.lower() for name in setting.names}
        longer = {lowered for key, lowered, endings in spelled
                  if key != setting.id and not setting_names.isdisjoint(endings)}
        out[setting.id] = tuple(sorted(longer - own))
    return out


def _endings(name: str) -> tuple[str, ...]:
    """What follows each space of a name: `name.endswith(" " + x)` holds exactly for these `x`."""
    return tuple(name[i + 1 :] for i, c in enumerate(name) if c == " ")


def _inside_longer(clause: str, end: int, longer: tuple[str, ...]) -> bool:
    before = clause[:end]
    return any(before.endswith(n) and (len(before) == len(n) or not before[-len(n) - 1].isalnum()) for n in longer)


# A quoted sample ("Completion message: "Built 18 panels, load time 4.2 s"") reports one task's numbers.
_QUOTED_SAMPLE = compiled_when_used(r'"[^"]*(?:\s[^"\s]+){3}[^"]*"|“[^”]*(?:\s[^”\s]+){3}[^”]*”')


def _number(raw: str, version: bool) -> float | None:
    raw = raw.replace(",", "") if not version else raw.replace(",", ".")
    if version:
        parts = raw.split(".")
        try:
            return float(parts[0]) + (float("0." + "".join(p.zfill(3) for p in parts[1:])) if len(parts) > 1 else 0.0)
        except ValueError:
            return None
    try:
        return float(raw)
    except ValueError:
        return None


def values_in(text: str, settings: tuple[Setting, ...]) -> list[Value]:
    """Every setting value the text states, in order."""
    found: list[Value] = []
    longer_names = _longer_names()
    text = plain(text)
    if '"' in text or "“" in text:
        text = _QUOTED_SAMPLE.sub(" ", text)
    for clause in _CLAUSE.split(text):
        if not clause.strip():
            continue
        numbers = list(_NUMBER.finditer(clause))
        if not numbers:
            continue
        if len(numbers) >= SCALE and len({(m.group(3) or "").lower() for m in numbers}) == 1:
            continue  # a scale of tiers ("Coverage: >80% (green), >60% (yellow), <60% (red)"), no one value
        for setting in settings:
            if not any(n in clause for n in _lowered(setting.names)):
                continue  # the pattern needs one of the names: most clauses name no setting
            for name in _name_pattern(setting.names).finditer(clause):
                if longer_names.get(setting.id) and _inside_longer(clause, name.end(), longer_names[setting.id]):
                    continue  # "type coverage": another quantity, the general detector's
                # "5 failed attempts per account per 15 minutes": a rate limit, compared with rates only
                rate = _RATE.match(clause, name.end()) is not None
                best = None
                for m in numbers:
                    if m.start() >= name.end():
                        gap = clause[name.end() : m.start()]
                    elif m.end() <= name.start() and not setting.version:
                        gap = clause[m.end() : name.start()]
                        if ":" in gap or _LABELLED.search(clause, 0, m.start()):
                            # the value of a label: "70% Unit Tests: fast, extensive coverage", "False
                            # Positive Rate: < 5% Coverage: 100%" (nested items read as one clause)
                            continue
                    else:
                        continue
                    unit_of = (m.group(3) or "").lower()
                    if (unit_of in ("%", "percent") and not setting.percent) or (setting.percent and unit_of in _TO_SECONDS):
                        continue  # "95% branch coverage for retry logic" states no retry count
                    words = len(gap.split())
                    # a version follows its name ("Python 3.11", "Node >= 20", "Node.js version 18")
                    limit = 1 if setting.version and gap.strip() not in ("version", "v") else WINDOW_WORDS
                    if setting.version and gap.strip() in ("version", "v"):
                        words = 0
                    if words <= limit and (best is None or words < best[0]):
                        best = (words, m)
                if best is None:
                    continue
                m = best[1]
                value = _number(m.group(1), setting.version)
                if value is None:
                    continue
                unit = (m.group(3) or "").lower()
                if unit in _TO_SECONDS and not setting.version:
                    value *= _TO_SECONDS[unit]
                before = clause[max(0, m.start() - 20) : m.start()]
                low, high = value, value
                qualifier = _MIN.search(before) or _MAX.search(before)
                if m.group(2) or _MIN.search(before):
                    high = float("inf")
                elif _MAX.search(before):
                    low = float("-inf")
                shown = (qualifier.group(0).strip().rstrip(":").strip() + " " if qualifier else "") + m.group(0).strip()
                found.append(Value(setting.id + (RATE_SUFFIX if rate else ""), low, high, shown))
                break
    return found


def disagree(a: Value, b: Value) -> bool:
    """Two values disagree when both cannot hold: two different points, or a point outside the other's
    bound, or two different bounds of the same kind."""
    if a.low == b.low and a.high == b.high:
        return False
    a_point, b_point = a.low == a.high, b.low == b.high
    if a_point and b_point:
        return True
    if a_point != b_point:
        point, bound = (a, b) if a_point else (b, a)
        return not (bound.low <= point.low <= bound.high)
    same_kind = (a.high == float("inf")) == (b.high == float("inf"))
    if same_kind:
        return True  # "at least 80%" and "at least 90%": two different rules
    return max(a.low, b.low) > min(a.high, b.high)


def _same_rate(a: str, b: str) -> bool:
    """Whether two texts state one rate in two units ("100 requests per second" / "6,000 per minute"):
    then their different numbers agree."""
    from ..quantities import quantities

    rates_a = {(q.unit, round(q.value, 6)) for q in quantities(plain(a)) if "/" in q.unit}
    rates_b = {(q.unit, round(q.value, 6)) for q in quantities(plain(b)) if "/" in q.unit}
    return bool(rates_a & rates_b)


def detect(ctx) -> list[Conflict]:
    settings = builtin_settings()
    titles = {s.id: s.title for s in settings} | {s.id + RATE_SUFFIX: f"{s.title} rate" for s in settings}
    dropped = ctx.matching.dropped
    stated: dict[str, list[tuple[int, Value]]] = {}
    for uid, unit in sorted(ctx.units.items()):
        if uid in dropped or unit.kind in (model.CODE, model.HTML):
            continue
        seen = set()
        for v in values_in(unlabelled(unit.text), settings):
            if (v.setting, v.low, v.high) in seen:
                continue
            seen.add((v.setting, v.low, v.high))
            stated.setdefault(v.setting, []).append((uid, v))
    found: list[Conflict] = []
    for setting in sorted(stated):
        entries = stated[setting]
        clashing: list[tuple[int, Value]] = []
        for i, (uid_a, va) in enumerate(entries):
            for uid_b, vb in entries[i + 1 :]:
                if (uid_a != uid_b and disagree(va, vb) and not _same_rate(ctx.units[uid_a].text, ctx.units[uid_b].text)
                        and not other_contexts(ctx, uid_a, uid_b)):
                    for e in ((uid_a, va), (uid_b, vb)):
                        if e not in clashing:
                            clashing.append(e)
        if not clashing:
            continue
        clashing.sort(key=lambda e: e[0])
        sides = tuple(Side(uids=(uid,), stance=v.shown, phrase=v.shown) for uid, v in clashing)
        said = "; ".join(f"{ctx.units[uid].where} says {v.shown}" for uid, v in clashing)
        found.append(Conflict(
            id="", kind="value", topic=setting, severity="medium",
            message=f"{titles[setting].capitalize()} differs: {said}",
            sides=sides,
            suggestion=f"Pick one {titles[setting]} and state it once.",
        ))
    return found
