"""Document builders of reference texts: guideline summaries, drug monographs and brief notes. Each builder takes
(rng, target words) and returns the text."""

from __future__ import annotations

import random

from .abstract_sentences import s_conclusion_extra, s_result_baseline, s_result_marker, s_result_primary
from .clinical_documents import vitals
from .context import Ctx
from .text import an, cap, join_list, with_unit, words
from .vocabulary import ACUTE, ADVERSE, COMORBIDITIES, DRUGS, GUIDELINE_BODIES, STRENGTH, TESTS


def doc_guideline(r: random.Random, target: int) -> str:
    c = Ctx(r)
    cond = c.cond
    year = r.randint(2012, 2025)
    m = c.marker
    alt = [d for d in cond["drugs"] if d != c.drug]
    recs = [
        lambda: f"Offer {c.drug} ({c.dose}) to {c.pop_with()} unless contraindicated",
        lambda: f"Measure {m[0]} at diagnosis and every {r.choice([3, 6, 12])} months",
        lambda: f"Aim for {m[0]} {'below' if m[5] == 'down' else 'above'} "
        f"{with_unit(c.marker_value()[1], m[1])} in most patients",
        lambda: f"Consider {r.choice(alt) if alt else 'specialist referral'} if the target is not reached after "
        f"{r.randint(4, 16)} weeks",
        lambda: f"Do not routinely use {r.choice([d for d in DRUGS if d not in cond['drugs']])} for {cond['name']}",
        lambda: f"Screen for {r.choice(COMORBIDITIES)} at diagnosis and annually",
        lambda: f"Reduce the dose of {c.drug} in patients with eGFR < {r.choice([30, 45])} mL/min/1.73 m²",
        lambda: f"Discuss the risk of {r.choice(cond['outcomes'])} with patients before starting treatment",
        lambda: f"Refer urgently patients who present with {r.choice(cond['symptoms'])} and "
        f"{r.choice(['weight loss', 'syncope', 'a temperature ≥38.5 °C', 'haemodynamic instability'])}",
        lambda: "Reassess adherence and side effects at every visit",
        lambda: f"Offer structured education within {r.choice([3, 6, 12])} months of diagnosis",
    ]
    intro = r.choice(
        [
            f"Summary of the {year} recommendations from {r.choice(GUIDELINE_BODIES)} on {cond['name']}.",
            f"Guideline update ({year}): management of {cond['name']} in {c.pop}.",
            f"Key points — {cond['name']} ({year} update)",
        ]
    )
    out = [intro]
    numbered = r.random() < 0.7
    order = list(range(len(recs)))
    r.shuffle(order)
    i = 0
    while (words("\n".join(out)) < target or i < 2) and i < len(order):
        rec = recs[order[i]]()
        if r.random() < 0.6:
            rec += f" ({r.choice(STRENGTH)})"
        out.append(f"{i + 1}. {rec}." if numbered else f"- {rec}.")
        i += 1
    if words("\n".join(out)) < target:
        out.append(
            f"The panel noted that evidence in {r.choice(cond['pops'])} remains sparse, and that "
            f"{r.choice(['costs', 'patient preferences', 'access to monitoring'])} should inform shared "
            f"decisions."
        )
    return "\n".join(out)


def doc_monograph(r: random.Random, target: int) -> str:
    c = Ctx(r)
    cls, doses, route = DRUGS[c.drug]
    sents = [
        f"{cap(c.drug)} is {an(cls)} {cls} given by the {route} route for {c.cond['name']}.",
        f"The usual dose is {r.choice(doses)}.",
    ]
    pool = [
        f"Bioavailability is approximately {r.randint(20, 99)}%, and peak concentrations of "
        f"{r.uniform(0.3, 48):.1f} µg/mL are reached after {r.uniform(0.5, 6):.1f} h.",
        f"The elimination half-life is {r.uniform(1.5, 72):.1f} h; about {r.randint(5, 95)}% is excreted "
        f"unchanged in urine.",
        f"Protein binding is {r.randint(10, 99)}%.",
        f"Store below {r.choice([25, 30])} °C{r.choice(['', ' and protect from light', '; do not freeze'])}.",
        f"Common adverse effects include {join_list(r.sample(ADVERSE, 3))}.",
        f"Use with caution in patients aged ≥{r.choice([65, 75, 80])} years and in hepatic impairment.",
        f"Dose adjustment is required when creatinine clearance is below {r.choice([30, 50, 60])} mL/min.",
        f"In pregnancy, {c.drug} should be used only if the benefit outweighs the risk.",
        f"Therapeutic drug monitoring is "
        f"{r.choice(['not usually required', 'recommended in children', 'advised after dose changes'])}.",
        f"It was first approved for {c.cond['name']} in {r.randint(1978, 2021)}.",
        f"Volume of distribution is {r.uniform(0.1, 8):.1f} L/kg.",
        f"In children the dose is {r.choice(['10 mg/kg', '5 mg/kg', '0.5 mg/kg', '15 mg/kg'])}, up to the adult "
        f"maximum.",
        f"Overdose causes {r.choice(ADVERSE)} and {r.choice(['arrhythmia', 'seizures', 'renal failure', 'coma'])}; "
        f"treatment is supportive.",
    ]
    r.shuffle(pool)
    while words(" ".join(sents)) < target and pool:
        sents.append(pool.pop())
    if r.random() < 0.4 and len(sents) > 3:
        return sents[0] + " " + sents[1] + "\n" + " ".join(sents[2:])
    return " ".join(sents)


def doc_brief(r: random.Random, target: int) -> str:
    """Very short notes: a finding, a reminder, a one-line result."""
    c = Ctx(r)
    age = r.randint(22, 88)
    options = [
        lambda: f"{cap(c.drug)} {c.dose} in {c.pop_with()}. {s_result_primary(c)}",
        lambda: f"Reminder for {c.pop}: {c.drug} ({DRUGS[c.drug][0]}) requires monitoring of {r.choice(TESTS)[0]} "
        f"every {r.randint(2, 12)} weeks during the first year of treatment. Hold the next dose in case of "
        f"{r.choice(ADVERSE)}, and contact the prescriber or the on-call pharmacist.",
        lambda: (
            f"Follow-up, {age}{r.choice(['M', 'F'])}: {c.cond['name']} stable on {c.drug}. "
            f"{cap(c.marker[0])} {with_unit(c.marker_value()[1], c.marker[1])}. {vitals(r, False, 1)}. "
            f"Continue; review in {r.randint(3, 12)} months."
        )
        if c.cond["name"] not in ACUTE
        else (
            f"Handover, bed {r.randint(1, 32)}: {c.cond['name']}, on {c.drug} {c.dose}. "
            f"{cap(c.marker[0])} {with_unit(c.marker_value()[1], c.marker[1])}. {vitals(r, False, 1)}. "
            f"Reassess at {r.randint(6, 22):02d}:00."
        ),
        lambda: f"{cap(c.cond['name'])} and {c.drug}: {s_result_baseline(c)} {s_result_primary(c)}",
        lambda: f"Letter. We read with interest the recent report on {c.drug} in {c.cond['name']}. "
        f"{s_result_marker(c)} We suggest caution before extrapolating to {r.choice(c.cond['pops'])}.",
    ]
    pick = r.randrange(len(options))
    text = options[pick]()
    if pick in (0, 3) and words(text) < target and r.random() < 0.6:
        text += " " + s_conclusion_extra(c)
    return text
