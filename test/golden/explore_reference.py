"""Reference for the cohort exploration helpers (src/cohort/explore.ts): a small cohort-shaped table
(explore_input.csv, seeded) and what pandas says about it (explore_fixture.json): describe per split
(numeric and categorical), value_counts, crosstab with margins, label prevalence by sex, label
co-occurrence, missing values per split, and images / studies per patient per split.

Regenerate: .venv-ref/bin/python test/golden/explore_reference.py (pandas 3.0.6, numpy 2.4.6)."""
import json
import os

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = ["A", "B", "C"]
SPLITS = ["train", "validate", "test"]


def make_table(rng):
    patients = 70
    split_of = rng.choice(SPLITS, size=patients, p=[0.6, 0.15, 0.25])
    rows = []
    study = 1000
    for p in range(patients):
        for _ in range(rng.integers(1, 5)):
            study += 1
            for _ in range(rng.integers(1, 4)):
                rows.append((split_of[p], 100 + p, study))
    df = pd.DataFrame(rows, columns=["split", "subject_id", "study_id"])
    n = len(df)
    age = rng.normal(62, 15, n).round(1)
    age[rng.random(n) < 0.08] = np.nan
    df["age"] = age
    df["sex"] = rng.choice(["F", "M"], size=n, p=[0.45, 0.55])
    df.loc[rng.random(n) < 0.05, "sex"] = np.nan
    df["view"] = rng.choice(["PA", "AP", "LATERAL", "LL"], size=n, p=[0.42, 0.33, 0.17, 0.08])
    df.loc[rng.random(n) < 0.04, "view"] = np.nan
    for label, p in zip(LABELS, [0.3, 0.2, 0.45]):
        df[label] = rng.choice([1, 0, -1], size=n, p=[p, 0.9 - p, 0.1])
    return df


def records(frame):
    """A frame as JSON-ready rows: NaN as None."""
    return json.loads(frame.to_json(orient="records", double_precision=15))


def main():
    df = make_table(np.random.default_rng(16))
    df.to_csv(os.path.join(HERE, "explore_input.csv"), index=False)
    groups = SPLITS + ["all"]
    per = {s: df[df["split"] == s] for s in SPLITS}
    per["all"] = df

    numeric = {}
    for g in groups:
        d = per[g]["age"].describe()
        numeric[g] = {k: float(v) for k, v in d.items()} | {"missing": int(per[g]["age"].isna().sum())}
    categorical = {}
    for c in ["sex", "view"]:
        categorical[c] = {}
        for g in groups:
            counts = per[g][c].value_counts()
            # The helpers break ties by sort order, pandas by first appearance: the table has none.
            assert counts.iloc[0] > counts.iloc[1], (c, g)
            categorical[c][g] = {
                "count": int(per[g][c].count()),
                "missing": int(per[g][c].isna().sum()),
                "unique": int(per[g][c].nunique()),
                "top": counts.index[0],
                "freq": int(counts.iloc[0]),
            }
    value_counts = {g: {str(k): int(v) for k, v in per[g]["view"].value_counts(dropna=False).items()} for g in groups}
    filled = df.fillna({"sex": "missing"})
    crosstab = records(pd.crosstab(filled["sex"], filled["A"], margins=True, margins_name="all").reset_index())
    crosstab_index = records(
        pd.crosstab(filled["sex"], filled["A"], margins=True, margins_name="all", normalize="index").reset_index()
    )
    known = df[LABELS].ne(-1).groupby(filled["sex"]).sum()
    positive = df[LABELS].eq(1).groupby(filled["sex"]).sum()
    labels_by = records((positive / known).assign(images=filled.groupby("sex").size()).reset_index())
    p = df[LABELS].eq(1).astype("int64")
    cooccurrence = records((p.T @ p).rename_axis("label").reset_index())
    missing = {g: {c: int(v) for c, v in per[g][["age", "sex", "view"]].isna().sum().items()} for g in groups}
    per_patient = {}
    for g in groups:
        x = per[g].groupby("subject_id").agg(images=("study_id", "size"), studies=("study_id", "nunique"))
        per_patient[g] = {
            "patients": len(x),
            "images": int(x["images"].sum()),
            "studies": int(x["studies"].sum()),
            "images_mean": float(x["images"].mean()),
            "images_median": float(x["images"].median()),
            "images_max": int(x["images"].max()),
            "studies_mean": float(x["studies"].mean()),
            "studies_median": float(x["studies"].median()),
            "studies_max": int(x["studies"].max()),
        }
    fixture = {
        "pandas": pd.__version__,
        "rows": len(df),
        "labels": LABELS,
        "describe_numeric": numeric,
        "describe_categorical": categorical,
        "value_counts_view": value_counts,
        "crosstab_sex_A": crosstab,
        "crosstab_sex_A_index": crosstab_index,
        "labels_by_sex": labels_by,
        "cooccurrence": cooccurrence,
        "missing": missing,
        "per_patient": per_patient,
    }
    with open(os.path.join(HERE, "explore_fixture.json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
