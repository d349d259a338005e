"""Order conflicts: one statement puts A before B, another B before A ("write the design doc before any
code" / "document the design once the code has settled"), in whatever words the statement model reads as
an order ("before", "after", "once", "only after", "first … then").

Each side of an order pair is a phrase of terms; two pairs are reversed when the first of one shares a
term with the second of the other and the other way round, and the shared terms differ on each side.
"""

from __future__ import annotations

from .align import conflict, document_frequency, pairs, sort, statements, takes_no_stance


def _sides(pair: tuple[str, str]) -> tuple[frozenset[str], frozenset[str]]:
    first, then = (frozenset(t for t in p.split() if not t.startswith("~") and len(t) > 1) for p in pair)
    return first - then, then - first


def detect(ctx) -> list:
    said = [s for s in statements(ctx) if s.st.order and not takes_no_stance(s) and not s.st.negated]
    if len(said) < 2:
        return []
    df = document_frequency(said)
    found = []

    def keys(s):
        return {t for pair in s.st.order for side in _sides(pair) for t in side}

    for a, b in pairs(said, keys):
        for pa in a.st.order:
            fa, ta = _sides(pa)
            hit = None
            for pb in b.st.order:
                fb, tb = _sides(pb)
                moved_back, moved_forward = fa & tb, ta & fb
                if moved_back and moved_forward and not (moved_back & moved_forward) and not (fa & fb) \
                        and not (ta & tb):
                    hit = (pa, pb, moved_back, moved_forward)
                    break
            if hit is None:
                continue
            pa, pb, back, forward = hit
            x = " ".join(sorted(back, key=lambda t: (df.get(t, 0), t)))
            y = " ".join(sorted(forward, key=lambda t: (df.get(t, 0), t)))
            why = f"one puts {x} before {y}, the other {y} before {x}"
            found.append(conflict(ctx, "order", f"{x} / {y}", a, b, (f"{x} first", f"{y} first"), why,
                                  "Keep one order of the steps and state it once."))
            break
    return sort(found)
