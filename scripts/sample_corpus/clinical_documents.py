"""Document builders of clinical texts: case reports, clinical notes and drug-interaction alerts. Each builder takes
(rng, target words) and returns the text."""

from __future__ import annotations

import random

from .abstracts import Sections
from .context import Ctx
from .text import an, cap, fnum, join_list, sex_word, with_unit, words
from .vocabulary import (
    ADVERSE,
    COMORBIDITIES,
    DIFFERENTIALS,
    DRUGS,
    EVIDENCE_LEVELS,
    IMAGING,
    IMAGING_FINDINGS,
    INTERACTION_TRAITS,
    INTERACTIONS,
    TESTS,
)


def vitals(r: random.Random, febrile: bool, style: int) -> str:
    t = r.uniform(38.1, 40.2) if febrile else r.uniform(36.2, 37.6)
    sbp = r.randint(86, 186)
    dbp = min(sbp - 25, r.randint(44, 108))
    hr, rr, sat = r.randint(54, 138), r.randint(12, 32), r.randint(84, 100)
    if style == 0:
        return (
            f"temperature {t:.1f} °C, blood pressure {sbp}/{dbp} mmHg, heart rate {hr} beats/min, "
            f"respiratory rate {rr}/min and oxygen saturation {sat}% on room air"
        )
    return f"T {t:.1f} °C, BP {sbp}/{dbp} mmHg, HR {hr}, RR {rr}, SpO₂ {sat}% (RA)"


def lab_values(r: random.Random, k: int) -> list[str]:
    return [f"{name} {fnum(r.uniform(lo, hi), nd)} {unit}" for name, unit, lo, hi, nd in r.sample(TESTS, k)]


def doc_case_report(r: random.Random, target: int) -> str:
    c = Ctx(r)
    cond = c.cond
    age = c.age() if c.paediatric or cond["name"] == "Kawasaki disease" else r.randint(19, 91)
    who = "woman" if c.women_only else sex_word(r, age)
    pool = [x for x in COMORBIDITIES if x not in cond["name"] and cond["name"] not in x]
    comorb = r.sample(pool, r.randint(0, 2))
    hist = f" with a history of {join_list(comorb)}" if comorb and age >= 18 else ""
    sym = r.sample(cond["symptoms"], min(len(cond["symptoms"]), r.randint(1, 2)))
    dur = r.choice(
        [
            f"{r.randint(2, 14)} days",
            f"{r.randint(2, 10)} weeks",
            f"{r.randint(3, 18)} hours",
            f"{r.randint(2, 11)} months",
        ]
    )
    opening = f"A {age}-year-old {who}{hist} presented with {join_list(sym)} of {dur}' duration."
    exam = f"On examination, {vitals(r, 'fever' in ' '.join(sym) or r.random() < 0.12, 0)}."
    dx = r.choice(
        [
            f"A diagnosis of {cond['name']} was made.",
            f"The working diagnosis was {cond['name']}, later confirmed by "
            f"{r.choice(['further investigations', 'specialist review', 'the clinical course'])}.",
            f"{cap(cond['name'])} was suspected.",
        ]
    )
    tx = f"{cap(c.drug)} was started at {c.dose}" + r.choice(
        [
            ".",
            f" and continued for {r.randint(3, 24)} weeks.",
            f", with {r.choice(ADVERSE)} on day {r.randint(2, 9)} that resolved without dose change.",
        ]
    )
    m = c.marker
    v0, a = c.marker_value(m)
    step = (m[3] - m[2]) * r.uniform(0.12, 0.45)
    v1 = max(v0 - step, m[2] * 0.9 if m[2] > 0 else v0 - step) if m[5] == "down" else v0 + step
    b = fnum(v1, m[4])
    follow = (
        f"At follow-up after {r.randint(2, 26)} weeks, {m[0]} had {'fallen' if v1 < v0 else 'risen'} from "
        f"{a if not m[1].startswith('%') else a + '%'} to {with_unit(b, m[1])}."
    )
    other_drug = r.choice([d for d in DRUGS if d not in cond["drugs"]])
    discussion = [
        lambda: f"This case highlights that {r.choice(cond['symptoms'])} may be the first sign of {cond['name']}.",
        lambda: f"{cap(cond['name'])} should be considered in "
        f"{r.choice(['older', 'young', 'immunocompromised', 'otherwise healthy'])} patients who present with "
        f"{r.choice(cond['symptoms'])}.",
        lambda: f"Clinicians should review concomitant medicines, such as {other_drug}, before starting {c.drug}.",
        lambda: f"Early treatment with {c.drug} may help prevent "
        f"{r.choice([o for o in cond['outcomes'] if c.okind(o) == 'bad'] or ['complications'])}.",
        lambda: f"To our knowledge, fewer than {r.randint(5, 60)} similar cases have been reported since "
        f"{r.randint(1975, 2015)}.",
        lambda: f"The differential diagnosis included {join_list(r.sample(DIFFERENTIALS, 2))}.",
        lambda: f"Written consent for publication was obtained from the {'parents' if age < 18 else 'patient'}.",
    ]
    pronoun = "She" if who in ("woman", "girl", "adolescent girl") else "He"
    # Choices made once per document, so that each filler below always opens with the same words.
    scan, findings = r.choice(IMAGING)
    exam_part = r.choice(["Physical", "Neurological", "Abdominal", "Cardiorespiratory"])
    culture = r.choice(["Blood cultures", "Urine cultures", "Viral PCR panels", "Autoantibody screens"])
    better = r.choice(["The symptoms", "The pain", "The fever" if "fever" in opening else "The discomfort"])
    sec = Sections(r)
    sec.add(
        "pres",
        [opening, exam],
        [],
        [
            lambda: "Laboratory tests showed " + join_list(lab_values(r, r.randint(2, 4))) + ".",
            lambda: f"{scan} {r.choice(findings)}.",
            lambda: f"Medications on admission included {join_list(r.sample(list(DRUGS), 2))}.",
            lambda: f"{pronoun} reported no recent travel, {r.choice(['smoking', 'alcohol use', 'sick contacts'])} or "
            f"weight change.",
            lambda: f"{exam_part} examination was otherwise unremarkable.",
        ],
    )
    sec.add(
        "course",
        [dx, tx],
        [follow],
        [
            lambda: "Repeat tests showed " + join_list(lab_values(r, r.randint(2, 3))) + ".",
            lambda: f"{better} {r.choice(['resolved', 'improved', 'settled'])} within {r.randint(24, 96)} h.",
            lambda: f"{culture} were negative.",
            lambda: f"{pronoun} was discharged on day {r.randint(3, 21)}.",
        ],
    )
    sec.add("disc", [], [discussion[0]() if r.random() < 0.5 else discussion[1]()], discussion[2:])
    sec.fill(target)
    label = r.random()
    paras = [" ".join(sec.sentences(k)) for k in sec.order if sec.sentences(k)]
    if label < 0.4:
        heads = r.choice(
            [
                ["Case presentation", "Clinical course", "Discussion"],
                ["Case", "Management and outcome", "Learning points"],
            ]
        )
        return "\n".join(f"{h}: {p}" for h, p in zip(heads, paras))
    if label < 0.7:
        return "\n\n".join(paras)
    return " ".join(paras)


