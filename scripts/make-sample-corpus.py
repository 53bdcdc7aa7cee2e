#!/usr/bin/env python3
"""Writes the small synthetic sample corpus of the demo and the tests (data/sample).

Every document is composed from templates (the code of scripts/sample_corpus/) and vocabulary lists
(data/sample-corpus/*.json) written for this project: nothing is copied from a dataset, a website or a book, and
nothing is downloaded. The medical "facts" and numbers are invented; the text only has to look like PubMed abstracts
and clinical notes, and must never be read as medical advice.

The generator is seeded (random.Random(2026)) and uses nothing that depends on the machine, the clock or hash
randomisation, so every run writes byte-identical files.

    python3 scripts/make-sample-corpus.py [--out DIR]     # DIR defaults to data/sample in the repository
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from pathlib import Path

from sample_corpus.domain import make_domain
from sample_corpus.general import make_general
from sample_corpus.text import words

SEED = 2026
DOMAIN_DOCS = 320
DOMAIN_PARTS = 3
GENERAL_DOCS = 48
GENERAL_PARTS = 2


def split_parts(items: list, parts: int) -> list[list]:
    base, rem = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        size = base + (1 if i < rem else 0)
        out.append(items[start : start + size])
        start += size
    return out


def write_corpus(out: Path, name: str, docs: list[str], parts: int) -> list[int]:
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    sizes = []
    index = 1
    for i, chunk in enumerate(split_parts(docs, parts)):
        with open(folder / f"part-{i:05d}.jsonl", "w", encoding="utf-8", newline="\n") as f:
            for text in chunk:
                f.write(json.dumps({"id": f"{name}-{index:04d}", "text": text}, ensure_ascii=False) + "\n")
                index += 1
        sizes.append(len(chunk))
    return sizes


def write_readme(out: Path, domain_sizes: list[int], general_sizes: list[int]) -> None:
    nd, ng = sum(domain_sizes), sum(general_sizes)
    lines = [
        "# Sample corpus (synthetic)",
        'Synthetic JSON Lines documents ({"id": ..., "text": ...}, UTF-8) for the demo and the tests, written by '
        "`scripts/make-sample-corpus.py` (seeded: re-running it rewrites byte-identical files).",
        f"`domain/part-0000[0-{len(domain_sizes) - 1}].jsonl`: {nd} medical-style documents (abstracts, case reports, "
        f"clinical notes, drug-interaction notes, guideline summaries), {'/'.join(map(str, domain_sizes))} per file; "
        f"`general/part-0000[0-{len(general_sizes) - 1}].jsonl`: {ng} general-domain documents, "
        f"{'/'.join(map(str, general_sizes))} per file.",
        "Nothing is copied from a real dataset, website or book; the medical content and numbers are invented and "
        "are not medical advice.",
        "Licence: Apache-2.0, the same as the project.",
    ]
    with open(out / "README.md", "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def main() -> None:
    default_out = Path(__file__).resolve().parent.parent / "data" / "sample"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_out, help=f"output directory (default: {default_out})")
    args = parser.parse_args()

    r = random.Random(SEED)
    domain = make_domain(r, DOMAIN_DOCS)
    general = make_general(r, GENERAL_DOCS)
    args.out.mkdir(parents=True, exist_ok=True)
    dsizes = write_corpus(args.out, "domain", domain, DOMAIN_PARTS)
    gsizes = write_corpus(args.out, "general", general, GENERAL_PARTS)
    write_readme(args.out, dsizes, gsizes)

    for name, docs, sizes in (("domain", domain, dsizes), ("general", general, gsizes)):
        wc = [words(d) for d in docs]
        print(
            f"{name}: {len(docs)} documents in {len(sizes)} files ({'/'.join(map(str, sizes))}), "
            f"{sum(len(d) for d in docs):,} characters, {sum(wc):,} words "
            f"(min {min(wc)}, median {statistics.median(wc):g}, max {max(wc)} per document)"
        )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
