"""bench/cohort.ts, reference side: the cohort in polars, the same rules as the pandas reference
(test/golden/cohort_reference.py, whose docstring lists them) written the way a polars user would
(lazy-free eager frames, joins, no row loops), from the same MIMIC files.

Usage:
    cohort_polars.py MIMIC_CXR MIMIC_IV REPEATS   one JSON line: wall and CPU seconds of each build
                                                  (imports excluded), rows, rows left out, peak RSS
    cohort_polars.py check-golden                 compares with the golden fixtures of
                                                  test/golden (the pandas reference's output)
"""
import gzip
import json
import os
import resource
import sys
import time

import polars as pl

LABELS = [
    "Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Enlarged Cardiomediastinum", "Fracture",
    "Lung Lesion", "Lung Opacity", "No Finding", "Pleural Effusion", "Pleural Other", "Pneumonia",
    "Pneumothorax", "Support Devices",
]
VIEWS = ["PA", "AP", "LATERAL", "LL"]
POSITIONS = ["Erect", "Recumbent"]
TS = "%Y-%m-%d %H:%M:%S"


def find(folder, names):
    for name in names:
        for ext in (".csv.gz", ".csv"):
            f = os.path.join(folder, name + ext)
            if os.path.exists(f):
                return f
    raise FileNotFoundError(f"none of {names} in {folder}")


def read(file, columns, strings=()):
    return pl.read_csv(file, columns=columns, schema_overrides={c: pl.String for c in strings})


