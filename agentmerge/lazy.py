"""Regular expressions compiled when first used.

Compiling a pattern costs far more than a search with it, and the detectors hold patterns that a run may
never reach (one for quoted samples in a merge without quotes, one for non-ASCII text in an ASCII one):
`compiled_when_used(...)` stands for `re.compile(...)` and compiles on the first search, match or
substitution. Only what such a pattern is used for is offered: its methods, `pattern` and `flags`.
"""

from __future__ import annotations

import re

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")


class LazyPattern:
    """A pattern compiled on first use; then its methods are the compiled pattern's own."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str):  # only asked for what the instance does not hold yet
        if name not in (*_METHODS, "flags", "groups", "groupindex"):
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self._flags)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        self.flags, self.groups, self.groupindex = compiled.flags, compiled.groups, compiled.groupindex
        return getattr(self, name)

    def __repr__(self) -> str:
        return f"compiled_when_used({self.pattern!r}, {self._flags!r})"


def compiled_when_used(pattern: str, flags: int = 0) -> LazyPattern:
    return LazyPattern(pattern, flags)
