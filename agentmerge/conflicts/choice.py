"""Choice conflicts: two statements pick different options of one category of mutually exclusive
alternatives for the same purpose ("install with pnpm" / "Yarn workspaces for dependencies"; "Terraform
for infrastructure" / "infrastructure as code in Pulumi"; trunk-based development / GitFlow).

Categories and their options' aliases are data (`knowledge/alternatives.yaml`, extended by the
`alternatives:` key of `--axes` files). A statement states a choice when it names one option of a category
as a rule ("use …", "… is required"), as a short noun-phrase item ("Maven for builds", "state with Redux
Toolkit") or as what the project does ("our services run on …"), or prefers one over another ("X over Y",
"X instead of Y"). Lists of skills and tools ("experience with Jest, Vitest and Mocha"), history
("we migrated from Webpack"), questions and statements naming several options of a category without
preferring one take no stance. A qualifier that limits one side ("SQLite for tests") makes a narrower rule,
not a contradiction. Products no category lists are compared by their names (`_unlisted`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import model
from ..lazy import compiled_when_used
from .align import SCOPE, conflict, grouped, opening, pairs, sort, statements, takes_no_stance

# After one of these, an option is the one *not* chosen.
_AGAINST = re.compile(r"\b(?:over|instead of|rather than|not|never|no|avoid|don't use|do not use|in place of|"
                      r"replac\w* |away from|drop|ditch|vs\.?|versus|nor)\s+(?:the |a |an |using |plain )?$",
                      re.IGNORECASE)
_PREFER_TO = re.compile(r"\bprefer\b", re.IGNORECASE)
_TOKEN = re.compile(r"[\w@.+#/:-]*[\w+#]|[\w]")
# "our services run on …", "the frontend is built with …": what the project does, a choice made.
_PROJECT = compiled_when_used(r"\b(?:we|our|this (?:project|repo|repository|team|codebase|service|app)|the (?:project|"
                              r"team|codebase|repo|stack))\b[^.;]{0,40}\b(?:use|uses|run|runs|is built|are built|build|"
                              r"builds|deploy|deploys|live|lives|standardi[sz]e|standardi[sz]es|rel(?:y|ies) on|is|are)\b",
                              re.IGNORECASE)
NOUN_PHRASE_WORDS = 40


@dataclass(frozen=True)
class Alias:
    words: tuple[str, ...]  # lower-case tokens
    option: str
    category: str
    exact: str = ""  # "=Alias": the case it must be written in
    needs_purpose: bool = False  # "?alias"


@dataclass(frozen=True)
class Alternatives:
    titles: dict[str, str]
    purposes: dict[str, frozenset[str]]  # category -> purpose words (lower-case tokens and phrases)
    by_first: dict[str, tuple[Alias, ...]]  # first token -> aliases starting with it, longest first
    options: dict[tuple[str, str], str]  # (category, option) -> display name
    shared_object: frozenset[str] = frozenset()  # categories whose two sides must name one thing besides


_SIMPLE = re.compile(r"[a-z0-9 ]+\Z")


def _tokens(text: str) -> list[str]:
    if _SIMPLE.match(text):
        return text.split()  # most aliases: plain words
    return [t.rstrip(".:") for t in _TOKEN.findall(text)]


def _merge(base: dict, extra: dict) -> dict:
    out = {k: dict(v) for k, v in base.items()}
    for cid, body in extra.items():
        entry = out.setdefault(cid, {"title": cid.replace("_", " "), "options": {}})
        for key in ("title", "purpose"):
            if key in body:
                entry[key] = body[key] if key == "title" else list(entry.get(key, [])) + list(body[key])
        options = dict(entry.get("options", {}))
        for oid, aliases in (body.get("options") or {}).items():
            options[oid] = list(options.get(oid, [])) + list(aliases or [])
        entry["options"] = options
    return out


@lru_cache(maxsize=8)
def load_alternatives(extra: tuple[str, ...] = ()) -> Alternatives:
    from ..knowledge import builtin_data
    from ..normalize import load_yaml

    categories = builtin_data("alternatives.yaml")["alternatives"]
    for path in extra:
        with open(path, encoding="utf-8") as fh:
            user = load_yaml(fh.read()) or {}
        if isinstance(user, dict) and isinstance(user.get("alternatives"), dict):
            categories = _merge(categories, user["alternatives"])
    titles, purposes, options = {}, {}, {}
    by_first: dict[str, list[Alias]] = {}
    for cid, body in categories.items():
        titles[cid] = str(body.get("title", cid.replace("_", " ")))
        purposes[cid] = frozenset(str(p).lower() for p in body.get("purpose", []) or [])
        for oid, aliases in (body.get("options") or {}).items():
            spellings = [str(a) for a in aliases or []]
            if not spellings and not oid.startswith("_"):
                spellings.append(oid.replace("_", " "))  # an option without aliases is named by its id
            options[(cid, oid)] = next((s.lstrip("=?") for s in spellings if s.lstrip("=?")), oid)
            for spelling in spellings:
                exact = spelling[1:] if spelling.startswith("=") else ""
                needs = spelling.startswith("?")
                words = tuple(_tokens(spelling.lstrip("=?").lower()))
                if words:
                    by_first.setdefault(words[0], []).append(Alias(words, oid, cid, exact, needs))
    frozen = {k: tuple(sorted(v, key=lambda a: -len(a.words))) for k, v in by_first.items()}
    shared = frozenset(cid for cid, body in categories.items() if body.get("same_object"))
    return Alternatives(titles, purposes, frozen, options, shared)


@dataclass(frozen=True)
class Mention:
    category: str
    option: str
    start: int  # token index
    end: int
    against: bool


def mentions(text: str, alternatives: Alternatives) -> list[Mention]:
    """The options a text names, each marked `against` when it is the one not chosen (the last texts
    asked of one table are remembered: `stances` and the unlisted products ask of the same statements)."""
    held = _MENTIONED.get(id(alternatives))
    if held is None or held[0] is not alternatives:
        held = _MENTIONED[id(alternatives)] = (alternatives, {})
    found = held[1].get(text)
    if found is None:
        if len(held[1]) >= _MENTIONED_LIMIT:
            held[1].clear()
        found = held[1][text] = tuple(_mentions(text, alternatives))
    return list(found)


_MENTIONED: dict[int, tuple[Alternatives, dict[str, tuple[Mention, ...]]]] = {}
_MENTIONED_LIMIT = 65536


def _mentions(text: str, alternatives: Alternatives) -> list[Mention]:
    spans = [(m.group(0).rstrip(".:"), m.start()) for m in _TOKEN.finditer(text)]
    lower = [t.lower() for t, _ in spans]
    lowered_text = text.lower()
    found: list[Mention] = []
    i = 0
    while i < len(lower):
        hit = None
        for alias in alternatives.by_first.get(lower[i], ()):
            n = len(alias.words)
            if tuple(lower[i : i + n]) != alias.words:
                continue
            if alias.exact and " ".join(t for t, _ in spans[i : i + n]) != alias.exact:
                continue
            if alias.needs_purpose and not any(re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", lowered_text)
                                               for p in alternatives.purposes[alias.category]):
                continue
            hit = alias
            break
        if hit is None:
            i += 1
            continue
        n = len(hit.words)
        before = text[: spans[i][1]]
        against = bool(_AGAINST.search(before[-40:]))
        for alias in alternatives.by_first.get(lower[i], ()):
            if alias.words == hit.words and not (alias.exact and alias.exact != hit.exact) and (
                    not alias.needs_purpose or alias is hit or any(
                        re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", lowered_text)
                        for p in alternatives.purposes[alias.category])):
                found.append(Mention(alias.category, alias.option, i, i + n, against))
        i += n
    return found


# Words right before an option that make it the one used ("use pnpm", "install with pnpm", "built on Vite").
_CUE_BEFORE = frozenset("""
use uses using used with via in on through by prefer prefers preferred adopt adopts choose chooses pick picks
standardize standardise standardized standardised default defaults go rely relies run runs built written
install installs installed manage managed migrate switch move deploy deployed deploys host hosted store
stored keep keeps write format formatted lint linted test tested bundle bundled track tracked log logged
model modelled orchestrate orchestrated provision provisioned package packaged serve served ship shipped
as expose exposed design designed implement implemented conform conforms target targets comply complies meet
""".split())
# Verbs of sending and publishing: the option after "to" is where things go ("publish events to Kafka").
_SENT = frozenset("publish publishes published post posts posted send sends sent push pushes pushed emit emits "
                  "emitted stream streams streamed upload uploads uploaded export exports exported forward forwards "
                  "forwarded deliver delivers delivered ship ships shipped report reports reported sync syncs synced "
                  "replicate replicates replicated commit commits committed enqueue enqueued".split())
# Words right after an option that open the thing it is used for ("Maven for builds", "Vite as the dev server").
_CUE_AFTER = frozenset("for as to : — – - handles manages runs builds owns powers drives is are".split())
# Verbs after an option that opens a statement: the option does the job ("Snakemake drives every pipeline").
_DOES_JOB = frozenset("handles manages runs builds owns powers drives serves hosts stores orchestrates "
                      "schedules packages publishes makes sends delivers processes routes renders tracks checks "
                      "validates formats lints compiles bundles deploys provisions signs caches indexes queues "
                      "collects ships scrapes encodes transcodes simulates generates holds keeps governs".split())


# After an option: what follows makes it an example of several ("X or other services", "X or similar")
_OR_OTHER = re.compile(r"[`*_)]*\s*,?\s*(?:or|and|/)\s+(?:any\s+|some\s+|an?\s+)?(?:other|similar|another|equivalent|"
                       r"alternative|comparable|whatever)\b", re.IGNORECASE)


def _chosen(text: str, m: Mention, role: str = "item") -> bool:
    """Whether the statement uses the option (rather than naming it among others or as an object)."""
    spans = list(_TOKEN.finditer(text))
    tokens = [t.group(0).rstrip(".:").lower() for t in spans]
    first = max(0, m.start - 4)
    if m.start < len(spans):
        # the cue stands in the option's own list entry: "workflows in `.github/`, Helm charts, Terraform"
        # names Terraform among things, it does not work "in" it
        cut = max(text.rfind(",", 0, spans[m.start].start()), text.rfind(";", 0, spans[m.start].start()))
        while first < m.start and spans[first].start() < cut:
            first += 1
    before = tokens[first : m.start]
    if tokens[m.end : m.end + 2] in (["out", "of"], ["away", "from"]):
        return False  # "keep API keys out of version control" keeps them somewhere else, it chooses nothing
    if m.end <= len(spans) and _OR_OTHER.match(text, spans[m.end - 1].end()):
        return False  # "use Jest or a similar runner": an example of what to use, not the one
    if any(t in _CUE_BEFORE for t in before):
        return True
    if before[-1:] == ["to"] and any(t in _SENT for t in before[:-1]):
        return True  # "events are published to Kafka", "post ledger events to Amazon SQS"
    if m.start <= 6 and before[-1:] in (["is"], ["are"]) and role in ("item", "nested", "sentence") and len(tokens) <= 12:
        return True  # "Transformations are dbt models", "the property management system is …": what they are
    if m.start < len(spans) and text[: spans[m.start].start()].rstrip().endswith(":"):
        return True  # "Async runtime: Tokio"
    after = tokens[m.end : m.end + 2]
    starts = m.start <= 1 or (m.start <= 3 and tokens[0] in ("the", "a", "an", "all", "our"))
    if starts and role in ("details", "head"):
        return True  # "**E2E**: Cypress, with …"
    if starts and role in ("item", "nested") and len(tokens) <= 10:
        return True  # a noun-phrase item: "Version in the URL path (/v1/, /v2/)"
    if starts and role not in ("item", "nested") and after[:1] in (["for"], ["as"]):
        return True
    if starts and m.end <= len(spans) and text[spans[m.end - 1].end():].lstrip().startswith((":", "—", "–")):
        return True  # "Trunk-based development: short-lived branches …"
    if starts and after[:1] and after[0] in _DOES_JOB:
        return True  # "Snakemake drives every pipeline", "Pa11y runs the audits": the option does the job
    if starts and after[:2] in (["is", "the"], ["are", "the"], ["is", "our"], ["are", "our"]):
        return True  # "Hardhat is the build and test environment": it is the one
    if starts and role in ("item", "nested") and after and after[0] in ("for", "as", "to", "is", "are"):
        return after[0] in ("for", "as", "to") or len(tokens) <= 8
    return starts and bool(re.search(r"^\W*\S+(?:\s\S+){0,3}?\s*[:—–]\s", text))


def _states_choice(s) -> bool:
    """Whether a statement can state a choice at all (which option it takes is `_chosen`'s)."""
    if takes_no_stance(s) or opening(s):
        return False
    if s.st.modality == "permit" and s.st.role in ("details", "head") and not SCOPE.search(s.text):
        # "**Charts**: interactive charts in Plotly so readers can hover": a labelled setting; the "can"
        # is about something else
        return len(s.text.split()) <= NOUN_PHRASE_WORDS
    if s.st.modality in ("require", "recommend", "describe"):
        return s.st.modality != "describe" or len(s.text.split()) <= NOUN_PHRASE_WORDS or bool(
            _PROJECT.search(s.text))
    return False


def stances(s, alternatives: Alternatives) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """category -> (options chosen, options rejected) for a statement that states a choice."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    found = mentions(s.text, alternatives)
    if not found:
        return {}
    negated = s.st.modality in ("prohibit", "discourage")
    if takes_no_stance(s) or (not negated and not _states_choice(s)):
        return {}
    order: dict[str, list[str]] = {}
    for m in found:
        pro, con = out.setdefault(m.category, (set(), set()))
        if m.against:
            con.add(m.option)
        elif not negated and _chosen(s.text, m, s.st.role):
            pro.add(m.option)
            if m.option not in order.setdefault(m.category, []):
                order[m.category].append(m.option)
    result = {}
    prefer = bool(_PREFER_TO.search(s.text))
    for category, (pro, con) in out.items():
        if len(pro) == 2 and prefer:
            first, second = order[category]
            pro, con = {first}, con | {second}  # "prefer X to Y"
        if len(pro) > 1:
            continue  # several options side by side: no choice made
        result[category] = (frozenset(pro), frozenset(con - pro))
    return result


def _scope_terms(s, category: str, alternatives: Alternatives, option_words: set[str]) -> frozenset[str]:
    """What a statement's qualifiers limit it to, without the category's own purpose words and the
    options' names ("for dependencies" is the purpose; "for tests" is a scope)."""
    purpose = alternatives.purposes.get(category, frozenset())
    words = set()
    # only a qualifier in the clause that names the option limits the choice ("SQLite for tests"); the
    # rest of a long statement describes other things ("We use GitFlow: ..., `hotfix/*` branches for
    # urgent fixes")
    clauses = [c for c in _CLAUSES.split(s.text)
               if any(w in option_words for w in re.findall(r"[\w.+#-]+", c.lower()))]
    for m in SCOPE.finditer(" ; ".join(clauses) if clauses else s.text):
        for w in re.findall(r"[a-z][a-z0-9-]+", m.group(0).lower()):
            if w not in purpose and w not in option_words and w not in _SCOPE_FILLER:
                words.add(w)
    return frozenset(words)


_CLAUSES = compiled_when_used(r"[,;:()]|\s[-\u2013\u2014]\s|\.\s")
_SCOPE_FILLER = frozenset("for in on the a an only when if during within with of to and or any all".split())


# Words too general to say what two statements are about ("written in", "code").
_GENERAL = frozenset("written write use used build built code run make default our all every new".split())


def _same_object(a, b, option_words: set[str]) -> bool:
    """Whether two statements name one thing besides the options: a shared term that is not an option's
    word, a cue or a general word ("control loops in C++" / "control nodes in Python" share `control`)."""
    shared = {t.lower() for t in a.terms & b.terms}
    return any(t not in option_words and t not in _GENERAL and t not in _CUE_BEFORE and len(t) > 2
               for t in shared)


def _without_enumerations(ctx, taken: list[tuple[object, dict]]) -> list[tuple[object, dict]]:
    """Items of one section of one input that each name another option of a category ("- Blue-green
    deployments", "- Canary releases", "- Rolling updates") list what exists; none picks one."""
    options: dict[tuple, set[str]] = {}
    for s, st in taken:
        unit = ctx.units.get(s.uid)
        if unit is None or unit.kind != model.ITEM:
            continue
        for category, (pro, _con) in st.items():
            options.setdefault((s.source, unit.section, category), set()).update(pro)
    listed = {key for key, chosen in options.items() if len(chosen) > 1}
    if not listed:
        return taken
    out = []
    for s, st in taken:
        unit = ctx.units.get(s.uid)
        if unit is not None and unit.kind == model.ITEM:
            st = {c: v for c, v in st.items() if (s.source, unit.section, c) not in listed}
        if st:
            out.append((s, st))
    return out


def detect(ctx) -> list:
    alternatives = load_alternatives(tuple(ctx.options.axes))
    taken: list[tuple[object, dict]] = []
    for s in statements(ctx):
        st = stances(s, alternatives)
        if st:
            taken.append((s, st))
    taken = _without_enumerations(ctx, taken)
    by_index = {s.index: st for s, st in taken}
    clashes: dict[str, list] = {}
    for a, b in pairs([s for s, _ in taken], lambda s: by_index[s.index].keys()):
        for category in sorted(set(by_index[a.index]) & set(by_index[b.index])):
            pro_a, con_a = by_index[a.index][category]
            pro_b, con_b = by_index[b.index][category]
            if pro_a and pro_b and not (pro_a & pro_b):
                clash = (min(pro_a), min(pro_b), True)
            elif pro_a & con_b:
                clash = (min(pro_a & con_b), min(pro_a & con_b), False)
            elif pro_b & con_a:
                clash = (min(pro_b & con_a), min(pro_b & con_a), False)
            else:
                continue
            words = {w for o in pro_a | pro_b | con_a | con_b for w in
                     _tokens(alternatives.options[(category, o)].lower())} | {
                w for o in pro_a | pro_b | con_a | con_b for w in o.split("_")}
            if _scope_terms(a, category, alternatives, words) != _scope_terms(b, category, alternatives, words):
                continue  # one of them is limited to a narrower situation
            if category in alternatives.shared_object and not _same_object(a, b, words):
                continue  # a language for E2E tests and one for control nodes: two purposes
            name = lambda o: alternatives.options[(category, o)]  # noqa: E731
            if clash[2]:
                stance_a, stance_b = f"uses {name(clash[0])}", f"uses {name(clash[1])}"
            elif pro_a & con_b:
                stance_a, stance_b = f"uses {name(clash[0])}", f"rules out {name(clash[0])}"
            else:
                stance_a, stance_b = f"rules out {name(clash[0])}", f"uses {name(clash[0])}"
            clashes.setdefault(category, []).append((a, stance_a, b, stance_b))
    found = []
    for category, pairs_ in sorted(clashes.items()):
        title = alternatives.titles[category]
        found.append(grouped(ctx, "choice", category, pairs_,
                             f"different choices of {title} for the same purpose",
                             f"Pick one {title} for the merged agent and state it once."))
    return sort(found + _unlisted(ctx, alternatives))


# --- products no category lists --------------------------------------------------------------------------
# Two inputs that each pick a product for one purpose, neither naming the other's anywhere ("Claim files live
# in Guidewire ClaimCenter" / "Duck Creek Claims is the system of record for every file"), choose
# differently even when no category of alternatives.yaml holds them. A product's name is a run of words
# written as names (`_named_runs`) in a frame that uses it (`_used`); the statements must share what the
# choice is for: content words, besides the names, that weigh `PURPOSE_WEIGHT` in English priors (two
# ordinary nouns, or one rare word and one more), an acronym one of them writes out counting.
# A word written as a name: capitalised, in capitals, or in mixed case (`GoodTime`, `iCIMS`, `AVEVA`, `DNP3`).
_NAME = re.compile(r"(?<![\w.@/#-])(?:[A-Z][A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*)(?![\w@/#-])")
PURPOSE_WEIGHT = 1.0
PURPOSE_TERMS = 2
RARE_NAME = 0.9  # the English prior of a capitalised first word that is a name ("Mews is the PMS")
# Capitalised words that are no product: days, months, people's roles and places in the sentence.
_NOT_PRODUCTS = frozenset("""
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december i you we our the a an if when for never always only do don't use all every
each new one no not and or but this that these those it its they their there here on in at by with from
""".split())
# Verbs after which "from" names the source used ("query telemetry from the Canary historian").
_READ_FROM = frozenset("query queries queried pull pulls pulled read reads fetch fetches fetched load loads loaded "
                       "import imports imported retrieve retrieves retrieved source sourced sync syncs synced "
                       "stream streams streamed export exports exported ingest ingests ingested".split())


def _named_runs(s, spans: list[re.Match]) -> list[tuple[int, int, str]]:
    """(first token, end token, name) of each run of name-like words in a statement: "Guidewire ClaimCenter",
    "Duck Creek Claims", "the Canary historian" -> "Canary". A single capitalised word opening the statement
    is only its first word, unless it is written in capitals or mixed case."""
    from ..statements.terms import lemma, prior

    runs: list[tuple[int, int, str]] = []
    i = 0
    code = " ".join(s.st.code)
    while i < len(spans):
        word = spans[i].group(0).rstrip(".:")
        if not _NAME.fullmatch(word) or word.lower() in _NOT_PRODUCTS or (code and word in code):
            i += 1
            continue
        j = i + 1
        while j < len(spans) and _NAME.fullmatch(spans[j].group(0).rstrip(".:")) and \
                spans[j].group(0).lower() not in _NOT_PRODUCTS and not s.text[spans[j - 1].end():spans[j].start()].strip():
            j += 1
        words = [spans[k].group(0).rstrip(".:") for k in range(i, j)]
        if i > 0 and spans[i - 1].group(0)[:1].isdigit():
            i = j
            continue  # "24 by 24 CSS pixels": a unit after a number, not a product
        marked = any(len(w) >= 2 and (w.isupper() or any(c.isupper() for c in w[1:])) for w in words)
        opens = i == 0 or s.text[: spans[i].start()].rstrip().endswith((".", ":", "*"))
        if opens and j - i == 1 and not marked and prior(lemma(words[0].lower())) < RARE_NAME:
            i = j
            continue  # "Track every candidate …": the statement's first word, an English one
        runs.append((i, j, " ".join(words)))
        i = j
    return runs


def _may_name(text: str) -> bool:
    """Whether a text can name a product: a capital past its first letter, or a first word rare in English."""
    if text[1:] != text[1:].lower():
        return True
    from ..statements.terms import lemma, prior

    first = text.split(None, 1)[0].strip(".,:;").lower() if text.strip() else ""
    return bool(first) and prior(lemma(first)) >= RARE_NAME


def _products(s, alternatives: Alternatives) -> frozenset[str]:
    """The unlisted products a statement says it uses, as lower-case names."""
    if not _may_name(s.text):
        return frozenset()
    if takes_no_stance(s) or opening(s) or not _states_choice(s) or s.st.modality in ("prohibit", "discourage"):
        return frozenset()
    listed = [(m.start, m.end) for m in mentions(s.text, alternatives)]
    spans = list(_TOKEN.finditer(s.text))
    tokens = [t.group(0).rstrip(".:").lower() for t in spans]
    out = set()
    for i, j, name in _named_runs(s, spans):
        before = s.text[: spans[i].start()]
        if before.count("(") > before.count(")"):
            continue  # an example in parentheses ("HTTP methods (GET, POST, PUT)")
        if any(a < j and i < b and (a <= i and j <= b) for a, b in listed):
            continue  # a listed option: the categories' detector reads it (not a longer name holding one)
        if _OR_OTHER.match(s.text, spans[j - 1].end()):
            continue  # "use HttpClient or other appropriate services": an example, not the one
        if _used(s.text, spans, tokens, i, j, s.st.role) and _like_a_name(name):
            out.add(name.lower())
    # several side by side ("DEBUG for inner functions, ERROR at top-level handlers") choose none of them
    return frozenset(out) if len(out) == 1 else frozenset()


_MARKED_NAME = re.compile(r"[a-z][A-Z]|\d|\b[A-Z]{3,}\b")
NAME_PRIOR = 0.6  # a product named in ordinary words has one as specific as "duck" (Duck Creek) or "oracle"


def _like_a_name(name: str) -> bool:
    """Whether capitalised words name a product: one is written as names are (`HttpClient`, `DNP3`, `CCC`)
    or is specific in English ("Mews", "Guidewire", "Duck Creek"); "Reasoning Order" and "Quick Pick" are
    headings written in title case."""
    from ..statements.terms import prior

    if _MARKED_NAME.search(name):
        return True
    return any(prior(w.lower()) >= NAME_PRIOR for w in re.findall(r"[A-Za-z]+", name))


_DETERMINERS = frozenset("the a an our its their your this".split())


def _used(text: str, spans, tokens: list[str], i: int, j: int, role: str) -> bool:
    """Whether a statement uses the product named by tokens i..j, in a stricter frame than `_chosen` asks of
    a listed option: right after a cue ("live in Guidewire ClaimCenter", "through SiteMinder", "queried
    from the AVEVA PI historian", "the system is Oracle OPERA Cloud"), after a label ("Auto appraisals:
    Mitchell …"), or opening the statement as what does the job ("Duck Creek Claims is the system of
    record", "Mews is the PMS")."""
    k = i - 1
    while k >= 0 and tokens[k] in _DETERMINERS:
        k -= 1
    if k >= 0:
        cue = tokens[k]
        if cue in _CUE_BEFORE and cue not in ("use", "uses", "using", "used") or cue in ("is", "are"):
            return True
        if cue == "from" and any(t in _READ_FROM for t in tokens[max(0, k - 4) : k]):
            return True
        if cue in ("use", "uses", "using", "used") and k == i - 1:
            return True  # "use Calendly links", not "use appropriate HTTP methods"
        return text[: spans[i].start()].rstrip().endswith((":", "—", "–"))
    after = tokens[j : j + 2]
    if role in ("details", "head"):
        return True
    return bool(after) and (after[0] in _DOES_JOB or after[0] in ("is", "are") or
                            text[spans[j - 1].end():].lstrip().startswith((":", "—", "–")))


def _unlisted(ctx, alternatives: Alternatives) -> list:
    from ..statements.terms import prior

    said = statements(ctx)
    named = {}
    for s in said:
        products = _products(s, alternatives)
        if products:
            named[s.index] = products
    if len(named) < 2:
        return []
    items = [s for s in said if s.index in named]
    source = {s.index: ctx.units[s.uid].source for s in items}
    texts: dict[int, str] = {}  # each input's text in lower case, read when a pair is looked at
    known: dict[tuple[str, int], bool] = {}

    def names(product: str, k: int) -> bool:
        """Whether input k names the product anywhere."""
        if (product, k) not in known:
            if k not in texts:
                texts[k] = "\n".join(u.text for a in ctx.agents for u in a.units if u.source == k).lower()
            known[(product, k)] = _names(product, texts[k])
        return known[(product, k)]

    clashes = []
    for a, b in pairs(items, lambda s: s.terms):
        if source[a.index] == source[b.index]:
            continue
        pa, pb = named[a.index], named[b.index]
        if pa & pb:
            continue
        name_words = {w for p in pa | pb for w in p.split()}
        shared = {t for t in a.terms & b.terms
                  if t.lower() not in name_words and len(t) > 2 and not t.startswith("~") and t not in _GENERAL}
        if not shared:
            continue
        if any(names(p, source[b.index]) for p in pa) or any(names(p, source[a.index]) for p in pb):
            continue  # one names the other's product somewhere: not two choices made blind to each other
        weight = sum(prior(t) for t in shared)
        expanded = _acronyms(a.text, b.text) | _acronyms(b.text, a.text)
        if len(shared) + len(expanded) < PURPOSE_TERMS or weight + len(expanded) < PURPOSE_WEIGHT:
            continue
        scope_a, scope_b = _scope_terms(a, "", alternatives, set(pa)), _scope_terms(b, "", alternatives, set(pb))
        if scope_a != scope_b:
            continue
        x, y = min(pa), min(pb)
        topic = " or ".join(sorted((x, y)))  # the same in either input order
        clashes.append(conflict(ctx, "choice", topic, a, b, (f"uses {_shown(a.text, x)}", f"uses {_shown(b.text, y)}"),
                                f"each picks another product for the same purpose ({', '.join(sorted(shared)[:3])}), "
                                f"and neither names the other's",
                                "Pick one of the two for the merged agent and state it once."))
    return clashes


_ACRONYM = re.compile(r"(?<![\w-])[A-Z]{2,5}(?![\w-])")


def _acronyms(short: str, long: str) -> set[str]:
    """The acronyms of one text that the other writes out ("PMS" / "property management system")."""
    out = set()
    words = re.findall(r"[A-Za-z][\w-]*", long)
    initials = "".join(w[0].lower() for w in words)
    for m in _ACRONYM.finditer(short):
        acronym = m.group(0).lower()
        if acronym in initials and acronym not in long.lower().split():
            at = initials.find(acronym)
            if all(len(w) > 2 for w in words[at : at + len(acronym)]):
                out.add(acronym)
    return out


def _names(name: str, text: str) -> bool:
    """Whether a (lower-case) text names the product: its first word, as a word (an input that writes
    "Duck Creek" anywhere knows of it)."""
    first = name.split()[0]
    return re.search(rf"(?<![\w]){re.escape(first)}(?![\w])", text) is not None


def _shown(text: str, name: str) -> str:
    """The name as the text writes it."""
    m = re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text, re.IGNORECASE)
    return m.group(0) if m else name
