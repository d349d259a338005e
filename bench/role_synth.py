#!/usr/bin/env python3
"""Same-role libraries: agents written independently for one job, for the scan benchmark.

    python bench/role_synth.py OUTDIR [--seed 1] [--collections 3]

Writes, under OUTDIR, one folder per collection (`acme-agents/agents/`, `team-prompts/subagents/`,
`vendor-pack/roles/`, ...: folders not named `agents/` too, so discovery must read frontmatter), each
holding its own agent for some of the jobs below, and returns (and writes to OUTDIR/roles.json) the
ground truth: which files are one job.

Independence is what matters: each collection has an author with a style of its own (imperative
bullets, second-person prose, numbered procedures, checklists of questions, a principles-and-rationale
essay), and each author writes about a random part of the job's concepts, in words from that style's own
templates and the concept's own synonyms. Two agents for one job share subject words (PostgreSQL,
vacuum, replication) and rarely a sentence. The jobs include pairs that share words but are not one job
(`python-pro` / `django-pro`, `frontend-developer` / `frontend-designer`), which must stay apart.
Deterministic: the same arguments give the same bytes. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

# job: (names one per collection may use, description subjects, concepts as (action, object, reason))
JOBS: dict[str, tuple[list[str], str, list[tuple[str, str, str]]]] = {
    "postgres": (["postgres-expert", "postgresql-expert", "postgres-specialist", "PostgresExpert"],
                 "PostgreSQL schema design, query tuning, replication and vacuum", [
        ("read", "the EXPLAIN ANALYZE plan of a slow PostgreSQL query", "the planner's estimates show where rows explode"),
        ("tune", "autovacuum thresholds on large PostgreSQL tables", "dead tuples bloat tables and indexes"),
        ("create", "indexes concurrently on busy PostgreSQL tables", "a plain CREATE INDEX blocks writes"),
        ("configure", "streaming replication and replica lag alerts", "a lagging replica serves stale reads"),
        ("size", "shared_buffers and work_mem for the workload", "memory settings decide whether sorts spill to disk"),
        ("partition", "very large PostgreSQL tables by time", "partition pruning keeps queries on recent data fast"),
        ("pool", "connections with PgBouncer", "each PostgreSQL backend costs memory"),
        ("watch", "pg_stat_statements for the heaviest queries", "a few queries usually dominate load"),
        ("plan", "major PostgreSQL upgrades with pg_upgrade and a rehearsal", "upgrades fail on extensions first"),
        ("check", "lock waits in pg_locks during migrations", "long transactions hold locks others wait on"),
    ]),
    "kubernetes": (["k8s-engineer", "kubernetes-engineer", "kubernetes-developer", "k8s-dev"],
                   "Kubernetes clusters, deployments, Helm charts and pod scheduling", [
        ("set", "resource requests and limits on every Kubernetes pod", "the scheduler packs nodes by requests"),
        ("define", "liveness and readiness probes for each container", "traffic must reach only ready pods"),
        ("roll out", "Kubernetes deployments with maxSurge and maxUnavailable", "a rollout must keep capacity"),
        ("package", "manifests as Helm charts with values per environment", "copied YAML drifts between clusters"),
        ("restrict", "pod traffic with NetworkPolicies", "every pod can reach every other pod by default"),
        ("scale", "workloads with the HorizontalPodAutoscaler", "load changes faster than people react"),
        ("store", "secrets in Kubernetes Secrets or an external vault", "plain ConfigMaps leak credentials"),
        ("debug", "CrashLoopBackOff pods with kubectl describe and logs", "the events show why the kubelet restarts it"),
        ("spread", "replicas across nodes with pod anti-affinity", "one node failure must not take the service down"),
        ("guard", "cluster upgrades with PodDisruptionBudgets", "draining nodes evicts pods"),
    ]),
    "python": (["python-pro", "python-expert", "py-specialist", "python-engineer"],
               "idiomatic Python, typing, packaging and performance", [
        ("annotate", "public Python functions with type hints checked by mypy", "types catch errors before runtime"),
        ("package", "libraries with pyproject.toml", "setup.py scripts run arbitrary code at install"),
        ("prefer", "generators and itertools for large sequences", "lists of everything exhaust memory"),
        ("profile", "hot paths with cProfile before optimising", "intuition about Python speed is often wrong"),
        ("write", "pytest tests with fixtures and parametrize", "repeated setup hides what a test checks"),
        ("use", "dataclasses for plain records", "hand-written __init__ methods drift from fields"),
        ("handle", "exceptions narrowly and re-raise with context", "bare except hides bugs"),
        ("isolate", "dependencies in a virtual environment per project", "global site-packages conflict"),
        ("run", "asyncio only for IO-bound concurrency", "the GIL limits CPU-bound threads"),
        ("format", "code with a formatter and a linter in CI", "style debates waste review time"),
    ]),
    "django": (["django-pro", "django-expert", "django-developer"],
               "Django models, views, the ORM and migrations", [
        ("load", "related Django objects with select_related and prefetch_related", "N+1 queries slow list views"),
        ("write", "Django migrations that run without downtime", "a locked table stops the site"),
        ("keep", "business logic out of Django views", "fat views are hard to test"),
        ("validate", "input with Django forms or serializers", "models trust what they are given"),
        ("protect", "every Django form with CSRF tokens", "cross-site requests forge actions"),
        ("cache", "expensive Django querysets with the cache framework", "the same query runs on every request"),
        ("test", "Django views with the test client", "URL routing and permissions break silently"),
        ("configure", "Django settings per environment from environment variables", "secrets in settings.py leak"),
        ("index", "model fields used in Django filters", "the ORM cannot make a missing index fast"),
        ("run", "slow work in Celery tasks, not in the Django request", "requests must answer quickly"),
    ]),
    "frontend-dev": (["frontend-developer", "front-end-engineer", "frontend-dev", "frontend-engineer"],
                     "building web user interfaces in React and TypeScript", [
        ("split", "React components by responsibility", "large components re-render too much"),
        ("type", "component props with TypeScript", "wrong props fail at runtime in the browser"),
        ("measure", "bundle size and Core Web Vitals in CI", "slow pages lose users"),
        ("lazy-load", "routes and heavy components", "the first load should carry only what it shows"),
        ("manage", "server state with a data-fetching library", "hand-written caches go stale"),
        ("test", "components with Testing Library the way users use them", "implementation tests break on refactors"),
        ("memoise", "expensive computations with useMemo where profiling shows a cost", "memo everywhere adds cost"),
        ("handle", "loading and error states in every data view", "blank screens confuse users"),
        ("build", "forms with controlled inputs and validation", "uncontrolled state drifts from the model"),
        ("ship", "feature flags for risky UI changes", "a rollback should not need a deploy"),
    ]),
    "frontend-design": (["frontend-designer", "front-end-designer"],
                        "visual design, layout, typography and design systems", [
        ("choose", "a type scale with a clear hierarchy of headings", "readers scan before they read"),
        ("build", "a color palette with accessible contrast ratios", "low contrast excludes readers"),
        ("lay out", "pages on a consistent spacing grid", "uneven spacing looks accidental"),
        ("design", "components in a shared design system in Figma", "one-off designs multiply"),
        ("sketch", "wireframes before high-fidelity mockups", "detail too early hides structure problems"),
        ("specify", "interaction states: hover, focus, pressed, disabled", "missing states get invented in code"),
        ("test", "designs with five users before handoff", "designers are not their users"),
        ("document", "design tokens for color, type and spacing", "values copied by hand drift"),
        ("align", "icons and illustrations to one visual style", "mixed styles feel unfinished"),
        ("review", "mockups at every breakpoint", "a layout that works wide breaks narrow"),
    ]),
    "code-review": (["code-reviewer", "code-auditor", "code-review"],
                    "reviewing pull requests for correctness, readability and risk", [
        ("read", "the pull request description and linked issue before the diff", "intent explains the change"),
        ("check", "error handling and edge cases in changed code", "happy paths are the ones already tested"),
        ("flag", "functions that do more than one thing", "mixed responsibilities resist change"),
        ("ask", "for tests that cover the behaviour a change adds", "untested code regresses"),
        ("look", "for injection, secrets and unsafe input handling", "review is the last line before production"),
        ("separate", "blocking problems from suggestions in review comments", "authors need to know what must change"),
        ("keep", "review comments about the code, not the author", "reviews should teach, not wound"),
        ("prefer", "small pull requests over large ones", "large diffs get rubber-stamped"),
        ("verify", "that names say what things are", "bad names mislead every later reader"),
        ("confirm", "the change is backwards compatible or announced", "callers break silently"),
    ]),
    "security": (["security-auditor", "security-reviewer", "appsec-auditor", "sec-auditor"],
                 "application security audits, threat models and vulnerability findings", [
        ("model", "threats for every new service with STRIDE", "attackers follow data flows"),
        ("scan", "dependencies for known CVEs in CI", "most breaches use published vulnerabilities"),
        ("test", "authentication and session handling", "broken authentication exposes every account"),
        ("check", "authorization on every endpoint, not only the UI", "hidden buttons are not access control"),
        ("review", "how secrets are stored and rotated", "leaked keys outlive the leak"),
        ("rate", "findings by severity with CVSS", "teams fix what they can rank"),
        ("verify", "input validation and output encoding against OWASP Top 10", "injection is still the top risk"),
        ("audit", "logging for security events without sensitive data", "logs must help incident response"),
        ("confirm", "TLS everywhere and HSTS", "plain HTTP leaks sessions"),
        ("report", "each finding with a reproduction and a fix", "findings without steps are ignored"),
    ]),
}

# Each collection's author: (folder, file ending, writer). Folders are not all named agents/.
COLLECTIONS = [
    ("acme-agents/agents", ".md", "bullets"),
    ("team-prompts/subagents", ".md", "prose"),
    ("vendor-pack/roles", ".md", "steps"),
    ("guild/library/personas", ".md", "questions"),
    ("handbook/assistants", ".md", "essay"),
]

VERB_SYNONYMS = {
    "read": ["study", "go through", "examine"], "tune": ["adjust", "calibrate"], "create": ["build", "add"],
    "configure": ["set up", "establish"], "check": ["inspect", "verify", "examine"], "test": ["exercise", "try"],
    "write": ["author", "draft"], "use": ["rely on", "reach for"], "handle": ["deal with", "treat"],
    "review": ["go over", "assess"], "verify": ["confirm", "make sure of"], "build": ["construct", "assemble"],
}


# An author's own words for common ones: two authors rarely phrase an object or a reason alike.
WORD_SYNONYMS = {
    "every": ["each", "all"], "large": ["big", "huge"], "slow": ["sluggish", "lagging"], "before": ["ahead of", "prior to"],
    "busy": ["hot", "heavily written"], "tables": ["relations"], "queries": ["statements"], "query": ["statement"],
    "users": ["people", "visitors"], "code": ["source"], "change": ["edit", "modification"], "tests": ["checks"],
    "fast": ["quick", "snappy"], "memory": ["RAM"], "clear": ["obvious", "plain"], "consistent": ["uniform", "regular"],
    "problems": ["issues", "defects"], "hard": ["difficult", "painful"], "often": ["frequently", "usually"],
    "must": ["should", "has to"], "shows": ["reveals", "tells"], "with": ["using", "through"], "for": ["across"],
    "wrong": ["incorrect", "bad"], "small": ["little", "narrow"], "new": ["fresh", "newly added"],
}
SMALL = {"the", "a", "an", "of", "on", "in", "to", "and", "by", "its", "their", "one", "only", "first"}


def _paraphrase(text: str, rng: random.Random) -> str:
    """The author's own wording: small words dropped, common words swapped for the author's synonyms."""
    out = []
    for w in text.split():
        if w.lower() in SMALL and rng.random() < 0.4:
            continue
        if w.lower() in WORD_SYNONYMS and rng.random() < 0.7:
            w = rng.choice(WORD_SYNONYMS[w.lower()])
        out.append(w)
    return " ".join(out)


def _verb(action: str, rng: random.Random) -> str:
    return rng.choice([action, *VERB_SYNONYMS.get(action, [])])


def _concepts(part, rng: random.Random):
    """(action, object, reason or "") in this author's words; about half the reasons are left unsaid."""
    return [(a, _paraphrase(o, rng), _paraphrase(w, rng) if rng.random() < 0.5 else "") for a, o, w in part]


