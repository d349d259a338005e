"""Modality conflicts: the same action on the same object, prohibited in one statement and required or
permitted in another ("never run migrations by hand" / "running a migration by hand is fine in an
emergency"), or required in one and waived in another ("every new model goes through a shadow deployment"
/ "shadow deployment is optional for small retrains"), in any wording the statement model reads.

- A requirement against a prohibition: every content term of the prohibited action (`Statement.actions`
  of a negated statement) is in the other statement, so "don't commit secrets" and "read secrets from the
  vault" (another verb), or "never delete old releases" and "keep every past release" (agreement worded
  the other way round) are no conflict.
- An explicit permission ("… is fine", "… is allowed", "may …") against a prohibition: the permission names
  the prohibited action's verb (its object after a generic verb such as "put", or the last word of a
  code span it prohibits) and states the situation it holds in ("in an emergency", "in tests", "when …"); with two
  shared terms the situation may be left out.
- A waiver ("optional", "not required") against a requirement of the same thing (two shared terms).

A qualifier on one side only is a scoped conflict, reported with the scope; the same qualifier on both
sides is one rule; different qualifiers on both sides are two rules for two situations.
"""

from __future__ import annotations

import re

from ..lazy import compiled_when_used
from ..statements.terms import analyse, prior
from .align import (NEGATOR, Quick, conflict, document_frequency, grouped, pairs, scope_of, sort, statements,
                    takes_no_stance)

POSITIVE = ("require", "recommend", "permit")
NEGATIVE = ("prohibit", "discourage")
# "… is fine", "feel free to", "may": a permission, however the rest of the sentence reads; "… is optional",
# "you don't need to": a waiver. Both are phrase lists in knowledge/terms.yaml (`permissions`, `waivers`).
_CONTRACTED = re.compile(r"(\w+)n't\b|\b(it|you|they|we|that)'(s|re)\b")


def _phrase_alternative(phrase: str) -> str:
    """A phrase as a pattern, either spelling of a contraction ("don't" / "do not", "it's" / "it is")."""
    out, at = [], 0
    for m in _CONTRACTED.finditer(phrase):
        out.append(re.escape(phrase[at : m.start()]))
        if m.group(1):
            stem = {"do": "do", "does": "does", "did": "did", "ca": "can", "wo": "will"}.get(m.group(1), m.group(1))
            out.append(f"(?:{re.escape(m.group(1))}n't|{re.escape(stem)} not)")
        else:
            full = {"s": "is", "re": "are"}[m.group(3)]
            out.append(f"{m.group(2)}(?:'{m.group(3)}| {full})")
        at = m.end()
    out.append(re.escape(phrase[at:]))
    return "".join(out).replace(r"\ ", r"\s+")


def _phrases_pattern(phrases) -> re.Pattern:
    alternatives = sorted({_phrase_alternative(p) for p in phrases}, key=lambda p: (-len(p), p))
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE) if alternatives else re.compile(r"(?!)")


_BUILT: list = [None, None]  # the term data last read, and its (PERMISSION, WAIVER, quick forms)


def _patterns():
    from ..statements.terms import terms_data

    data = terms_data()
    if _BUILT[0] is not data:
        permission, waiver = _phrases_pattern(data.permissions), _phrases_pattern(data.waivers)
        _BUILT[:] = [data, (permission, waiver, Quick(permission), Quick(waiver))]
    return _BUILT[1]


# waivers whose waived action follows them ("no need to X", "can skip X"); the others waive their subject
_WAIVES_WHAT_FOLLOWS = compiled_when_used(r"(?:\bto|\bskip|\bfor|\bnot|\bno)\s*$", re.IGNORECASE)
REQUIRED = re.compile(r"\b(?:every|each|all|always|must|required|mandatory|compulsory|obligatory|no exceptions|"
                      r"goes? through)\b|\bnon-negotiable\b", re.IGNORECASE)
# "…; this is non-negotiable.": a sentence that only makes the one before it a requirement
_THAT_IS_REQUIRED = re.compile(r"^\W*(?:this|that|it)(?:'s| is)\s+(?:(?:absolutely|strictly)\s+)?(?:non-negotiable|"
                               r"mandatory|required|compulsory|obligatory|a must|not optional)\W*$|^\W*no exceptions\W*$",
                               re.IGNORECASE)
# situations a permission is given for ("when the pipeline is down", "in tests", "for admin endpoints")
CONDITION = compiled_when_used(r"\b(?:when|if|during|while|unless|in|for|on|as long as|provided)\b[^.;]{2,60}",
                               re.IGNORECASE)
