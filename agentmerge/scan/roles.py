"""Same-role clusters: agents written independently for one job.

Two agents are one role when

1. their **names are equivalent**: the same subject words and compatible job words once the name rules
   of `knowledge/role_names.yaml` (and any `--role-names` files) have rewritten them, so
   `postgres-expert` ~ `postgresql-expert` and `k8s-engineer` ~ `kubernetes-engineer`, while
   `python-pro` / `django-pro` (other subjects) and `frontend-developer` / `frontend-designer` (other
   jobs) never meet; and
2. their **descriptions and bodies are about the same work**: the cosine of their weighted terms (the
   normalised content words the merge compares; sublinear term frequency times inverse document
   frequency over the library; the description counts twice) reaches `ROLE_THRESHOLD`.

Candidates come from blocking on the name key (a dictionary from key to files: no pair of files with
different keys is ever looked at); each block is scored in one NumPy matrix product. Verified pairs are
cut into stars around anchors, as near clusters are.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..model import AgentmergeError

# The least term cosine of two agents with equivalent names (see docs/scale.md). Independently written
# agents for one job score 0.25-0.6 on the real collections measured; same-named agents for other work
# (a game "tester" and an API "tester") score below 0.15.
ROLE_THRESHOLD = 0.2
DESCRIPTION_WEIGHT = 2.0
# The most agents in one same-role cluster (the anchor's closest; the others form clusters of their own).
ROLE_MAX_MEMBERS = 8
# An agent stays out of an anchor's cluster when it has a neighbour the cluster does not take (not one of
# the anchor's neighbours, or one past ROLE_MAX_MEMBERS) at least this many times closer: a tight group (three libraries' versions of one
# job) is not pulled apart by the anchor of a looser one it touches.
ROLE_HOLD = 2.0
# A name block larger than this is scored in slices of this many rows against the whole block.
BLOCK_SLICE = 512
# Formats that are not a role: a project's own instructions (CLAUDE.md, AGENTS.md).
NOT_ROLES = frozenset({"instructions"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+[#+]*")


def words(name: str) -> list[str]:
    """A name's words: `PostgresExpert`, `postgres-expert` and `postgres_expert` give postgres, expert."""
    return _WORD.findall(_CAMEL.sub(" ", name).lower())


@dataclass(frozen=True)
class NameRules:
    synonyms: dict[tuple[str, ...], str]  # word sequence -> subject key
    jobs: dict[str, str]  # job word -> job group
    activities: dict[str, str]  # subject key -> job group, for names without a job word
    open_jobs: frozenset[str]
    filler: frozenset[str]
    longest: int  # the longest synonym phrase, in words