def _bullets(job: str, concepts, rng) -> str:
    intro = f"You are an expert in {JOBS[job][1]}. Apply these rules in every task."
    lines = [intro, "", "## Rules", ""]
    for action, obj, why in concepts:
        lines.append(f"- {_verb(action, rng).capitalize()} {obj}" + (f": {why}." if why else "."))
    lines += ["", "## Output", "", "- Lead with the most important change.", "- Show commands and code you ran."]
    return "\n".join(lines)


def _prose(job: str, concepts, rng) -> str:
    out = [f"Your job is {JOBS[job][1]}. Work the way a careful colleague would.", ""]
    for i in range(0, len(concepts), 2):
        sentences = [f"When it matters, you {_verb(a, rng)} {o}" + (f", because {w}." if w else ".")
                     for a, o, w in concepts[i : i + 2]]
        out += [" ".join(sentences), ""]
    out.append("Explain your reasoning in plain words and say what you did not check.")
    return "\n".join(out)


def _steps(job: str, concepts, rng) -> str:
    out = ["# Working method", "", f"Follow this procedure for {JOBS[job][1]}.", ""]
    for n, (a, o, w) in enumerate(concepts, 1):
        out.append(f"{n}. {_verb(a, rng).capitalize()} {o}." + (f" Why: {w}." if w else ""))
    out += ["", "Stop and report when a step fails."]
    return "\n".join(out)


