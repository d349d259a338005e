"""Scope and authority conflicts: what the agent may touch, and what it may do on its own.

- Authority: one statement makes an action wait for someone ("ask before opening a PR", "get approval
  before deploying", "never merge without a review"), another lets the agent do it on its own ("open PRs
  without asking", "deploy directly", "merge autonomously"). The two must name the same action: its verb
  and object terms are shared.
- Authority the other way round: "never X yourself" makes X wait for someone as "ask before X" does, and
  "do not X without written approval" as "never X without approval".
- Touch scope: one statement limits what the agent edits ("only edit files under src/", "limit changes to
  the docs folder"), another has it edit something outside that ("update the deployment manifests when
  needed"). The outside thing is a path not under the limit, or an object the limit does not name; a
  limit that names a kind of thing ("only touch renderer code under src/renderer/") leaves out an
  instruction in another file to edit a thing of another kind ("change the main process").
"""

from __future__ import annotations

import re

from ..lazy import compiled_when_used
from ..statements.terms import prior
from .align import conflict, may_hold, pairs, sort, statements, takes_no_stance

RARE_ACTION = 0.75  # the English prior of a word that names an action's object on its own ("props", "schema")

_ASK = re.compile(
    r"\b(?:ask(?: the user| a human| for (?:approval|permission|confirmation))?|confirm(?: with the user)?|"
    r"check (?:in )?with (?:the user|a human|the team|a maintainer|someone)|get (?:explicit |written )?"
    r"(?:approval|sign-off|permission|a go-ahead|confirmation)|wait for (?:approval|a go-ahead|confirmation|"
    r"sign-off)|seek (?:approval|permission)|request (?:approval|permission))\b[^.;]{0,50}?\b(?:before|prior to)\b"
    r"(?P<act>[^.;]{3,80})"
    r"|\b(?:never|do not|don't) (?P<act2>[^.;]{3,60}?) without (?:(?:explicit|written|prior) )?(?:asking|approval|"
    r"permission|confirmation|a go-ahead|sign-off|a review|review|an approved review)"
    r"|\b(?P<act3>[^.;]{3,60}?) (?:only )?(?:after|once) (?:the user|a human|a maintainer|someone)? ?"
    r"(?:approves|has approved|confirms|signs off|gives the go-ahead)"
    r"|\b(?P<act4>[^.;]{3,60}?) (?:requires?|needs?) (?:explicit |written )?(?:approval|sign-off|permission|"
    r"confirmation|a go-ahead)"
    r"|\b(?:never|do not|don't) (?P<act5>[^.;]{3,60}?) until (?:the |a |an )?(?:\w+ ){0,2}?(?:confirms|approves|"
    r"agrees|signs off|says so|gives the go-ahead|has confirmed|has approved)",
    re.IGNORECASE)
# A word each alternative of _ASK needs (its slow ones scan every word boundary): most statements have none.
_ASK_WORDS = ("before", "prior to", "without", "approv", "confirm", "sign", "go-ahead", "permission", "until")
_MAY_ASK = re.compile("|".join(_ASK_WORDS), re.IGNORECASE)


def _may_ask(text: str) -> bool:
    if text.isascii():  # ASCII text: ignoring case is lower-casing
        lower = text.lower()
        return any(w in lower for w in _ASK_WORDS)
    return _MAY_ASK.search(text) is not None


_ALONE = re.compile(
    r"\b(?:without (?:asking|waiting|checking|approval|permission|confirmation|a go-ahead|sign-off)|on your own|"
    r"autonomously|independently|yourself|directly|as you need (?:it|them)|no need to (?:ask|wait|check)|(?:don't|do not|never) "
    r"(?:ask|wait) (?:for|before)|without stopping to ask|proactively|at your discretion|unprompted)\b",
    re.IGNORECASE)
_NO_NEED_TO_ASK = re.compile(r"\b(?:no need to|(?:don't|do not|doesn't|does not|never) need to|needn't)\s+"
                             r"(?:ask|check|wait|confirm|get)\b", re.IGNORECASE)
_REFLEXIVE = re.compile(r"\b(find|finds|found|catch|catches|caught|ask|asks|remind|see|tell|familiari[sz]e|introduce|"
                        r"consider|prepare|brace|orient|ground|pace|position|limit|restrict|express)\s+yourself\b",
                        re.IGNORECASE)
