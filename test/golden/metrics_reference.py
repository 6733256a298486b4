"""Reference values for src/eval metrics: scikit-learn AUROC / average precision, numpy percentiles
and DeLong's test written independently here (Sun & Xu 2014, midrank form).

Writes test/golden/metrics_fixture.json. Run from the repository root:
    .venv-ref/bin/python test/golden/metrics_reference.py

The TypeScript tests read the committed fixture and never need Python.
"""
import json
import os

import numpy as np
import scipy.stats
from sklearn.metrics import average_precision_score, roc_auc_score

IGNORE = -1
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_fixture.json")
rng = np.random.default_rng(20240711)


def masked(y, s):
    keep = y != IGNORE
    return y[keep], s[keep]


def per_label(Y, S):
    """sklearn on each label, ignored entries removed; None where a label has one class only."""
    out = []
    for j in range(Y.shape[1]):
        y, s = masked(Y[:, j], S[:, j])
        if y.size == 0 or y.min() == y.max():
            out.append(None)
            continue
        out.append({"auroc": float(roc_auc_score(y, s)), "auprc": float(average_precision_score(y, s))})
    return out


def make_case(name, Y, S):
    labels = per_label(Y, S)
    valid = [j for j, v in enumerate(labels) if v is not None]
    case = {
        "name": name,
        "rows": int(Y.shape[0]),
        "cols": int(Y.shape[1]),
        "yTrue": Y.astype(int).ravel().tolist(),
        "yScore": [float(x) for x in S.ravel()],
        "perLabel": labels,
        "leftOut": [j for j, v in enumerate(labels) if v is None],
        "macroAuroc": float(np.mean([labels[j]["auroc"] for j in valid])),
        "macroAuprc": float(np.mean([labels[j]["auprc"] for j in valid])),
    }
    # sklearn's own macro average on the valid columns, when no entry is ignored there (a cross-check
    # that "mean of per-label values" is what average='macro' means).
    if not (Y[:, valid] == IGNORE).any():
        case["sklearnMacroAuroc"] = float(roc_auc_score(Y[:, valid], S[:, valid], average="macro"))
        case["sklearnMacroAuprc"] = float(average_precision_score(Y[:, valid], S[:, valid], average="macro"))
    return case


def ties_case():
    n, k = 300, 7
    prevalence = [0.5, 0.2, 0.05, 0.01, None, 0.0, 1.0]
    Y = np.zeros((n, k), dtype=np.int64)
    for j, p in enumerate(prevalence):
        if p is None:
            Y[rng.integers(n), j] = 1  # exactly one positive
        else:
            Y[:, j] = rng.random(n) < p
    Y[:, 3][rng.choice(n, 3, replace=False)] = 1  # tiny class: at least 3 positives
    # some ignored entries (uncertain labels) in labels 0 and 2
    Y[rng.choice(n, 40, replace=False), 0] = IGNORE
    Y[rng.choice(n, 25, replace=False), 2] = IGNORE
    signal = Y.clip(0, 1) * rng.normal(0.3, 0.2, size=(n, k))
    S = np.round(rng.random((n, k)) * 0.7 + signal, 1)  # one decimal: many ties
    S[:, 1] = np.round(S[:, 1] * 3) / 3  # only a handful of distinct values
    return Y, S


def tiny_case():
    Y = np.array([[1, 0], [0, 0], [1, 1], [0, 0], [0, 1], [1, 0], [0, 0]])
    S = np.array([[0.9, 0.2], [0.4, 0.2], [0.4, 0.8], [0.4, 0.1], [0.1, 0.2], [0.9, 0.5], [0.05, 0.5]])
    return Y, S


def float32_case():
    n, k = 500, 4
    Y = (rng.random((n, k)) < [0.3, 0.1, 0.02, 0.6]).astype(np.int64)
    S = (1 / (1 + np.exp(-(rng.normal(size=(n, k)) + 1.2 * Y)))).astype(np.float32).astype(np.float64)
    return Y, S


def constant_case():
    n = 40
    Y = (np.arange(n) % 3 == 0).astype(np.int64)[:, None]
    S = np.full((n, 1), 0.25)
    return Y, S


# ---- bootstrap resamples: the weighted sweep must equal sklearn on the resampled rows ----

def resample_case(Y, S, count):
    n = Y.shape[0]
    out = []
    for _ in range(count):
        idx = rng.integers(0, n, n)
        out.append({"indices": idx.tolist(), "perLabel": per_label(Y[idx], S[idx])})
    return out


# ---- DeLong (Sun & Xu 2014) ----

