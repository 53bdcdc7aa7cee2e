"""Document builders of abstracts: structured, unstructured and long reviews. Each builder takes (rng, target words)
and returns the text."""

from __future__ import annotations

import random
from typing import Callable

from .abstract_sentences import (
    s_aim,
    s_background,
    s_conclusion,
    s_conclusion_extra,
    s_method_design,
    s_method_intervention,
    s_method_outcome,
    s_method_stats,
    s_result_baseline,
    s_result_marker,
    s_result_primary,
    s_result_safety,
    s_result_secondary,
    s_result_subgroup,
)
from .context import Ctx
from .text import an, cap, sentence_key, words


class Sections:
    """Ordered sections made of head sentences, sentences added to reach the target length, and tail sentences.
    Within a document no two sentences open with the same two words, so a template is used at most once."""

    def __init__(self, r: random.Random):
        self.r = r
        self.order: list[str] = []
        self.head: dict[str, list[str]] = {}
        self.extra: dict[str, list[str]] = {}
        self.tail: dict[str, list[str]] = {}
        self.factories: dict[str, list[Callable[[], str]]] = {}
        self.keys: set[str] = set()

    def add(
        self, key: str, head: list[str], tail: list[str] | None = None, factories: list[Callable[[], str]] | None = None
    ) -> None:
        self.order.append(key)
        self.head[key] = head
        self.extra[key] = []
        self.tail[key] = tail or []
        self.factories[key] = factories or []
        self.keys.update(sentence_key(s) for s in head + (tail or []))

    def sentences(self, key: str) -> list[str]:
        return self.head[key] + self.extra[key] + self.tail[key]

    def total_words(self) -> int:
        return sum(words(s) for k in self.order for s in self.sentences(k))

    def fill(self, target: int) -> None:
        choices = [(k, f) for k in self.order for f in self.factories[k]]
        misses = 0
        while choices and self.total_words() < target and misses < 80:
            key, factory = self.r.choice(choices)
            s = factory()
            if sentence_key(s) in self.keys or self.total_words() + words(s) > target + 25:
                misses += 1
                continue
            self.keys.add(sentence_key(s))
            self.extra[key].append(s)


def heading_set(r: random.Random) -> dict[str, str]:
    bg = r.choice(["Background", "Objective", "Introduction", "Aims", "Context"])
    me = r.choice(["Methods", "Design and setting", "Patients and methods", "Methods and participants"])
    re = r.choice(["Results", "Findings", "Main results"])
    co = r.choice(["Conclusions", "Conclusion", "Interpretation", "Conclusions and relevance"])
    hs = {"bg": bg, "m": me, "r": re, "c": co}
    if r.random() < 0.2:
        hs = {k: v.upper() for k, v in hs.items()}
    return hs


def title_for(c: Ctx) -> str:
    r = c.r
    return r.choice(
        [
            f"{cap(c.drug)} versus {c.comparator} in {c.pop_with()}: {an(c.design)} {c.design}",
            f"{cap(c.outcome)} after {c.drug} in {c.cond['name']}",
            f"Effect of {c.drug} on {c.marker[0]} in {c.cond['name']} ({c.place}, {c.year1}–{c.year2})",
            f"{cap(c.cond['name'])} in {c.pop}: results of {an(c.design)} {c.design}",
        ]
    )


def abstract_sections(r: random.Random, c: Ctx) -> Sections:
    sec = Sections(r)
    sec.add("bg", [s_background(c)], [s_aim(c)], [lambda: s_background(c)])
    sec.add("m", [s_method_design(c), s_method_intervention(c)], [s_method_outcome(c)], [lambda: s_method_stats(c)])
    results = [s_result_baseline(c), s_result_primary(c)]
    sec.add(
        "r",
        results,
        [],
        [
            lambda: s_result_marker(c),
            lambda: s_result_safety(c),
            lambda: s_result_subgroup(c),
            lambda: s_result_secondary(c),
        ],
    )
    sec.add("c", [s_conclusion(c)], [], [lambda: s_conclusion_extra(c)])
    return sec


def doc_structured_abstract(r: random.Random, target: int) -> str:
    c = Ctx(r)
    sec = abstract_sections(r, c)
    sec.fill(target)
    hs = heading_set(r)
    sep = r.choice([" ", " ", "\n", "\n\n"])
    colon = r.choice([": ", ": ", ". ", " — "])
    body = sep.join(f"{hs[k]}{colon}{' '.join(sec.sentences(k))}" for k in sec.order)
    if r.random() < 0.35:
        body = title_for(c) + ("\n" if r.random() < 0.7 else ".\n\n") + body
    return body


def doc_unstructured_abstract(r: random.Random, target: int) -> str:
    c = Ctx(r)
    sec = abstract_sections(r, c)
    sec.fill(target)
    sents = [s for k in sec.order for s in sec.sentences(k)]
    if r.random() < 0.3 and len(sents) > 5:
        cut = r.randint(2, len(sents) - 2)
        return " ".join(sents[:cut]) + "\n" + " ".join(sents[cut:])
    return " ".join(sents)


def doc_long_review(r: random.Random, target: int) -> str:
    """Longer narrative texts: four paragraphs (context, methods, findings, implications), no headings."""
    c = Ctx(r)
    sec = abstract_sections(r, c)
    sec.fill(target)
    paras = [" ".join(sec.sentences(k)) for k in sec.order]
    if r.random() < 0.5:
        return title_for(c) + "\n\n" + "\n\n".join(paras)
    return "\n\n".join(paras)