_YOU_ALONE = re.compile(r"\b(?:yourself|on your own|without asking)\b", re.IGNORECASE)
# A word each match of _ALONE, _YOU_ALONE, _LIMIT and _HANDS_OFF holds (most statements have none).
_ALONE_WORDS = ("without", "on your own", "autonomously", "independently", "yourself", "directly", "as you need",
                "no need to", "ask", "wait", "proactively", "at your discretion", "unprompted")
_YOU_ALONE_WORDS = ("yourself", "on your own", "without asking")
_LIMIT = re.compile(
    r"\b(?:only (?:edit|modify|touch|change|write(?: to)?|update|commit to|work (?:in|on)|make changes (?:in|to))|"
    r"(?:limit|restrict|confine) (?:your |all )?(?:changes|edits|work|writes) to|stay (?:within|inside|in)|"
    r"(?:edit|modify|touch|change|update) only|"
    r"(?:never|don't|do not) (?:edit|modify|touch|change) (?:anything|files?) (?:outside|beyond))\s+"
    r"(?P<scope>[^.;]{2,80})",
    re.IGNORECASE)
# an edit and its object: the noun phrase right after the verb, up to a conjunction or a clause break
_EDIT = compiled_when_used(r"\b(?:edit|edits|modify|modifies|update|updates|change|touch|rewrite|rewrites|"
                           r"patch|patches|bump|bumps|regenerate|regenerates|write to|commit to|fix|fixes|adjust|adjusts|"
                           r"refactor|refactors|rename|renames)\b"
                           r"(?P<obj>(?:(?!\b(?:and|or|but|when|if|so|then|to|before|after)\b)[^.;,:]){2,60})", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w@])(?:\.{0,2}/)?[\w.-]+/(?:[\w.*-]+/?)*")
# Things an agent edits that a path limit does not cover unless it names them.
_OUTSIDE = frozenset("""
manifest manifests deployment deployments helm chart charts infrastructure infra ci workflow workflows
pipeline pipelines config configuration configs settings dependencies dependency lockfile lockfiles
package.json schema schemas migration migrations database production secrets dockerfile entitlements
signing provisioning repositories repository repos repo
""".split())
# An agent states its edit limits a few times at most; past this many, they are not limits but content.
LIMITS_COMPARED = 12
_STOP = frozenset("the a an any all your our its their to of in on for and or when needed necessary as files file "
                  "code things stuff it them".split())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][\w.-]*", text.lower()) if w not in _STOP}


def _terms_of(phrase: str, s) -> frozenset[str]:
    """The statement's terms that stand in a phrase of it (the terms are lemmas: match by prefix)."""
    from ..statements.terms import term_words

    words = _words(phrase)
    canonical = {term for _surface, term in term_words(phrase)}  # "library" is `dependency`
    return frozenset(t for t in s.terms if t in canonical or any(w.startswith(t[:4]) or t.startswith(w[:4])
                                                                 for w in words if len(w) >= 3))


