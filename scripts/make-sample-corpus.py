#!/usr/bin/env python3
"""Writes the small synthetic sample corpus of the demo and the tests (data/sample).

Every document is composed here from templates and vocabulary lists written for this project: nothing is copied
from a dataset, a website or a book, and nothing is downloaded. The medical "facts" and numbers are invented; the
text only has to look like PubMed abstracts and clinical notes, and must never be read as medical advice.

The generator is seeded (random.Random(2026)) and uses nothing that depends on the machine, the clock or hash
randomisation, so every run writes byte-identical files.

    python3 scripts/make-sample-corpus.py [--out DIR]     # DIR defaults to data/sample in the repository
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
from pathlib import Path
from typing import Callable

SEED = 2026
DOMAIN_DOCS = 320
DOMAIN_PARTS = 3
GENERAL_DOCS = 48
GENERAL_PARTS = 2

# ---------------------------------------------------------------------------------------------------------------
# Medical vocabulary (invented for this generator; plausible in form, not a reference).
# ---------------------------------------------------------------------------------------------------------------

# name: (drug class, dose phrases, route)
DRUGS: dict[str, tuple[str, list[str], str]] = {
    "metformin": ("biguanide", ["500 mg twice daily", "1000 mg twice daily", "850 mg once daily"], "oral"),
    "empagliflozin": ("SGLT2 inhibitor", ["10 mg once daily", "25 mg once daily"], "oral"),
    "dapagliflozin": ("SGLT2 inhibitor", ["10 mg once daily", "5 mg once daily"], "oral"),
    "sitagliptin": ("DPP-4 inhibitor", ["100 mg once daily", "50 mg once daily"], "oral"),
    "liraglutide": ("GLP-1 receptor agonist", ["1.2 mg once daily", "1.8 mg once daily"], "subcutaneous"),
    "insulin glargine": ("long-acting insulin", ["0.2 units/kg once daily", "10 units at bedtime"], "subcutaneous"),
    "amlodipine": ("calcium-channel blocker", ["5 mg once daily", "10 mg once daily"], "oral"),
    "lisinopril": ("ACE inhibitor", ["10 mg once daily", "20 mg once daily"], "oral"),
    "losartan": ("angiotensin-receptor blocker", ["50 mg once daily", "100 mg once daily"], "oral"),
    "chlorthalidone": ("thiazide-like diuretic", ["12.5 mg once daily", "25 mg once daily"], "oral"),
    "sacubitril/valsartan": (
        "angiotensin receptor–neprilysin inhibitor",
        ["49/51 mg twice daily", "97/103 mg twice daily"],
        "oral",
    ),
    "bisoprolol": ("β1-selective blocker", ["2.5 mg once daily", "5 mg once daily", "10 mg once daily"], "oral"),
    "spironolactone": ("mineralocorticoid-receptor antagonist", ["25 mg once daily", "50 mg once daily"], "oral"),
    "furosemide": ("loop diuretic", ["40 mg intravenously twice daily", "1 mg/kg", "80 mg once daily"], "oral"),
    "apixaban": ("direct factor Xa inhibitor", ["5 mg twice daily", "2.5 mg twice daily"], "oral"),
    "rivaroxaban": ("direct factor Xa inhibitor", ["20 mg once daily", "15 mg once daily"], "oral"),
    "warfarin": ("vitamin K antagonist", ["5 mg once daily", "doses adjusted to an INR of 2.0–3.0"], "oral"),
    "amiodarone": ("class III antiarrhythmic", ["200 mg once daily", "5 mg/kg over 60 minutes"], "oral"),
    "metoprolol": ("β-blocker", ["25 mg twice daily", "50 mg twice daily"], "oral"),
    "amoxicillin": ("aminopenicillin", ["1 g three times daily", "45 mg/kg/day in two doses"], "oral"),
    "ceftriaxone": ("third-generation cephalosporin", ["2 g once daily", "50 mg/kg once daily"], "intravenous"),
    "azithromycin": ("macrolide", ["500 mg once daily", "10 mg/kg on day 1"], "oral"),
    "levofloxacin": ("fluoroquinolone", ["750 mg once daily", "500 mg once daily"], "oral"),
    "tiotropium": ("long-acting muscarinic antagonist", ["18 µg once daily", "5 µg once daily"], "inhaled"),
    "budesonide/formoterol": (
        "inhaled corticosteroid/LABA",
        ["160/4.5 µg two inhalations twice daily", "200/6 µg as needed"],
        "inhaled",
    ),
    "salbutamol": ("short-acting β2 agonist", ["100 µg as needed", "2.5 mg nebulised every 4 h"], "inhaled"),
    "roflumilast": ("PDE4 inhibitor", ["500 µg once daily", "250 µg once daily"], "oral"),
    "montelukast": ("leukotriene-receptor antagonist", ["10 mg at night", "5 mg at night"], "oral"),
    "omalizumab": ("anti-IgE monoclonal antibody", ["150 mg every 4 weeks", "300 mg every 2 weeks"], "subcutaneous"),
    "finerenone": ("non-steroidal MRA", ["10 mg once daily", "20 mg once daily"], "oral"),
    "methotrexate": ("antimetabolite", ["15 mg once weekly", "20 mg once weekly", "0.3 mg/kg once weekly"], "oral"),
    "adalimumab": ("TNF-α inhibitor", ["40 mg every other week"], "subcutaneous"),
    "tofacitinib": ("JAK inhibitor", ["5 mg twice daily"], "oral"),
    "hydroxychloroquine": ("antimalarial", ["200 mg twice daily", "5 mg/kg/day"], "oral"),
    "sertraline": ("SSRI", ["50 mg once daily", "100 mg once daily"], "oral"),
    "escitalopram": ("SSRI", ["10 mg once daily", "20 mg once daily"], "oral"),
    "bupropion": ("NDRI", ["150 mg once daily", "300 mg once daily"], "oral"),
    "venlafaxine": ("SNRI", ["75 mg once daily", "150 mg once daily"], "oral"),
    "levetiracetam": ("antiseizure medication", ["500 mg twice daily", "20 mg/kg twice daily"], "oral"),
    "valproate": ("antiseizure medication", ["10 mg/kg/day", "500 mg twice daily"], "oral"),
    "lamotrigine": ("antiseizure medication", ["25 mg once daily, titrated", "100 mg twice daily"], "oral"),
    "norepinephrine": ("vasopressor", ["0.05 µg/kg/min", "0.1–0.3 µg/kg/min"], "intravenous"),
    "piperacillin–tazobactam": (
        "β-lactam/β-lactamase inhibitor",
        ["4.5 g every 6 h", "4.5 g every 8 h"],
        "intravenous",
    ),
    "meropenem": ("carbapenem", ["1 g every 8 h", "20 mg/kg every 8 h"], "intravenous"),
    "vancomycin": ("glycopeptide", ["15 mg/kg every 12 h", "a 25 mg/kg loading dose"], "intravenous"),
    "hydrocortisone": ("corticosteroid", ["50 mg every 6 h", "200 mg/day by infusion"], "intravenous"),
    "ferric carboxymaltose": ("intravenous iron", ["1000 mg as a single infusion", "15 mg/kg"], "intravenous"),
    "ferrous sulfate": ("oral iron", ["200 mg once daily", "200 mg on alternate days"], "oral"),
    "levothyroxine": ("thyroid hormone", ["50 µg once daily", "1.6 µg/kg/day", "100 µg once daily"], "oral"),
    "infliximab": ("TNF-α inhibitor", ["5 mg/kg at weeks 0, 2 and 6", "10 mg/kg every 8 weeks"], "intravenous"),
    "vedolizumab": ("integrin inhibitor", ["300 mg at weeks 0, 2 and 6"], "intravenous"),
    "azathioprine": ("thiopurine", ["2–2.5 mg/kg/day", "50 mg once daily"], "oral"),
    "erenumab": ("anti-CGRP receptor antibody", ["70 mg monthly", "140 mg monthly"], "subcutaneous"),
    "topiramate": ("antiseizure medication", ["50 mg twice daily", "25 mg at night"], "oral"),
    "propranolol": ("non-selective β-blocker", ["40 mg twice daily", "80 mg once daily"], "oral"),
    "alendronate": ("bisphosphonate", ["70 mg once weekly"], "oral"),
    "zoledronic acid": ("bisphosphonate", ["5 mg once yearly"], "intravenous"),
    "denosumab": ("RANKL inhibitor", ["60 mg every 6 months"], "subcutaneous"),
    "alteplase": ("thrombolytic", ["0.9 mg/kg, maximum 90 mg"], "intravenous"),
    "tenecteplase": ("thrombolytic", ["0.25 mg/kg as a single bolus"], "intravenous"),
    "aspirin": ("antiplatelet", ["75 mg once daily", "300 mg loading dose", "150 mg at night"], "oral"),
    "clopidogrel": ("P2Y12 inhibitor", ["75 mg once daily", "a 300 mg loading dose"], "oral"),
    "sofosbuvir/velpatasvir": ("direct-acting antiviral", ["400/100 mg once daily for 12 weeks"], "oral"),
    "dolutegravir": ("integrase inhibitor", ["50 mg once daily"], "oral"),
    "rifampicin": ("rifamycin", ["10 mg/kg once daily", "600 mg once daily"], "oral"),
    "isoniazid": ("antimycobacterial", ["5 mg/kg once daily", "300 mg once daily"], "oral"),
    "intravenous immunoglobulin": (
        "immunoglobulin",
        ["2 g/kg over 2–5 days", "0.4 g/kg/day for 5 days"],
        "intravenous",
    ),
    "betahistine": ("histamine analogue", ["24 mg twice daily", "16 mg three times daily"], "oral"),
    "pilocarpine": ("muscarinic agonist", ["5 mg four times daily"], "oral"),
    "secukinumab": ("IL-17A inhibitor", ["300 mg at weeks 0–4, then monthly"], "subcutaneous"),
    "allopurinol": ("xanthine-oxidase inhibitor", ["100 mg once daily, titrated", "300 mg once daily"], "oral"),
    "febuxostat": ("xanthine-oxidase inhibitor", ["80 mg once daily", "40 mg once daily"], "oral"),
    "colchicine": ("anti-inflammatory", ["0.5 mg twice daily", "1 mg then 0.5 mg after 1 h"], "oral"),
    "artesunate": ("artemisinin derivative", ["2.4 mg/kg at 0, 12 and 24 h"], "intravenous"),
    "artemether–lumefantrine": ("artemisinin combination", ["four tablets twice daily for 3 days"], "oral"),
    "ondansetron": ("5-HT3 antagonist", ["4 mg intravenously", "8 mg orally"], "intravenous"),
    "dexamethasone": ("corticosteroid", ["4 mg intravenously", "6 mg once daily", "0.15 mg/kg"], "intravenous"),
    "labetalol": ("α/β-blocker", ["200 mg twice daily", "20 mg intravenously"], "oral"),
    "magnesium sulfate": ("anticonvulsant", ["4 g loading dose then 1 g/h"], "intravenous"),
    "levodopa/carbidopa": ("dopamine precursor", ["100/25 mg three times daily"], "oral"),
    "pramipexole": ("dopamine agonist", ["0.25 mg three times daily", "0.7 mg once daily"], "oral"),
    "simvastatin": ("statin", ["40 mg at night", "20 mg at night"], "oral"),
    "atorvastatin": ("statin", ["20 mg once daily", "80 mg once daily"], "oral"),
}

# Each condition: name, abbreviation (or ""), drugs, markers (name, unit, low, high, decimals, better), outcomes,
# symptoms, populations. "better" is the direction in which the marker improves ("down" or "up").
CONDITIONS: list[dict] = [
    dict(
        name="type 2 diabetes mellitus",
        abbr="T2DM",
        drugs=["metformin", "empagliflozin", "dapagliflozin", "sitagliptin", "liraglutide", "insulin glargine"],
        markers=[
            ("HbA1c", "%", 6.4, 10.2, 1, "down"),
            ("fasting plasma glucose", "mmol/L", 5.6, 12.4, 1, "down"),
            ("body weight", "kg", 68, 112, 1, "down"),
        ],
        outcomes=[
            "glycaemic control",
            "major adverse cardiovascular events",
            "severe hypoglycaemia",
            "progression to insulin therapy",
        ],
        symptoms=["polyuria and polydipsia", "unintended weight loss", "blurred vision", "recurrent skin infections"],
        pops=[
            "adults with diabetes and obesity",
            "adults aged ≥65 years",
            "patients in primary care",
            "adults with diabetes and established cardiovascular disease",
        ],
    ),
    dict(
        name="essential hypertension",
        abbr="",
        drugs=["amlodipine", "lisinopril", "losartan", "chlorthalidone"],
        markers=[
            ("systolic blood pressure", "mmHg", 128, 172, 0, "down"),
            ("diastolic blood pressure", "mmHg", 76, 104, 0, "down"),
        ],
        outcomes=["blood-pressure control", "stroke", "left ventricular hypertrophy", "cardiovascular death"],
        symptoms=["morning headaches", "intermittent palpitations", "nosebleeds"],
        pops=[
            "untreated adults",
            "older adults",
            "Black adults in urban clinics",
            "hypertensive patients with diabetes",
        ],
    ),
    dict(
        name="heart failure with reduced ejection fraction",
        abbr="HFrEF",
        drugs=["sacubitril/valsartan", "bisoprolol", "spironolactone", "dapagliflozin", "furosemide"],
        markers=[
            ("left ventricular ejection fraction", "%", 18, 40, 0, "up"),
            ("NT-proBNP", "pg/mL", 420, 6800, 0, "down"),
            ("6-minute walk distance", "m", 180, 460, 0, "up"),
        ],
        outcomes=[
            "hospitalisation for heart failure",
            "cardiovascular death",
            "worsening renal function",
            "KCCQ overall summary score",
        ],
        symptoms=["exertional dyspnoea", "orthopnoea", "bilateral ankle oedema", "fatigue"],
        pops=["ambulatory patients", "patients recently discharged", "patients with NYHA class II–III symptoms"],
    ),
    dict(
        name="atrial fibrillation",
        abbr="AF",
        drugs=["apixaban", "rivaroxaban", "warfarin", "amiodarone", "metoprolol", "bisoprolol"],
        markers=[("ventricular rate", "beats/min", 88, 146, 0, "down"), ("INR", "", 1.1, 4.2, 1, "down")],
        outcomes=[
            "ischaemic stroke or systemic embolism",
            "major bleeding",
            "intracranial haemorrhage",
            "restoration of sinus rhythm",
        ],
        symptoms=["palpitations", "dizziness", "reduced exercise tolerance"],
        pops=["patients aged ≥75 years", "patients with a CHA₂DS₂-VASc score ≥2", "patients after cardiac surgery"],
    ),
    dict(
        name="community-acquired pneumonia",
        abbr="CAP",
        drugs=["amoxicillin", "ceftriaxone", "azithromycin", "levofloxacin", "dexamethasone"],
        markers=[
            ("C-reactive protein", "mg/L", 24, 310, 0, "down"),
            ("procalcitonin", "ng/mL", 0.1, 8.6, 2, "down"),
            ("temperature", "°C", 37.2, 40.1, 1, "down"),
        ],
        outcomes=["clinical stability by day 3", "30-day mortality", "length of hospital stay", "treatment failure"],
        symptoms=["productive cough", "fever with rigors", "pleuritic chest pain", "breathlessness"],
        pops=["hospitalised adults", "children aged 2–59 months", "nursing-home residents"],
    ),
    dict(
        name="chronic obstructive pulmonary disease",
        abbr="COPD",
        drugs=["tiotropium", "budesonide/formoterol", "salbutamol", "roflumilast"],
        markers=[
            ("FEV1", "L", 0.8, 2.4, 2, "up"),
            ("FEV1", "% predicted", 28, 72, 0, "up"),
            ("CAT score", "points", 8, 32, 0, "down"),
        ],
        outcomes=["moderate or severe exacerbations", "rescue-inhaler use", "SGRQ total score", "pneumonia"],
        symptoms=["chronic productive cough", "wheeze", "progressive breathlessness"],
        pops=["current and former smokers", "patients with frequent exacerbations", "patients with GOLD stage 3"],
    ),
    dict(
        name="asthma",
        abbr="",
        drugs=["budesonide/formoterol", "montelukast", "salbutamol", "omalizumab"],
        markers=[
            ("FeNO", "ppb", 18, 96, 0, "down"),
            ("FEV1", "L", 1.6, 3.8, 2, "up"),
            ("blood eosinophil count", "cells/µL", 120, 840, 0, "down"),
        ],
        outcomes=["severe exacerbations", "ACQ-5 score", "oral corticosteroid use", "school absence"],
        symptoms=["nocturnal cough", "wheeze on exertion", "chest tightness"],
        pops=["children aged 6–11 years", "adolescents", "adults with eosinophilic asthma"],
    ),
    dict(
        name="chronic kidney disease",
        abbr="CKD",
        drugs=["losartan", "dapagliflozin", "finerenone", "lisinopril"],
        markers=[
            ("eGFR", "mL/min/1.73 m²", 18, 68, 0, "up"),
            ("urine albumin-to-creatinine ratio", "mg/g", 40, 1900, 0, "down"),
            ("serum potassium", "mmol/L", 3.9, 6.1, 1, "down"),
        ],
        outcomes=["kidney failure", "a sustained ≥40% decline in eGFR", "hyperkalaemia", "cardiovascular events"],
        symptoms=["fatigue", "nocturia", "pruritus", "ankle swelling"],
        pops=["patients with diabetic kidney disease", "older adults", "patients with stage 3b–4 disease"],
    ),
    dict(
        name="rheumatoid arthritis",
        abbr="RA",
        drugs=["methotrexate", "adalimumab", "tofacitinib", "hydroxychloroquine"],
        markers=[
            ("DAS28-CRP", "", 2.1, 6.4, 1, "down"),
            ("C-reactive protein", "mg/L", 3, 64, 0, "down"),
            ("erythrocyte sedimentation rate", "mm/h", 8, 78, 0, "down"),
        ],
        outcomes=["ACR50 response", "radiographic progression", "serious infections", "clinical remission"],
        symptoms=["morning stiffness lasting over an hour", "symmetrical swelling of the hands", "fatigue"],
        pops=[
            "methotrexate-naive patients",
            "patients with an inadequate response to methotrexate",
            "patients with early disease",
        ],
    ),
    dict(
        name="major depressive disorder",
        abbr="MDD",
        drugs=["sertraline", "escitalopram", "bupropion", "venlafaxine"],
        markers=[("PHQ-9 score", "points", 5, 24, 0, "down"), ("HAM-D score", "points", 8, 29, 0, "down")],
        outcomes=["response", "remission", "relapse", "treatment discontinuation"],
        symptoms=["low mood", "anhedonia", "early-morning waking", "poor concentration"],
        pops=["adults in primary care", "older adults", "adolescents", "postpartum women"],
    ),
    dict(
        name="focal epilepsy",
        abbr="",
        drugs=["levetiracetam", "lamotrigine", "valproate", "topiramate"],
        markers=[
            ("monthly seizure frequency", "", 1, 14, 0, "down"),
            ("levetiracetam trough concentration", "µg/mL", 6, 38, 1, "up"),
        ],
        outcomes=["12-month seizure freedom", "treatment failure", "adverse events"],
        symptoms=["focal impaired-awareness seizures", "episodes of déjà vu", "nocturnal convulsions"],
        pops=["adults with newly diagnosed epilepsy", "children", "women of childbearing potential"],
    ),
    dict(
        name="septic shock",
        abbr="",
        drugs=["norepinephrine", "piperacillin–tazobactam", "meropenem", "vancomycin", "hydrocortisone"],
        markers=[
            ("serum lactate", "mmol/L", 1.4, 8.8, 1, "down"),
            ("mean arterial pressure", "mmHg", 52, 78, 0, "up"),
            ("vancomycin trough", "µg/mL", 6, 24, 1, "up"),
        ],
        outcomes=["28-day mortality", "vasopressor-free days", "acute kidney injury", "ICU length of stay"],
        symptoms=["confusion", "hypotension", "mottled skin", "rigors"],
        pops=[
            "adults in the ICU",
            "patients presenting to the emergency department",
            "patients with cancer and septic shock",
        ],
    ),
    dict(
        name="iron-deficiency anaemia",
        abbr="IDA",
        drugs=["ferric carboxymaltose", "ferrous sulfate"],
        markers=[("haemoglobin", "g/dL", 7.2, 11.6, 1, "up"), ("serum ferritin", "µg/L", 4, 42, 0, "up")],
        outcomes=["haemoglobin response", "red-cell transfusion", "FACIT-Fatigue score"],
        symptoms=["fatigue", "exertional breathlessness", "pica", "hair loss"],
        pops=[
            "pregnant women in the third trimester",
            "anaemic patients with inflammatory bowel disease",
            "preoperative patients",
        ],
    ),
    dict(
        name="primary hypothyroidism",
        abbr="",
        drugs=["levothyroxine"],
        markers=[("TSH", "mIU/L", 0.6, 18.4, 1, "down"), ("free T4", "pmol/L", 6, 19, 1, "up")],
        outcomes=["biochemical euthyroidism", "symptom score", "over-replacement"],
        symptoms=["cold intolerance", "weight gain", "constipation", "dry skin"],
        pops=["older adults", "women planning pregnancy", "patients with subclinical disease"],
    ),
    dict(
        name="Crohn's disease",
        abbr="CD",
        drugs=["infliximab", "vedolizumab", "azathioprine", "adalimumab"],
        markers=[
            ("faecal calprotectin", "µg/g", 60, 1800, 0, "down"),
            ("C-reactive protein", "mg/L", 2, 48, 0, "down"),
        ],
        outcomes=["steroid-free clinical remission", "endoscopic response", "surgery", "loss of response"],
        symptoms=["chronic diarrhoea", "right iliac fossa pain", "weight loss", "perianal discharge"],
        pops=["biologic-naive adults", "children and adolescents", "patients with fistulising disease"],
    ),
    dict(
        name="migraine",
        abbr="",
        drugs=["erenumab", "topiramate", "propranolol"],
        markers=[("monthly migraine days", "", 4, 18, 1, "down"), ("HIT-6 score", "points", 50, 72, 0, "down")],
        outcomes=["a ≥50% reduction in monthly migraine days", "acute-medication use", "MIDAS disability score"],
        symptoms=["unilateral throbbing headache", "photophobia", "visual aura", "nausea"],
        pops=["adults with episodic migraine", "patients with chronic migraine", "adolescents"],
    ),
    dict(
        name="postmenopausal osteoporosis",
        abbr="",
        drugs=["alendronate", "zoledronic acid", "denosumab"],
        markers=[("lumbar spine BMD", "g/cm²", 0.68, 0.94, 3, "up"), ("T-score", "", -3.9, -2.5, 1, "up")],
        outcomes=["new vertebral fractures", "hip fracture", "osteonecrosis of the jaw"],
        symptoms=["acute back pain", "loss of height", "a low-trauma wrist fracture"],
        pops=["women aged ≥70 years", "women after a fragility fracture", "long-term glucocorticoid users"],
    ),
    dict(
        name="acute ischaemic stroke",
        abbr="AIS",
        drugs=["alteplase", "tenecteplase", "aspirin", "clopidogrel"],
        markers=[("NIHSS score", "points", 4, 22, 0, "down"), ("door-to-needle time", "min", 24, 92, 0, "down")],
        outcomes=[
            "a modified Rankin Scale score of 0–2 at 90 days",
            "symptomatic intracranial haemorrhage",
            "early neurological deterioration",
        ],
        symptoms=["sudden right-sided weakness", "expressive dysphasia", "facial droop", "visual-field loss"],
        pops=[
            "patients presenting within 4.5 hours",
            "patients with large-vessel occlusion",
            "patients with minor stroke",
        ],
    ),
    dict(
        name="chronic hepatitis C",
        abbr="HCV",
        drugs=["sofosbuvir/velpatasvir"],
        markers=[("ALT", "U/L", 32, 164, 0, "down"), ("HCV RNA", "log10 IU/mL", 4.2, 7.1, 1, "down")],
        outcomes=["sustained virological response at 12 weeks", "treatment completion", "reinfection"],
        symptoms=["fatigue", "right upper quadrant discomfort"],
        pops=["people who inject drugs", "patients with compensated cirrhosis", "prison populations"],
    ),
    dict(
        name="HIV infection",
        abbr="HIV",
        drugs=["dolutegravir"],
        markers=[("CD4 count", "cells/µL", 90, 720, 0, "up"), ("viral load", "copies/mL", 40, 180000, 0, "down")],
        outcomes=["viral suppression below 50 copies/mL", "weight gain", "retention in care"],
        symptoms=["oral candidiasis", "weight loss", "night sweats"],
        pops=["treatment-naive adults", "adolescents", "pregnant women"],
    ),
    dict(
        name="pulmonary tuberculosis",
        abbr="TB",
        drugs=["rifampicin", "isoniazid"],
        markers=[("time to sputum culture conversion", "days", 21, 84, 0, "down")],
        outcomes=["treatment success", "relapse", "drug-induced liver injury"],
        symptoms=["cough for more than three weeks", "haemoptysis", "night sweats", "weight loss"],
        pops=["adults with drug-susceptible disease", "TB patients living with HIV", "household contacts"],
    ),
    dict(
        name="Kawasaki disease",
        abbr="KD",
        drugs=["intravenous immunoglobulin", "aspirin"],
        markers=[("coronary artery z-score", "", 1.2, 6.8, 1, "down"), ("temperature", "°C", 38.4, 40.2, 1, "down")],
        outcomes=["coronary artery aneurysm", "IVIG resistance", "fever resolution"],
        symptoms=["fever for five days", "conjunctival injection", "a polymorphous rash", "strawberry tongue"],
        pops=["children under 5 years", "infants younger than 6 months"],
    ),
    dict(
        name="Guillain–Barré syndrome",
        abbr="GBS",
        drugs=["intravenous immunoglobulin"],
        markers=[("GBS disability score", "", 2, 5, 0, "down"), ("forced vital capacity", "mL/kg", 12, 40, 0, "up")],
        outcomes=["ability to walk independently at 8 weeks", "need for mechanical ventilation"],
        symptoms=["ascending limb weakness", "distal paraesthesia", "areflexia"],
        pops=["adults", "children", "patients after Campylobacter infection"],
    ),
    dict(
        name="Ménière's disease",
        abbr="",
        drugs=["betahistine"],
        markers=[
            ("vertigo attacks per month", "", 2, 12, 0, "down"),
            ("low-frequency hearing threshold", "dB", 25, 65, 0, "down"),
        ],
        outcomes=["vertigo control", "hearing preservation", "Tinnitus Handicap Inventory score"],
        symptoms=["episodic vertigo", "fluctuating hearing loss", "aural fullness", "tinnitus"],
        pops=["adults with definite unilateral disease", "patients with refractory symptoms"],
    ),
    dict(
        name="primary Sjögren's syndrome",
        abbr="pSS",
        drugs=["hydroxychloroquine", "pilocarpine"],
        markers=[("Schirmer test", "mm/5 min", 1, 9, 0, "up"), ("ESSDAI score", "points", 2, 18, 0, "down")],
        outcomes=["ESSPRI dryness score", "systemic flares", "lymphoma"],
        symptoms=["dry eyes", "dry mouth", "parotid swelling", "arthralgia"],
        pops=["women with anti-Ro/SSA antibodies", "patients with systemic involvement"],
    ),
    dict(
        name="plaque psoriasis",
        abbr="",
        drugs=["methotrexate", "secukinumab", "adalimumab"],
        markers=[("PASI", "", 6, 32, 1, "down"), ("DLQI", "points", 4, 22, 0, "down")],
        outcomes=["PASI 90 response", "psoriatic arthritis", "serious infections"],
        symptoms=["scaly plaques on the elbows and knees", "nail pitting", "scalp itching"],
        pops=["adults with moderate-to-severe disease", "children", "psoriasis patients with obesity"],
    ),
    dict(
        name="gout",
        abbr="",
        drugs=["allopurinol", "febuxostat", "colchicine"],
        markers=[("serum urate", "µmol/L", 300, 620, 0, "down"), ("serum urate", "mg/dL", 5.2, 10.6, 1, "down")],
        outcomes=["flare frequency", "achievement of target urate", "tophus resolution"],
        symptoms=[
            "acute pain and swelling of the first metatarsophalangeal joint",
            "recurrent flares",
            "tophi over the elbows",
        ],
        pops=["patients with recurrent flares", "gout patients with CKD stage 3", "men in primary care"],
    ),
    dict(
        name="severe falciparum malaria",
        abbr="",
        drugs=["artesunate", "artemether–lumefantrine"],
        markers=[
            ("parasitaemia", "%", 0.5, 14.0, 1, "down"),
            ("parasite clearance half-life", "h", 1.8, 7.4, 1, "down"),
        ],
        outcomes=["in-hospital mortality", "parasite clearance time", "post-artesunate haemolysis"],
        symptoms=["fever", "impaired consciousness", "dark urine", "jaundice"],
        pops=["children in sub-Saharan Africa", "returning travellers", "adults in South-East Asia"],
    ),
    dict(
        name="postoperative nausea and vomiting",
        abbr="PONV",
        drugs=["ondansetron", "dexamethasone"],
        markers=[("nausea score", "points", 1, 9, 0, "down")],
        outcomes=["PONV within 24 h", "need for rescue antiemetics", "time to discharge"],
        symptoms=["nausea", "retching", "vomiting after surgery"],
        pops=["women undergoing laparoscopic surgery", "children after tonsillectomy", "day-case patients"],
    ),
    dict(
        name="pre-eclampsia",
        abbr="",
        drugs=["aspirin", "labetalol", "magnesium sulfate"],
        markers=[
            ("systolic blood pressure", "mmHg", 138, 178, 0, "down"),
            ("urine protein-to-creatinine ratio", "mg/mmol", 30, 420, 0, "down"),
        ],
        outcomes=["preterm pre-eclampsia", "eclampsia", "small-for-gestational-age birth"],
        symptoms=["headache", "visual disturbance", "epigastric pain", "oedema"],
        pops=["high-risk pregnant women", "nulliparous women", "pregnant women with chronic hypertension"],
    ),
    dict(
        name="Parkinson's disease",
        abbr="PD",
        drugs=["levodopa/carbidopa", "pramipexole"],
        markers=[
            ("MDS-UPDRS part III score", "points", 14, 52, 0, "down"),
            ("daily OFF time", "h", 1.5, 6.5, 1, "down"),
        ],
        outcomes=["motor fluctuations", "dyskinesia", "impulse-control disorders", "falls"],
        symptoms=["resting tremor", "bradykinesia", "shuffling gait", "micrographia"],
        pops=["patients with early disease", "patients with motor fluctuations", "older adults"],
    ),
    dict(
        name="hypercholesterolaemia",
        abbr="",
        drugs=["atorvastatin", "simvastatin"],
        markers=[("LDL cholesterol", "mmol/L", 2.6, 6.2, 1, "down"), ("LDL cholesterol", "mg/dL", 100, 240, 0, "down")],
        outcomes=["major vascular events", "muscle symptoms", "new-onset diabetes"],
        symptoms=["xanthelasma", "corneal arcus", "tendon xanthomata"],
        pops=[
            "adults in primary prevention",
            "patients after myocardial infarction",
            "patients with familial hypercholesterolaemia",
        ],
    ),
]

# (drug A, drug B, mechanism, effect, management)
INTERACTIONS = [
    (
        "warfarin",
        "fluconazole",
        "inhibition of CYP2C9 by the azole",
        "a rise in INR and an increased risk of bleeding",
        "check the INR within 3–5 days of starting the azole and consider a dose reduction",
    ),
    (
        "simvastatin",
        "clarithromycin",
        "strong inhibition of CYP3A4",
        "higher statin exposure and a risk of myopathy or rhabdomyolysis",
        "suspend simvastatin during the antibiotic course or choose a non-interacting macrolide",
    ),
    (
        "clopidogrel",
        "omeprazole",
        "inhibition of CYP2C19, which activates the prodrug",
        "reduced formation of the active metabolite and weaker platelet inhibition",
        "prefer pantoprazole if a proton-pump inhibitor is needed",
    ),
    (
        "lithium",
        "ibuprofen",
        "reduced renal clearance of lithium",
        "higher serum lithium concentrations and possible toxicity",
        "avoid regular NSAID use or monitor lithium levels closely",
    ),
    (
        "methotrexate",
        "trimethoprim",
        "additive antifolate effects",
        "bone-marrow suppression, occasionally severe",
        "avoid the combination; if unavoidable, monitor the full blood count",
    ),
    (
        "digoxin",
        "amiodarone",
        "inhibition of P-glycoprotein",
        "digoxin concentrations that may roughly double",
        "halve the digoxin dose and measure levels after one week",
    ),
    (
        "tacrolimus",
        "voriconazole",
        "inhibition of CYP3A4",
        "marked increases in tacrolimus trough levels and nephrotoxicity",
        "reduce the tacrolimus dose by about two thirds and monitor troughs",
    ),
    (
        "sildenafil",
        "isosorbide mononitrate",
        "additive nitric-oxide–cGMP effects",
        "profound hypotension",
        "the combination is contraindicated",
    ),
    (
        "spironolactone",
        "lisinopril",
        "combined reduction of aldosterone effect",
        "hyperkalaemia, particularly when eGFR is reduced",
        "check potassium and creatinine within one week and periodically thereafter",
    ),
    (
        "sertraline",
        "tramadol",
        "additive serotonergic activity",
        "a risk of serotonin syndrome and a lowered seizure threshold",
        "use an alternative analgesic or monitor for agitation, tremor and hyperthermia",
    ),
    (
        "theophylline",
        "ciprofloxacin",
        "inhibition of CYP1A2",
        "raised theophylline levels with nausea, arrhythmia or seizures",
        "reduce the theophylline dose and monitor levels",
    ),
    (
        "levothyroxine",
        "calcium carbonate",
        "binding in the gut that reduces absorption",
        "a rise in TSH over several weeks",
        "separate the doses by at least four hours",
    ),
    (
        "rifampicin",
        "dolutegravir",
        "induction of UGT1A1 and CYP3A4",
        "lower dolutegravir exposure and a risk of virological failure",
        "give dolutegravir 50 mg twice daily during rifampicin treatment",
    ),
    (
        "apixaban",
        "carbamazepine",
        "induction of CYP3A4 and P-glycoprotein",
        "reduced anticoagulant exposure",
        "avoid the combination",
    ),
    (
        "allopurinol",
        "azathioprine",
        "inhibition of xanthine oxidase, which inactivates thiopurines",
        "severe myelotoxicity",
        "reduce the azathioprine dose to a quarter or use an alternative",
    ),
    (
        "metformin",
        "iodinated contrast",
        "a risk of contrast-associated acute kidney injury",
        "accumulation of metformin and lactic acidosis in patients with reduced eGFR",
        "withhold metformin for 48 h in patients with an eGFR below 30 mL/min/1.73 m²",
    ),
]

# Outcomes that are good when they happen (a higher rate favours the treatment) ...
GOOD_OUTCOMES = {
    "glycaemic control",
    "blood-pressure control",
    "restoration of sinus rhythm",
    "clinical stability by day 3",
    "ACR50 response",
    "clinical remission",
    "response",
    "remission",
    "12-month seizure freedom",
    "haemoglobin response",
    "biochemical euthyroidism",
    "steroid-free clinical remission",
    "endoscopic response",
    "a ≥50% reduction in monthly migraine days",
    "a modified Rankin Scale score of 0–2 at 90 days",
    "sustained virological response at 12 weeks",
    "treatment completion",
    "viral suppression below 50 copies/mL",
    "retention in care",
    "treatment success",
    "fever resolution",
    "ability to walk independently at 8 weeks",
    "vertigo control",
    "hearing preservation",
    "PASI 90 response",
    "achievement of target urate",
    "tophus resolution",
}
# ... and outcomes measured on a scale: unit, low, high, decimals, direction in which it improves.
CONTINUOUS_OUTCOMES = {
    "length of hospital stay": ("days", 3, 14, 1, "down"),
    "rescue-inhaler use": ("puffs/day", 0.8, 6, 1, "down"),
    "SGRQ total score": ("points", 35, 68, 1, "down"),
    "ACQ-5 score": ("points", 0.8, 3.2, 2, "down"),
    "school absence": ("days", 1, 12, 1, "down"),
    "vasopressor-free days": ("days", 10, 26, 1, "up"),
    "ICU length of stay": ("days", 3, 16, 1, "down"),
    "FACIT-Fatigue score": ("points", 20, 45, 1, "up"),
    "symptom score": ("points", 10, 60, 0, "down"),
    "acute-medication use": ("days/month", 3, 12, 1, "down"),
    "MIDAS disability score": ("points", 10, 60, 0, "down"),
    "Tinnitus Handicap Inventory score": ("points", 20, 70, 0, "down"),
    "ESSPRI dryness score": ("points", 3, 8, 1, "down"),
    "parasite clearance time": ("h", 18, 60, 0, "down"),
    "time to discharge": ("min", 90, 260, 0, "down"),
    "KCCQ overall summary score": ("points", 45, 80, 1, "up"),
    "oral corticosteroid use": ("courses/year", 0.5, 3.5, 1, "down"),
}

COMORBIDITIES = [
    "hypertension",
    "type 2 diabetes",
    "chronic kidney disease",
    "hypothyroidism",
    "obesity",
    "asthma",
    "atrial fibrillation",
    "osteoarthritis",
    "depression",
    "gastro-oesophageal reflux",
    "a previous myocardial infarction",
    "hyperlipidaemia",
    "COPD",
    "migraine",
    "anaemia",
    "heart failure",
    "gout",
    "psoriasis",
]
DESIGNS = [
    ("randomised, double-blind, placebo-controlled trial", "rct"),
    ("multicentre randomised controlled trial", "rct"),
    ("open-label, non-inferiority randomised trial", "rct"),
    ("pragmatic cluster-randomised trial", "rct"),
    ("prospective cohort study", "obs"),
    ("retrospective cohort study", "obs"),
    ("population-based case–control study", "obs"),
    ("cross-sectional study", "obs"),
    ("systematic review and meta-analysis", "meta"),
    ("post hoc analysis of a randomised trial", "rct"),
    ("registry-based observational study", "obs"),
]
PLACES = [
    "France",
    "Brazil",
    "Japan",
    "Canada",
    "Kenya",
    "India",
    "Sweden",
    "Spain",
    "Australia",
    "Germany",
    "Côte d'Ivoire",
    "Mexico",
    "South Korea",
    "Nigeria",
    "the Netherlands",
    "Chile",
    "Viet Nam",
    "Poland",
]
CITIES = [
    "São Paulo",
    "Québec City",
    "Zürich",
    "Malmö",
    "Bogotá",
    "Kraków",
    "Montréal",
    "Lyon",
    "Osaka",
    "Nairobi",
    "Pune",
    "Córdoba",
    "Tromsø",
    "Göteborg",
    "Leeds",
    "Adelaide",
    "Curitiba",
    "Ibadan",
]
STAT_METHODS = [
    "Cox proportional hazards models",
    "mixed-effects models for repeated measures",
    "multivariable logistic regression",
    "inverse probability of treatment weighting",
    "Kaplan–Meier estimates and log-rank tests",
    "Poisson regression with robust variance",
    "random-effects meta-analysis (DerSimonian–Laird)",
    "propensity-score matching (1:1)",
    "generalised estimating equations",
    "analysis of covariance adjusted for baseline values",
]
ADVERSE = [
    "nausea",
    "headache",
    "diarrhoea",
    "dizziness",
    "rash",
    "injection-site reactions",
    "fatigue",
    "elevated transaminases",
    "hypokalaemia",
    "hypotension",
    "upper respiratory tract infection",
    "constipation",
    "insomnia",
    "peripheral oedema",
    "cough",
]
TESTS = [
    ("haemoglobin", "g/dL", 8.1, 15.8, 1),
    ("white-cell count", "×10⁹/L", 3.2, 21.4, 1),
    ("platelet count", "×10⁹/L", 88, 512, 0),
    ("sodium", "mmol/L", 126, 146, 0),
    ("potassium", "mmol/L", 3.1, 5.9, 1),
    ("creatinine", "µmol/L", 54, 310, 0),
    ("C-reactive protein", "mg/L", 2, 240, 0),
    ("ALT", "U/L", 12, 240, 0),
    ("lactate", "mmol/L", 0.8, 5.6, 1),
    ("glucose", "mmol/L", 4.1, 19.8, 1),
    ("troponin T", "ng/L", 5, 180, 0),
    ("albumin", "g/L", 22, 44, 0),
    ("ferritin", "µg/L", 6, 820, 0),
    ("D-dimer", "µg/mL FEU", 0.2, 4.8, 1),
    ("TSH", "mIU/L", 0.1, 9.8, 1),
    ("bilirubin", "µmol/L", 5, 96, 0),
    ("magnesium", "mmol/L", 0.5, 1.1, 2),
]
# (investigation, possible findings)
IMAGING = [
    (
        "Chest radiography showed",
        [
            "no acute abnormality",
            "a small left pleural effusion",
            "mild cardiomegaly",
            "patchy right lower-lobe consolidation",
            "upper-lobe venous diversion",
        ],
    ),
    (
        "A CT scan of the chest revealed",
        [
            "bilateral ground-glass opacities",
            "no pulmonary embolism",
            "a 9 mm solid nodule in the right upper lobe",
            "mediastinal lymphadenopathy",
        ],
    ),
    (
        "A CT scan of the abdomen and pelvis revealed",
        [
            "diffuse colonic wall thickening",
            "a non-obstructing 6 mm renal calculus",
            "no evidence of a collection",
            "mild hepatomegaly",
        ],
    ),
    (
        "MRI of the brain showed",
        [
            "periventricular white-matter changes",
            "no acute infarct",
            "a small area of restricted diffusion in the left insula",
        ],
    ),
    (
        "Abdominal ultrasonography demonstrated",
        ["a 2.3 cm hypoechoic liver lesion", "gallbladder sludge", "normal-sized kidneys without hydronephrosis"],
    ),
    (
        "Echocardiography showed",
        [
            "a left ventricular ejection fraction of 35%",
            "no vegetations",
            "moderate mitral regurgitation",
            "a small pericardial effusion",
        ],
    ),
]
IMAGING_FINDINGS = [f for _, fs in IMAGING for f in fs]
# Typical adult ages (low, high) by condition; others use 34-72.
AGE_RANGES = {
    "Parkinson's disease": (58, 76),
    "chronic obstructive pulmonary disease": (55, 75),
    "acute ischaemic stroke": (60, 79),
    "postmenopausal osteoporosis": (64, 80),
    "heart failure with reduced ejection fraction": (58, 77),
    "atrial fibrillation": (62, 80),
    "pre-eclampsia": (24, 37),
    "essential hypertension": (45, 68),
    "gout": (48, 70),
    "type 2 diabetes mellitus": (48, 68),
    "chronic kidney disease": (55, 74),
}
ACUTE = {
    "septic shock",
    "community-acquired pneumonia",
    "Kawasaki disease",
    "Guillain–Barré syndrome",
    "acute ischaemic stroke",
    "severe falciparum malaria",
    "postoperative nausea and vomiting",
    "pre-eclampsia",
}
DIFFERENTIALS = [
    "pulmonary embolism",
    "a viral illness",
    "an adverse drug reaction",
    "anxiety",
    "anaemia",
    "thyroid dysfunction",
    "an occult malignancy",
    "dehydration",
    "a urinary tract infection",
]

# Option lists used inside sentence templates.
MECHANISMS = ["inflammation", "oxidative stress", "endothelial dysfunction", "immune dysregulation"]
EXPOSURES = ["one dispensed prescription", "two dispensed prescriptions", "three dispensed prescriptions"]
EXCLUSIONS = ["pregnancy", "active cancer", "recent surgery", "liver cirrhosis"]
EVIDENCE_LEVELS = ["case reports", "pharmacokinetic studies", "observational cohorts", "theoretical"]
INTERACTION_TRAITS = [
    "dose-dependent",
    "more marked in poor metabolisers",
    "usually reversible",
    "unpredictable in size",
]
DECADES = ["1960s", "1970s", "1980s", "1990s"]
BAKING_EXTRAS = ["a pinch of cinnamon", "grated lemon zest", "a spoonful of honey", "chopped dates"]
NEW_USES = ["flats", "a small museum", "artists' studios", "a youth centre"]

# ---------------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------------------------
# Sentence factories (each call gives a fresh sentence)
# ---------------------------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------------------------
# Document builders. Each takes (rng, target words) and returns the text.
# ---------------------------------------------------------------------------------------------------------------


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


GUIDELINE_BODIES = [
    "a joint working group of specialist societies",
    "a national expert panel",
    "the regional formulary committee",
    "an international consensus group",
    "the hospital antimicrobial stewardship team",
]
STRENGTH = [
    "strong recommendation, high-certainty evidence",
    "strong recommendation, moderate-certainty evidence",
    "conditional recommendation, low-certainty evidence",
    "good practice statement",
    "conditional recommendation, moderate-certainty evidence",
]


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


# ---------------------------------------------------------------------------------------------------------------
# General-domain vocabulary and builders (fictional towns, clubs and people; broad, well-known history).
# Each builder returns a list of sentences.
# ---------------------------------------------------------------------------------------------------------------

TOWNS = [
    "Ashbridge",
    "Kelvoro",
    "Marrowdale",
    "Port Elsin",
    "Vennick",
    "Saltmere",
    "Oranby",
    "Lindquay",
    "Brackenholm",
    "Tervasse",
    "Hollins Cross",
    "Quarrywick",
    "Estérel Bay",
    "Nordvik",
    "Calloway Rise",
]
RIVERS = ["Wend", "Ousel", "Tamar Rill", "Sorve", "Alder", "Kessel", "Brume"]
REGIONS = [
    "the northern uplands",
    "the coastal lowlands",
    "the eastern plateau",
    "the lake district of Vell",
    "the southern valleys",
    "the island chain of Morra",
]
CLUBS = [
    "Ashbridge Rovers",
    "Kelvoro Athletic",
    "Saltmere United",
    "Port Elsin Harriers",
    "Vennick City",
    "Marrowdale Wanderers",
    "Oranby Town",
    "Lindquay Rangers",
]
FIRST = [
    "Tomás",
    "Ada",
    "Kofi",
    "Lena",
    "Mateo",
    "Priya",
    "Jonas",
    "Amélie",
    "Samir",
    "Greta",
    "Idris",
    "Noor",
    "Felix",
    "Yuki",
    "Rosa",
    "Bram",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Haddad",
    "Petrov",
    "Nakamura",
    "Alves",
    "Brennan",
    "Kowalski",
    "Ferreira",
    "Osei",
    "Varga",
    "Dubois",
    "Hale",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

TECH = [
    (
        "the movable-type printing press",
        [
            "Printing with movable metal type spread through Europe in the second half of the fifteenth century.",
            "Books that had been copied by hand for weeks could now be produced in hundreds of identical copies.",
            "Cheaper books helped spread literacy, standardise spelling and speed up the exchange of ideas.",
            "Early printers combined a screw press, adapted from wine and paper making, with oil-based inks.",
            "Within a few decades, print shops were working in most of the larger trading cities of Europe.",
        ],
    ),
    (
        "the electric telegraph",
        [
            "Practical electric telegraphs appeared in the 1830s and 1840s.",
            "Messages were sent as coded pulses along wires strung beside railway lines.",
            "Undersea cables later linked continents, cutting the time for news to cross an ocean from weeks to minutes.",
            "Telegraph offices employed skilled operators who could send and read code at remarkable speed.",
            "Newspapers, railways and financial markets were among the first heavy users of the network.",
        ],
    ),
    (
        "the steam locomotive",
        [
            "Steam locomotives turned the heat of burning coal into motion by driving pistons with high-pressure steam.",
            "The first public railways of the early nineteenth century carried both coal and passengers.",
            "Railways changed how people measured time: towns had to agree on a standard clock for timetables.",
            "By the middle of the twentieth century most networks were replacing steam with diesel and electric traction.",
            "A locomotive needed regular stops for water, so small stations grew up along the lines.",
        ],
    ),
    (
        "the transistor",
        [
            "The transistor, demonstrated in 1947, could amplify and switch electrical signals without a vacuum tube.",
            "Transistors were smaller, cooler and far more reliable than the valves they replaced.",
            "Portable radios of the 1950s were among the first consumer products to use them.",
            "Packing many transistors onto one chip led to the integrated circuit and, eventually, the microprocessor.",
            "Modern chips contain billions of transistors, each far smaller than a bacterium.",
        ],
    ),
    (
        "mechanical refrigeration",
        [
            "Before mechanical refrigeration, ice was cut from frozen lakes in winter and stored in insulated houses.",
            "Refrigerators work by evaporating a fluid, which absorbs heat, and compressing it again elsewhere.",
            "Refrigerated ships and rail wagons allowed meat and fruit to travel long distances.",
            "Domestic refrigerators became common in many homes in the decades after the Second World War.",
            "Some early refrigerants were toxic or damaged the ozone layer and were later replaced.",
        ],
    ),
    (
        "the bicycle",
        [
            "Early two-wheeled machines of the nineteenth century had no pedals and were pushed along with the feet.",
            "The chain-driven 'safety' bicycle, with two wheels of similar size, made cycling far less dangerous.",
            "Pneumatic tyres smoothed the ride and helped start a cycling craze in the 1890s.",
            "The bicycle gave many people, including women, a new independence of movement.",
            "Techniques developed for bicycle making, such as ball bearings and light steel tubes, were later used "
            "in cars and aircraft.",
        ],
    ),
    (
        "photography",
        [
            "Early photographs required exposures lasting minutes, so sitters had to stay perfectly still.",
            "Glass plates and later flexible film made cameras lighter and photography more popular.",
            "Roll-film cameras sold to the public turned photography into a hobby for millions.",
            "Digital sensors, which record light as numbers, largely replaced film at the start of the "
            "twenty-first century.",
            "Colour photography took decades to become cheap enough for everyday use.",
        ],
    ),
]
TECH_EXTRA = [
    "Its inventors built on many earlier experiments that are now largely forgotten.",
    "Museums in several countries keep working examples that visitors can see in operation.",
    "Historians still debate which improvements mattered most for its success.",
    "The new technology also created new jobs, while making some older trades disappear.",
    "Like many inventions, it was first dismissed by critics as a passing novelty.",
    "Standard parts and agreed measurements were essential before it could be produced in large numbers.",
    "Patent disputes between rival inventors dragged on for years.",
    "Its story is often told through a few famous names, but hundreds of workshops contributed.",
]

DISHES = [
    ("lentil soup", ["red lentils", "onion", "carrot", "cumin", "vegetable stock", "lemon juice"], "simmer"),
    ("tarte aux pommes", ["apples", "butter", "flour", "sugar", "an egg", "crème fraîche"], "bake"),
    ("roasted vegetable tray", ["peppers", "courgettes", "red onion", "olive oil", "thyme", "feta"], "roast"),
    ("mushroom risotto", ["arborio rice", "mushrooms", "shallots", "white wine", "parmesan", "stock"], "stir"),
    ("flatbreads", ["flour", "yoghurt", "baking powder", "salt", "olive oil"], "griddle"),
    ("chickpea curry", ["chickpeas", "tomatoes", "garlic", "ginger", "garam masala", "coconut milk"], "simmer"),
    ("purée of celeriac", ["celeriac", "potato", "milk", "butter", "nutmeg"], "boil"),
    ("banana bread", ["ripe bananas", "flour", "brown sugar", "eggs", "walnuts", "butter"], "bake"),
]


def fill_sentences(r: random.Random, sents: list[str], pool: list[str], target: int) -> list[str]:
    r.shuffle(pool)
    while words(" ".join(sents)) < target and pool:
        sents.append(pool.pop())
    return sents


def g_geography(r: random.Random, target: int) -> list[str]:
    town, river, region = r.choice(TOWNS), r.choice(RIVERS), r.choice(REGIONS)
    kind = r.choice(["market town", "fishing port", "river city", "hill village", "former mining town"])
    sents = [
        f"{town} is {an(kind)} {kind} in {region}, on the {r.choice(['north', 'south', 'east', 'west'])} "
        f"bank of the River {river}.",
        f"It had a population of about {r.randint(2, 240) * 1000 + r.randint(0, 999):,} at the last census.",
    ]
    pool = [
        f"The town lies at an elevation of {r.randint(4, 1450)} metres and is known for its "
        f"{r.choice(['mild winters', 'windy springs', 'long, dry summers', 'frequent sea fogs'])}.",
        f"Its economy was once based on {r.choice(['wool', 'salt', 'slate', 'herring', 'timber'])}, but today "
        f"{r.choice(['tourism', 'light engineering', 'software firms', 'vineyards', 'a large hospital'])} employs "
        f"more people.",
        f"A stone bridge of {r.randint(5, 13)} arches, built in the "
        f"{r.choice(['fourteenth', 'sixteenth', 'eighteenth'])} century, still carries traffic across the river.",
        f"The railway arrived in {r.randint(1842, 1910)}, and the journey to {r.choice(TOWNS)} now takes about "
        f"{r.randint(20, 140)} minutes.",
        f"Average temperatures range from {r.randint(-6, 6)} °C in January to {r.randint(18, 31)} °C in July.",
        f"Each {r.choice(['spring', 'summer', 'autumn'])} the town holds a "
        f"{r.choice(['cheese fair', 'regatta', 'music festival', 'horse market'])} that draws visitors from across "
        f"the region.",
        f"The surrounding countryside is a patchwork of "
        f"{r.choice(['orchards', 'sheep pasture', 'rice paddies', 'pine forest'])} and small lakes.",
        "The old quarter, with its narrow lanes and a covered market, is a protected conservation area.",
        f"The river floods every few winters, and a new embankment was completed in {r.randint(1995, 2022)}.",
        f"About {r.randint(5, 30)}% of residents commute to larger towns for work.",
        f"The town's name is thought to come from an old word for "
        f"{r.choice(['ford', 'salt spring', 'hill fort', 'meadow', 'harbour'])}.",
        f"Its {r.choice(['grammar school', 'technical college', 'observatory', 'botanical garden'])} was founded in "
        f"{r.randint(1780, 1960)} and is still open today.",
        "Local dishes make use of river fish, hill lamb and the soft cheese of the valley farms.",
        f"A cycle path follows the old towpath for {r.randint(8, 40)} km along the river.",
    ]
    return fill_sentences(r, sents, pool, target)


def g_cooking(r: random.Random, target: int) -> list[str]:
    dish, ingredients, method = r.choice(DISHES)
    temp = r.choice([160, 180, 190, 200, 220])
    savoury = method != "bake"
    in_a_pan = method in ("simmer", "stir", "boil")
    sents = [
        f"{cap(dish)} {'are' if dish.endswith('s') else 'is'} a simple "
        f"{r.choice(['weeknight', 'family', 'budget', 'seasonal'])} {'dish' if savoury else 'bake'} made from "
        f"{join_list(r.sample(ingredients, min(len(ingredients), r.randint(3, 5))))}."
    ]
    steps = {
        "bake": [
            f"Bake at {temp} °C (fan {temp - 20} °C) for {r.randint(25, 60)} minutes, until golden.",
            "Leave it to cool in the tin for ten minutes before turning it out.",
        ],
        "roast": [
            f"Roast at {temp} °C for {r.randint(30, 50)} minutes, turning the vegetables halfway through.",
            "Scatter the cheese over the tray just before serving.",
        ],
        "simmer": [
            f"Simmer gently for {r.randint(20, 45)} minutes, stirring now and then so nothing sticks.",
            "Season with salt and a squeeze of lemon at the end.",
        ],
        "stir": [
            "Add the hot stock a ladle at a time, stirring until each addition is absorbed.",
            "Finish with butter and grated cheese, then rest for two minutes.",
        ],
        "griddle": [
            "Cook each flatbread in a dry, very hot pan for about a minute on each side.",
            "Brush with garlic butter while still warm.",
        ],
        "boil": [
            f"Boil the vegetables for {r.randint(15, 25)} minutes, then drain well and mash with warm milk.",
            "A pinch of nutmeg brings out the sweetness of the purée.",
        ],
    }[method]
    pool = [
        f"It serves {r.randint(2, 8)} people and takes about {r.randint(20, 90)} minutes from start to finish.",
        "Leftovers keep for two days in an airtight container.",
        "Weigh the ingredients rather than using cups for the most reliable results.",
        f"The recipe became popular in {r.choice(TOWNS)} cafés in the {r.choice(DECADES)}.",
        "The recipe doubles easily, and a second batch freezes well for up to three months.",
        f"Children can help by {r.choice(['weighing the ingredients', 'stirring', 'setting the table'])}.",
    ]
    if savoury:
        pool += [
            f"Some cooks add {r.choice(['a handful of spinach', 'chilli flakes', 'fresh coriander', 'toasted seeds'])} "
            f"for extra flavour.",
            f"Serve with {r.choice(['crusty bread', 'a green salad', 'steamed rice', 'a spoonful of yoghurt'])}.",
            "Taste as you go and adjust the seasoning before serving.",
        ]
        if in_a_pan:
            pool += [
                f"Sauté the {r.choice(['onion', 'garlic', 'shallots'])} slowly first; rushing this step makes the "
                f"dish bitter.",
                "Buy vegetables in season, when they are cheaper and have more flavour.",
                "A heavy-based pan spreads the heat evenly and stops the bottom from catching.",
            ]
    else:
        pool += [
            "Bring the butter and eggs to room temperature before you start.",
            f"Some bakers add {r.choice(BAKING_EXTRAS)}.",
            "Check that it is done by pushing a skewer into the middle: it should come out clean.",
            "Serve warm with yoghurt or a spoonful of crème fraîche.",
        ]
    return fill_sentences(r, sents + steps, pool, target)


def g_sports(r: random.Random, target: int) -> list[str]:
    home, away = r.sample(CLUBS, 2)
    hg, ag = r.randint(0, 5), r.randint(0, 4)
    scorer = f"{r.choice(FIRST)} {r.choice(LAST)}"
    day = r.choice(DAYS)
    res = "beat" if hg > ag else ("lost to" if hg < ag else "drew with")
    sents = [f"{home} {res} {away} {hg}–{ag} on {day} in front of a crowd of {r.randint(900, 38000):,}."]
    pool = [
        "The visitors had a goal disallowed for offside shortly before half-time.",
        "Rain made the pitch heavy, and both sides struggled to keep possession.",
        f"The result leaves {home} {r.choice(['second', 'fourth', 'seventh', 'bottom'])} in the table, "
        f"{r.randint(1, 12)} points behind the leaders.",
        f'Manager {r.choice(FIRST)} {r.choice(LAST)} said afterwards that the team had "shown real character".',
        f"{away} travel to {r.choice(TOWNS)} next {r.choice(DAYS)}.",
        f"A late penalty appeal was waved away by the referee with {r.randint(2, 9)} minutes left.",
        f"Both clubs had injury worries before kick-off, with {r.randint(2, 5)} first-team players unavailable.",
        f"The two sides last met in {r.choice(['March', 'October', 'the cup semi-final', 'pre-season'])}, when "
        f"{r.choice([home, away])} won {r.randint(1, 4)}–{r.randint(0, 1)}.",
        f"Ticket prices had been cut by {r.randint(10, 30)}% to attract families, and the stadium was "
        f"{r.choice(['almost full', 'two-thirds full', 'sold out'])}.",
        f"Young goalkeeper {r.choice(FIRST)} {r.choice(LAST)} made several fine saves on his league debut.",
        f"Possession was split {(p := r.randint(38, 64))}–{100 - p}, with {r.randint(6, 22)} shots in total.",
    ]
    if hg or ag:
        pool.append(
            f"{scorer} opened the scoring after {r.randint(3, 44)} minutes with a low shot from the edge of the area."
        )
    return fill_sentences(r, sents, pool, target)


def g_technology(r: random.Random, target: int) -> list[str]:
    topic, facts = r.choice(TECH)
    sents = [
        f"The history of {topic} shows how one invention can reshape everyday life."
        if r.random() < 0.5
        else f"{cap(topic)} is often listed among the most influential inventions."
    ]
    facts = list(facts)
    r.shuffle(facts)
    extra = list(TECH_EXTRA)
    r.shuffle(extra)
    while words(" ".join(sents)) < target and (facts or extra):
        src = facts if facts and (r.random() < 0.7 or not extra) else extra
        sents.append(src.pop())
    return sents


def g_weather(r: random.Random, target: int) -> list[str]:
    region = r.choice(REGIONS)
    day = r.choice(DAYS)
    what, t_lo, t_hi = r.choice(
        [
            ("heavy rain", 6, 20),
            ("strong winds", 4, 18),
            ("a spell of sunshine", 14, 33),
            ("snow showers", -6, 2),
            ("thick fog", 2, 12),
            ("thunderstorms", 18, 32),
        ]
    )
    hi = r.randint(t_lo, t_hi)
    lo = hi - r.randint(4, 12)
    sents = [f"Forecasters expect {what} across {region} on {day}."]
    pool = [
        f"Daytime temperatures will reach {hi} °C, falling to around {lo} °C overnight.",
        f"Gusts of up to {r.randint(40, 110)} km/h are possible on exposed coasts and hills.",
        f"Up to {r.randint(10, 80)} mm of rain could fall in {r.randint(6, 24)} hours, and some roads may flood."
        if what != "snow showers"
        else f"Up to {r.randint(2, 25)} cm of snow could settle on higher ground, and some roads may close.",
        f"Drivers are advised to allow extra time for journeys, especially near {r.choice(TOWNS)}.",
        f"Conditions should settle by {r.choice(DAYS)}, with lighter winds and sunny intervals.",
        f"Pollen counts will be {r.choice(['low', 'moderate', 'high'])}, and the UV index {r.randint(1, 8)}."
        if hi >= 12
        else "Ice is likely on untreated roads and pavements early in the morning.",
        f"The month has so far been {r.uniform(0.5, 2.8):.1f} °C {r.choice(['warmer', 'cooler'])} than the "
        f"long-term average.",
        "Farmers have welcomed the change after several weeks of unsettled weather.",
        f"Ferry services to {r.choice(TOWNS)} may be delayed or cancelled.",
        f"Sea temperatures are around {r.randint(8, 24)} °C, and swimmers are urged to take care.",
        f"Air pressure will fall to about {r.randint(975, 1005)} hPa as the low passes to the north.",
        "Weather stations recorded the wettest night of the year so far in several hill villages.",
        f"Sunrise is at {r.randint(5, 8)}:{r.randint(10, 59)} and sunset at {r.randint(16, 21)}:{r.randint(10, 59)}.",
        "Outdoor events planned for the weekend are expected to go ahead, with some changes to timings.",
    ]
    return fill_sentences(r, sents, pool, target)


def g_local_news(r: random.Random, target: int) -> list[str]:
    town = r.choice(TOWNS)
    thing = r.choice(
        ["public library", "swimming pool", "footbridge", "community garden", "bus station", "concert hall"]
    )
    sents = [
        f"A new {thing} opened in {town} on {r.choice(DAYS)}, {r.randint(2, 6)} years after plans were first announced."
    ]
    pool = [
        f"The project cost about {r.randint(2, 48)} million and was paid for partly by local donations.",
        f'Mayor {r.choice(FIRST)} {r.choice(LAST)} said the building would "bring people together".',
        "The design uses timber from nearby forests and solar panels on the roof.",
        f"Opening hours will run from {r.randint(7, 10)} in the morning until {r.randint(6, 10)} in the evening, "
        f"seven days a week.",
        "Local schools have already booked sessions for the coming term.",
        "Some residents had objected to the loss of parking spaces during construction.",
        "A café run by volunteers sells coffee, soup and cakes baked in the town.",
        f"More than {r.randint(2, 9) * 100} people attended the opening ceremony despite the cold.",
        f"The architect, {r.choice(FIRST)} {r.choice(LAST)}, grew up a few streets away.",
        "Disabled access was a priority, with step-free entrances and wide doors throughout.",
        f"The old {thing} will be turned into {r.choice(NEW_USES)}.",
        f"A bus service now links the site with the railway station every {r.choice([10, 15, 20, 30])} minutes.",
        "Organisers plan a programme of free events for the first month.",
    ]
    return fill_sentences(r, sents, pool, target)


GENERAL_TYPES = [g_geography, g_cooking, g_sports, g_technology, g_weather, g_local_news]


def make_general(r: random.Random, count: int) -> list[str]:
    docs: list[str] = []
    seen: set[str] = set()
    while len(docs) < count:
        # Cycle through the topics so each appears equally often; lengths vary within 40–250 words.
        builder = GENERAL_TYPES[len(docs) % len(GENERAL_TYPES)]
        target = r.choice([r.randint(40, 80), r.randint(80, 160), r.randint(140, 235)])
        sents = builder(r, target)
        text = " ".join(sents)
        if words(text) > 110 and len(sents) > 4 and r.random() < 0.4:  # some documents have two paragraphs
            cut = len(sents) // 2
            text = " ".join(sents[:cut]) + "\n" + " ".join(sents[cut:])
        if text in seen or not 40 <= words(text) <= 250:
            continue
        seen.add(text)
        docs.append(text)
    return docs


# ---------------------------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------------------------


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
