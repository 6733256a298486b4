"""Reference values for the linear-probe training of src/eval, from PyTorch itself:

- the learning rates of CosineAnnealingLR(T_max=50) and ReduceLROnPlateau(mode="max", factor=0.5,
  patience=3) driven by a fixed sequence of validation AUROCs;
- three epochs of a 14-way-style linear head (here 3 labels) trained with torch.optim.Adam on fixed
  embeddings with a cosine schedule and a masked BCE-with-logits loss, batches given explicitly, so
  the TypeScript loop (src/eval/head.ts) must reproduce the weights after every epoch.

Writes test/golden/probe_fixture.json. Run from the repository root:
    .venv-ref/bin/python test/golden/probe_reference.py
"""
import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe_fixture.json")
IGNORE = -1
torch.manual_seed(0)
rng = np.random.default_rng(7)


def schedules():
    lr0, epochs = 1e-3, 50
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=lr0)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=0)
    cosine = []
    for _ in range(epochs):
        cosine.append(opt.param_groups[0]["lr"])
        opt.step()
        cos.step()
    # A validation curve that rises, plateaus (tiny relative gains below the 1e-4 threshold) and rises again.
    metrics = [0.60, 0.65, 0.68, 0.680001, 0.68003, 0.679, 0.6801, 0.70, 0.70, 0.70, 0.70, 0.70,
               0.7001, 0.71, 0.705, 0.704, 0.703, 0.702, 0.701, 0.72, 0.72, 0.72, 0.72, 0.72, 0.72]
    opt2 = torch.optim.Adam([p], lr=lr0)
    red = torch.optim.lr_scheduler.ReduceLROnPlateau(opt2, mode="max", factor=0.5, patience=3)
    reduce = []
    for m in metrics:
        reduce.append(opt2.param_groups[0]["lr"])
        red.step(m)
    reduce.append(opt2.param_groups[0]["lr"])
    return {"cosine": {"lr0": lr0, "epochs": epochs, "lrs": cosine},
            "reduce": {"lr0": lr0, "metrics": metrics, "lrs": reduce}}


def head_training():
    n, d, k, batch, epochs, lr0, t_max = 120, 6, 3, 16, 3, 0.05, 50
    x = rng.normal(size=(n, d)).astype(np.float32)
    w_true = rng.normal(size=(d, k))
    y = (x @ w_true + rng.normal(size=(n, k)) * 0.5 > 0.3).astype(np.float32)
    y[rng.choice(n, 15, replace=False), 1] = IGNORE
    lin = torch.nn.Linear(d, k)  # PyTorch default init; the TS test starts from these exact weights
    w0 = lin.weight.detach().numpy().T.copy()  # [d, k] as the TS head stores it
    b0 = lin.bias.detach().numpy().copy()
    opt = torch.optim.Adam(lin.parameters(), lr=lr0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max)
    X, Y = torch.tensor(x), torch.tensor(y)
    batches, weights, losses = [], [], []
    for _ in range(epochs):
        perm = rng.permutation(n)
        ep = [perm[i:i + batch] for i in range(0, n - batch + 1, batch)]  # drop_last=True
        batches.append([b.tolist() for b in ep])
        total = 0.0
        for b in ep:
            xb, yb = X[b], Y[b]
            mask = (yb != IGNORE).float()
            logits = lin(xb)
            per = torch.nn.functional.binary_cross_entropy_with_logits(logits, yb * mask, reduction="none")
            loss = (per * mask).sum() / mask.sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        sched.step()
        losses.append(total / len(ep))
        weights.append({"weight": lin.weight.detach().numpy().T.ravel().tolist(), "bias": lin.bias.detach().numpy().tolist()})
    return {"n": n, "dim": d, "labels": k, "lr0": lr0, "tMax": t_max, "x": x.ravel().tolist(), "y": y.ravel().tolist(),
            "weight0": w0.ravel().tolist(), "bias0": b0.tolist(), "batches": batches, "losses": losses, "after": weights}


def main():
    fixture = {"generator": "test/golden/probe_reference.py", "torch": torch.__version__,
               "schedules": schedules(), "head": head_training()}
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
