"""Counts kept per partition and added up on the driver: documents, tokens, rows, dropped tokens, bad records."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from .packing import RowPacker

MAX_SAMPLES = 5
SPLITS = ("train", "eval")


@dataclass
class PartitionStats:
    corpus: str
    partition: int
    records: int = 0
    bad: Counter = field(default_factory=Counter)
    bad_samples: list = field(default_factory=list)
    splits: dict = field(default_factory=dict)

    def record_bad(self, reason: str, sample: str) -> None:
        self.bad[reason] += 1
        if len(self.bad_samples) < MAX_SAMPLES:
            self.bad_samples.append({"reason": reason, "sample": sample})

    def close(self, packers: dict[str, RowPacker]) -> str:
        self.splits = {
            name: {"documents": p.documents, "tokens": p.tokens, "rows": p.rows, "dropped_tokens": p.dropped_tokens}
            for name, p in packers.items()
        }
        return json.dumps(
            {
                "corpus": self.corpus,
                "partition": self.partition,
                "records": self.records,
                "bad": dict(self.bad),
                "bad_samples": self.bad_samples,
                "splits": self.splits,
            }
        )


def combine(partition_stats: list[str]) -> dict:
    """Adds up the partitions' JSON counts per corpus; samples are kept in partition order."""
    totals: dict = {}
    for item in sorted((json.loads(s) for s in partition_stats), key=lambda s: (s["corpus"], s["partition"])):
        corpus = totals.setdefault(
            item["corpus"],
            {
                "records": 0,
                "bad_records": Counter(),
                "bad_samples": [],
                "splits": {s: Counter() for s in SPLITS},
            },
        )
        corpus["records"] += item["records"]
        corpus["bad_records"].update(item["bad"])
        corpus["bad_samples"] += item["bad_samples"][: MAX_SAMPLES - len(corpus["bad_samples"])]
        for split, counts in item["splits"].items():
            corpus["splits"][split].update(counts)
    for corpus in totals.values():
        corpus["bad_records"] = dict(corpus["bad_records"])
        corpus["splits"] = {s: {k: int(v) for k, v in c.items()} for s, c in corpus["splits"].items()}
    return totals
