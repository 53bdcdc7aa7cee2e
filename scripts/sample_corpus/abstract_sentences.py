"""Sentence factories of the abstracts (each call gives a fresh sentence): background, aim, methods, results and
conclusions."""

from __future__ import annotations

from .context import Ctx
from .text import an, cap, fnum, join_list, with_unit
from .vocabulary import ADVERSE, COMORBIDITIES, DRUGS, EXCLUSIONS, EXPOSURES, MECHANISMS, STAT_METHODS


def s_background(c: Ctx) -> str:
    r, cond = c.r, c.cond
    name = cond["name"]
    return r.choice(
        [
            f"{cap(name)} affects an estimated {r.randint(2, 38)}% of {c.pop} and remains a major cause of "
            f"{r.choice(['morbidity', 'hospital admission', 'disability', 'health-care expenditure'])}.",
            f"The burden of {name} has grown steadily since {r.randint(1990, 2012)}, yet treatment "
            f"strategies vary widely between centres.",
            f"{cap(DRUGS[c.drug][0])}s such as {c.drug} are widely prescribed for {name}, but evidence in "
            f"{c.pop} is limited.",
            f"Whether {c.drug} {c.improve_verb(c.outcome)} {c.outcome} in {c.pop} is uncertain.",
            f"Previous studies of {name} were small, short or restricted to "
            f"{r.choice(['men', 'single centres', 'high-income countries', 'younger patients'])}.",
            f"Guidelines differ on the role of {c.drug} in {name}, reflecting a lack of randomised data.",
            f"Real-world adherence to {c.drug} in {name} is often below {r.randint(40, 75)}%.",
            f"Early recognition of {name} is difficult because {r.choice(cond['symptoms'])} can be non-specific.",
            f"Mortality from {name} fell by {r.randint(8, 45)}% between {r.randint(1990, 2000)} and "
            f"{r.randint(2005, 2020)}, but outcomes remain poor in {r.choice(cond['pops'])}.",
            f"Several mechanisms, including {r.choice(MECHANISMS)}, "
            f"may explain the link between {name} and {r.choice(COMORBIDITIES)}.",
        ]
    )


def s_aim(c: Ctx) -> str:
    r = c.r
    verb = r.choice(["assess", "evaluate", "estimate", "investigate"])
    second = (
        f"compare {c.drug} with {c.comparator}"
        if r.random() < 0.6
        else f"{r.choice(['assess', 'evaluate'])} the efficacy and safety of {c.drug}"
    )
    return r.choice(
        [
            f"We aimed to {verb} the effect of {c.drug} on {c.outcome} in {c.pop}.",
            f"This study was designed to {second} in {c.pop_with()}.",
            f"Our objective was to {verb} whether {c.drug} {c.improve_verb(c.outcome)} {c.outcome}.",
            f"We therefore set out to {verb} {c.outcome} after starting {c.drug}.",
        ]
    )


def s_method_design(c: Ctx) -> str:
    r = c.r
    settings = [
        f"at {r.randint(2, 9)} tertiary centres in {c.place}",
        f"in {r.randint(12, 140)} primary-care practices in {c.place}",
        f"in a single academic hospital in {c.city}",
        f"across {r.randint(20, 310)} sites in {r.randint(3, 31)} countries",
    ]
    if c.kind == "obs":
        settings.append(f"using national registry data from {c.place}")
    setting = r.choice(settings)
    if c.kind == "meta":
        return (
            f"We performed a {c.design} of {r.randint(6, 41)} randomised trials ({c.n} participants) "
            f"identified in MEDLINE, Embase and CENTRAL up to {c.year2}."
        )
    return f"We conducted {an(c.design)} {c.design} of {c.n} {c.pop_with()} {setting} between {c.year1} and {c.year2}."


