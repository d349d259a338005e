"""Code conflicts: a code example that takes a stance another unit opposes — a `db.query(Model)`
example against a rule requiring `select()`, `print(...)` progress output against "always use logger
instead of print()", `ix_` index names in one agent and `idx_` in another. The code patterns are the
`code:` entries of the knowledge base's stances."""

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
        sides = sides_of(ctx, hits)

        def involves_code(involved, code_keys=code_keys):
            return any(k in code_keys for k in involved)

        conflict = build(ctx, topics[topic_id], sides, "code", require=involves_code)
        if conflict is not None:
            found.append(conflict)
    return sorted(found, key=lambda c: (min(u for s in c.sides for u in s.uids), c.topic))