_WAIVER_WORDS = frozenset({"is", "are", "option", "optional", "for", "not", "requir", "need", "necessari",
                           "mandatori", "no", "to", "can", "be", "skip", "skipped", "may", "small", "the", "a"})
# "never X without Y", "no X without Y": a double negative, the requirement of Y for X
_WITHOUT = re.compile(r"\b(?:not|never|no|don't|do not)\b.*\bwithout\b", re.IGNORECASE)
# "ccache is a must on every runner" requires what "don't install ccache on the runners" prohibits: a thing
# required as the subject of its statement is required in use, whichever verb puts it there
_PREDICATE_REQUIRED = compiled_when_used(r"^\W*[\w`.+#/-]+(?:\s+[\w`.+#/-]+){0,3}\s+(?:is|are)\s+(?:a must|mandatory|required|"
                                         r"compulsory|obligatory|non-negotiable)\b", re.IGNORECASE)
_PUT_TO_USE = re.compile(r"(?:instal|use|add|enabl|run|includ|deploy|ship|set)", re.IGNORECASE)
SPECIFIC_KEY = 0.8  # the English prior a lone shared word needs ("grch37" 1.0; "log" 0.64, "install" ...)
GENERIC_VERBS = frozenset({"use", "make", "do", "have", "get", "run", "put", "let", "go", "take"})


def _core(s) -> list[str]:
    """The prohibited action's content terms, in order."""
    return [t for t in s.st.actions if not t.startswith("~")]


_REQUIRED = Quick(REQUIRED)
_NOT = re.compile(r"\bnot\b|n't\b", re.IGNORECASE)
# The stances that can contradict each other (detect looks at no other pair).
# "never X without Y" (`unless`) prohibits X alone and requires Y: a permission of X alone and a waiver of Y
# both meet it.
_MEETS = {"prohibit": frozenset({"require", "permit"}), "require": frozenset({"prohibit", "waive"}),
          "permit": frozenset({"prohibit", "unless"}), "waive": frozenset({"require", "unless"}),
          "unless": frozenset({"permit", "waive"})}


def _switched(s) -> bool:
    """The statement's action is a thing switched off ("turning off X", "X may be switched off")."""
    from ..statements.terms import terms_data

    return any(t in terms_data().switched for t in s.st.actions)


def _stance(s) -> str:
    """prohibit | permit | waive | require | "" for what a statement says about its action."""
    _permission, _waiver, quick_permission, quick_waiver = _patterns()
    if quick_waiver.found(s.text):
        # "you don't need to X" waives X when its "not" is the statement's own ("cut what the reader doesn't
        # need" is a rule about something else)
        m = _waiver.search(s.text)
        if m is None or s.st.negated or not (_NOT.search(m.group(0)) and _WAIVES_WHAT_FOLLOWS.search(m.group(0))):
            return "waive"
    if quick_permission.found(s.text) and not re.search(r"\b(?:not|never) (?:be )?(?:fine|ok|allowed|acceptable)\b|"
                                                       r"\bmay not\b", s.text, re.IGNORECASE):
        # "turning off X is acceptable": a permission not to do X, a waiver of it (the negation comes from
        # a word that switches X off or prohibits it, not from "not" or "never")
        if s.st.negated and not NEGATOR.search(s.text) and _switched(s):
            return "waive"
        return "permit"
    if s.st.modality in NEGATIVE:
        return "prohibit"
    if s.st.modality in ("require", "recommend"):
        return "require"
    if s.st.modality == "describe" and _REQUIRED.found(s.text):
        return "require"
    return ""


def _key_terms(neg) -> set[str]:
    """The prohibited action's verb (or its object after a generic verb: "never put secrets …" ->
    "secret"), and the last word of each code span it prohibits ("terraform apply" -> "apply")."""
    from ..statements.terms import lemma

    core = [t for t in _core(neg) if t not in GENERIC_VERBS]
    keys = set(core[:1])
    for head in neg.st.heads:
        words = re.findall(r"[a-z]+", head.lower())
        if words:
            keys.add(lemma(words[-1]))
    return keys


_LONG_ACTION = 4  # terms of a prohibited action long enough that one of them may be worded otherwise
_LIMITED = re.compile(r"\b(?:only|than|except|unless|beyond|until|before|after|once|when|if|without)\b", re.IGNORECASE)