def midrank(x):
    """1-based midranks of x (ties get the average of their ranks)."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    n = len(x)
    ranks = np.zeros(n)
    i = 0
    while i < n:
        j = i
        while j < n and xs[j] == xs[i]:
            j += 1
        ranks[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = ranks
    return out


def delong_components(y, scores):
    """For each model row of `scores` (k x n): AUC and the structural components V10 (per positive)
    and V01 (per negative), from midranks as in Sun & Xu's Algorithm."""
    pos = np.where(y == 1)[0]
    neg = np.where(y == 0)[0]
    m, n = len(pos), len(neg)
    aucs, v10s, v01s = [], [], []
    for s in scores:
        tz = midrank(np.concatenate([s[pos], s[neg]]))
        tx = midrank(s[pos])
        ty = midrank(s[neg])
        auc = (tz[:m].sum() - m * (m + 1) / 2) / (m * n)
        v10 = (tz[:m] - tx) / n
        v01 = 1 - (tz[m:] - ty) / m
        aucs.append(auc)
        v10s.append(v10)
        v01s.append(v01)
    return np.array(aucs), np.array(v10s), np.array(v01s), pos, neg


def delong_pair(y, a, b):
    aucs, v10, v01, pos, neg = delong_components(y, np.stack([a, b]))
    m, n = len(pos), len(neg)
    cov = np.cov(v10) / m + np.cov(v01) / n
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    diff = aucs[1] - aucs[0]
    z = diff / np.sqrt(var) if var > 0 else 0.0
    p = 2 * scipy.stats.norm.sf(abs(z))
    return {"aucA": float(aucs[0]), "aucB": float(aucs[1]), "diff": float(diff), "var": float(var),
            "z": float(z), "p": float(p)}, aucs, v10, v01, pos, neg


def delong_case():
    n, k = 400, 5
    Y = (rng.random((n, k)) < [0.4, 0.15, 0.05, 0.3, 0.0]).astype(np.int64)
    Y[rng.choice(n, 30, replace=False), 3] = IGNORE
    A = np.round(rng.normal(size=(n, k)) + 0.8 * Y.clip(0, 1), 1)
    B = np.round(0.6 * A + rng.normal(size=(n, k)) * 0.8 + 0.6 * Y.clip(0, 1), 1)
    B[:, 1] = A[:, 1]  # identical scores on one label: difference 0, variance 0
    per = []
    psi = []  # per-row influence of each valid label, b minus a
    for j in range(k):
        keep = np.where(Y[:, j] != IGNORE)[0]
        y = Y[keep, j]
        if y.min() == y.max():
            per.append(None)
            continue
        res, aucs, v10, v01, pos, neg = delong_pair(y, A[keep, j], B[keep, j])
        per.append(res)
        m, nn = len(pos), len(neg)
        # Row influence scaled so that the sum of squares is DeLong's S10/m + S01/n (see src/eval/compare.ts).
        col = np.zeros(n)
        col[keep[pos]] = ((v10[1] - aucs[1]) - (v10[0] - aucs[0])) / np.sqrt(m * (m - 1))
        col[keep[neg]] = ((v01[1] - aucs[1]) - (v01[0] - aucs[0])) / np.sqrt(nn * (nn - 1))
        assert abs((col ** 2).sum() - res["var"]) < 1e-12 * max(1.0, res["var"])
        psi.append(col)
    valid = [j for j in range(k) if per[j] is not None]
    phi = np.mean(psi, axis=0)
    diff = float(np.mean([per[j]["diff"] for j in valid]))
    var = float((phi ** 2).sum())
    z = diff / np.sqrt(var)
    macro = {"diff": diff, "var": var, "z": float(z), "p": float(2 * scipy.stats.norm.sf(abs(z)))}
    return {"rows": n, "cols": k, "yTrue": Y.ravel().tolist(), "a": A.ravel().tolist(), "b": B.ravel().tolist(),
            "perLabel": per, "macro": macro}


def percentile_case():
    x = np.round(rng.normal(size=37), 3)
    qs = [0.0, 2.5, 5.0, 50.0, 95.0, 97.5, 100.0]
    return {"x": x.tolist(), "q": qs, "values": [float(np.percentile(x, q)) for q in qs]}


def main():
    Yt, St = ties_case()
    cases = [make_case("ties", Yt, St), make_case("tiny", *tiny_case()),
             make_case("float32", *float32_case()), make_case("constant", *constant_case())]
    fixture = {
        "generator": "test/golden/metrics_reference.py",
        "sklearn": __import__("sklearn").__version__,
        "ignore": IGNORE,
        "cases": cases,
        "resamples": {"case": "ties", "draws": resample_case(Yt, St, 4)},
        "delong": delong_case(),
        "percentile": percentile_case(),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
