"""Judges several 2-D embeddings of the same data the same way (bench/tsne.ts):

- KL(P || Q) with scikit-learn's P (perplexity 30 over the 91 nearest neighbours, its own
  `_joint_probabilities_nn`) and the exact Q (Z summed over all pairs);
- trustworthiness with k = 10: `sklearn.manifold.trustworthiness` when N <= 12,000 (it holds an
  N x N matrix), else the same formula with the input ranks counted exactly, block by block.

Usage: python tsne_quality.py DATA N D EMBEDDING...   (DATA float32 N x D; embeddings float64 N x 2)
Prints one JSON line: {"kl": [...], "trust": [...], "trustMethod": ..., "seconds": ...}.
"""
import json
import sys
import time

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.manifold import trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities_nn
from sklearn.neighbors import NearestNeighbors

PERPLEXITY = 30.0
K_TRUST = 10
SKLEARN_TRUST_MAX = 12000
BLOCK = 512


def input_pass(X, embeddings_nn):
    """One blocked pass over the input distances: the 91 nearest neighbours (for P) and, for each
    embedding, the sum over points of (rank - k) for embedding neighbours ranked beyond k."""
    n = len(X)
    kp = min(n - 1, int(3.0 * PERPLEXITY + 1))
    Xd = X.astype(np.float64)
    sq = np.einsum("ij,ij->i", Xd, Xd)
    nn_idx = np.empty((n, kp), dtype=np.int64)
    nn_d2 = np.empty((n, kp), dtype=np.float64)
    penalty = np.zeros(len(embeddings_nn))
    for s in range(0, n, BLOCK):
        e = min(n, s + BLOCK)
        D = sq[s:e, None] + sq[None, :] - 2.0 * (Xd[s:e] @ Xd.T)
        np.maximum(D, 0.0, out=D)
        D[np.arange(e - s), np.arange(s, e)] = np.inf
        part = np.argpartition(D, kp - 1, axis=1)[:, :kp]
        pd = np.take_along_axis(D, part, axis=1)
        order = np.argsort(pd, axis=1)
        nn_idx[s:e] = np.take_along_axis(part, order, axis=1)
        nn_d2[s:e] = np.take_along_axis(pd, order, axis=1)
        for m, emb_nn in enumerate(embeddings_nn):
            t = np.take_along_axis(D, emb_nn[s:e], axis=1)  # distances to the embedding's neighbours
            kth = nn_d2[s:e, -1:]
            near = t <= kth  # rank computable from the sorted 91 nearest
            ranks = np.empty_like(t)
            ranks[near] = 1 + np.sum(nn_d2[s:e][:, None, :] < t[:, :, None], axis=2)[near]
            for r, c in zip(*np.nonzero(~near)):
                ranks[r, c] = 1 + np.count_nonzero(D[r] < t[r, c])
            penalty[m] += np.sum(np.maximum(ranks - K_TRUST, 0))
    return nn_idx, nn_d2, penalty


def exact_kl(P, Y):
    """KL(P || Q) over the stored entries of P, Q from all pairs of the embedding."""
    n = len(Y)
    Z = 0.0
    for s in range(0, n, BLOCK):
        e = min(n, s + BLOCK)
        d2 = (Y[s:e, 0:1] - Y[None, :, 0]) ** 2 + (Y[s:e, 1:2] - Y[None, :, 1]) ** 2
        Z += float(np.sum(1.0 / (1.0 + d2))) - (e - s)  # minus the i == j terms
    P = P.tocoo()
    d2 = np.sum((Y[P.row] - Y[P.col]) ** 2, axis=1)
    q = (1.0 / (1.0 + d2)) / Z
    p = P.data
    keep = p > 0
    return float(np.sum(p[keep] * np.log(p[keep] / np.maximum(q[keep], np.finfo(np.double).eps))))


def main() -> None:
    t0 = time.perf_counter()
    data, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    X = np.fromfile(data, dtype=np.float32).reshape(n, d)
    Ys = [np.fromfile(f, dtype=np.float64).reshape(n, 2) for f in sys.argv[4:]]
    emb_nn = [NearestNeighbors(n_neighbors=K_TRUST).fit(Y).kneighbors(return_distance=False) for Y in Ys]
    nn_idx, nn_d2, penalty = input_pass(X, emb_nn)
    kp = nn_idx.shape[1]
    dist = csr_matrix((nn_d2.ravel(), nn_idx.ravel(), np.arange(0, n * kp + 1, kp)), shape=(n, n))
    P = _joint_probabilities_nn(dist, PERPLEXITY, 0)
    kl = [exact_kl(P, Y) for Y in Ys]
    blocked = [float(1.0 - p * (2.0 / (n * K_TRUST * (2.0 * n - 3.0 * K_TRUST - 1.0)))) for p in penalty]
    if n <= SKLEARN_TRUST_MAX:
        trust = [float(trustworthiness(X, Y, n_neighbors=K_TRUST)) for Y in Ys]
        method = "sklearn.manifold.trustworthiness"
    else:
        trust = blocked
        method = "exact ranks, blocked (sklearn's formula; its function needs an N x N matrix)"
    print(json.dumps({"kl": kl, "trust": trust, "trustBlocked": blocked, "trustMethod": method, "seconds": time.perf_counter() - t0}))


if __name__ == "__main__":
    main()