def _authority(s, label: frozenset[str] = frozenset()):
    """('ask', action terms) or ('alone', action terms) or None. A labelled item's details act on what the
    label names ("**Dependencies**: add crates as you need them" adds dependencies)."""
    # "if you find yourself …", "ask yourself whether …": the reflexive of another verb, not acting alone
    text = _REFLEXIVE.sub(r"\1", s.text) if "yourself" in s.text.lower() else s.text
    # "… yourself", "on your own": said to the agent
    addressed = may_hold(text, _YOU_ALONE_WORDS) and _YOU_ALONE.search(text) is not None
    if s.st.modality == "describe" and s.st.role not in ("item", "nested", "details") and not addressed:
        return None
    m = _ASK.search(text) if _may_ask(text) else None
    if m and _NO_NEED_TO_ASK.search(text[: m.end()]):
        m = None  # "there is no need to ask before restarting …": acting alone, said the other way
    if m:
        act = next(g for g in (m.group("act"), m.group("act2"), m.group("act3"), m.group("act4"), m.group("act5")) if g)
        # "do not close a ticket until the customer confirms the fix": what is waited for names the action too
        terms = _terms_of(text if m.group("act5") else act, s)
        return ("ask", terms) if len(terms) >= 1 else None
    m = _ONLY_ROLE.search(text) if "only" in text.lower() else None
    if m and m.group("who").lower() not in _NOT_A_ROLE:
        # "only an attorney may accept or decline a matter": someone else's to do, the agent waits for them
        terms = _terms_of(m.group("act"), s)
        if terms:
            return ("ask", terms)
    m = _ONLY_BY.search(text) if " by " in text else None
    if m:
        # "adverse event coding is changed only by the medical monitor", "denials are signed off by the
        # claims supervisor": the subject is someone else's to change
        terms = _terms_of(m.group("act"), s)
        if terms:
            return ("ask", terms)
    m = _ALONE.search(text) if may_hold(text, _ALONE_WORDS) else None
    if m and s.st.negated and _YOU_ALONE.match(m.group(0)) and not re.search(r"\b(?:don't|do not|never) (?:ask|wait)",
                                                                          text, re.I):
        # "never send transactions from the deployer key yourself": acting alone is what is prohibited
        terms = _terms_of(text[: m.start()], s)
        return ("ask", terms) if terms else None
    if m and not s.st.negated or (m and re.search(r"\b(?:don't|do not|never) (?:ask|wait)", text, re.I)):
        act = text[: m.start()] or text[m.end():]
        if re.match(r"\s*(?:after|once)\b", text[m.end():], re.IGNORECASE):
            act = text  # "close conversations on your own after the fix is sent": the sequel names it too
        terms = _terms_of(act, s) | (label if s.st.role == "details" else frozenset())
        return ("alone", terms) if terms else None
    return None


# "only an attorney may …", "only the release manager can …": an action reserved for someone
_ONLY_ROLE = re.compile(r"\bonly (?:an? |the |our |a human |your )?(?P<who>[a-z][\w-]*(?: [a-z][\w-]*)?) "
                        r"(?:may|can|is allowed to|are allowed to|gets to|get to) (?P<act>[^.;]{3,80})", re.IGNORECASE)
_ONLY_BY = re.compile(r"^\W*(?P<act>[^.;,]{3,80}?\b(?:is|are) (?:only )?(?:changed|set|approved|signed off|decided|"
                      r"edited|modified|updated|issued|granted|owned|made|done)) (?:only )?by (?:the |a |an |our )?"
                      r"(?:\w+'s )?(?!you\b)\w+", re.IGNORECASE)
_NOT_A_ROLE = frozenset("you we it they this that these those then when if one small minor trivial".split())


_LIMIT_WORDS = ("only", "limit", "restrict", "confine", "stay", "outside", "beyond")


def _limit(s):
    m = _LIMIT.search(s.text) if may_hold(s.text, _LIMIT_WORDS) else None
    if not m:
        return None
    scope = m.group("scope")
    # the kind of thing limited: the words before where it is ("renderer code" of "renderer code under
    # src/renderer/"; nothing in "files under infra/")
    where = re.search(rf"\b(?:{'|'.join(sorted(_WHERE))})\b|`|(?<![\w@])\.{{0,2}}/?[\w.-]+/", scope)
    kind = _words(scope[: where.start()] if where else scope)
    return {"paths": set(_PATH.findall(scope)), "words": _words(scope), "kind": kind}


def _edits(s):
    if s.st.negated or s.st.modality not in ("require", "recommend", "permit"):
        return None
    if _NOUN_SUBJECT.match(s.text):
        return None  # "Touch targets are at least 48 pixels", "Change requests must name a reviewer": a noun
    m = _EDIT.search(s.text)
    if not m:
        return None
    obj = m.group("obj")
    # an instruction that opens with a verb of changing a place in the code ("change the main process",
    # "edit the query parser"); "fix the bug", "update the status page" name a problem or a document
    imperative = (s.st.role != "head" and m.start() == len(s.text) - len(_LEADING.sub("", s.text))
                  and _PLACE_VERB.match(m.group(0)) is not None)
    return {"paths": set(_PATH.findall(obj)), "words": _words(obj), "imperative": imperative,
            "object": [w for w in re.findall(r"[a-z][\w-]*", obj.lower()) if w not in _STOP]}


