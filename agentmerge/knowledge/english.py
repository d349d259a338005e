"""Write ``english.txt``: how common each word is in general English, as the matcher's prior.

    python -m agentmerge.knowledge.english           # rewrite the file (needs `pip install wordfreq`)
    python -m agentmerge.knowledge.english --check   # exit 1 if it differs from what wordfreq gives

The matcher weighs a term by how rare it is in the run (inverse document frequency) and in English: "use",
"data" and "implement" are common everywhere and decide nothing; "idempotency", "sharding" and
"joinedload" are rare and decide. The frequencies come from wordfreq (Zipf scale: 7 is "the", 3 is about
once per million words). A run never imports wordfreq (its import and data cost more than a merge): this
script reduces its English list to the lemmas the matcher uses, in quarter-Zipf buckets, one line per
bucket, words at or above ZIPF_FLOOR only (a word below it, or unknown, counts as rare).
"""

from __future__ import annotations

import sys
from pathlib import Path

PATH = Path(__file__).with_name("english.txt")
ZIPF_FLOOR = 3.0
WORDS = 80_000  # wordfreq's most frequent English words looked at


def build() -> str:
    from wordfreq import top_n_list, zipf_frequency

    from ..statements.terms import lemma

    best: dict[str, float] = {}
    for word in top_n_list("en", WORDS):
        if not word.isascii() or not word.isalpha():
            continue
        zipf = zipf_frequency(word, "en")
        if zipf < ZIPF_FLOOR:
            break
        key = lemma(word)
        best[key] = max(best.get(key, 0.0), zipf)
    buckets: dict[float, list[str]] = {}
    for key, zipf in best.items():
        buckets.setdefault(int(zipf * 4) / 4, []).append(key)
    lines = ["# Zipf frequency (quarter buckets) of English lemmas, from wordfreq: python -m agentmerge.knowledge.english"]
    for bucket in sorted(buckets, reverse=True):
        lines.append(f"{bucket:.2f} " + " ".join(sorted(buckets[bucket])))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from ..statements.prepare import write_or_check

    return write_or_check(PATH, build, __doc__.split("\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
