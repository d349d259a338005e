"""Clustering: verified pairs form components, cut into stars around anchors (no chaining)."""

from __future__ import annotations

from collections.abc import Iterable

def components(edges: dict[int, dict[int, float]]) -> list[list[int]]:
    seen: set[int] = set()
    out = []
    for start in sorted(edges):
        if start in seen:
            continue
        stack, comp = [start], []
        seen.add(start)
        while stack:
            node = stack.pop()
            comp.append(node)
            for nxt in edges[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        out.append(sorted(comp))
    return out


def _anchor(nodes: Iterable[int], edges: dict[int, dict[int, float]], among: set[int]) -> int:
    """The node with the most verified neighbours among `among`, then the highest total score, then the first."""
    def rank(n: int) -> tuple:
        near = [s for m, s in edges[n].items() if m in among]
        return (-len(near), -sum(near), n)
    return min(nodes, key=rank)


def stars(component: list[int], edges: dict[int, dict[int, float]]) -> list[tuple[int, list[int]]]:
    """Cut a component into clusters whose members all verify against the cluster's anchor (no chaining)."""
    left = set(component)
    out = []
    while len(left) > 1:
        anchor = _anchor(sorted(left), edges, left)
        members = sorted(m for m in edges[anchor] if m in left)
        if not members:
            break
        out.append((anchor, members))
        left -= {anchor, *members}
    return out