def _questions(job: str, concepts, rng) -> str:
    out = [f"Before you answer anything about {JOBS[job][1]}, go through this checklist.", "", "## Checklist", ""]
    for a, o, w in concepts:
        out.append(f"- [ ] Did you {_verb(a, rng)} {o}?" + (f" Otherwise {w}." if w else ""))
    return "\n".join(out)


def _essay(job: str, concepts, rng) -> str:
    out = ["## Principles", ""]
    for a, o, w in concepts:
        out += [f"### {o[0].upper() + o[1:]}", "", (f"The reason is simple: {w}. " if w else "") +
                f"So {_verb(a, rng)} {o}.", ""]
    out.append(f"These principles make you a dependable partner for {JOBS[job][1]}.")
    return "\n".join(out)


WRITERS = {"bullets": _bullets, "prose": _prose, "steps": _steps, "questions": _questions, "essay": _essay}


def generate(outdir, seed: int = 1, collections: int = 3) -> dict:
    """Write the role library under `outdir`; return {"role_clusters": [[path, ...]], "jobs": {path: job}}."""
    out = Path(outdir)
    rng = random.Random(f"roles:{seed}")
    chosen = COLLECTIONS[: max(2, min(collections, len(COLLECTIONS)))]
    jobs_of: dict[str, str] = {}
    clusters: list[list[str]] = []
    for job, (names, subject, concepts) in sorted(JOBS.items()):
        members = []
        takers = [c for c in chosen if rng.random() < 0.8] or chosen[:2]
        if len(takers) < 2:
            takers = chosen[:2]
        for k, (folder, suffix, style) in enumerate(takers):
            name = names[(k + rng.randrange(len(names))) % len(names)]
            part = _concepts(rng.sample(concepts, rng.randint(6, len(concepts))), rng)
            body = WRITERS[style](job, part, rng)
            description = rng.choice([f"Use for {subject}.", f"Expert help with {subject}.",
                                      f"Call this agent for work on {subject}."])
            text = f"---\nname: {name}\ndescription: {description}\n---\n\n{body}\n"
            path = f"{folder}/{name.lower()}{suffix}"
            (out / folder).mkdir(parents=True, exist_ok=True)
            (out / path).write_text(text, encoding="utf-8")
            members.append(path)
            jobs_of[path] = job
        clusters.append(sorted(members))
    truth = {"role_clusters": sorted(clusters), "jobs": dict(sorted(jobs_of.items()))}
    (out / "roles.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--collections", type=int, default=3)
    args = ap.parse_args(argv)
    truth = generate(args.outdir, args.seed, args.collections)
    print(f"{sum(len(c) for c in truth['role_clusters'])} agents in {len(truth['role_clusters'])} jobs "
          f"written to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
