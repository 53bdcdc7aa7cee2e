"""Small text helpers of the generator: word counts, capitals, numbers with units, lists in prose."""

from __future__ import annotations

import random


def words(text: str) -> int:
    return len(text.split())


def cap(s: str) -> str:
    """Capitalises a Latin first letter only: 'β-blocker' stays as it is."""
    return s[:1].upper() + s[1:] if s[:1].isascii() else s


def fnum(v: float, nd: int) -> str:
    return f"{v:.{nd}f}" if nd else str(int(round(v)))


def with_unit(v: str, unit: str) -> str:
    """'7.2' + '%' -> '7.2%'; '140' + 'mmHg' -> '140 mmHg'; '2.5' + '% predicted' -> '2.5% predicted'."""
    if not unit:
        return v
    if unit.startswith("%"):
        return f"{v}{unit}"
    return f"{v} {unit}"


def join_list(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def sex_word(r: random.Random, age: int) -> str:
    if age < 13:
        return r.choice(["boy", "girl"])
    if age < 18:
        return r.choice(["adolescent boy", "adolescent girl"])
    return r.choice(["man", "woman"])


def sentence_key(s: str) -> str:
    """Two sentences that open with the same two words count as the same template within one document."""
    return " ".join(s.lower().split()[:2])


def an(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
