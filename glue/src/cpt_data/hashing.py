"""Deterministic pseudo-random numbers: the held-out split by document, and the keys that shuffle and sample rows."""

from __future__ import annotations

import hashlib

import numpy as np

_U64 = np.uint64


def document_unit(text: str, seed: int) -> float:
    """A number in [0, 1) fixed by the document's text and the seed: equal documents always land in the same set."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8, key=seed.to_bytes(8, "big")).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _U64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
        return z ^ (z >> _U64(31))


def row_hashes(seed: int, stream: int, partition: int, first_row: int, count: int) -> np.ndarray:
    """64-bit hashes of rows first_row .. first_row+count-1 of one partition, for one independent stream."""
    with np.errstate(over="ignore"):
        base = _splitmix64(np.array([seed, stream, partition], dtype=np.uint64))
        start = _splitmix64(base[0] ^ _splitmix64(base[1] ^ base[2]))
        return _splitmix64(start ^ np.arange(first_row, first_row + count, dtype=np.uint64))


def as_signed(hashes: np.ndarray) -> np.ndarray:
    """Spark has no unsigned 64-bit type."""
    return hashes.view(np.int64)


def as_unit(hashes: np.ndarray) -> np.ndarray:
    """Uniform doubles in [0, 1) from 64-bit hashes (the top 53 bits)."""
    return (hashes >> _U64(11)).astype(np.float64) * (1.0 / 2**53)
