"""Reference values for the logistic probe of src/eval/logistic.ts, from scikit-learn itself:
StandardScaler() fitted on every training row, then per label LogisticRegression(C, lbfgs, tol 1e-10)
on the training rows whose label is not ignored (-1), for three C values; the weights mapped back onto the
raw embeddings (coef / scale, intercept - sum(coef * mean / scale)) and the decision values of held-out
rows. The embeddings are correlated and of very unequal scales, as a ViT's class tokens are.

Writes test/golden/logistic_fixture.json. Run from the repository root:
    .venv-ref/bin/python test/golden/logistic_reference.py
"""
import json
import os

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logistic_fixture.json")
IGNORE = -1
rng = np.random.default_rng(11)
n, held, d, k = 240, 60, 12, 3
mix = rng.normal(size=(d, d)) * np.linspace(0.05, 3, d)
x = (rng.normal(size=(n + held, d)) @ mix + rng.normal(size=d) * 4).astype(np.float32)
truth = rng.normal(size=(d, k))
y = (x @ truth / 10 + rng.logistic(size=(n + held, k)) > 0).astype(np.float32)
y[rng.random((n + held, k)) < 0.1] = IGNORE
y[:, 2][y[:, 2] != IGNORE] = (rng.random((y[:, 2] != IGNORE).sum()) < 0.15)  # a rarer label

sc = StandardScaler().fit(x[:n].astype(np.float64))
z = sc.transform(x[:n].astype(np.float64))
fits = []
for c in [0.01, 0.3, 10.0]:
    weight = np.zeros((d, k))
    bias = np.zeros(k)
    for j in range(k):
        rows = y[:n, j] != IGNORE
        lr = LogisticRegression(C=c, tol=1e-10, max_iter=100000).fit(z[rows], y[:n][rows, j])
        weight[:, j] = lr.coef_[0] / sc.scale_
        bias[j] = lr.intercept_[0] - np.sum(lr.coef_[0] * sc.mean_ / sc.scale_)
    fits.append({"c": c, "weight": weight.ravel().tolist(), "bias": bias.tolist(),
                 "decision": (x[n:].astype(np.float64) @ weight + bias).ravel().tolist()})

json.dump({"n": n, "held": held, "d": d, "names": ["a", "b", "rare"], "x": x.ravel().tolist(),
           "y": y.ravel().tolist(), "fits": fits}, open(OUT, "w"))
print("wrote", OUT)
