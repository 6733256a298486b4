"""scikit-learn's Barnes-Hut t-SNE on the benchmark's data (bench/tsne.ts).

Usage: python tsne_sklearn.py DATA N D OUT
DATA: N x D float32, row-major, raw; OUT: the N x 2 embedding, float64, raw.
Prints one JSON line: seconds (fit_transform wall time), its own KL estimate, iterations, threads.
"""
import json
import sys
import time

import numpy as np
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_info


def main() -> None:
    data, n, d, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    X = np.fromfile(data, dtype=np.float32).reshape(n, d)
    # scikit-learn's defaults (perplexity 30, PCA init, learning rate "auto", 1000 iterations,
    # angle 0.5); n_jobs=-1 lets the neighbour search use every core as the gradient already does.
    tsne = TSNE(n_components=2, perplexity=30.0, init="pca", random_state=0, method="barnes_hut", angle=0.5, n_jobs=-1)
    t0 = time.perf_counter()
    Y = tsne.fit_transform(X)
    seconds = time.perf_counter() - t0
    Y.astype(np.float64).tofile(out)
    threads = max((p.get("num_threads", 1) for p in threadpool_info()), default=1)
    print(json.dumps({"seconds": seconds, "kl": float(tsne.kl_divergence_), "iterations": int(tsne.n_iter_), "threads": threads}))


if __name__ == "__main__":
    main()
