"""Version conflicts: two inputs name one thing at two versions ("Integrate with school LMSs through LTI
1.3" / "Use LTI 1.1 for LMS launches"; "Conform to WCAG 2.2" / "we target WCAG 2.1 AA"; "All targets
compile as C++20" / "The codebase targets C++17").

A name is a word written as a name: in capitals (`LTI`, `WCAG`), in mixed case (`OAuth`, `PostgreSQL`), with
`+` or `#` (`C++`), or capitalised after the statement's first word and rare in English; the version right
after it has dots ("1.3") or is a whole number under 100 ("Java 21", "C++20"). Words that number parts or
documents rather than release them ("Step 3", "ISO 27001", "RFC 9110", "SOC 2") name no version, nor does a
value with a unit ("P99 200 ms"). A statement that names two versions of one thing ("TLS 1.2 or 1.3",
"from Vue 2 to Vue 3"), a floor ("Node 18+", "3.10 or later"), history, a capability list, a quotation and a
question state no version of their own. The settings of `knowledge/settings.yaml` (`version: true`) are the
`value` detector's; this one finds versions of anything else.
"""

from __future__ import annotations

import re

from .align import QUESTION, aside, conflict, history, pairs, sort, statements, takes_no_stance

_NAMED = re.compile(r"(?<![\w.@/#+-])(?P<name>[A-Za-z][A-Za-z0-9]*(?:\+\+|#)?)(?: v?| version |(?<=[+#]))"
                    r"(?P<version>\d+(?:\.\d+){0,2})(?![\w%+-]|\.\d| or (?:later|newer|above|higher)|\s*\+)")
# Words that number parts, documents, ranks and periods: what follows them is no version.
_NUMBERING = frozenset("""
step steps phase stage level tier section chapter part page rule article item figure table appendix priority
sev severity sprint week day month year quarter q h p version v top iso iec rfc pep cve cwe soc type class
category option plan round grade room floor gate issue ticket pr build milestone wave cohort team group batch
unit lesson module session episode season lane slot node worker pod replica shard region zone core cpu gpu
ram vcpu port line lines width height size no number act title form schedule annex clause note case sample
tab field column row task story epic pillar principle factor layer pass attempt retry run
""".split())
_DIGIT = re.compile(r"\d")
_ABOVE = 100  # a whole number at or above this is an identifier or a year, not a version


def _is_name(word: str, at_start: bool) -> bool:
    from ..statements.terms import lemma, prior

    if word.lower() in _NUMBERING:
        return False
    if word.endswith(("++", "#")) or (len(word) >= 2 and word.isupper()):
        return True
    if any(c.isupper() for c in word[1:]):
        return True  # OAuth, PostgreSQL, iOS
    return word[:1].isupper() and not at_start and prior(lemma(word.lower())) >= 0.9


def versions(s) -> dict[str, str]:
    """name (lower case) -> the version a statement names it at, for the names it names at one version."""
    if takes_no_stance(s) or aside(s) or history(s.text) or QUESTION.search(s.text):
        return {}
    valued = [(q.start, q.end) for q in s.st.quantities if q.dimension not in ("number", "", "count")]
    found: dict[str, set[str]] = {}
    for m in _NAMED.finditer(s.text):
        name, version = m.group("name"), m.group("version")
        if "." not in version and int(version) >= _ABOVE:
            continue
        if any(start <= m.start("version") < end for start, end in valued):
            continue  # "P99 200 ms": a value with a unit
        if not _is_name(name.rstrip("+#") or name, m.start() == 0) and not name.endswith(("++", "#")):
            continue
        found.setdefault(name.lower(), set()).add(version)
    return {name: next(iter(vs)) for name, vs in found.items() if len(vs) == 1}


def detect(ctx) -> list:
    named = {}
    for s in statements(ctx):
        if _DIGIT.search(s.text):
            vs = versions(s)
            if vs:
                named[s.index] = (s, vs)
    items = [s for s, _ in named.values()]
    found = []
    for a, b in pairs(items, lambda s: named[s.index][1].keys()):
        if a.source == b.source:
            continue  # one input naming two versions in two places tells of two things (a floor, a move)
        va, vb = named[a.index][1], named[b.index][1]
        for name in sorted(set(va) & set(vb)):
            if va[name] == vb[name] or vb[name] in a.text or va[name] in b.text:
                continue
            shown = re.search(rf"(?<![\w.]){re.escape(name)}", a.text, re.IGNORECASE)
            title = a.text[shown.start() : shown.end()] if shown else name
            found.append(conflict(ctx, "value", f"{name}_version", a, b, (f"{title} {va[name]}", f"{title} {vb[name]}"),
                                  f"two versions of {title}: {va[name]} and {vb[name]}",
                                  f"Pick one version of {title} and state it once."))
            break
    return sort(found)
