"""One story per meeting report: exact hashes, MinHash near-duplicates, and an event guard.

Reposts of one report share most 5-word shingles; so do reports of *different* meetings written
from one template (same town, next quarter). Text similarity alone cannot tell them apart, so two
near-identical texts are one story only if their meeting facts agree (meeting date or period,
locality, level). The signatures come from datasketch's MinHash; candidate search is banded LSH
whose band keys are stored in SQLite (`minhash_bands`), so a new article is matched against the
whole archive incrementally, without rebuilding an index in memory. A full rebuild asks the same
question of every article at once: `BandIndex` sorts all band keys in memory.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np
from datasketch import MinHash

from .normalize import fold

__all__ = ["NUM_PERM", "BANDS", "ROWS", "signature", "signatures_and_bands",
           "band_keys", "similarity", "BandIndex", "EventFacts", "same_story", "NEAR",
           "NEAR_SAME_DAY", "NEAR_NO_FACTS", "MIN_NEAR"]

NUM_PERM = 64
BANDS, ROWS = 16, 4          # LSH threshold about (1/16)^(1/4) = 0.5: generous candidates
SHINGLE = 5
NEAR = 0.75                  # estimated Jaccard for "near-identical" when the period agrees
NEAR_SAME_DAY = 0.5          # … when both state the same meeting date (shortened reposts)
NEAR_NO_FACTS = 0.88         # … and when there are no facts to check (ordinary news)
MIN_NEAR = NEAR_SAME_DAY     # below this no pair is ever one story
MAX_DAYS_APART = 10          # reposts of one report appear within days of each other
_WORD = re.compile(r"\w+")
_SEED_MINHASH = MinHash(num_perm=NUM_PERM, seed=7)
_PERMUTATIONS = _SEED_MINHASH.permutations
_SCHEME = _SEED_MINHASH.scheme


_MIX = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1][:SHINGLE],
                dtype=np.uint64)


def shingle_hashes(text: str, folded: bool = False) -> np.ndarray:
    """32-bit hashes of the text's 5-word shingles (folded words, so tone style and đ/d agree).

    Words are hashed once (crc32, C speed) and shingles are combined with numpy: this is the
    hot path of a million-article build.
    """
    words = _WORD.findall(text if folded else fold(text))
    if not words:
        return np.zeros(0, dtype=np.uint64)
    wh = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    if len(wh) < SHINGLE:
        return np.array([int((wh * _MIX[: len(wh)]).sum() & 0xFFFFFFFF)], dtype=np.uint64)
    n = len(wh) - SHINGLE + 1
    acc = np.zeros(n, dtype=np.uint64)
    for k in range(SHINGLE):
        acc = (acc + wh[k:k + n] * _MIX[k]) & 0xFFFFFFFFFFFF
    acc ^= acc >> np.uint64(17)
    return np.unique(acc & np.uint64(0xFFFFFFFF))


def _identity(x):
    return x


def signature(text: str, folded: bool = False) -> np.ndarray:
    """MinHash signature (uint32 × NUM_PERM) of the folded, normalised text (`folded`: the
    caller already folded it, e.g. the Store, which folds the body once for hash and
    signature)."""
    m = MinHash(num_perm=NUM_PERM, hashfunc=_identity, permutations=_PERMUTATIONS,
                scheme=_SCHEME)
    hashes = shingle_hashes(text, folded)
    if len(hashes):
        m.update_batch(hashes.tolist())
    return m.hashvalues.astype(np.uint32)


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 63-bit key per band (band index mixed in), for an indexed SQLite column."""
    keys = []
    for b in range(BANDS):
        chunk = sig[b * ROWS:(b + 1) * ROWS].tobytes()
        h = hashlib.blake2b(bytes([b]) + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(h, "little", signed=True) >> 1)
    return keys


def signatures_and_bands(texts: list[str]) -> tuple[bytes, bytes]:
    """Signatures (uint32 × NUM_PERM) and band keys (int64 × BANDS) of many texts, as two
    packed arrays: a worker's whole answer for a full rebuild in two cheap pickles."""
    sigs = np.empty((len(texts), NUM_PERM), dtype=np.uint32)
    keys = np.empty((len(texts), BANDS), dtype=np.int64)
    for k, text in enumerate(texts):
        sigs[k] = signature(text)
        keys[k] = band_keys(sigs[k])
    return sigs.tobytes(), keys.tobytes()


