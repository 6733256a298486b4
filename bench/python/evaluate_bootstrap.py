"""The authors' bootstrap CI loop (CXR-EHR-MSN src/models/evaluationmodels.py get_model_performance):
resample the test rows with pandas, call scikit-learn's roc_auc_score / average_precision_score
(average='macro') on every resample, then take the percentile interval.

Usage: evaluate_bootstrap.py DIR RESAMPLES   (DIR holds labels.f32, scores.f32 and meta.json written by
bench/evaluate.ts). Prints one JSON line.
"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score


def main():
    folder, resamples = sys.argv[1], int(sys.argv[2])
    meta = json.load(open(os.path.join(folder, "meta.json")))
    n, k = meta["rows"], meta["cols"]
    y = np.fromfile(os.path.join(folder, "labels.f32"), dtype=np.float32).reshape(n, k).astype(int)
    p = np.fromfile(os.path.join(folder, "scores.f32"), dtype=np.float32).reshape(n, k).astype(np.float64)
    t0 = time.perf_counter()
    point = {"auroc": float(roc_auc_score(y, p)), "auprc": float(average_precision_score(y, p))}
    df = pd.DataFrame(np.hstack([y, p]))
    np.random.seed(meta["seed"])
    aurocs, auprcs = [], []
    for _ in range(resamples):
        s = df.sample(frac=1, replace=True).values
        aurocs.append(roc_auc_score(s[:, :k], s[:, k:]))
        auprcs.append(average_precision_score(s[:, :k], s[:, k:]))
    seconds = time.perf_counter() - t0
    ci = lambda xs: [float(np.percentile(xs, 2.5)), float(np.percentile(xs, 97.5))]
    print(json.dumps({"seconds": seconds, "resamples": resamples, "point": point, "aurocCi": ci(aurocs), "auprcCi": ci(auprcs)}))


if __name__ == "__main__":
    main()
