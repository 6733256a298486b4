"""bench/danfo.ts, reference side: what the cohort helpers and the plain danfo calls do, in pandas, on
the same cohort table. Usage: danfo_pandas.py COHORT_CSV LABELS_JSON REPEATS. The table is read once
(not timed) into Python lists, one per column, as the Node side holds it. Prints one JSON line: per
operation, the wall and CPU seconds of each repeat (imports and reading excluded)."""
import json
import sys
import time

import pandas as pd

csv, labels, repeats = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
source = pd.read_csv(csv, low_memory=False)
lists = {c: source[c].tolist() for c in source.columns}
df = pd.DataFrame(lists)
ids = [c for c in df.columns if c.endswith("_id") or c == "path"]
numeric = ["age", "icu", "mortality"]
categorical = ["sex", "view", "position"]


def describe_numeric():
    return pd.concat([df.groupby("split")[numeric].describe(), df[numeric].describe().T.stack().to_frame().T])


def describe_categorical():
    return [df.groupby("split")[c].describe() for c in categorical] + [df[categorical].describe()]


def value_counts():
    return df.groupby("split")["view"].value_counts(dropna=False).unstack(0), df["view"].value_counts(dropna=False)


def labels_by():
    known = df[labels].ne(-1).groupby(df["sex"], dropna=False).sum()
    return df[labels].eq(1).groupby(df["sex"], dropna=False).sum() / known


def cooccurrence():
    p = df[labels].eq(1).astype("int64")
    return p.T @ p


def missingness():
    cols = [c for c in df.columns if c not in ids and not c.endswith("_imputed")]
    return df[cols].isna().groupby(df["split"]).sum(), df[cols].isna().sum()


def per_patient():
    per = df.groupby(["split", "subject_id"]).agg(images=("dicom_id", "size"), studies=("study_id", "nunique"))
    return per.groupby("split").agg(["count", "sum", "mean", "median", "max"])


def round_trip():
    frame = pd.DataFrame(lists)
    return df.loc[frame[frame["age"] > 60].index]


OPERATIONS = {
    "pd.DataFrame(columns)": lambda: pd.DataFrame(lists),
    "describe numeric, per split": describe_numeric,
    "describe categorical, per split": describe_categorical,
    "value_counts(view), per split": value_counts,
    "crosstab(view, Cardiomegaly, margins=True)": lambda: pd.crosstab(df["view"], df["Cardiomegaly"], margins=True),
    "labels by sex": labels_by,
    "label co-occurrence": cooccurrence,
    "isna() per split": missingness,
    "per patient, per split": per_patient,
    "select PA views (df.loc[index])": lambda: df.loc[df[df["view"] == "PA"].index],
    "round trip: DataFrame + age > 60 + loc": round_trip,
    'groupby("split").count()': lambda: df.groupby("split").count(),
    'df["view"].value_counts()': lambda: df["view"].value_counts(),
    'df.query("age > 60")': lambda: df.query("age > 60"),
    'df["age"].mean()': lambda: df["age"].mean(),
    "df.isna().sum()": lambda: df.isna().sum(),
    'df.sort_values("age")': lambda: df.sort_values("age"),
    'groupby("subject_id").count()': lambda: df.groupby("subject_id").count(),
    "df.describe()": lambda: df.describe(),
    'df.loc[:, ["age", "sex"]]': lambda: df.loc[:, ["age", "sex"]],
}

out = {}
for name, f in OPERATIONS.items():
    seconds, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        f()
        seconds.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    out[name] = {"seconds": seconds, "cpu": cpu}
print(json.dumps({"pandas": pd.__version__, "rows": len(df), "columns": len(df.columns), "operations": out}))