# Words of a limit that say where, not what kind of thing ("only touch renderer code under src/renderer/":
# the kind is "renderer").
_WHERE = frozenset("under inside within in into below beneath folder folders directory directories dir dirs "
                   "package packages module modules tree path paths only".split())


# An edit verb that opens a noun phrase, the subject of what follows.
_NOUN_SUBJECT = re.compile(r"^\W*(?:edit|modif|chang|touch|rewrit|refactor)\w*\s+[a-z][\w-]*(?:\s+[a-z][\w-]*)?\s+"
                           r"(?:are|is|must|should|stay|stays|remain|remains|need|needs)\b", re.IGNORECASE)
_PLACE_VERB = re.compile(r"(?:edit|modify|change|touch|rewrite|refactor)s?\b", re.IGNORECASE)
_LEADING = re.compile(r"^(?:(?:always|also|then|just|please)\s+)*", re.IGNORECASE)


def _outside(limit, edit, elsewhere: bool = False) -> str | None:
    """What the edit touches that the limit leaves out, or None. With `elsewhere` (the edit stands in
    another file), a limit that names a kind of thing ("only touch renderer code under src/renderer/")
    also leaves out an edit of something it does not name ("change the main process")."""
    for path in sorted(edit["paths"]):
        if limit["paths"] and not any(path.lstrip("./").startswith(p.lstrip("./")) for p in limit["paths"]):
            return path
    if limit["paths"] and not edit["paths"]:
        named = sorted(w for w in edit["words"] & _OUTSIDE if w not in limit["words"])
        if named:
            return named[0]
        if elsewhere and edit.get("imperative"):
            kinds = {w for w in limit["kind"] if w not in _WHERE and len(w) >= 4}
            objects = [w for w in edit["object"] if w not in _WHERE and len(w) >= 4]
            if kinds and objects and not any(o[:5] == k[:5] for o in objects for k in kinds):
                return " ".join(objects[:3])
    return None


# "do not touch the shared input map", "the public basemap layers belong to the cartography team": a thing
# the agent keeps its hands off
_HANDS_OFF = re.compile(
    r"\b(?:never|do not|don't|must not|should not|may not)\s+(?:touch|edit|modify|change|alter|update|rewrite|"
    r"reconfigure|flash|overwrite)\s+(?P<obj>[^.;:,]{3,60})"
    r"|(?:^|[;:,.]\s*)(?P<obj2>[^.;:,]{3,60}?)\s+(?:belongs?|belonged) to\b"
    r"|(?:^|[;:,.]\s*)(?P<obj3>[^.;:,]{3,60}?)\s+(?:is|are) owned by\b",
    re.IGNORECASE)
# an instruction that opens by changing a thing ("Update the consent rules …", "Flash updated firmware …")
_CHANGE = compiled_when_used(r"^(?:(?:always|also|then|just|please)\s+)*(?:edit|modify|change|update|adjust|flash|publish|"
                             r"fix|correct|rename|remove|rework|refactor|"
                             r"reword|rewrite|patch|bump|raise|tweak|alter|touch|replace|reconfigure|retune|tune|overwrite)\b"
                             r"(?P<obj>[^.;]{3,100})", re.IGNORECASE)
_HANDS_OFF_WORDS = ("never", "not", "n't", "belong", "owned by")
_UNLESS = re.compile(r"\b(?:without|unless|except|before|until|from|by hand|yourself)\b", re.IGNORECASE)
_PRONOUNS = frozenset("it they this that these those which".split())


def _hands_off(s) -> frozenset[str]:
    """The words of what a statement keeps the agent's hands off, or nothing."""
    words: set[str] = set()
    if not may_hold(s.text, _HANDS_OFF_WORDS):
        return frozenset()
    for m in _HANDS_OFF.finditer(s.text):
        obj = m.group("obj") or m.group("obj2") or m.group("obj3") or ""
        if m.group("obj") is None and not (s.st.negated or re.search(r"\bteam|office|owner|group\b", s.text[m.end():][:60],
                                                                       re.IGNORECASE)):
            continue  # "belongs to the hardware team", "owned by the privacy office": someone else's
        obj = _UNLESS.split(obj)[0]  # "without written approval from finance" says when, not what
        ws = {w for w in _words(obj) if w not in _PRONOUNS and len(w) >= 3}
        if obj.strip().lower().split()[:1] and obj.strip().lower().split()[0] in _PRONOUNS:
            continue
        words |= ws
    return frozenset(words)


