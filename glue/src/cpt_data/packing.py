"""Packs documents into rows of exactly `length` tokens, as the reference (run_clm's group_texts) does: documents are
concatenated in order, each after a BOS token (and before an EOS token if asked), and cut into rows. Only the
remainder at the end of the stream is dropped, and counted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

TOKEN_DTYPE = np.int32


@dataclass
class RowPacker:
    length: int
    bos_id: int
    eos_id: int | None = None
    documents: int = 0
    tokens: int = 0
    rows: int = 0
    _carry: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=TOKEN_DTYPE))

    def add(self, documents: Sequence[Sequence[int]]) -> np.ndarray:
        """Adds documents (token ids without special tokens) and returns the rows they complete, shape (n, length)."""
        extra = 1 + (self.eos_id is not None)
        sizes = np.fromiter((len(d) + extra for d in documents), dtype=np.int64, count=len(documents))
        stream = np.empty(len(self._carry) + int(sizes.sum()), dtype=TOKEN_DTYPE)
        stream[: len(self._carry)] = self._carry
        position = len(self._carry)
        for ids, size in zip(documents, sizes):
            stream[position] = self.bos_id
            stream[position + 1 : position + 1 + len(ids)] = ids
            if self.eos_id is not None:
                stream[position + size - 1] = self.eos_id
            position += size
        self.documents += len(documents)
        self.tokens += int(sizes.sum())
        complete = len(stream) // self.length
        self._carry = stream[complete * self.length :].copy()
        self.rows += complete
        return stream[: complete * self.length].reshape(complete, self.length)

    @property
    def dropped_tokens(self) -> int:
        """Tokens that no row holds: the remainder, once the stream has ended."""
        return len(self._carry)
