"""PyTorch side of `npm run bench -- backend`: forward + backward of a ViT-Tiny (192 wide, 12 layers,
6 heads, patch 16) on 96 px images, loss = mean square of the class token, the reference ViT of
test/golden/msn_reference.py.

usage: msn_backend.py BATCH STEPS   -> prints one JSON line
"""
import json
import os
import sys

import torch

from step_timing import time_steps

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden"))
from msn_reference import VisionTransformer  # noqa: E402


def main():
    batch, steps = int(sys.argv[1]), int(sys.argv[2])
    torch.manual_seed(0)
    vit = VisionTransformer(96, 16, 12, 6, 192, 768, 3)
    x = torch.randn(batch, 3, 96, 96)

    def step():
        vit.zero_grad(set_to_none=True)
        loss = vit(x).square().mean()
        loss.backward()
        return loss.item()

    times = time_steps(step, steps)
    print(json.dumps({"msPerStep": 1000 * times[len(times) // 2], "times": times, "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
