"""The MIMIC cohort in pandas: the independent reference for ehr-msn's cohort.build.

Implements the same rules as src/cohort/build.ts (method-reference §12-13), written the
way a pandas user would (vectorised merges, no row loops), from the same MIMIC files:

- images of mimic-cxr-2.0.0-metadata left-joined to MIMIC-IV patients (rows without a patient or a
  gender left out), view codes other than PA/AP/LATERAL/LL and positions other than Erect/Recumbent
  left out, inner-joined to the CheXpert labels on study_id and to the split file on dicom_id;
- age = StudyDate year - (anchor_year - anchor_age);
- mortality = hospital_expire_flag of the admission holding the study, icu = 1 when an ICU stay
  holds it, under the rule `date` (calendar days, inclusive; several admissions: the one that also
  holds the study time, then the latest admittime, then the larger hadm_id, a blank hadm_id after
  any number, then the earlier row of admissions), `datetime` (times, inclusive, the same order) or
  `last-admission` (the subject's latest admission in that order, ICU by date);
- missing view / position filled with the training split's mode (ties: alphabetical) or dropped;
- labels: blank -> 0, uncertain -1 -> 0 (zeros), 1 (ones) or -1 (ignore).

Usage (writes the golden fixtures of test/cohort/golden.test.ts from the synthetic tables in
test/golden/cohort_input, which were written by
`ehr-msn synth --out test/golden/cohort_input --patients 500 --seed 7`, then synth.json and
synth-truth.csv.gz removed):
    python test/golden/cohort_reference.py write-fixtures
"""
import gzip
import json
import os
import sys

import numpy as np
import pandas as pd

LABELS = [
    "Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Enlarged Cardiomediastinum", "Fracture",
    "Lung Lesion", "Lung Opacity", "No Finding", "Pleural Effusion", "Pleural Other", "Pneumonia",
    "Pneumothorax", "Support Devices",
]
VIEWS = ["PA", "AP", "LATERAL", "LL"]
POSITIONS = ["Erect", "Recumbent"]


def find(folder, names):
    for name in names:
        for ext in (".csv.gz", ".csv"):
            f = os.path.join(folder, name + ext)
            if os.path.exists(f):
                return f
    raise FileNotFoundError(f"none of {names} in {folder}")