def doc_clinical_note(r: random.Random, target: int) -> str:
    c = Ctx(r)
    cond = c.cond
    age = r.randint(18, 94)
    sx = r.choice(["M", "F"])
    sym = r.choice(cond["symptoms"])
    kind = r.choice(["Admission note", "Progress note", "Clinic letter", "Discharge summary", "ED note"])
    header = r.choice([f"{kind} — {age}{sx}", kind.upper(), f"{kind}, day {r.randint(1, 9)}"])
    pool = [x for x in COMORBIDITIES if x not in cond["name"] and cond["name"] not in x]
    pmh = f", {join_list(r.sample(pool, 2))}" if r.random() < 0.7 else ""
    meds = r.sample(list(DRUGS), r.randint(1, 3))
    m = c.marker
    lines = [
        header,
        f"CC: {sym}." if r.random() < 0.5 else f"Chief complaint: {sym} for {r.randint(1, 21)} days.",
        f"HPI: {age}-year-old {'man' if sx == 'M' else 'woman'} with {cond['name']}{pmh}; "
        f"{r.choice(['worsening', 'new', 'intermittent', 'progressive'])} {sym}.",
        f"Meds: {', '.join(f'{d} {DRUGS[d][1][0]}' for d in meds)}. "
        f"Allergies: {r.choice(['NKDA', 'penicillin (rash)', 'sulfonamides', 'none known'])}.",
        f"Exam: {vitals(r, r.random() < 0.35, 1)}.",
        "Labs: " + ", ".join(lab_values(r, r.randint(2, 5))) + ".",
        f"Assessment: {r.choice(['likely', 'probable', 'known', 'decompensated', 'stable'])} {cond['name']}; "
        f"{m[0]} {with_unit(c.marker_value()[1], m[1])}.",
    ]
    hpi_extra = [
        f"Denies {r.choice(['chest pain', 'fever', 'syncope', 'haemoptysis', 'melaena', 'headache'])}.",
        f"Adherence to {c.drug} {r.choice(['good', 'poor', 'variable', 'uncertain'])}.",
        f"Similar episode in {r.randint(2009, 2024)}, managed as an outpatient.",
        f"Lives {r.choice(['alone', 'with partner', 'with family', 'in a care home'])}; "
        f"{r.choice(['independent', 'walks with a stick', 'needs help with washing'])}.",
    ]
    exam_extra = r.sample(
        [
            "Chest clear.",
            "Bibasal crackles.",
            "JVP not raised.",
            "Abdomen soft, non-tender.",
            "Mild pitting oedema to mid-shin.",
            "GCS 15/15.",
            "Heart sounds normal, no murmur.",
        ],
        3,
    )
    assess_extra = [
        f"Differential includes {join_list(r.sample(DIFFERENTIALS, 2))}.",
        f"Imaging: {r.choice(IMAGING_FINDINGS)}.",
        f"Weight {r.uniform(48, 118):.1f} kg (was {r.uniform(48, 118):.1f} kg in {r.randint(2019, 2024)}).",
    ]
    plan_items = [
        f"start {c.drug} {c.dose}",
        f"repeat {r.choice(TESTS)[0]} in {r.randint(1, 7)} days",
        f"review in clinic in {r.randint(2, 12)} weeks",
        f"{r.choice(['stop', 'hold', 'reduce'])} {r.choice(meds)}",
        f"target {m[0]} {r.choice(['<', '≤'] if m[5] == 'down' else ['≥', '>'])} "
        f"{with_unit(c.marker_value()[1], m[1])}",
        "safety-net advice given",
        "discussed with consultant",
        "VTE prophylaxis as per protocol",
        f"{r.choice(['physiotherapy', 'dietitian', 'pharmacist', 'specialist nurse'])} referral",
    ]
    r.shuffle(plan_items)
    n_plan = 2
    extras = [(2, s) for s in hpi_extra] + [(4, s) for s in exam_extra] + [(6, s) for s in assess_extra]
    r.shuffle(extras)

    def render() -> str:
        plan = plan_items[:n_plan]
        if len(plan) > 3 and r.random() < 0.5:
            return "\n".join(lines) + "\nPlan:\n" + "\n".join(f"- {p}" for p in plan)
        return "\n".join(lines) + f"\nPlan: {'; '.join(plan)}."

    while words(render()) < target and (extras or n_plan < len(plan_items)):
        if extras and (r.random() < 0.6 or n_plan >= len(plan_items)):
            i, s = extras.pop()
            lines[i] += " " + s
        else:
            n_plan += 1
    return render()