def s_method_intervention(c: Ctx) -> str:
    r = c.r
    if c.kind == "meta":
        return r.choice(
            [
                f"Eligible trials compared {c.drug} with {c.comparator} for at least {c.weeks} weeks.",
                f"Two reviewers independently extracted data and assessed risk of bias; trials of {c.drug} against "
                f"{c.comparator} were pooled.",
            ]
        )
    if c.kind == "rct":
        return r.choice(
            [
                f"Participants were randomly assigned ({r.choice(['1:1', '2:1', '1:1'])}) to {c.drug} {c.dose} or "
                f"{c.comparator} for {c.weeks} weeks.",
                f"Patients received {c.drug} ({c.dose}) or {c.comparator}; randomisation was stratified by "
                f"{r.choice(['site', 'age group', 'baseline severity', 'sex and region'])}.",
            ]
        )
    return r.choice(
        [
            f"Exposure was defined as at least {r.choice(EXPOSURES)} of {c.drug} and compared with {c.comparator}.",
            f"New users of {c.drug} were compared with new users of "
            f"{c.comparator if c.comparator not in ('non-use', 'usual care') else 'other therapies'}.",
        ]
    )


def s_method_outcome(c: Ctx) -> str:
    r = c.r
    others = [o for o in c.cond["outcomes"] if o != c.outcome]
    return r.choice(
        [
            f"The primary outcome was {c.outcome}.",
            f"The primary end point was {c.outcome} at {c.weeks} weeks; secondary end points included "
            f"{join_list(r.sample(others, min(2, len(others))) or ['safety'])}.",
            f"The prespecified primary outcome was {c.outcome}"
            f"{', assessed by blinded adjudicators' if c.kind == 'rct' else ''}.",
        ]
    )


def s_method_stats(c: Ctx) -> str:
    r = c.r
    m = c.marker
    return r.choice(
        [
            f"Analyses used {r.choice(STAT_METHODS)}.",
            f"Data were analysed by intention to treat with {r.choice(STAT_METHODS)}.",
            f"Models were adjusted for age, sex, {r.choice(COMORBIDITIES)} and baseline {m[0]}.",
            f"Missing data ({r.randint(2, 14)}%) were handled by multiple imputation.",
            f"The sample size gave {r.choice([80, 85, 90])}% power to detect a {r.randint(15, 35)}% relative "
            f"reduction at a two-sided α of 0.05.",
            f"The protocol was registered before enrolment (registration number {r.choice(['NCT', 'ISRCTN', 'ACTRN'])}"
            f"{r.randint(10000000, 99999999)}).",
            f"Eligible patients were aged {'2–17' if c.paediatric else '≥18'} years and had {m[0]} "
            f"{'≥' if m[5] == 'down' else '≤'} {with_unit(fnum((m[2] + m[3]) / 2, m[4]), m[1])} at screening."
            if m[1] not in ("days", "min", "h")
            else f"Eligible patients were aged {'2–17' if c.paediatric else '≥18'} years.",
            f"Patients with {r.choice(COMORBIDITIES)}, {r.choice(EXCLUSIONS)} "
            f"or an eGFR below 30 mL/min/1.73 m² were excluded.",
            f"{cap(m[0])} was measured at baseline and at weeks 4, {c.weeks // 2} and {c.weeks} in a central laboratory.",
            f"Follow-up visits took place every {r.choice([4, 6, 8, 12])} weeks, with telephone contact in between.",
            f"The {'trial' if c.kind == 'rct' else 'study'} was approved by the ethics committee of each site"
            f"{', and all participants gave written informed consent' if c.kind == 'rct' else ''}.",
        ]
        if c.kind != "meta"
        else [
            f"Analyses used {r.choice(STAT_METHODS[:1] + STAT_METHODS[6:7])}.",
            f"Risk of bias was assessed with the Cochrane tool; {r.randint(2, 9)} trials were at low risk.",
            f"The review protocol was registered in PROSPERO (CRD{r.randint(42010000000, 42024999999)}).",
            "Certainty of evidence was rated with GRADE.",
            f"Publication bias was examined with funnel plots and Egger's test (p = {r.uniform(0.1, 0.9):.2f}).",
        ]
    )


