"""The random choices that one domain document keeps consistent across its sentences (Ctx)."""

from __future__ import annotations

import math
import random

from .text import cap, fnum
from .vocabulary import AGE_RANGES, CITIES, CONDITIONS, CONTINUOUS_OUTCOMES, DESIGNS, DRUGS, GOOD_OUTCOMES, PLACES


class Ctx:
    """The random choices that one document keeps consistent across its sentences."""

    def __init__(self, r: random.Random):
        self.r = r
        self.cond = r.choice(CONDITIONS)
        self.drug = r.choice(self.cond["drugs"])
        others = [d for d in self.cond["drugs"] if d != self.drug]
        self.comparator = r.choice(["placebo", "placebo", "usual care"] + others)
        self.design, self.kind = r.choice(DESIGNS)
        self.marker = r.choice(self.cond["markers"])
        self.outcome = r.choice(self.cond["outcomes"])
        self.pop = r.choice(self.cond["pops"])
        self.paediatric = any(w in self.pop for w in ("children", "infants", "adolescents"))
        self.women_only = (any(w in self.pop for w in ("women", "pregnan")) and "men " not in self.pop) or self.cond[
            "name"
        ] in ("postmenopausal osteoporosis", "pre-eclampsia")
        self.year1 = r.randint(2004, 2019)
        self.year2 = self.year1 + r.randint(1, 5)
        self.n = r.choice([r.randint(24, 120), r.randint(120, 900), r.randint(900, 48000)])
        if self.kind == "meta":
            self.n = r.randint(1200, 60000)
        if self.kind == "obs" and self.comparator == "placebo":
            self.comparator = "non-use"  # observational studies have no placebo arm
        self.weeks = r.choice([8, 12, 16, 24, 26, 48, 52, 104])
        self.ci_style = r.randrange(3)
        self.p_style = r.randrange(3)
        self.minus = r.choice(["-", "−"])
        self.place = r.choice(PLACES)
        self.city = r.choice(CITIES)
        self.dose = r.choice(DRUGS[self.drug][1])
        self.favourable = r.random() < 0.72  # does the primary result favour the drug?
        self.primary_sig = False  # set when the primary result is written

    # --- words ----------------------------------------------------------------------------------------------
    def okind(self, outcome: str) -> str:
        if outcome in CONTINUOUS_OUTCOMES:
            return "cont"
        return "good" if outcome in GOOD_OUTCOMES else "bad"

    def comp_group(self) -> str:
        return {"usual care": "usual-care", "non-use": "non-user"}.get(self.comparator, self.comparator)

    def improve_verb(self, outcome: str, form: str = "s") -> str:
        kind = self.okind(outcome)
        base = {"bad": "reduce", "good": "increase", "cont": "improve"}[kind]
        return {"s": base + "s", "ed": base + "d", "inf": base}[form]

    def age(self) -> int:
        if self.paediatric or self.cond["name"] == "Kawasaki disease":
            return self.r.randint(2, 15)
        if any(w in self.pop for w in ("older", "≥65", "≥70", "≥75", "nursing")):
            return self.r.randint(68, 84)
        return self.r.randint(*AGE_RANGES.get(self.cond["name"], (34, 72)))

    def pop_with(self) -> str:
        """'older adults with gout'; populations that already say 'with ...' stand alone."""
        return self.pop if " with " in self.pop else f"{self.pop} with {self.cond['name']}"

    # --- numbers --------------------------------------------------------------------------------------------
    def ci(self, lo: str, hi: str) -> str:
        style = self.ci_style
        if style != 1 and (lo.startswith(("-", "−")) or hi.startswith(("-", "−"))):
            style = 1  # "−2.1–−0.4" is hard to read: use "to"
        return [f"95% CI {lo}–{hi}", f"95% CI, {lo} to {hi}", f"95% CI: {lo}–{hi}"][style]

    def p(self, significant: bool) -> str:
        r = self.r
        name = ["p", "P", "p"][self.p_style]
        if significant:
            if r.random() < 0.35:
                return f"{name} < 0.001"
            return f"{name} = {r.uniform(0.001, 0.049):.3f}"
        return f"{name} = {r.uniform(0.06, 0.94):.2f}"

    def signed(self, v: float, nd: int) -> str:
        s = fnum(abs(v), nd)
        return f"{self.minus}{s}" if v < 0 and s.strip("0.") else s

    def marker_value(self, m=None) -> tuple[float, str]:
        m = m or self.marker
        v = self.r.uniform(m[2], m[3])
        return v, fnum(v, m[4])

    def ratio(self, favourable: bool, good: bool) -> tuple[str, str, float, str, bool]:
        """A ratio estimate with its CI and significance. It favours the drug when below 1 for harmful
        outcomes and above 1 for good ones."""
        r = self.r
        name, ab = r.choice(
            [("hazard ratio", "HR"), ("odds ratio", "OR"), ("relative risk", "RR"), ("incidence rate ratio", "IRR")]
        )
        if good and name == "hazard ratio":
            name, ab = "relative risk", "RR"
        log_v = r.uniform(0.05, 0.9) if favourable else r.uniform(-0.2, 0.08)
        v = math.exp(-log_v if not good else log_v)
        u = r.uniform(0.07, 0.42)
        lo, hi = v * math.exp(-u), v * math.exp(u)
        sig = hi < 1 or lo > 1
        return name, ab, v, self.ci(f"{lo:.2f}", f"{hi:.2f}"), sig

    def rate_pair(self, v: float, good: bool) -> tuple[float, float]:
        y = self.r.uniform(18, 62) if good else self.r.uniform(4, 38)
        return min(y * v, y + (100 - y) * 0.8), y

    def effect(self, outcome: str, favourable: bool) -> tuple[str, bool]:
        """One sentence giving the result for an outcome, and whether it was significant."""
        r, kind = self.r, self.okind(outcome)
        drug_group, comp_group = f"the {self.drug} group", f"the {self.comp_group()} group"
        if kind == "cont":
            unit, lo, hi, nd, better = CONTINUOUS_OUTCOMES[outcome]
            ndd = max(nd, 1)
            b = r.uniform(lo, hi)
            size = (hi - lo) * r.uniform(0.08, 0.3) * (1 if favourable else r.uniform(-0.3, 0.3))
            a = b - size if better == "down" else b + size
            d = a - b
            half = abs(d) * r.uniform(0.3, 0.9) if favourable else abs(d) + (hi - lo) * r.uniform(0.03, 0.1)
            sig = half < abs(d)
            ci = self.ci(self.signed(d - half, ndd), self.signed(d + half, ndd))
            sd = (hi - lo) * r.uniform(0.1, 0.3)
            u = "" if unit == "points" else " " + unit
            text = r.choice(
                [
                    f"Mean {outcome} was {fnum(a, nd)} ± {fnum(sd, nd)}{u} in {drug_group} and {fnum(b, nd)} ± "
                    f"{fnum(sd * r.uniform(0.8, 1.2), nd)}{u} in {comp_group} (mean difference {self.signed(d, ndd)}; "
                    f"{ci}; {self.p(sig)}).",
                    f"The adjusted difference in {outcome} between groups was {self.signed(d, ndd)}{u} ({ci}).",
                    f"{cap(outcome)} {'improved more' if sig else 'did not differ significantly'} with {self.drug} "
                    f"({fnum(a, nd)} vs {fnum(b, nd)}{u}; {self.p(sig)}).",
                ]
            )
            return text, sig
        good = kind == "good"
        name, ab, v, ci, sig = self.ratio(favourable, good)
        x, y = self.rate_pair(v, good)
        verb = "was achieved by" if good else "occurred in"
        lower = v < 1
        risk = "likelihood" if good else "risk"
        text = r.choice(
            [
                f"{cap(outcome)} {verb} {x:.1f}% of {drug_group} and {y:.1f}% of {comp_group} "
                f"({ab} {v:.2f}; {ci}; {self.p(sig)}).",
                f"{cap(self.drug)} was associated with {'a lower' if lower else 'a higher'} {risk} of {outcome} "
                f"({name} {v:.2f}, {ci}).",
                f"The adjusted {name} for {outcome} was {v:.2f} ({ci}; {self.p(sig)}).",
            ]
        )
        return text, sig