def doc_interaction(r: random.Random, target: int) -> str:
    a, b, mech, effect, manage = r.choice(INTERACTIONS)
    if r.random() < 0.5:
        a, b = b, a
    pct = r.randint(25, 240)
    sev = "contraindicated" if "contraindicated" in manage else r.choice(["major", "moderate", "major", "minor"])
    style = r.randrange(3)
    extras = [
        f"In a crossover study of {r.randint(10, 36)} healthy volunteers, the AUC of the affected drug changed by "
        f"{pct}% (90% CI {pct - r.randint(8, 20)}–{pct + r.randint(8, 30)}%).",
        f"Peak plasma concentration (Cmax) changed from {r.uniform(0.2, 4):.2f} µg/mL to "
        f"{r.uniform(4.1, 9.5):.2f} µg/mL when the drugs were given together.",
        f"The effect begins within {r.randint(2, 7)} days and may persist for up to {r.randint(2, 4)} weeks after "
        f"stopping the interacting drug.",
        f"Older patients and those with eGFR < {r.choice([30, 45, 60])} mL/min/1.73 m² are at greatest risk.",
        f"In total, {r.randint(3, 41)} cases were reported to pharmacovigilance databases between "
        f"{r.randint(1998, 2010)} and {r.randint(2011, 2024)}.",
        f"Patients should be told to report "
        f"{r.choice(['unusual bruising', 'muscle pain', 'palpitations', 'dizziness', 'confusion'])} promptly.",
        "Pharmacists should flag the combination at the point of dispensing.",
        f"Evidence level: {r.choice(EVIDENCE_LEVELS)}.",
        f"A retrospective review of {r.randint(200, 9000)} patients found that {r.uniform(1, 12):.1f}% of those "
        f"exposed to both drugs needed a dose change.",
        f"The interaction is {r.choice(INTERACTION_TRAITS)}.",
    ]
    r.shuffle(extras)
    if style == 0:
        out = [
            f"Interaction: {a} + {b}",
            f"Severity: {sev}",
            f"Mechanism: {cap(mech)}.",
            f"Effect: {cap(effect)}.",
            f"Management: {cap(manage)}.",
        ]
        while words("\n".join(out)) < target and extras:
            out.append(extras.pop())
        return "\n".join(out)
    text = [
        f"Co-administration of {a} and {b} is {an(sev)} {sev} interaction."
        if sev != "contraindicated"
        else f"Co-administration of {a} and {b} is contraindicated.",
        f"The mechanism is {mech}, which leads to {effect}.",
        f"{cap(manage)}.",
    ]
    while words(" ".join(text)) < target and extras:
        text.insert(-1, extras.pop())
    if style == 1:
        return " ".join(text)
    return f"Drug interaction alert ({a} / {b})\n" + " ".join(text)
