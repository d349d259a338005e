"""MinHash signatures and LSH bands: candidate near-duplicate pairs without comparing all pairs."""

from __future__ import annotations

import hashlib
import itertools
import zlib
from collections import defaultdict
from functools import lru_cache

from .settings import BANDS, MAX_BUCKET, MIN_ESTIMATE, MINHASH_SEED, NUM_PERM, ROWS


@lru_cache(maxsize=1)
def _template():
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED)


def _signature(shingles: set[bytes]):
    """The MinHash signature of a set of shingles. Shingles are hashed with CRC-32 (C speed, the same in
    every process); datasketch's affine32 scheme runs each hash through the MurmurHash3 finalizer before
    permuting it, which spreads such structured hashes."""
    from datasketch import MinHash

    t = _template()
    m = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, permutations=t.permutations, scheme=t.scheme,
                hashfunc=zlib.crc32)
    m.update_batch(sorted(shingles))
    return m.hashvalues


def band_keys(signature) -> bytes:
    """LSH band keys of a MinHash signature: each band of ROWS values hashed to 8 bytes."""
    rows = signature[: BANDS * ROWS].reshape(BANDS, ROWS)
    return b"".join(hashlib.blake2b(row.tobytes(), digest_size=8).digest() for row in rows)


class BandIndex:
    """MinHash LSH buckets in a compact form: one 8-byte key per band and file in a NumPy array (not a
    Python set per bucket), and the buckets found by sorting each band. Two files are candidates when
    all ROWS values of at least one band agree and their whole signatures estimate a Jaccard of at least
    MIN_ESTIMATE. About 1.4 KB per file (band keys and the 32-bit signature)."""

    def __init__(self, capacity: int):
        import numpy as np

        self.keys = np.zeros((max(capacity, 1), BANDS), dtype=np.uint64)
        self.signatures = np.zeros((max(capacity, 1), NUM_PERM), dtype=np.uint32)
        self.owner = np.full(max(capacity, 1), -1, dtype=np.int64)
        self.size = 0

    def add(self, index: int, signature, keys: bytes) -> None:
        import numpy as np

        self.keys[self.size] = np.frombuffer(keys, dtype=np.uint64)
        self.signatures[self.size] = signature
        self.owner[self.size] = index
        self.size += 1

    def candidates(self) -> dict[int, list[int]]:
        """{file: [later files it shares a bucket with]}. A bucket larger than MAX_BUCKET (files that share
        boilerplate only, or many copies of one agent) links every member to its first member only; the
        verification and the anchor check then settle it."""
        import numpy as np

        found: set[tuple[int, int]] = set()
        owner = self.owner[: self.size]
        for b in range(BANDS):
            column = self.keys[: self.size, b]
            order = np.argsort(column, kind="stable")
            ordered = column[order]
            starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
            lengths = np.diff(np.r_[starts, len(ordered)])
            for start, length in zip(starts[lengths > 1].tolist(), lengths[lengths > 1].tolist()):
                rows = sorted(order[start : start + length].tolist(), key=lambda r: owner[r])
                if length > MAX_BUCKET:
                    found.update((rows[0], r) for r in rows[1:])
                else:
                    found.update(itertools.combinations(rows, 2))
        self.bucket_pairs = len(found)
        out: dict[int, list[int]] = defaultdict(list)
        if not found:
            return out
        pairs = np.array(sorted(found), dtype=np.int64)
        del found
        # The signatures estimate each pair's Jaccard: pairs that met in one band by chance are dropped here.
        for start in range(0, len(pairs), 8192):
            chunk = pairs[start : start + 8192]
            estimate = (self.signatures[chunk[:, 0]] == self.signatures[chunk[:, 1]]).mean(axis=1)
            for a, b in chunk[estimate >= MIN_ESTIMATE].tolist():
                out[int(owner[a])].append(int(owner[b]))
        return out
