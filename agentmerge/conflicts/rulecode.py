"""Code against a rule: a rule that prohibits or requires a construct, identifier or command, and a code
block — in any input, the rule's own included — that does the opposite ("never call `eval`" against a
block with `eval(expr)`; "always pass `timeout=` to requests" against `requests.get(url)`).

- A prohibition names its construct in a code span or as an identifier-like head (`eval`, `SELECT *`,
  `--force`, `os.system`); a block conflicts when it uses it as code (a call for a function named with
  `()` or with "call"; the literal text otherwise), outside comments.
- A prohibition of one construct on or in another ("don't put `onClick` on a `div`") needs both on one
  line of the block; "never hard-code the keystore password" is a block that assigns a string literal to
  a name holding the rule's last word (`storePassword = "…"`).
- A construct of several words (`kubectl delete pod --force`, `from module import *`) is used when its
  words stand in order on one line, whatever stands between; a placeholder word ("module", "name") stands
  for any word of code.
- A requirement "pass/set/add/include X to/on/in/with Y" (X a code span; "set an explicit `timeout` on
  every search request") conflicts with a block that calls Y, or a method named Y, without X; a definition
  of Y is no call.
- "Never log X" ("never write email addresses to application logs") conflicts with a logging or printing
  call whose arguments, outside string literals, name X (`logger.info("…", user.email)`).
- A rule that names the fields of data in one convention ("Field names in `snake_case`", "JSON keys are
  camelCase") conflicts with a JSON block whose key of two words or more is written in another
  (`"amountDue"`).
- A rule that keeps a quoted word out ("gender-neutral language: no "rockstar"") conflicts with a block
  that says it, in any case.
- "Never store/include/keep X in records" conflicts with a data block (JSON, YAML) that fills in a key
  for X with a value written out (not masked, templated or empty): the key's words are all the rule's, or
  the key is the acronym of a capitalised name the rule writes (`ssn` for "Social Security number").
- A block shown as the wrong way ("# bad", "vulnerable", "don't", "❌", "before:" in the block's first
  lines or in the text right before it) is an illustration, not a practice.
"""

from __future__ import annotations

import re

from ..lazy import compiled_when_used
from ..model import Conflict, Side
from .align import code_blocks, short, sort, statements
from .modality import _surface

_BAD_LABEL = compiled_when_used(r"(?:\bbad\b|\bwrong\b|\bdon'?t\b|\bdo not\b|\bavoid\b|\bvulnerable\b|\binsecure\b|"
                                 r"\banti-?pattern\b|\bnever\b|❌|✗|\bbefore:|\bincorrect\b|\bunsafe\b|\bnot this\b)",
                                 re.IGNORECASE)
_COMMENT = re.compile(r"^\s*(?:#|//|--|/\*|\*|<!--|;)")
_REQUIRE = re.compile(r"\b(?:pass|set|add|include|specify|provide|supply|give)\s+(?:(?:an?|the|explicit|always|every|its|their)\s+){0,3}`(?P<x>[^`]{1,40})`"
                      r"[^.;`]{0,30}?\b(?:to|on|in|with|for)\s+(?:every |each |all |the )?`?(?P<y>[A-Za-z_][\w.]{1,40})`?")
_IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*\Z")
_HARD_CODE = re.compile(r"\bhard[- ]?cod\w*\s+(?:the |any |an? |your )?(?P<what>[a-z][a-z -]{2,40}?)"
                        r"(?=\s+(?:in|into|inside|within|on)\b|[.;,]|$)", re.IGNORECASE)
_WORDS = re.compile(r"\w+")


def _prohibited_on(s) -> tuple[str, tuple[str, ...]] | None:
    """A construct prohibited on or in others: (`onClick`, (`div`, `span`)), or None."""
    if s.st.modality not in ("prohibit", "discourage") or len(s.st.code) < 2:
        return None
    spans = [c.strip() for c in s.st.code if c.strip()]
    for i, x in enumerate(spans[:-1]):
        host = spans[i + 1]
        if re.search(rf"{re.escape(x)}\s+(?:on|in|inside|within|onto|to)\s+(?:an? |the |any )?{re.escape(host)}\b",
                     s.text):
            return x, tuple(spans[i + 1:])
    return None