def _changes(s) -> frozenset[str]:
    if s.st.negated or s.st.modality in ("prohibit", "discourage"):
        return frozenset()
    m = _CHANGE.match(s.text)
    return frozenset(w for w in _words(m.group("obj")) if len(w) >= 3) if m else frozenset()


def _meet(a: frozenset[str], b: frozenset[str]) -> set[str]:
    """Words of `a` that some word of `b` shares a stem with ("layers" / "layer", "config.json" / "configuration")."""
    return {w for w in a if any(w[:5] == v[:5] if min(len(w), len(v)) >= 5 else w == v for v in b)}


def detect(ctx) -> list:
    found = []
    said = [s for s in statements(ctx) if not takes_no_stance(s)]
    labels = {s.uid: s.terms for s in said if s.st.role == "head"}
    authority = {s.index: a for s in said if (a := _authority(s, labels.get(s.uid, frozenset()))) is not None}
    items = [s for s in said if s.index in authority]
    for a, b in pairs(items, lambda s: authority[s.index][1]):
        (ka, ta), (kb, tb) = authority[a.index], authority[b.index]
        if ka == kb:
            continue
        shared = ta & tb
        alone = b if ka == "ask" else a
        if len(shared) < min(2, len(ta), len(tb)) and not (
                max(len(ta), len(tb)) <= 3 and any(prior(t) >= RARE_ACTION for t in shared)
                and _YOU_ALONE.search(alone.text)):
            # one shared word of two short actions says the same one when it is rare ("props", not "close")
            # and the other is said to the agent ("rename props yourself"; not "call the API directly")
            continue
        action = " ".join(sorted(shared))
        asks = a if ka == "ask" else b
        why = f"one waits for approval before {action}, the other does it on its own"
        stances = ("ask first", "act alone") if asks is a else ("act alone", "ask first")
        found.append(conflict(ctx, "scope", f"authority: {action}", a, b, stances, why,
                              "Say once whether the agent asks before this; the safer rule is to ask."))
    off = {s.index: w for s in said if (w := _hands_off(s))}
    if off:
        changes = {s.index: w for s in said if s.index not in off and (w := _changes(s))}
        by = {s.index: s for s in said}
        for oi, owords in sorted(off.items()):
            for ci, cwords in sorted(changes.items()):
                a, b = by[oi], by[ci]
                shared = _meet(owords, cwords)
                whole = len(owords) == 1 and shared == set(owords) and all(prior(w) >= 0.4 for w in owords)
                if a.uid == b.uid or not (len(shared) >= 2 or any("/" in w for w in shared) or whole):
                    continue  # "source files belong to the library owners" / "edit source files": the whole object
                what = " ".join(sorted(shared))
                found.append(conflict(ctx, "scope", f"hands off: {what}", a, b, ("hands off", "changes it"),
                                      f"one keeps the agent's hands off {what}, the other has it change them",
                                      "Say once whether the agent may change this, and who decides otherwise."))
    limits = {s.index: lim for s in said if (lim := _limit(s)) is not None}
    by_index = {s.index: s for s in said}
    if 0 < len(limits) <= LIMITS_COMPARED:
        edits = {s.index: e for s in said if s.index not in limits and (e := _edits(s)) is not None}
        for li, lim in sorted(limits.items()):
            a = by_index[li]
            for ei, edit in sorted(edits.items()):
                b = by_index[ei]
                if a.uid == b.uid:
                    continue
                what = _outside(lim, edit, ctx.units[a.uid].source != ctx.units[b.uid].source)
                if what is None:
                    continue
                why = f"one limits edits to {', '.join(sorted(lim['paths'])) or 'a scope'}, the other edits {what}"
                found.append(conflict(ctx, "scope", f"edit scope: {what}", a, b, ("limited", f"edits {what}"), why,
                                      "State the edit scope once, listing every place the agent may change."))
    return sort(found)
