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
    """The MinHash permutations (a, b): datasketch 2's `affine32` scheme with MINHASH_SEED, drawn the same
    way (NumPy's RandomState: odd multipliers a, offsets b, 32 bits each), so the signatures are the ones
    `datasketch.MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=zlib.crc32)` computes, without
    importing datasketch (whose package imports SciPy: most of a small scan's start-up)."""
    import numpy as np

    gen = np.random.RandomState(MINHASH_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(values):
    """The MurmurHash3 finalizer on 32-bit values (a bijection that spreads structured hashes)."""
    import numpy as np

    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def _signature(shingles: set[bytes]):
    """The MinHash signature of a set of shingles (NUM_PERM uint32 values). Shingles are hashed with CRC-32
    (C speed, the same in every process) and run through the MurmurHash3 finalizer before each affine
    permutation h -> a * h + b (mod 2**32), as datasketch's affine32 scheme does."""
    import numpy as np

    a, b = _template()
    if not shingles:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    hashed = np.fromiter((zlib.crc32(x) for x in shingles), dtype=np.uint32, count=len(shingles))
    permuted = _fmix32(hashed).reshape(-1, 1) * a + b
    return permuted.min(axis=0)


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