def _conflicting(neg, pos, kind_pos: str) -> tuple[bool, str]:
    """Whether a prohibition and a requirement/permission contradict, and the permission's situation."""
    core = _core(neg)
    if len(set(core)) < 2 or not set(core) - GENERIC_VERBS:
        return False, ""  # "never guess", "no any", "never use it": too little to say what is prohibited
    shared = set(core) & pos.terms
    if kind_pos == "require":
        named = set(core) <= pos.terms or (_PUT_TO_USE.match(core[0]) is not None and set(core[1:]) <= pos.terms
                                           and _PREDICATE_REQUIRED.match(pos.text) is not None)
        # or all of a long action but one qualifier, its verb among what is shared ("never ask a candidate
        # about their salary history" / "ask every candidate for their current salary")
        unnamed = set(core) - pos.terms
        # (the requirement's own verb is that verb, and neither side is a limit: "never collect more than
        # the purpose needs" / "collect only what it requires" agree)
        named = named or (len(set(core)) >= _LONG_ACTION and len(unnamed) == 1 and _core(pos)[:1] == core[:1]
                          and len(set(core) & pos.terms) >= _LONG_ACTION - 1
                          and not _LIMITED.search(neg.text) and not _LIMITED.search(pos.text))
        if not named or NEGATOR.search(pos.text):
            return False, ""
        if _required_other(pos.text, core) and not (core[0] in GENERIC_VERBS and core[0] in pos.terms):
            # "a list interrupting a paragraph must start with 1" requires starting, not interrupting (but
            # "define schemas using zod" still uses what "do not use zod" prohibits)
            return False, ""
        if _WITHOUT.search(neg.text):
            return False, ""  # "no X without Y" requires Y for X: a requirement naming both says the same

        if not set(neg.st.heads) <= set(pos.st.heads) | pos.terms:
            return False, ""  # "never deploy :latest" is about `:latest`, which the other does not name
        return True, scope_of(pos.text)
    # a permission: of what its own clause names ("force unwrapping is acceptable in tests, where a crash
    # points at the bug" permits force unwrapping, not crashes)
    permission = _patterns()[0]
    permitted = _clause_terms(pos.text, permission) & pos.terms
    shared &= permitted
    named = set(pos.st.heads) | pos.terms | permitted
    # its code spans and identifiers, and abbreviations in capitals ("POST", "PII")
    marked = set(neg.st.heads) | {t for t in core if len(t) > 1 and t.isupper()}
    if any(h not in named and not _last_word(h) & named for h in marked):
        return False, ""  # "never retry a POST automatically" is about `POST`, which the other does not name
    if _passive_other(neg, pos, core):
        return False, ""
    situation = scope_of(pos.text) or _condition(pos.text)
    # or one word of the action and one of the prohibition's subject ("updates must never install …" /
    # "installing updates silently … is fine")
    subject = (neg.terms - set(core)) & permitted
    # what is shared must reach the prohibited action's head (its first words, its verb): "never
    # hard-delete rows from warehouse tables" / "scratch tables in the warehouse are fine" share only objects
    if not shared & (set(core[:2]) | _key_terms(neg)):
        return False, ""
    if len(shared) >= 2 or (shared and subject):
        return True, situation
    # one shared word is enough only when it names the thing on its own ("GRCh37"), and the permission
    # says where it holds: a common verb alone ("log", "commit") meets too many other permissions
    # or when the permission's clause opens with the prohibited action itself, as a gerund ("applying
    # from your machine is fine in an emergency" / "never run `terraform apply` from a laptop")
    key = shared & _key_terms(neg)
    if key and situation and (any(prior(t) >= SPECIFIC_KEY for t in key) or _gerund(pos.text, permission) & key):
        return True, situation
    return False, ""


# The verb a statement requires of its subject: "an ordered list interrupting a paragraph must start with 1"
_MODAL_VERB = re.compile(r"\b(?:must|should|shall|needs? to|has to|have to|(?:is|are) required to)\s+(?:always\s+|also\s+|"
                         r"first\s+|still\s+)?(?:be\s+|get\s+)?(?P<verb>[a-z]{3,})\b", re.IGNORECASE)


def _required_other(text: str, core: list[str]) -> bool:
    """Whether a requirement's modal verb names another action than the prohibition's (whose terms it holds
    elsewhere, as its subject's modifiers)."""
    from ..statements.terms import lemma

    m = _MODAL_VERB.search(text)
    if m is not None:
        verb = lemma(m.group("verb").lower())
    else:
        # an imperative's own verb: "flag multiple links that share identical text" checks for what
        # "avoid multiple links with identical text" keeps out
        verb = analyse(text).verb
    return bool(verb) and verb not in core and verb not in GENERIC_VERBS and verb not in ("not", "never")


# A permission in the passive: what may be done is the verb after "may be" ("small posting mistakes may
# be fixed by editing the entry" permits fixing, whatever "posting" names).
_PASSIVE_PERMISSION = re.compile(r"\b(?:may|can|could|might)\s+(?:also\s+|still\s+|safely\s+)?be\s+(?P<verb>[a-z]+(?:ed|en|wn|t))\b",
                                 re.IGNORECASE)