def _uses_on(code: str, construct: str, hosts: tuple[str, ...]) -> int | None:
    """The line that uses `construct` together with one of `hosts` (as a tag or a name)."""
    for n, line in enumerate(code.splitlines(), 1):
        if _COMMENT.match(line) or _uses(line, construct, False) is None:
            continue
        if any(re.search(rf"(?<![\w-]){re.escape(h)}(?![\w-])", line) for h in hosts):
            return n
    return None


def _hard_coded(s) -> str | None:
    """The thing a "never hard-code …" rule names, by its last word ("keystore password": "password")."""
    if s.st.modality not in ("prohibit", "discourage"):
        return None
    m = _HARD_CODE.search(s.text)
    if m is None:
        return None
    word = m.group("what").split()[-1].lower()
    return word[:-1] if word.endswith("s") and len(word) > 4 else word


def _assigns_literal(code: str, word: str) -> int | None:
    """The line that assigns a non-empty string literal to a name holding `word` (`storePassword = "x"`)."""
    pattern = re.compile(rf"\b\w*{re.escape(word)}\w*[\"']?\s*[:=]\s*[\"'][^\"'$%{{}}<>]{{3,}}[\"']", re.IGNORECASE)
    for n, line in enumerate(code.splitlines(), 1):
        if not _COMMENT.match(line) and pattern.search(line):
            return n
    return None


def _prohibited(s) -> list[str]:
    """The constructs a prohibiting statement names in code spans."""
    if s.st.modality not in ("prohibit", "discourage"):
        return []
    if _prohibited_on(s) is not None:
        return []
    out = []
    for span in s.st.code:
        span = span.strip()
        if len(span) < 2 or span.lower() in ("none", "null", "true", "false"):
            continue
        out.append(span)
    return out


# A limit or a condition: the rule restricts how a construct is used, and a block that uses it may keep to
# that ("never call `resolve-library-id` more than 3 times", "do not pass `-o` based on the working
# directory", "if the job is retried, never use `sleep`")
_LIMITED = re.compile(r"\b(?:more|fewer|less|longer|larger|bigger)\s+than\b|\bat (?:most|least)\b|\b(?:unless|except|"
                      r"only|when|whenever|if|until|without|based on|depending on|outside of)\b", re.IGNORECASE)
# "`Table[Column]` not `[Column]`", "`pnpm` instead of `npm`": the one before is what the rule prefers
_PREFERRED = re.compile(r"\s*[,;:]?\s*(?:and\s+)?(?:not|never|instead of|rather than|over|versus|vs\.?)\s", re.IGNORECASE)


def _restricted(text: str, construct: str) -> bool:
    """Whether a prohibiting rule leaves `construct` allowed somewhere: the rule holds a limit or a
    condition, or the construct is the preferred side of a contrast."""
    if _LIMITED.search(text):
        return True
    at = text.find(construct)
    return at >= 0 and _PREFERRED.match(text, at + len(construct)) is not None


_SUBJECT = re.compile(r"\s+(?:should|must|may|might|can|could|will|would|shall|needs?|is|are|was|were|has|have|ever)\b", re.IGNORECASE)
_NEVER_WORD = re.compile(r"\b(?i:never|don't|do not|no)\s+(?P<w>[a-z]{4,20})\b(?P<rest>[^.;]{0,60})")


# "no "rockstar"", "never "he"": a word or phrase the rule keeps out, in quotation marks
_NO_QUOTED = re.compile(r"\b(?:no|never|not|avoid|without)\s+[\"\u201c](?P<x>[^\"\u201d]{2,30})[\"\u201d]", re.IGNORECASE)


