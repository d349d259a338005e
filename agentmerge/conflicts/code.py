"""Code conflicts: a code example that takes a stance a rule opposes — a `db.query(Model)` example against
a rule requiring `select()`, `print(...)` progress output against "always use logger instead of print()",
`ix_` index names against a naming rule for `idx_`. Two examples written two ways (a script that prints,
a service that logs) state no guidance against each other: every conflict has a rule on one side. The
code patterns are the `code:` entries of the knowledge base's stances."""

from __future__ import annotations

from .policy import CODE, build, hits_by_topic, sides_of


def detect(ctx) -> list:
    found = []
    topics = {t.id: t for t in ctx.topics}
    for topic_id, hits in hits_by_topic(ctx).items():
        code_hits = [h for h in hits if h[3] == CODE]
        if not code_hits:
            continue
        code_keys = set(sides_of(ctx, code_hits))
        rule_keys = set(sides_of(ctx, [h for h in hits if h[3] != CODE]))
        sides = sides_of(ctx, hits)

        def against_a_rule(involved, code_keys=code_keys, rule_keys=rule_keys):
            # code on one side and a rule on another: two examples written two ways ("print(...)" in a
            # script, a logger in a service) state no guidance against each other
            return any(k in code_keys for k in involved) and any(k in rule_keys for k in involved)

        conflict = build(ctx, topics[topic_id], sides, "code", require=against_a_rule)
        if conflict is not None:
            found.append(conflict)
    return sorted(found, key=lambda c: (min(u for s in c.sides for u in s.uids), c.topic))