def _load_yaml(text: str, label: str) -> dict:
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise AgentmergeError(f"{label}: not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict):
        raise AgentmergeError(f"{label}: expected a mapping with synonyms, jobs, activities, open_jobs, filler")
    return data


@lru_cache(maxsize=8)
def name_rules(extra: tuple[str, ...] = ()) -> NameRules:
    """The built-in name rules, with the files in `extra` added (their entries win)."""
    texts = [(resources.files("agentmerge.knowledge").joinpath("role_names.yaml").read_text("utf-8"),
              "role_names.yaml")]
    for path in extra:
        try:
            with open(path, encoding="utf-8") as handle:
                texts.append((handle.read(), path))
        except OSError as exc:
            raise AgentmergeError(f"--role-names {path}: cannot read ({exc.strerror or exc})") from None
    synonyms: dict[tuple[str, ...], str] = {}
    jobs: dict[str, str] = {}
    activities: dict[str, str] = {}
    open_jobs: set[str] = set()
    filler: set[str] = set()
    for text, label in texts:
        data = _load_yaml(text, label)
        try:
            for key, spellings in (data.get("synonyms") or {}).items():
                canonical = "".join(words(str(key))) or str(key)
                synonyms[(canonical,)] = canonical
                for spelling in spellings or ():
                    synonyms[tuple(words(str(spelling)))] = canonical
            for group, members in (data.get("jobs") or {}).items():
                for member in [group, *(members or ())]:
                    jobs["".join(words(str(member)))] = str(group)
            for activity, group in (data.get("activities") or {}).items():
                activities["".join(words(str(activity)))] = str(group)
            open_jobs.update(str(x) for x in data.get("open_jobs") or ())
            filler.update("".join(words(str(x))) for x in data.get("filler") or ())
        except (AttributeError, TypeError):
            raise AgentmergeError(f"{label}: synonyms, jobs and activities must be mappings of lists or words") from None
    synonyms.pop((), None)
    return NameRules(synonyms=synonyms, jobs=jobs, activities=activities, open_jobs=frozenset(open_jobs),
                     filler=frozenset(filler), longest=max((len(k) for k in synonyms), default=1))


def name_key(name: str, rules: NameRules) -> tuple[tuple[str, ...], str | None] | None:
    """(subject words, job group) of a name, or None when the name says nothing of a job."""
    found = words(name)
    while found and found[0].isdecimal():  # "01-code-reviewer": numbering; "java-17-to-21" keeps its numbers
        found.pop(0)
    subjects: list[str] = []
    job: str | None = None
    i = 0
    while i < len(found):
        for n in range(min(rules.longest, len(found) - i), 0, -1):
            phrase = tuple(found[i : i + n])
            if n > 1 and phrase in rules.synonyms:
                subjects.append(rules.synonyms[phrase])
                i += n
                break
        else:
            w = found[i]
            i += 1
            if w in rules.jobs:
                job = rules.jobs[w]  # the last job word names the job ("test-engineer": engineer)
            elif w not in rules.filler:
                subjects.append(rules.synonyms.get((w,), w))
    if job is None and subjects and subjects[-1] in rules.activities:
        job = rules.activities[subjects.pop()]
    if not subjects and job is None:
        return None
    return tuple(sorted(set(subjects))), job


def compatible(a: str | None, b: str | None, rules: NameRules) -> bool:
    return a == b or a is None or b is None or a in rules.open_jobs or b in rules.open_jobs


def _vectors(rows: Sequence[int], terms: dict[int, tuple[dict[int, float], dict[int, float]]],
             idf: dict[int, float]):
    """Row-normalised term weights of `rows` as one dense matrix over the terms they use."""
    import numpy as np

    columns: dict[int, int] = {}
    entries: list[tuple[int, int, float]] = []
    for r, f in enumerate(rows):
        desc, body = terms[f]
        weights: dict[int, float] = defaultdict(float)
        for t, w in desc.items():
            weights[t] += DESCRIPTION_WEIGHT * w
        for t, w in body.items():
            weights[t] += w
        for t, w in weights.items():
            entries.append((r, columns.setdefault(t, len(columns)), w * idf.get(t, 1.0)))
    matrix = np.zeros((len(rows), max(1, len(columns))), dtype=np.float32)
    if entries:
        r_idx, c_idx, vals = zip(*entries)
        matrix[list(r_idx), list(c_idx)] = vals
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def role_edges(names: dict[int, str], formats: dict[int, str], terms: dict[int, tuple[dict[int, float], dict[int, float]]],
               df: dict[int, int], documents: int, threshold: float, rules: NameRules) -> dict[int, dict[int, float]]:
    """Verified same-role pairs among `names` (file index -> name), as {file: {file: score}}."""
    import numpy as np

    blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
    jobs: dict[int, str | None] = {}
    for f in sorted(names):
        if formats.get(f) in NOT_ROLES or f not in terms:
            continue
        key = name_key(names[f], rules)
        if key is None:
            continue
        blocks[key[0]].append(f)
        jobs[f] = key[1]
    idf = {t: math.log(1 + documents / n) for t, n in df.items()}
    edges: dict[int, dict[int, float]] = defaultdict(dict)
    for members in blocks.values():
        if len(members) < 2:
            continue
        matrix = _vectors(members, terms, idf)
        group = [jobs[m] for m in members]
        for start in range(0, len(members), BLOCK_SLICE):
            scores = matrix[start : start + BLOCK_SLICE] @ matrix.T
            rows, cols = np.nonzero(scores >= threshold)
            for r, c in zip(rows.tolist(), cols.tolist()):
                a, b = start + r, c
                if a >= b or not compatible(group[a], group[b], rules):
                    continue
                s = round(float(scores[r, c]), 4)
                edges[members[a]][members[b]] = edges[members[b]][members[a]] = s
    return edges



def role_stars(component: list[int], edges: dict[int, dict[int, float]], jobs: dict[int, str | None],
               rules: NameRules) -> list[list[int]]:
    """Cut a component of same-role pairs into clusters, each [anchor, members...]: around the agent with
    the most neighbours left, its closest neighbours whose jobs also fit one another's, ROLE_MAX_MEMBERS at
    most (a team compares a handful of agents, and each cluster is merged for its report), less any of them
    with a much closer neighbour the cluster does not take (see ROLE_HOLD); then again with the rest."""
    from .cluster import _anchor

    left = set(component)
    out = []
    while len(left) > 1:
        anchor = _anchor(sorted(left), edges, left)
        taken = [anchor]
        for m in sorted((m for m in edges[anchor] if m in left), key=lambda x: (-edges[anchor][x], x)):
            if len(taken) < ROLE_MAX_MEMBERS and all(compatible(jobs[m], jobs[k], rules) for k in taken):
                taken.append(m)
        inside = set(taken)
        kept = [anchor, *(m for m in taken[1:] if not _held_elsewhere(m, anchor, inside, left, edges))]
        left -= set(kept)
        if len(kept) > 1:
            out.append(kept)
    return out


def _held_elsewhere(m: int, anchor: int, inside: set[int], left: set[int], edges: dict[int, dict[int, float]]) -> bool:
    """Whether `m` has a neighbour among `left` that the anchor's star does not take (not `inside`) and that
    is ROLE_HOLD times closer to it than the anchor is."""
    bar = ROLE_HOLD * edges[anchor][m]
    return any(s >= bar and x in left and x not in inside for x, s in edges[m].items())
