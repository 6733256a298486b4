"""PyTorch side of `npm run bench -- pretrain --method mae`: one MAE training step (random masking at
0.75, the encoder over the kept patches, the decoder, the normalised-pixel loss on the masked patches,
backward, AdamW), timed with the reference model of test/golden/mae_reference.py at ViT-Tiny size with
ehr-msn's default decoder (256 wide, 4 blocks, 8 heads).

usage: mae_pretrain.py BATCH STEPS   -> prints one JSON line
"""
import json
import os
import sys

import torch

from step_timing import step_report, time_steps

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden"))
from mae_reference import Decoder, VisionTransformer, encode, forward_loss  # noqa: E402


def main():
    batch, steps = (int(a) for a in sys.argv[1:3])
    torch.manual_seed(0)
    patch, patches = 16, 196
    vit = VisionTransformer(224, patch, 12, 6, 192, 768, 3)
    decoder = Decoder(192, patches, patch * patch * 3, dim=256, layers=4, heads=8)
    params = list(vit.parameters()) + list(decoder.parameters())
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=1e-3)
    images = torch.randn(batch, 3, 224, 224)
    kept = int(patches * (1 - 0.75))

    def step():
        ids_shuffle = torch.argsort(torch.rand(batch, patches), dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        mask = torch.ones(batch, patches)
        mask[:, :kept] = 0
        mask = torch.gather(mask, dim=1, index=ids_restore)
        pred = decoder(encode(vit, images, ids_shuffle[:, :kept]), ids_restore)
        loss = forward_loss(images, pred, mask, patch=patch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    print(json.dumps(step_report(time_steps(step, steps), batch)))


if __name__ == "__main__":
    main()