def _quoted_out(s) -> list[str]:
    """The quoted words a rule keeps out ("gender-neutral language: no "he", no "rockstar""), or none."""
    if '"' not in s.text and "\u201c" not in s.text:
        return []
    return [m.group("x").strip() for m in _NO_QUOTED.finditer(s.text) if m.group("x").strip()]


def _says(code: str, phrase: str) -> int | None:
    """The first line of the block that has the phrase as words, in any case."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE)
    for n, line in enumerate(code.splitlines(), 1):
        if pattern.search(line):
            return n
    return None


def _prohibited_word(s) -> tuple[str, tuple[str, ...]] | None:
    """A prohibition of a word that code spells as a module or a call ("never pickle models": `pickle`),
    with the other words of the rule, one of which the code's line must name too."""
    if s.st.modality not in ("prohibit", "discourage") or s.st.code:
        return None
    m = _NEVER_WORD.search(s.text)
    if m is None or m.group("w") in ("use", "make", "have", "rely", "let", "leave", "mix", "write", "call"):
        return None
    if _SUBJECT.match(m.group("rest")):
        return None  # "no task should require a decision": what no task may do, not a word kept out
    rest = tuple(w[:5] for w in re.findall(r"[a-z]{3,}", m.group("rest").lower())
                 if w not in ("the", "and", "with", "for", "any", "from", "into", "your", "our", "that"))
    return m.group("w"), rest


def _uses_word(code: str, word: str, rest: tuple[str, ...]) -> int | None:
    """The line that imports or calls `word` as code and names one of the rule's other words."""
    pattern = re.compile(rf"(?:^\s*(?:import|from)\s+{re.escape(word)}\b|(?<![\w.\-\"'/]){re.escape(word)}\s*[.(])")
    lines = code.splitlines()
    lower = code.lower()
    for n, line in enumerate(lines, 1):
        if _COMMENT.match(line) or not pattern.search(line):
            continue
        if not rest or any(r in lower for r in rest):
            return n
    return None


# Words a rule writes in a construct for "any such thing" ("`from module import *`"): any word of code
# stands in their place.
_PLACEHOLDERS = frozenset("module package pkg name names value x y foo bar baz thing something path file files "
                          "arg args url host cmd command".split())


# SQL is written in either case: a construct that opens with one of its keywords matches ignoring case
_SQL_KEYWORDS = frozenset("SELECT INSERT UPDATE DELETE DROP TRUNCATE ALTER GRANT REVOKE MERGE UNION JOIN WHERE ORDER GROUP "
                          "LIMIT OFFSET CREATE WITH NOLOCK CASCADE COMMIT ROLLBACK LOCK VACUUM".split())


def _caseless(construct: str) -> bool:
    first = construct.strip().split()[:1]
    return bool(first) and first[0] in _SQL_KEYWORDS


def _command_pattern(construct: str) -> re.Pattern:
    """A construct of several words (`kubectl delete pod --force`, `from module import *`): its words in
    order on one line, with anything between (arguments, other flags); a placeholder word stands for any
    word of code."""
    parts = []
    for word in construct.split():
        if word.lower() in _PLACEHOLDERS:
            parts.append(r"[\w.\-/]+")
        elif re.fullmatch(r"[\w.]+", word):
            parts.append(rf"(?<![\w.-]){re.escape(word)}(?![\w-])")
        else:
            parts.append(rf"(?<!\S){re.escape(word)}(?=[\s=,;)]|$)" if word.startswith("-") else re.escape(word))
    return re.compile(r"\s(?:.*\s)?".join(parts) if len(parts) > 1 else parts[0])


