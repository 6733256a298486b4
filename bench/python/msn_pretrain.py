"""PyTorch side of `npm run bench -- pretrain`: one CXR-EHR-MSN training step (EMA update, target
branch without gradient, masked anchor and focal branches with EHR fusion, MSN loss, backward, AdamW),
timed with the reference model of test/golden/msn_reference.py built at ViT-Tiny size.

usage: msn_pretrain.py BATCH STEPS EHR_IN FOCAL_VIEWS [DIM HEADS DEVICE PRECISION]   -> prints one JSON line
(DIM 192 and 6 HEADS: the authors' ViT-Tiny; DEVICE cpu or cuda; PRECISION float32 or bf16, autocast on CUDA)
"""
import json
import os
import sys

import torch

from step_timing import step_report, time_steps

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden"))
from msn_reference import CxrEhrMSN, msn_loss, random_token_mask  # noqa: E402


def main():
    batch, steps, ehr_in, focal_views = (int(a) for a in sys.argv[1:5])
    dim, heads = (int(a) for a in (sys.argv[5:7] or (192, 6)))
    device, precision = (sys.argv[7:9] or ("cpu", "float32"))
    torch.manual_seed(0)
    model = CxrEhrMSN(ehr_in, image=224, patch=16, layers=12, heads=heads, dim=dim, channels=3, prototypes=1024)
    model = model.to(device)
    model.anchor_backbone.load_state_dict(model.backbone.state_dict())
    model.anchor_projection_head.load_state_dict(model.projection_head.state_dict())
    for m in (model.backbone, model.projection_head):
        m.requires_grad_(False)
    model.prototypes.requires_grad_(False)  # the authors pass prototypes.data: frozen
    trained = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trained, lr=1e-4, weight_decay=1e-3)
    target = torch.randn(batch, 3, 224, 224, device=device)
    anchor = torch.randn(batch, 3, 224, 224, device=device)
    focal = torch.randn(focal_views * batch, 3, 96, 96, device=device)
    ehr = torch.rand(batch, max(ehr_in, 1), device=device)
    autocast = torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bf16")

    def step():
        with autocast:
            return forward_backward()

    def forward_backward():
        with torch.no_grad():  # lightly update_momentum, before the step as the authors
            for a, t in zip(list(model.anchor_backbone.parameters()) + list(model.anchor_projection_head.parameters()),
                            list(model.backbone.parameters()) + list(model.projection_head.parameters())):
                t.mul_(0.996).add_(a.detach(), alpha=0.004)
            z_plus = model.projection_head(model.backbone(target))
        a_keep = random_token_mask(batch, 196, 0.15).to(device)
        f_keep = random_token_mask(focal_views * batch, 36, 0.15).to(device)
        a = torch.cat([model.anchor_backbone(anchor, a_keep), model.anchor_backbone(focal, f_keep)], dim=0)
        if ehr_in:
            v = model.f_ehr(ehr).repeat((a.shape[0] // batch, 1))
            a = model.ehr_cxr_project_g(torch.cat((a, v), 1))
        loss = msn_loss(model.anchor_projection_head(a), z_plus, model.prototypes.data)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    print(json.dumps(step_report(
        time_steps(step, steps), batch * (2 + focal_views), device=device, precision=precision,
        peakGpuMiB=torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None,
    )))


if __name__ == "__main__":
    main()