def _passive_other(neg, pos, core) -> bool:
    """Whether the permission is of another action than the prohibition's, said in the passive."""
    m = _PASSIVE_PERMISSION.search(pos.text)
    if m is None or core[0] in GENERIC_VERBS:
        return False
    return not _read_as(m.group("verb").lower()) & (GENERIC_VERBS | set(core) | neg.terms)


def _read_as(word: str) -> set[str]:
    """A word's lemma and the terms the statement model reads it as ("rolling" -> `reversible`)."""
    from ..statements.terms import lemma, term_words

    return {lemma(word), *(term for _s, term in term_words(word))}


def _last_word(head: str) -> set[str]:
    """The lemma of a code span's or identifier's last word (`terraform apply` -> "appli")."""
    from ..statements.terms import lemma

    words = re.findall(r"[a-z]+", head.lower())
    return {lemma(words[-1])} if words else set()


def _gerund(text: str, pattern: re.Pattern) -> set[str]:
    """The lemma of the -ing word that opens the clause where `pattern` matches, or nothing."""
    m = pattern.search(text)
    if m is None:
        return set()
    start = max(text.rfind(",", 0, m.start()), text.rfind(";", 0, m.start()), text.rfind(":", 0, m.start())) + 1
    words = re.findall(r"[A-Za-z][\w-]*", text[start : m.start()])
    if not words or not words[0].lower().endswith("ing"):
        return set()
    return _read_as(words[0].lower())


def _same_scope(a: str, b: str) -> bool:
    """One qualifier in two statements: the same words, or one the start of the other ("in library code" /
    "in library code to roll out risky changes")."""
    a, b = a.lower(), b.lower()
    return a.startswith(b) or b.startswith(a)


def _clause_terms(text: str, pattern: re.Pattern, before: bool = False) -> set[str]:
    """The lemmas of the clause (between commas, semicolons, colons) where `pattern` matches (with
    `before`, of its part before the match: the subject of "… is optional")."""
    from ..statements.terms import lemma, term_words

    m = pattern.search(text)
    if m is None:
        return set()
    start = max(text.rfind(",", 0, m.start()), text.rfind(";", 0, m.start()), text.rfind(":", 0, m.start())) + 1
    ends = [i for i in (text.find(",", m.end()), text.find(";", m.end())) if i >= 0]
    clause = text[start : m.start() if before else (min(ends) if ends else len(text))]
    # the clause's terms as the statement model reads them ("rolling back" is `reversible`, "logged-out"
    # one word), and its plain lemmas besides
    return ({term for _surface, term in term_words(clause)}
            | {lemma(w) for w in re.findall(r"[a-z][a-z0-9_]*", clause.lower())})


def _surface(text: str, lemmas, limit: int = 4) -> str:
    """The words of `text` whose lemmas are `lemmas`, as written and in the text's order ("commit
    notebooks outputs" rather than the stems "commit notebook output"); stems it cannot place are kept."""
    from ..statements.terms import lemma

    wanted = [t for t in lemmas][:limit]
    out, used = [], set()
    for word in re.findall(r"[A-Za-z][A-Za-z0-9_]*", text):
        lem = lemma(word.lower())
        if lem in wanted and lem not in used:
            used.add(lem)
            out.append(word)
    out += [t for t in wanted if t not in used and t.lower() not in ("none", "null")]
    return " ".join(out) or " ".join(wanted)


def _condition(text: str) -> str:
    m = CONDITION.search(text)
    return m.group(0).strip() if m else ""