def build(cxr, iv, uncertain="zeros", impute="mode", stay_match="date"):
    """Returns (cohort DataFrame in metadata order, counts of rows left out by reason)."""
    meta = read(
        find(cxr, ["mimic-cxr-2.0.0-metadata"]),
        ["dicom_id", "subject_id", "study_id", "StudyDate", "StudyTime", "ViewPosition",
         "PatientOrientationCodeSequence_CodeMeaning"],
        ["dicom_id", "ViewPosition", "PatientOrientationCodeSequence_CodeMeaning"],
    ).rename({"ViewPosition": "view", "PatientOrientationCodeSequence_CodeMeaning": "position"})
    if meta["dicom_id"].is_duplicated().any():
        raise ValueError("duplicate dicom_id")
    patients = read(find(iv, ["hosp/patients", "core/patients"]), ["subject_id", "gender", "anchor_age", "anchor_year"])
    labels = read(find(cxr, ["mimic-cxr-2.0.0-chexpert"]), ["study_id"] + LABELS)
    split = read(find(cxr, ["mimic-cxr-2.0.0-split"]), ["dicom_id", "split"], ["dicom_id"])
    adm = read(find(iv, ["hosp/admissions", "core/admissions"]),
               ["subject_id", "hadm_id", "admittime", "dischtime", "hospital_expire_flag"]).with_row_index("adm_row")
    icu = read(find(iv, ["icu/icustays"]), ["subject_id", "intime", "outtime"])
    dropped = {}

    def drop(df, mask, reason):
        n = int(df.select(mask.sum()).item())
        if n:
            dropped[reason] = dropped.get(reason, 0) + n
        return df.filter(~mask)

    def drop_codes(df, column, allowed, reason):
        other = pl.col(column).is_not_null() & ~pl.col(column).is_in(allowed)
        for code, n in df.filter(other)[column].value_counts(sort=True).iter_rows():
            dropped[f"{reason} ({code})"] = int(n)
        return df.filter(~other)

    df = meta.with_row_index("row").join(patients.with_columns(known=pl.lit(True)), on="subject_id", how="left")
    df = drop(df, pl.col("known").is_null(), "subject not in MIMIC-IV patients")
    df = drop(df, pl.col("gender").is_null(), "missing gender")
    df = drop_codes(df, "view", VIEWS, "view code outside PA, AP, LATERAL, LL")
    df = drop_codes(df, "position", POSITIONS, "position outside Erect, Recumbent")
    df = df.join(labels.with_columns(labelled=pl.lit(True)), on="study_id", how="left")
    df = drop(df, pl.col("labelled").is_null(), "study without a CheXpert label row")
    df = df.join(split, on="dicom_id", how="left")
    df = drop(df, pl.col("split").is_null(), "image not in the split file")
    df = df.sort("row").with_row_index("index")

    # Study time and EHR fields.
    t = pl.col("StudyTime")
    seconds = (t // 10000) * 3600 + ((t // 100) % 100) * 60 + (t % 100)
    day = pl.col("StudyDate").cast(pl.Int64).cast(pl.String).str.to_datetime("%Y%m%d", time_unit="us")
    df = df.with_columns(day=day).with_columns(
        time=pl.col("day") + pl.duration(microseconds=(seconds * 1e6).round().cast(pl.Int64)),
        age=pl.col("StudyDate") // 10000 - (pl.col("anchor_year") - pl.col("anchor_age")),
    )
    adm = adm.with_columns(pl.col(c).str.to_datetime(TS, time_unit="us") for c in ("admittime", "dischtime"))
    adm = adm.filter(pl.col("admittime").is_not_null() & pl.col("dischtime").is_not_null()
                     & (pl.col("dischtime") >= pl.col("admittime")))
    icu = icu.with_columns(pl.col(c).str.to_datetime(TS, time_unit="us") for c in ("intime", "outtime"))
    icu = icu.filter(pl.col("intime").is_not_null() & pl.col("outtime").is_not_null()
                     & (pl.col("outtime") >= pl.col("intime")))

    images = df.select("index", "subject_id", "time", "day")
    if stay_match == "last-admission":
        last = adm.sort(["admittime", "hadm_id", "adm_row"], descending=[True, True, False], nulls_last=True) \
            .unique("subject_id", keep="first")
        best = images.join(last, on="subject_id")
    else:
        m = images.join(adm, on="subject_id").with_columns(
            in_time=(pl.col("admittime") <= pl.col("time")) & (pl.col("time") <= pl.col("dischtime")))
        if stay_match == "date":
            m = m.filter((pl.col("admittime").dt.truncate("1d") <= pl.col("day"))
                         & (pl.col("day") <= pl.col("dischtime").dt.truncate("1d")))
        else:
            m = m.filter(pl.col("in_time"))
        best = m.sort(["index", "in_time", "admittime", "hadm_id", "adm_row"],
                      descending=[False, True, True, True, False], nulls_last=True).unique("index", keep="first")
    df = df.join(best.select("index", "hospital_expire_flag", "hadm_id"), on="index", how="left") \
        .with_columns(mortality=pl.col("hospital_expire_flag").fill_null(0).cast(pl.Int64))
    m = images.join(icu, on="subject_id")
    if stay_match == "datetime":
        m = m.filter((pl.col("intime") <= pl.col("time")) & (pl.col("time") <= pl.col("outtime")))
    else:
        m = m.filter((pl.col("intime").dt.truncate("1d") <= pl.col("day"))
                     & (pl.col("day") <= pl.col("outtime").dt.truncate("1d")))
    df = df.with_columns(icu=pl.col("index").is_in(m["index"].implode()).cast(pl.Int64)).sort("index")

    # Missing view / position.
    if impute == "drop":
        df = drop(df, pl.col("view").is_null() & pl.col("position").is_null(), "missing view and position")
        df = drop(df, pl.col("view").is_null(), "missing view")
        df = drop(df, pl.col("position").is_null(), "missing position")
    else:
        train = df.filter(pl.col("split") == "train")
        for c in ("view", "position"):
            counts = train[c].drop_nulls().value_counts().sort(["count", c], descending=[True, False])
            df = df.with_columns(pl.col(c).fill_null(counts[c][0]))

    u = {"zeros": 0, "ones": 1, "ignore": -1}[uncertain]
    df = df.with_columns(pl.col(c).fill_null(0).replace(-1, u).cast(pl.Int64) for c in LABELS)
    out = df.select(["dicom_id", "split"] + LABELS + [pl.col("age"), pl.col("gender").alias("sex"), "view",
                                                      "position", "icu", "mortality", "hadm_id"])
    return out, dropped


def values(column):
    """A column's values to compare: numbers as floats (52 and 52.0 agree), text as text, blank as None."""
    return (column.cast(pl.Float64) if column.dtype.is_numeric() else column).to_list()


def check_golden():
    """The polars cohort against the pandas reference's fixtures: same rows, values and drops."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden")
    cxr = os.path.join(here, "cohort_input", "mimic-cxr-jpg", "2.0.0")
    iv = os.path.join(here, "cohort_input", "mimiciv", "2.2")
    variants = {"cohort_zeros_mode_date": ("zeros", "mode", "date"),
                "cohort_ignore_drop_datetime": ("ignore", "drop", "datetime"),
                "cohort_ones_mode_last": ("ones", "mode", "last-admission")}
    ok = True
    for name, (uncertain, impute, stay_match) in variants.items():
        df, dropped = build(cxr, iv, uncertain, impute, stay_match)
        with gzip.open(os.path.join(here, name + ".csv.gz"), "rb") as f:
            golden = pl.read_csv(f.read(), schema_overrides={"dicom_id": pl.String})
        with open(os.path.join(here, name + ".json")) as f:
            expected = json.load(f)
        same = df.height == golden.height and dropped == expected["dropped"] and all(
            values(df[c]) == values(golden[c]) for c in golden.columns)
        print(name, df.height, "same as the pandas reference" if same else "DIFFERS")
        ok = ok and same
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    if sys.argv[1:] == ["check-golden"]:
        check_golden()
    cxr, iv, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seconds, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        df, dropped = build(cxr, iv, uncertain="zeros", impute="mode", stay_match="date")
        seconds.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": df.height, "dropped": dropped,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