class BandIndex:
    """Every article's LSH band keys, sorted once in memory, for a full rebuild.

    Articles are numbered by position (publication order). `earlier(p)` answers what the
    incremental path asks SQLite (`minhash_bands`) for one new article — which articles share a
    band with it — restricted to those before it, with one sort of the whole archive instead of
    one indexed query per article.
    """

    def __init__(self, keys: np.ndarray):
        n, bands = keys.shape
        flat = keys.ravel()
        position = np.repeat(np.arange(n, dtype=np.int64), bands)
        order = np.lexsort((position, flat))  # by key, then by position
        self._pos = position[order]
        sorted_keys = flat[order]
        first = np.empty(len(order), dtype=bool)
        first[:1] = True
        first[1:] = sorted_keys[1:] != sorted_keys[:-1]
        del sorted_keys
        starts = np.where(first, np.arange(len(order), dtype=np.int64), 0)
        self._group_start = np.maximum.accumulate(starts)
        self._slot = np.empty(len(order), dtype=np.int64)  # (position, band) → sorted index
        self._slot[order] = np.arange(len(order), dtype=np.int64)
        self._slot = self._slot.reshape(n, bands)
        del order
        # an article collides when one of its band entries is not first of its key's group
        self.collides = np.zeros(n, dtype=bool)
        self.collides[self._pos[~first]] = True

    def earlier(self, p: int, limit: int) -> np.ndarray:
        """Positions before p sharing at least one band with p: the `limit` latest of them."""
        if not self.collides[p]:
            return np.zeros(0, dtype=np.int64)
        slots = self._slot[p]
        starts = self._group_start[slots]
        parts = [self._pos[g:s] for g, s in zip(starts.tolist(), slots.tolist()) if s > g]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        found = np.unique(np.concatenate(parts))
        return found[-limit:]


def similarity(a: np.ndarray | bytes, b: np.ndarray | bytes) -> float:
    """Estimated Jaccard similarity of two signatures."""
    if isinstance(a, (bytes, bytearray, memoryview)):
        a = np.frombuffer(a, dtype=np.uint32)
    if isinstance(b, (bytes, bytearray, memoryview)):
        b = np.frombuffer(b, dtype=np.uint32)
    return float(np.count_nonzero(a == b)) / NUM_PERM


@dataclass(frozen=True)
class EventFacts:
    relevant: bool = False
    meeting_date: str | None = None
    period_year: int | None = None
    period_quarter: int | None = None
    period_half: int | None = None
    period_month: int | None = None
    locality: str | None = None
    level: str | None = None
    published: str | None = None


def _days_apart(a: str | None, b: str | None) -> int | None:
    if not a or not b:
        return None
    try:
        return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)
    except ValueError:
        return None


def _period(f: EventFacts) -> tuple | None:
    if f.period_year is None:
        return None
    return (f.period_year, f.period_quarter, f.period_half, f.period_month)


def same_story(sim: float, a: EventFacts, b: EventFacts) -> tuple[bool, str]:
    """Decide whether two near-identical texts report the same event, and say why."""
    apart = _days_apart(a.published, b.published)
    if a.relevant and b.relevant:
        if a.meeting_date and b.meeting_date and a.meeting_date != b.meeting_date:
            return False, "different meeting dates"
        pa, pb = _period(a), _period(b)
        if pa and pb and pa != pb:
            return False, "different periods"
        if a.level and b.level and a.level != b.level:
            return False, "different levels"
        if a.locality and b.locality and fold(a.locality) != fold(b.locality):
            return False, "different localities"
        same_day = bool(a.meeting_date and a.meeting_date == b.meeting_date)
        if same_day and sim >= NEAR_SAME_DAY:
            return True, "similar text, same meeting date, no conflicting facts"
        agree = bool(same_day or (pa and pa == pb))
        if agree and sim >= NEAR:
            return True, "near-identical and the meeting facts agree"
        if sim >= NEAR_NO_FACTS and (apart is None or apart <= MAX_DAYS_APART):
            return True, "near-identical, published close together"
        return False, "not similar enough"
    if sim >= NEAR_NO_FACTS and (apart is None or apart <= MAX_DAYS_APART):
        return True, "near-identical, published close together"
    return False, "not similar enough"
