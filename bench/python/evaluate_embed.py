"""PyTorch inference throughput of the same ViT as model.vit (torchvision layout, written in plain
torch in test/golden/msn_reference.py since torchvision is not installable here): the class token of
batches of 224 px images, no gradient, fp32 on CPU.

Usage: evaluate_embed.py DIM LAYERS HEADS BATCH BATCHES THREADS. Prints one JSON line.
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden"))
from msn_reference import VisionTransformer  # noqa: E402


def main():
    dim, layers, heads, batch, batches, threads = (int(a) for a in sys.argv[1:7])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = VisionTransformer(224, 16, layers, heads, dim, 4 * dim, 3).eval()
    x = torch.randn(batch, 3, 224, 224)
    with torch.no_grad():
        model(x)  # warm-up
        t0 = time.perf_counter()
        for _ in range(batches):
            out = model(x)
        seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "images": batch * batches, "imagesPerSecond": batch * batches / seconds, "shape": list(out.shape), "threads": threads}))


if __name__ == "__main__":
    main()
