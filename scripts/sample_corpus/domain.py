"""The medical-style documents of the corpus: a length class per document, then a builder by weight."""

from __future__ import annotations

import random

from .abstracts import doc_long_review, doc_structured_abstract, doc_unstructured_abstract
from .clinical_documents import doc_case_report, doc_clinical_note, doc_interaction
from .reference_documents import doc_brief, doc_guideline, doc_monograph
from .text import words


DOC_TYPES = [  # (builder, weight)
    (doc_structured_abstract, 36),
    (doc_unstructured_abstract, 14),
    (doc_case_report, 14),
    (doc_clinical_note, 10),
    (doc_interaction, 8),
    (doc_guideline, 8),
    (doc_monograph, 8),
]


def domain_target(r: random.Random) -> tuple[str, int]:
    """A length class and a target word count: a few very short, most 80–200, some long."""
    x = r.random()
    if x < 0.07:
        return "brief", r.randint(28, 55)
    if x < 0.80:
        return "typical", r.randint(80, 190)
    if x < 0.93:
        return "long", r.randint(195, 290)
    return "review", r.randint(300, 375)


def make_domain(r: random.Random, count: int) -> list[str]:
    docs: list[str] = []
    seen: set[str] = set()
    builders = [b for b, w in DOC_TYPES for _ in range(w)]
    while len(docs) < count:
        cls, target = domain_target(r)
        if cls == "brief":
            text = doc_brief(r, target)
        elif cls == "review":
            text = doc_long_review(r, target)
        else:
            text = r.choice(builders)(r, target)
        if text in seen or not 25 <= words(text) <= 400:
            continue
        seen.add(text)
        docs.append(text)
    return docs
