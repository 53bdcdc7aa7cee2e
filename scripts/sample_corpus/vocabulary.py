"""The sample corpus's vocabulary, kept as data: data/sample-corpus/medical.json and general.json. Invented for this
generator (plausible in form, not a reference); the general one has fictional towns, clubs and people, and broad,
well-known history. JSON has lists where a record has fields: the code picks them at random and unpacks them."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "sample-corpus"


def _load(name: str) -> dict:
    with open(DATA / name, encoding="utf-8") as handle:
        return json.load(handle)


_MEDICAL = _load("medical.json")
_GENERAL = _load("general.json")

# --- Medical ---

# name: (drug class, dose phrases, route)
DRUGS: dict[str, list] = _MEDICAL["drugs"]
# Each condition: name, abbreviation (or ""), drugs, markers (name, unit, low, high, decimals, better), outcomes,
# symptoms, populations. "better" is the direction in which the marker improves ("down" or "up").
CONDITIONS: list[dict] = _MEDICAL["conditions"]
# (drug A, drug B, mechanism, effect, management)
INTERACTIONS: list[list] = _MEDICAL["interactions"]
# Outcomes that are good when they happen (a higher rate favours the treatment) ...
GOOD_OUTCOMES = frozenset(_MEDICAL["good_outcomes"])
# ... and outcomes measured on a scale: unit, low, high, decimals, direction in which it improves.
CONTINUOUS_OUTCOMES: dict[str, list] = _MEDICAL["continuous_outcomes"]
COMORBIDITIES: list[str] = _MEDICAL["comorbidities"]
DESIGNS: list[str] = _MEDICAL["designs"]
PLACES: list[str] = _MEDICAL["places"]
CITIES: list[str] = _MEDICAL["cities"]
STAT_METHODS: list[str] = _MEDICAL["stat_methods"]
ADVERSE: list[str] = _MEDICAL["adverse"]
TESTS: list[str] = _MEDICAL["tests"]
# (investigation, possible findings)
IMAGING: list[list] = _MEDICAL["imaging"]
IMAGING_FINDINGS = [f for _, fs in IMAGING for f in fs]
# Typical adult ages (low, high) by condition; others use 34-72.
AGE_RANGES: dict[str, list[int]] = _MEDICAL["age_ranges"]
ACUTE = frozenset(_MEDICAL["acute"])
DIFFERENTIALS: list[str] = _MEDICAL["differentials"]
# Option lists used inside sentence templates.
MECHANISMS: list[str] = _MEDICAL["mechanisms"]
EXPOSURES: list[str] = _MEDICAL["exposures"]
EXCLUSIONS: list[str] = _MEDICAL["exclusions"]
EVIDENCE_LEVELS: list[str] = _MEDICAL["evidence_levels"]
INTERACTION_TRAITS: list[str] = _MEDICAL["interaction_traits"]
GUIDELINE_BODIES: list[str] = _MEDICAL["guideline_bodies"]
STRENGTH: list[str] = _MEDICAL["strength"]

# --- General ---

TOWNS: list[str] = _GENERAL["towns"]
RIVERS: list[str] = _GENERAL["rivers"]
REGIONS: list[str] = _GENERAL["regions"]
CLUBS: list[str] = _GENERAL["clubs"]
FIRST: list[str] = _GENERAL["first"]
LAST: list[str] = _GENERAL["last"]
DAYS: list[str] = _GENERAL["days"]
DECADES: list[str] = _GENERAL["decades"]
BAKING_EXTRAS: list[str] = _GENERAL["baking_extras"]
NEW_USES: list[str] = _GENERAL["new_uses"]
TECH: list[str] = _GENERAL["tech"]
TECH_EXTRA: list[str] = _GENERAL["tech_extra"]
DISHES: list[list] = _GENERAL["dishes"]
