"""Writes test/golden/tsne_fixture.json: scikit-learn's t-SNE pieces on small fixed data, for the
TypeScript tests (which read this file and never need Python).

Run from the repository root: .venv-ref/bin/python test/golden/tsne_reference.py
(scikit-learn 1.9.1, numpy; see test/golden/requirements.txt).
"""
import json
import os

import numpy as np
import sklearn
from scipy.spatial.distance import pdist, squareform
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import (
    _gradient_descent,
    _joint_probabilities,
    _joint_probabilities_nn,
    _kl_divergence,
    _kl_divergence_bh,
)
from sklearn.neighbors import NearestNeighbors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tsne_fixture.json")


def clustered(rng, n, d, k, spread):
    """k Gaussian clusters; values rounded to 4 decimals so that JSON holds them exactly enough."""
    centres = rng.normal(size=(k, d)) * spread
    labels = rng.integers(0, k, n)
    X = centres[labels] + rng.normal(size=(n, d))
    return np.round(X, 4).astype(np.float32), labels


def nn_joint(X, perplexity):
    k = min(len(X) - 1, int(3.0 * perplexity + 1))
    knn = NearestNeighbors(n_neighbors=k).fit(X)
    D = knn.kneighbors_graph(mode="distance")
    D.data **= 2
    return _joint_probabilities_nn(D, perplexity, 0)


def short(X):
    """float32 data as the shortest decimals that convert back to the same float32 values."""
    return np.round(X.astype(np.float64), 4).tolist()


def main():
    rng = np.random.default_rng(7)
    out = {"sklearn": sklearn.__version__}

    # 1. Affinities from 31 nearest neighbours (perplexity 10), and the BH gradient at a fixed embedding.
    X, _ = clustered(rng, 120, 8, 3, 3.0)
    P = nn_joint(X, 10.0).tocsr()
    P.sort_indices()
    Y = np.round(rng.normal(size=(120, 2)) * 3, 4)
    kl_bh, grad_bh = _kl_divergence_bh(Y.ravel().copy(), P, 1, 120, 2, angle=0.5)
    kl_bh0, grad_bh0 = _kl_divergence_bh(Y.ravel().copy(), P, 1, 120, 2, angle=0.0)
    out["nn"] = {
        "X": short(X), "perplexity": 10.0,
        "indptr": P.indptr.tolist(), "indices": P.indices.tolist(), "values": P.data.astype(float).tolist(),
        "Y": Y.tolist(), "klBh": float(kl_bh), "gradBh": grad_bh.tolist(), "klBh0": float(kl_bh0), "gradBh0": grad_bh0.tolist(),
    }

    # 2. Exact affinities (all pairs, perplexity 5) and the exact KL and gradient.
    X2, _ = clustered(rng, 50, 5, 2, 2.0)
    D2 = squareform(pdist(X2.astype(np.float64), "sqeuclidean"))
    P2 = _joint_probabilities(D2.astype(np.float32), 5.0, 0)
    Y2 = np.round(rng.normal(size=(50, 2)), 4)
    kl2, grad2 = _kl_divergence(Y2.ravel().copy(), P2, 1, 50, 2)
    exact = TSNE(n_components=2, perplexity=5.0, init="pca", random_state=0, method="exact")
    Y2run = exact.fit_transform(X2)
    out["exact"] = {
        "X": short(X2), "perplexity": 5.0, "P": P2.tolist(), "Y": Y2.tolist(), "kl": float(kl2), "grad": grad2.tolist(),
        "runKl": float(exact.kl_divergence_), "runTrust5": float(trustworthiness(X2, Y2run, n_neighbors=5)),
    }

    # 3. A whole run: sklearn's embedding, its trustworthiness and exact KL (same P as ours), and PCA axes.
    X3, labels3 = clustered(rng, 600, 16, 6, 2.5)
    tsne = TSNE(n_components=2, perplexity=30.0, init="pca", random_state=0, method="barnes_hut")
    Y3 = tsne.fit_transform(X3)
    P3 = squareform(nn_joint(X3, 30.0).toarray(), checks=False)
    Q3 = pdist(Y3.astype(np.float64), "sqeuclidean")
    Q3 = 1.0 / (1.0 + Q3)
    Q3 = np.maximum(Q3 / (2.0 * Q3.sum()), np.finfo(np.double).eps)
    keep = P3 > 0
    kl3 = 2.0 * float(np.sum(P3[keep] * np.log(P3[keep] / Q3[keep])))
    pca = PCA(n_components=2).fit(X3)
    out["run"] = {
        "X": short(X3), "labels": labels3.tolist(), "perplexity": 30.0,
        "Y": np.round(Y3.astype(float), 5).tolist(),
        "trust10": float(trustworthiness(X3, Y3, n_neighbors=10)),
        "kl": kl3, "klSklearn": float(tsne.kl_divergence_),
        "pcaAxes": pca.components_.tolist(),
    }

    # 4. The early-exaggeration phase alone, as TSNE.fit runs it (exact method, set 2's P and fixed
    #    embedding as the start): P times early_exaggeration, momentum 0.5, 250 iterations. Step size 1
    #    keeps the path smooth (sklearn's "auto" step of 50 makes it chaotic: float32 vs float64
    #    affinities then part ways within 10 iterations). The plain KL(P || Q) at the start of the last
    #    iteration (what ehr-msn reports), sklearn's exaggerated KL there, and TSNE()'s defaults.
    defaults = TSNE().get_params()
    ee = float(defaults["early_exaggeration"])
    phase = TSNE._EXPLORATION_MAX_ITER

    def explore(iterations):
        return _gradient_descent(
            _kl_divergence, Y2.ravel().copy(), it=0, max_iter=iterations, n_iter_check=TSNE._N_ITER_CHECK,
            n_iter_without_progress=phase, momentum=0.5, learning_rate=1.0, min_grad_norm=defaults["min_grad_norm"],
            args=[P2 * ee, 1, 50, 2], kwargs=dict(skip_num_points=0),
        )

    before_last = explore(phase - 1)[0]
    _, kl_exaggerated, it = explore(phase)
    out["early"] = {
        "learningRate": 1.0, "iterations": int(it + 1), "earlyExaggeration": ee,
        "kl": float(_kl_divergence(before_last, P2, 1, 50, 2)[0]), "klExaggerated": float(kl_exaggerated),
        "defaults": {
            "perplexity": defaults["perplexity"], "earlyExaggeration": ee, "maxIter": defaults["max_iter"],
            "exaggerationIter": phase, "learningRate": defaults["learning_rate"],
            "theta": defaults["angle"], "init": defaults["init"], "minGradNorm": defaults["min_grad_norm"],
        },
    }
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT) // 1024} KiB)")


if __name__ == "__main__":
    main()
