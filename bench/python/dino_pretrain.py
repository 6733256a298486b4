"""PyTorch side of `npm run bench -- pretrain --method dino`: one DINO training step (teacher on the two
global views without gradient, student on every view, DINO loss with centring, backward, AdamW, the
teacher's EMA), timed with the reference model of test/golden/dino_reference.py at ViT-Tiny size with
DINO's head (65,536 outputs, 2,048 hidden, 256 bottleneck).

usage: dino_pretrain.py BATCH STEPS LOCAL_VIEWS   -> prints one JSON line
"""
import json
import os
import sys

import torch

from step_timing import step_report, time_steps

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden"))
from dino_reference import Wrapper, dino_loss  # noqa: E402


def main():
    batch, steps, local_views = (int(a) for a in sys.argv[1:4])
    torch.manual_seed(0)
    geometry = dict(image=224, patch=16, layers=12, heads=6, dim=192, mlp=768, out=65536, hidden=2048, bottleneck=256)
    student, teacher = Wrapper(**geometry), Wrapper(**geometry)
    teacher.load_state_dict(student.state_dict())
    teacher.requires_grad_(False)
    trained = [p for p in student.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trained, lr=1e-4, weight_decay=1e-3)
    globals_ = torch.randn(2 * batch, 3, 224, 224)
    local = torch.randn(local_views * batch, 3, 96, 96)
    center = torch.zeros(1, 65536)

    def step():
        nonlocal center
        with torch.no_grad():
            teacher_out = teacher([globals_])
        loss, center = dino_loss(student([globals_, local]), teacher_out, center, 2 + local_views, 0.04)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for t, s in zip(teacher.parameters(), student.parameters()):
                t.mul_(0.996).add_(s.detach(), alpha=0.004)
        return loss.item()

    print(json.dumps(step_report(time_steps(step, steps), batch * (2 + local_views))))


if __name__ == "__main__":
    main()