def s_result_baseline(c: Ctx) -> str:
    r = c.r
    age = c.age()
    sd = r.uniform(2, 13) if age > 20 else r.uniform(1, 3.5)
    female = r.randint(18, 71)
    n = c.n if c.kind != "meta" else r.randint(c.n // 3 + 1, c.n)
    sexes = "" if c.women_only else f"; {female}% female"
    if c.kind == "meta":
        return r.choice(
            [
                f"The pooled population comprised {c.n} participants (mean age {age} years{sexes.replace(';', ',')}).",
                f"Trials enrolled between {r.randint(30, 90)} and {r.randint(c.n // 6, c.n // 3)} participants each "
                f"({c.n} in total), with follow-up of {r.randint(12, 104)} weeks.",
            ]
        )
    return r.choice(
        [
            f"A total of {n} participants (mean age {age} ± {sd:.1f} years{sexes}) were included.",
            f"Of {n + r.randint(5, 400)} patients screened, {n} were enrolled; median age was {age} years "
            f"(IQR {max(0, age - r.randint(2, 9))}–{age + r.randint(2, 9)})"
            + ("." if c.women_only else f" and {female}% were female."),
            f"We included {n} patients (median age {age} years{sexes.replace(';', ',')}) with a median follow-up of "
            f"{r.uniform(0.8, 6.5):.1f} years.",
        ]
    )


def s_result_primary(c: Ctx) -> str:
    text, sig = c.effect(c.outcome, c.favourable)
    c.primary_sig = sig
    return text


def s_result_secondary(c: Ctx) -> str:
    r = c.r
    others = [o for o in c.cond["outcomes"] if o != c.outcome] or [c.outcome]
    text, _ = c.effect(r.choice(others), r.random() < 0.6)
    return text


def s_result_marker(c: Ctx) -> str:
    r = c.r
    m = r.choice(c.cond["markers"])
    name, unit, lo_m, hi_m, nd, better = m
    v0, a = c.marker_value(m)
    span = (hi_m - lo_m) * r.uniform(0.05, 0.3)
    v1 = v0 - span if better == "down" else v0 + span
    sd0, sd1 = (hi_m - lo_m) * r.uniform(0.05, 0.2), (hi_m - lo_m) * r.uniform(0.05, 0.2)
    diff = v1 - v0
    ndd = max(nd, 1)
    lo, hi = sorted([diff * r.uniform(1.2, 1.8), diff * r.uniform(0.2, 0.8)])
    return r.choice(
        [
            f"Mean {name} changed from {with_unit(f'{a} ± {fnum(sd0, nd)}', unit)} at baseline to "
            f"{with_unit(f'{fnum(v1, nd)} ± {fnum(sd1, nd)}', unit)} at week {c.weeks}.",
            f"The between-group difference in {name} was {with_unit(c.signed(diff, ndd), unit)} "
            f"({c.ci(c.signed(lo, ndd), c.signed(hi, ndd))}).",
            f"{cap(name)} {'fell' if better == 'down' else 'rose'} by a median of "
            f"{with_unit(fnum(abs(diff), ndd), unit)} in the intervention arm, compared with "
            f"{with_unit(fnum(abs(diff) * r.uniform(0.05, 0.45), ndd), unit)} in the control arm ({c.p(True)}).",
        ]
    )


def s_result_safety(c: Ctx) -> str:
    r = c.r
    ae = r.sample(ADVERSE, 2)
    return r.choice(
        [
            f"Adverse events were reported in {r.randint(12, 68)}% and {r.randint(10, 64)}% of participants, "
            f"respectively; {ae[0]} and {ae[1]} were most common.",
            f"Serious adverse events occurred in {r.uniform(1, 14):.1f}% of patients, with no treatment-related deaths.",
            f"Discontinuation because of {ae[0]} was more frequent with {c.drug} ({r.uniform(2, 9):.1f}% vs "
            f"{r.uniform(0.5, 1.9):.1f}%).",
            f"No new safety signals were identified during {c.weeks} weeks of treatment.",
            f"{cap(ae[0])} was the most frequent adverse event ({r.randint(4, 22)}% vs {r.randint(2, 12)}%).",
        ]
    )


def s_result_subgroup(c: Ctx) -> str:
    r = c.r
    sub = r.choice(
        [
            "age ≥65 years",
            "baseline eGFR < 60 mL/min/1.73 m²",
            "female sex",
            "obesity",
            f"baseline {c.marker[0]} above the median",
            "prior hospitalisation",
            "diabetes",
        ]
    )
    options = [
        f"Results were consistent across prespecified subgroups, including {sub} (p for interaction = "
        f"{r.uniform(0.11, 0.92):.2f}).",
        f"The effect appeared larger in patients with {sub}, although the interaction was not significant.",
        f"Sensitivity analyses excluding patients with {r.choice(COMORBIDITIES)} gave similar results.",
    ]
    if c.kind == "meta":
        options.append(
            f"Heterogeneity between studies was {r.choice(['low', 'moderate', 'substantial'])} "
            f"(I² = {r.randint(0, 78)}%)."
        )
    if c.favourable and c.okind(c.outcome) == "bad":
        options.append(
            f"The number needed to treat to prevent one event over {r.randint(2, 5)} years was {r.randint(9, 140)}."
        )
    return r.choice(options)


def s_conclusion(c: Ctx) -> str:
    r = c.r
    if c.primary_sig and c.favourable:
        return r.choice(
            [
                f"In {c.pop_with()}, {c.drug} {r.choice(['', 'modestly '])}{c.improve_verb(c.outcome, 'ed')} "
                f"{c.outcome} compared with {c.comparator}.",
                f"These findings support the use of {c.drug} in {c.pop}, but longer follow-up is needed.",
                f"{cap(c.drug)} was well tolerated and {c.improve_verb(c.outcome, 'ed')} {c.outcome}; the effect on "
                f"{r.choice([o for o in c.cond['outcomes'] if o != c.outcome])} requires confirmation in larger trials.",
                f"Clinicians should weigh the benefit of {c.drug} against the risk of {r.choice(ADVERSE)}.",
            ]
        )
    if c.primary_sig:
        return r.choice(
            [
                f"{cap(c.drug)} was associated with worse {c.outcome} than {c.comparator} in {c.pop}.",
                f"These results argue against the routine use of {c.drug} for {c.outcome} in {c.pop}.",
            ]
        )
    return r.choice(
        [
            f"In {c.pop_with()}, {c.drug} did not significantly {c.improve_verb(c.outcome, 'inf')} {c.outcome} "
            f"compared with {c.comparator}.",
            f"Our results do not support routine use of {c.drug} to {c.improve_verb(c.outcome, 'inf')} "
            f"{c.outcome} in this population.",
            f"{cap(c.drug)} offered no clear advantage over {c.comparator} for {c.outcome}, although the study may have "
            f"been underpowered.",
        ]
    )


def s_conclusion_extra(c: Ctx) -> str:
    r = c.r
    return r.choice(
        [
            "Cost-effectiveness analyses are under way.",
            f"Further trials in {r.choice(c.cond['pops'])} are warranted.",
            f"Implementation studies in {r.choice(['low-resource settings', 'primary care', 'rural hospitals'])} "
            f"should follow.",
            f"The certainty of evidence was rated as {r.choice(['low', 'moderate', 'high'])} (GRADE).",
            "Limitations include "
            + r.choice(
                [
                    "the open-label design",
                    "residual confounding",
                    "a short follow-up",
                    f"loss to follow-up of {r.randint(4, 19)}%",
                ]
            )
            + ".",
            f"Patient preferences and {r.choice(['cost', 'the burden of monitoring', 'pill burden'])} should guide "
            f"individual decisions.",
        ]
    )