def detect(ctx) -> list:
    said = []
    stance: dict[int, str] = {}
    previous = None
    for s in statements(ctx):
        if (previous is not None and previous.uid == s.uid and previous.index not in stance
                and _THAT_IS_REQUIRED.match(s.text) and not takes_no_stance(previous)):
            stance[previous.index] = "require"  # "Warnings are errors in CI; this is non-negotiable."
            said.append(previous)
        previous = s
        if takes_no_stance(s):
            continue
        st = _stance(s)
        if st == "prohibit" and _WITHOUT.search(s.text):
            st = "unless"
        if st:
            stance[s.index] = st
            said.append(s)
    if not said:
        return []
    df = document_frequency(said)
    common = max(8, len(said) // 10)

    def keys(s):
        if stance[s.index] in ("prohibit", "unless"):
            # every term of the prohibited action: the other side may share any of them (its rarest
            # terms are often the ones the other words differently)
            return [t for t in _core(s) if df[t] <= common]
        return [t for t in s.terms if df[t] <= common]

    found = []
    waived: dict[int, tuple] = {}  # waiver's uid -> (its place in found, its clashes, action, why)
    for a, b in pairs(said, keys, kind=lambda s: stance[s.index], meets=_MEETS):
        if _bound_one_quantity(a, b):
            continue  # "no PR over 800 lines" / "flag PRs longer than 400 lines": two limits, the value detector's
        kinds = {stance[a.index], stance[b.index]}
        if "unless" in kinds:  # "never X without Y": a prohibition against a permission, a requirement against a waiver
            kinds = {"prohibit" if k == "unless" and kinds & {"permit"} else "require" if k == "unless" else k
                     for k in kinds}
        if kinds in ({"prohibit", "require"}, {"prohibit", "permit"}):
            neg, pos = (a, b) if stance[a.index] in ("prohibit", "unless") else (b, a)
            ok, situation = _conflicting(neg, pos, stance[pos.index])
            if not ok:
                continue
            neg_scope = scope_of(neg.text)
            if neg_scope and situation and not _same_scope(neg_scope, situation):
                continue  # two rules for two situations
            if neg_scope and not situation:
                continue  # "never X in production" does not forbid X elsewhere
            action = _surface(neg.text, _core(neg))
            scoped = f" (scoped: {situation})" if situation else ""
            verb = {"require": "requires", "permit": "allows"}[stance[pos.index]]
            why = f"one prohibits \"{action}\" and the other {verb} it{scoped}"
            stances = ("don't", stance[pos.index]) if a is neg else (stance[pos.index], "don't")
        elif kinds == {"require", "waive"}:
            req, waive = (a, b) if stance[a.index] in ("require", "unless") else (b, a)
            shared = req.terms & waive.terms
            waiver = _patterns()[1]
            m = waiver.search(waive.text)
            # "X is optional" waives its subject; "no need to X" what follows (its subject is who need not)
            # (a permission not to do X, "turning off X is fine", waives the subject of its permission)
            subject = (set() if m is not None and _WAIVES_WHAT_FOLLOWS.search(m.group(0)) else
                       _clause_terms(waive.text, waiver if m is not None else _patterns()[0], before=True)
                       & waive.terms - shared)
            from ..statements.terms import terms_data

            subject -= terms_data().switched  # "turning off -Werror … is acceptable" waives -Werror
            rare = {t for t in shared if df[t] <= common}
            # one rare shared word is enough when it is all the waiver's subject names ("Stories are optional")
            named = (m is not None and not _WAIVES_WHAT_FOLLOWS.search(m.group(0))
                     and bool(whole := _clause_terms(waive.text, waiver, before=True) & waive.terms - _WAIVER_WORDS)
                     and whole <= rare)
            if len(rare) < 2 and named and a.source == b.source:
                continue  # "Stories are optional for internal components" beside "add stories": the author's exception
            if (len(rare) < 2 and not named) or subject - _WAIVER_WORDS:
                continue  # the waived thing must be the one required
            situation = scope_of(waive.text) or _condition(waive.text)
            action = _surface(req.text, sorted(shared, key=lambda t: (req.lower.find(t), t)))
            why = f"one requires \"{action}\" and the other makes it optional" + (
                f" (scoped: {situation})" if situation else "")
            stances = ("required", "optional") if a is req else ("optional", "required")
            if waive.uid in waived:  # one waiver against several statements of the requirement: one conflict
                waived[waive.uid][1].append((a, stances[0], b, stances[1]))
                continue
            waived[waive.uid] = (len(found), [(a, stances[0], b, stances[1])], action, why)
        else:
            continue
        found.append(conflict(
            ctx, "modality", action, a, b, stances, why,
            "Keep one rule, or state the exception in the rule itself (\"never …, except …\") so both can hold."
            if "scoped" in why else "Keep the rule that matches how the team works and drop the other."))
    for at, clashes, action, why in waived.values():
        if len(clashes) > 1:
            found[at] = grouped(ctx, "modality", action, clashes, why, found[at].suggestion)
    return sort(found)


def _bound_one_quantity(a, b) -> bool:
    """Both statements bound one quantity ("no function over 50 lines" / "flag functions longer than 40
    lines"): their "no" and "flag" say where the limit lies, not that one prohibits what the other wants."""
    from ..quantities import comparable

    qa = [q for q in a.st.quantities if q.terms and (q.upper or q.lower)]
    qb = [q for q in b.st.quantities if q.terms and (q.upper or q.lower)]
    return any(comparable(x, y) for x in qa for y in qb)