# a logging or printing call: `logger.info(`, `log.warn(`, `logging.debug(`, `console.log(`, `print(`
_LOG_CALL = compiled_when_used(r"\b\w*log\w*\.(?:debug|info|warn|warning|error|exception|critical|fatal|trace|log|"
                               r"print\w*)\s*\(|\bconsole\.(?:log|info|warn|error|debug|trace)\s*\(|"
                               r"(?<![\w.])(?:print|println|printf|puts)\s*\(", re.IGNORECASE)
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`")
# words of a "never log X" rule that say how, not what
_LOG_WORDS = frozenset("log write put print record send store output include appli applic level messag line "
                       "plain text clear full raw ever".split())


def _logged(s) -> tuple[str, ...] | None:
    """What a "never log X" rule keeps out of logs ("never write email addresses to application logs":
    `email`, `address`), as word stems, or None."""
    if s.st.modality not in ("prohibit", "discourage") or "log" not in s.st.terms or s.st.code:
        return None
    what = tuple(t for t in s.st.actions if t.isalpha() and len(t) >= 4 and t not in _LOG_WORDS)
    return what or None


# "never store full Social Security numbers in party records", "intake notes never include a prospect's
# bank details": a field kept out of records, against a data block (JSON, YAML) that fills it in
_KEEP_OUT = re.compile(r"\b(?:store|stores|stored|include|includes|included|put|keep|kept|save|saved|record|"
                       r"recorded|hold|holds|contain|contains|capture|captured|collect|collected|share|shared)\b",
                       re.IGNORECASE)
_FIELD_WORDS = _LOG_WORDS | frozenset("note notes record records file files party parties detail details "
                                      "field fields data value values digit digits last four".split())
# a key and its value in YAML or JSON, several to a line in inline JSON
_KEY_LINE = re.compile(r"(?:^\s*(?:-\s+)?|[{,]\s*)[\"']?(?P<key>[A-Za-z_][\w-]*)[\"']?\s*:\s*"
                       r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s{\[,}][^,}]*)")
_MASKED = re.compile(r"\*{2,}|[xX]{3,}|redacted|masked|<[^>]*>|\$\{|\{\{|^\s*(?:null|none|~|\"\"|'')\s*,?$",
                     re.IGNORECASE)


def _kept_out(s) -> tuple[frozenset[str], frozenset[str]] | None:
    """What a rule keeps out of records: (word stems, acronyms of its capitalised names), or None."""
    if s.st.modality not in ("prohibit", "discourage") or s.st.code:
        return None
    from ..statements.terms import lemma

    verb = _KEEP_OUT.search(s.text)
    if verb is None or not s.st.actions or s.st.actions[0] != lemma(verb.group(0).lower()):
        return None  # the prohibited action is keeping it ("never store …"), not "never remove a hold tag"
    stems = frozenset(t for t in s.st.actions if t.isalpha() and len(t) >= 3 and t not in _FIELD_WORDS)
    acronyms = set()
    for m in re.finditer(r"\b(?:[A-Z][a-z]+ ){1,3}[A-Za-z][a-z]+", s.text):
        words = m.group(0).split()
        if sum(w[0].isupper() for w in words) >= 2:
            acronyms.add("".join(w[0] for w in words).lower())
    return (stems, frozenset(acronyms)) if stems or acronyms else None


def _fills(code: str, stems: frozenset[str], acronyms: frozenset[str]) -> tuple[int, str] | None:
    """(line, key) of a data block whose key is the kept-out field (all its words among the rule's, or the
    rule's acronym: `ssn`, `cardNumber`) with a value written out, not masked or templated."""
    for n, line in enumerate(code.splitlines(), 1):
        for m in _KEY_LINE.finditer(line):
            if _MASKED.search(m.group("value")):
                continue
            key = m.group("key")
            words = [w.lower() for w in re.findall(r"[a-z0-9]+|[A-Z][a-z0-9]*", key.replace("-", "_")) if w != "_"]
            if key.lower() in acronyms or (words and any(len(w) > 2 for w in words) and all(
                    any(w.startswith(t) or t.startswith(w) for t in stems) for w in words if len(w) > 1)):
                return n, key
    return None


# The naming conventions a rule can set for the fields of data, and how a key of each is written.
_CASES = {
    "snake_case": re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+"),
    "camelCase": re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+"),
    "kebab-case": re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+"),
    "PascalCase": re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+"),
}
_CASE_NAME = compiled_when_used(r"\b(?P<style>snake|camel|kebab|pascal)[_ -]?case\b", re.IGNORECASE)
# what the convention is for: the fields of the data an API or a record carries (not a table's columns,
# which no JSON block shows)
_FIELDS = compiled_when_used(r"\b(?:fields?|keys?|propert(?:y|ies)|attributes?|json|payloads?|responses?|"
                             r"request bod(?:y|ies))\b", re.IGNORECASE)
_QUOTED_KEY = re.compile(r"\"(?P<key>[A-Za-z][A-Za-z0-9_-]*)\"\s*:")


def _casing(s) -> str | None:
    """The one naming convention a rule sets for the fields of data ("Field names in `snake_case`", "JSON
    keys are camelCase"), or None: a rule against a convention, or naming two, sets none."""
    if s.st.negated or s.st.role == "head":
        return None
    styles = {m.group("style").lower() for m in _CASE_NAME.finditer(s.text)}
    if len(styles) != 1 or not _FIELDS.search(s.text):
        return None
    return {"snake": "snake_case", "camel": "camelCase", "kebab": "kebab-case", "pascal": "PascalCase"}[styles.pop()]


def _other_case(code: str, case: str) -> tuple[int, str] | None:
    """(line, key) of the first key of a JSON block written in another convention than `case`: keys of
    two words or more only ("id" and "data" fit every convention)."""
    own = _CASES[case]
    others = [p for name, p in _CASES.items() if name != case]
    for n, line in enumerate(code.splitlines(), 1):
        for m in _QUOTED_KEY.finditer(line):
            key = m.group("key")
            if not own.fullmatch(key) and any(p.fullmatch(key) for p in others):
                return n, key
    return None


def _logs(code: str, what: tuple[str, ...]) -> int | None:
    """The line of a logging call whose arguments, outside string literals, name one of `what`
    (`logger.info("signup %s", user.email)`)."""
    for n, line in enumerate(code.splitlines(), 1):
        if _COMMENT.match(line):
            continue
        m = _LOG_CALL.search(line)
        if m is None:
            continue
        # the leaf of each name (`user.email` is an email; `user` owns it), split at `_` and camelCase
        leaves = [ident.split(".")[-1] for ident in re.findall(r"[A-Za-z_][\w.]*", _STRING.sub(" ", line[m.end():]))]
        words = [w.lower() for leaf in leaves for w in re.findall(r"[a-z0-9]+|[A-Z][a-z0-9]*", leaf)]
        if any(word.startswith(stem) for word in words for stem in what):
            return n
    return None


def _uses(code: str, construct: str, call: bool) -> int | None:
    """The 1-based line of the block that uses the construct, or None."""
    name = construct[:-2] if construct.endswith("()") else construct
    if _IDENTIFIER.match(name):
        if construct.endswith("()"):  # a call named as one: `unwrap()` is also `.unwrap()`
            pattern = re.compile(rf"(?<![\w-]){re.escape(name)}\s*\(")
        elif call:
            # a call of it, or of a function of it when it is a module (`smtplib.SMTP(…)`, `import smtplib`)
            pattern = re.compile(rf"(?<![\w.-]){re.escape(name)}(?:\.\w+)*\s*\(|^\s*(?:import|from)\s+{re.escape(name)}\b")
        else:
            pattern = re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w-])")
    elif " " in construct.strip():
        pattern = _command_pattern(construct.strip())
    else:
        pattern = re.compile(re.escape(construct))
    if _caseless(construct):
        pattern = re.compile(pattern.pattern, re.IGNORECASE)  # `SELECT *` is also `select *`
    for n, line in enumerate(code.splitlines(), 1):
        if _COMMENT.match(line):
            continue
        code_part = re.split(r"\s(?:#|//)\s", line, maxsplit=1)[0]
        if pattern.search(code_part):
            return n
    return None


_DEFINITION = re.compile(r"^\s*(?:async\s+)?(?:def|function|fn|func|fun|sub|proc)\s")


def _calls_without(code: str, required: str, callee: str) -> int | None:
    """The line of a call of `callee` (or a method of it) whose arguments lack `required`."""
    bare = required.rstrip("=").strip()
    # `callee(...)`, a method of it (`callee.get(...)`), or it as a method (`client.callee(...)`); a
    # definition of a function of that name is not a call
    pattern = re.compile(rf"(?<![\w]){re.escape(callee)}(?:\.\w+)?\s*\(")
    lines = code.splitlines()
    for n, line in enumerate(lines, 1):
        if _COMMENT.match(line) or _DEFINITION.match(line):
            continue
        m = pattern.search(line)
        if not m:
            continue
        # the call's arguments: to the matching parenthesis, over a few lines at most
        depth, args = 1, []
        for ch in "\n".join(lines[n - 1 : n + 5])[m.end():]:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    break
            args.append(ch)
        if not re.search(rf"(?<![\w]){re.escape(bare)}\s*=", "".join(args)) and bare not in "".join(args):
            return n
    return None


def _illustration(ctx, uid: int, code: str) -> bool:
    head = "\n".join(code.splitlines()[:2])
    if _BAD_LABEL.search(head):
        return True
    unit = ctx.units[uid]
    for agent in ctx.agents:
        if agent.index != unit.source:
            continue
        units = agent.units
        for i, u in enumerate(units):
            if u.uid == uid and i > 0 and units[i - 1].section == u.section:
                before = units[i - 1].text.strip().splitlines()[-1:] if units[i - 1].text.strip() else []
                return bool(before and _BAD_LABEL.search(before[0]) and len(before[0]) < 160)
    return False


def detect(ctx) -> list[Conflict]:
    blocks = code_blocks(ctx)
    if not blocks:
        return []
    rules = []
    for s in statements(ctx):
        secret = _hard_coded(s)
        word = _prohibited_word(s) if secret is None else None  # a hard-coded secret is the literal rule's
        for kind, construct in (("word", word), ("on", _prohibited_on(s)), ("literal", secret),
                                ("logged", _logged(s)), ("field", _kept_out(s)), ("case", _casing(s))):
            if construct is not None:
                rules.append((kind, s, construct, False))
        for phrase in _quoted_out(s):
            rules.append(("quoted", s, phrase, False))
        for construct in _prohibited(s):
            if _restricted(s.text, construct):
                continue
            if re.search(rf"\b(?:outside|other than|except|besides|apart from|beyond)\s+(?:of\s+)?(?:the\s+|an?\s+)?"
                         rf"`?{re.escape(construct)}", s.text, re.IGNORECASE):
                continue  # "never store drafts outside the `legal-vault` bucket": the one place allowed
            call = bool(re.search(rf"\bcall\w*\b[^.;]{{0,20}}{re.escape(construct)}", s.text, re.IGNORECASE))
            rules.append(("prohibit", s, construct, call))
        if s.st.modality in ("require", "recommend") and not s.st.negated:
            raw = ctx.units[s.uid].text
            for m in _REQUIRE.finditer(raw):
                rules.append(("require", s, (m.group("x").strip(), m.group("y")), False))
    if not rules:
        return []
    # blocks by the words in them: a rule looks only at the blocks that hold its construct's name
    holding: dict[str, list[int]] = {}
    for n, (_uid, code) in enumerate(blocks):
        for word in set(_WORDS.findall(code)):
            holding.setdefault(word, []).append(n)
    violations: dict[tuple[int, str], dict] = {}
    shown: dict[int, bool] = {}
    for kind, s, construct, call in rules:
        name = construct[1] if kind == "require" else construct[0] if kind in ("word", "on") else \
            " ".join(construct) if kind == "logged" else " ".join(sorted(construct[0] | construct[1])) \
            if kind == "field" else construct
        words = [w for w in _WORDS.findall(name) if w.lower() not in _PLACEHOLDERS] or _WORDS.findall(name)
        if not words:
            continue
        # a literal's name only holds the rule's word (`storePassword`), a logged thing's its stem
        # (`user.email`): every block is looked at
        longest = max(words, key=len)
        candidates = (range(len(blocks)) if kind in ("literal", "logged", "quoted", "field", "case") else
                      sorted({n for w in (longest, longest.lower(), longest.capitalize()) for n in holding.get(w, ())})
                      if kind == "prohibit" and _caseless(construct) else holding.get(longest, ()))
        for n in candidates:
            uid, code = blocks[n]
            if uid == s.uid:
                continue
            if kind == "on":
                line = _uses_on(code, *construct)
                what = f"`{construct[0]}` on `{construct[1][0]}`"
                why = f"the rule prohibits `{construct[0]}` on {' or '.join(f'`{h}`' for h in construct[1])}; the code block does it"
            elif kind == "literal":
                line = _assigns_literal(code, construct)
                what = f"hard-coded {construct}"
                why = f"the rule prohibits a hard-coded {construct}; the code block assigns one as a literal"
            elif kind == "logged":
                line = _logs(code, construct)
                named = _surface(s.text, construct)  # the words as the rule writes them
                what = f"logging {named}"
                why = f"the rule keeps {named} out of logs; the code block logs it"
            elif kind == "field":
                line, key = _fills(code, *construct) or (None, "")
                what = f"`{key}` in a record"
                why = f"the rule keeps it out of records; the block fills in `{key}`"
            elif kind == "case":
                line, key = _other_case(code, construct) or (None, "")
                what = f"`{key}` not in {construct}"
                why = f"the rule names fields in {construct}; the block's `{key}` is written otherwise"
            elif kind == "quoted":
                line = _says(code, construct)
                what = f"\"{construct}\""
                why = f"the rule keeps \"{construct}\" out; the code block says it"
            elif kind == "word":
                line = _uses_word(code, *construct)
                what = f"`{construct[0]}`"
                why = f"the rule prohibits {construct[0]}; the code block does it"
            elif kind == "prohibit":
                line = _uses(code, construct, call)
                what = f"`{construct.strip('.').removesuffix('()')}`"
                why = f"the rule prohibits {what}; the code block uses it"
            else:
                required, callee = construct
                line = _calls_without(code, required, callee)
                what = f"`{callee}` without `{required}`"
                why = f"the rule requires `{required}` on `{callee}`; the code block calls it without"
            if line is None:
                continue
            if uid not in shown:
                shown[uid] = _illustration(ctx, uid, code)
            if shown[uid]:
                continue
            entry = violations.setdefault((uid, what), {"rules": [], "line": line, "why": why, "code": code})
            if all(r.uid != s.uid for r in entry["rules"]):
                entry["rules"].append(s)
    found = []
    for (uid, what), entry in sorted(violations.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        block, line = ctx.units[uid], entry["line"]
        rules = sorted(entry["rules"], key=lambda r: (r.uid, r.st.line))
        said = "; ".join(f"{ctx.units[r.uid].path}:{r.st.line} says \"{short(r.text)}\"" for r in rules)
        found.append(Conflict(
            id="", kind="code", topic=f"rule: {short(what, 40)}", severity="medium",
            message=f"{said} but the code at {block.path}:{block.line + line} does otherwise: {entry['why']}",
            # a side per input: a report side points into one file
            sides=tuple(Side(uids=tuple(sorted({r.uid for r in rules if ctx.units[r.uid].source == src})), stance="rule",
                             phrase="; ".join(short(r.text, 120) for r in rules if ctx.units[r.uid].source == src))
                        for src in sorted({ctx.units[r.uid].source for r in rules}))
            + (Side(uids=(uid,), stance="code", phrase=short(entry["code"].splitlines()[line - 1].strip(), 120)),),
            suggestion="Change the example to follow the rule, or drop the rule if the example is how "
                       "the team works.",
        ))
    return sort(found)