def build(cxr, iv, uncertain="zeros", impute="mode", stay_match="date"):
    """Returns (cohort DataFrame in metadata order, counts of rows left out by reason)."""
    meta = pd.read_csv(
        find(cxr, ["mimic-cxr-2.0.0-metadata"]),
        usecols=["dicom_id", "subject_id", "study_id", "StudyDate", "StudyTime", "ViewPosition",
                 "PatientOrientationCodeSequence_CodeMeaning"],
        dtype={"ViewPosition": str, "PatientOrientationCodeSequence_CodeMeaning": str},
    ).rename(columns={"ViewPosition": "view", "PatientOrientationCodeSequence_CodeMeaning": "position"})
    if meta.dicom_id.duplicated().any():
        raise ValueError("duplicate dicom_id")
    patients = pd.read_csv(find(iv, ["hosp/patients", "core/patients"]), usecols=["subject_id", "gender", "anchor_age", "anchor_year"])
    labels = pd.read_csv(find(cxr, ["mimic-cxr-2.0.0-chexpert"]), usecols=["study_id"] + LABELS)
    split = pd.read_csv(find(cxr, ["mimic-cxr-2.0.0-split"]), usecols=["dicom_id", "split"])
    adm = pd.read_csv(find(iv, ["hosp/admissions", "core/admissions"]),
                      usecols=["subject_id", "hadm_id", "admittime", "dischtime", "hospital_expire_flag"])
    icu = pd.read_csv(find(iv, ["icu/icustays"]), usecols=["subject_id", "intime", "outtime"])
    dropped = {}

    def drop(df, mask, reason):
        n = int(mask.sum())
        if n:
            dropped[reason] = dropped.get(reason, 0) + n
        return df[~mask]

    df = meta.merge(patients, on="subject_id", how="left", indicator=True)
    df = drop(df, df._merge == "left_only", "subject not in MIMIC-IV patients")
    df = drop(df, df.gender.isna(), "missing gender")
    other_view = df.view.notna() & ~df.view.isin(VIEWS)
    for code, n in df.view[other_view].value_counts().items():
        dropped[f"view code outside PA, AP, LATERAL, LL ({code})"] = int(n)
    df = df[~other_view]
    other_pos = df.position.notna() & ~df.position.isin(POSITIONS)
    for code, n in df.position[other_pos].value_counts().items():
        dropped[f"position outside Erect, Recumbent ({code})"] = int(n)
    df = df[~other_pos]
    df = df.drop(columns="_merge").merge(labels, on="study_id", how="left", indicator=True)
    df = drop(df, df._merge == "left_only", "study without a CheXpert label row")
    df = df.drop(columns="_merge").merge(split, on="dicom_id", how="left")
    df = drop(df, df.split.isna(), "image not in the split file")
    df = df.reset_index(drop=True)

    # Study time and EHR fields.
    day = pd.to_datetime(df.StudyDate.astype("int64").astype(str), format="%Y%m%d")
    t = df.StudyTime
    df["time"] = day + pd.to_timedelta((t // 10000) * 3600 + ((t // 100) % 100) * 60 + (t % 100), unit="s")
    df["day"] = day
    df["age"] = df.StudyDate // 10000 - (df.anchor_year - df.anchor_age)
    for c in ("admittime", "dischtime"):
        adm[c] = pd.to_datetime(adm[c], format="%Y-%m-%d %H:%M:%S")
    adm["adm_row"] = np.arange(len(adm))
    adm = adm[adm.admittime.notna() & adm.dischtime.notna() & (adm.dischtime >= adm.admittime)]
    for c in ("intime", "outtime"):
        icu[c] = pd.to_datetime(icu[c], format="%Y-%m-%d %H:%M:%S")
    icu = icu[icu.intime.notna() & icu.outtime.notna() & (icu.outtime >= icu.intime)]

    images = df[["subject_id", "time", "day"]].reset_index()
    if stay_match == "last-admission":
        order = ["admittime", "hadm_id", "adm_row"]
        last = adm.sort_values(order, ascending=[False, False, True], na_position="last").drop_duplicates("subject_id")
        best = images.merge(last, on="subject_id")
    else:
        m = images.merge(adm, on="subject_id")
        m["in_time"] = (m.admittime <= m.time) & (m.time <= m.dischtime)
        if stay_match == "date":
            m = m[(m.admittime.dt.normalize() <= m.day) & (m.day <= m.dischtime.dt.normalize())]
        else:
            m = m[m.in_time]
        order = ["index", "in_time", "admittime", "hadm_id", "adm_row"]
        best = m.sort_values(order, ascending=[True, False, False, False, True], na_position="last").drop_duplicates("index")
    best = best.set_index("index")
    df["mortality"] = best.hospital_expire_flag.reindex(df.index).fillna(0).astype(int)
    df["hadm_id"] = best.hadm_id.reindex(df.index)
    m = images.merge(icu, on="subject_id")
    if stay_match == "datetime":
        m = m[(m.intime <= m.time) & (m.time <= m.outtime)]
    else:
        m = m[(m.intime.dt.normalize() <= m.day) & (m.day <= m.outtime.dt.normalize())]
    df["icu"] = df.index.isin(m["index"]).astype(int)

    # Missing view / position.
    if impute == "drop":
        both = df.view.isna() & df.position.isna()
        df = drop(df, both, "missing view and position")
        df = drop(df, df.view.isna(), "missing view")
        df = drop(df, df.position.isna(), "missing position")
    else:
        train = df[df.split == "train"]
        for c in ("view", "position"):
            df[c] = df[c].fillna(train[c].mode().iloc[0])

    u = {"zeros": 0, "ones": 1, "ignore": -1}[uncertain]
    for c in LABELS:
        df[c] = df[c].fillna(0).replace(-1, u).astype(int)
    df["sex"] = df.gender
    out = df[["dicom_id", "split"] + LABELS + ["age", "sex", "view", "position", "icu", "mortality", "hadm_id"]]
    return out.reset_index(drop=True), dropped


VARIANTS = {
    # name: (uncertain, impute, stay_match)
    "cohort_zeros_mode_date": ("zeros", "mode", "date"),
    "cohort_ignore_drop_datetime": ("ignore", "drop", "datetime"),
    "cohort_ones_mode_last": ("ones", "mode", "last-admission"),
}


def write_fixtures():
    here = os.path.dirname(os.path.abspath(__file__))
    cxr = os.path.join(here, "cohort_input", "mimic-cxr-jpg", "2.0.0")
    iv = os.path.join(here, "cohort_input", "mimiciv", "2.2")
    for name, (uncertain, impute, stay_match) in VARIANTS.items():
        df, dropped = build(cxr, iv, uncertain, impute, stay_match)
        df = df.assign(hadm_id=df.hadm_id.astype("Int64"))
        with gzip.open(os.path.join(here, name + ".csv.gz"), "wt", newline="") as f:
            df.to_csv(f, index=False)
        with open(os.path.join(here, name + ".json"), "w") as f:
            json.dump({"options": {"uncertain": uncertain, "impute": impute, "stayMatch": stay_match}, "rows": len(df), "dropped": dropped}, f, indent=2, sort_keys=True)
            f.write("\n")
        print(name, len(df), dropped)


if __name__ == "__main__":
    if sys.argv[1:] == ["write-fixtures"]:
        write_fixtures()
    else:
        print(__doc__)
        sys.exit(2)
