"""Reference fixtures for ehr-msn's DINO baseline (test/model/dino.test.ts).

DINO (Caron et al. 2021) as facebookresearch/dino writes it: the student and the teacher are the same
ViT (msn_reference.VisionTransformer, torchvision's layout) with a DINOHead (MLP with GELU, L2-normalised
bottleneck, weight-normed last Linear with weight_g fixed to 1); DINOLoss with the teacher's output
centred and sharpened (teacher temperature), the student's at its own temperature, the cross-entropy
over every (global teacher view, other student view) pair, and the centre's EMA update.

Tiny geometry as the MSN fixtures: 56 px global views (14x14 patches) and 24 px local views (6x6).
Everything runs in float64 from float32 weights and float16 inputs.

Run with  .venv-ref/bin/python test/golden/dino_reference.py   (writes test/golden/dino_*.safetensors).
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

from msn_reference import VisionTransformer, f32, nhwc

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(31)

D, LAYERS, HEADS, MLP, PATCH, CH = 32, 2, 2, 128, 4, 3
IMAGE, LOCAL, B, LOCAL_VIEWS = 56, 24, 4, 2
HIDDEN, BOTTLENECK, OUT = 64, 16, 48
STUDENT_TEMP, TEACHER_TEMP, CENTER_MOMENTUM = 0.1, 0.04, 0.9


class DINOHead(nn.Module):
    """facebookresearch/dino vision_transformer.DINOHead(in_dim, out_dim, nlayers=3, use_bn=False, norm_last_layer=True)."""

    def __init__(self, in_dim, out_dim, hidden_dim, bottleneck_dim):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(in_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, hidden_dim), nn.GELU(),
            nn.Linear(hidden_dim, bottleneck_dim))
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.constant_(m.bias, 0)
        self.last_layer = nn.utils.weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))
        self.last_layer.weight_g.data.fill_(1)
        self.last_layer.weight_g.requires_grad = False

    def forward(self, x):
        x = self.mlp(x)
        x = F.normalize(x, dim=-1, p=2)
        return self.last_layer(x)


class Wrapper(nn.Module):
    """dino utils.MultiCropWrapper: the backbone over each resolution, the head over all class tokens."""

    def __init__(self, image=IMAGE, patch=PATCH, layers=LAYERS, heads=HEADS, dim=D, mlp=MLP, out=OUT, hidden=HIDDEN,
                 bottleneck=BOTTLENECK):
        super().__init__()
        self.backbone = VisionTransformer(image, patch, layers, heads, dim, mlp, CH)
        self.head = DINOHead(dim, out, hidden, bottleneck)

    def forward(self, crops):
        return self.head(torch.cat([self.backbone(c) for c in crops]))


def dino_loss(student_output, teacher_output, center, ncrops, teacher_temp):
    """dino main_dino.DINOLoss.forward; returns the loss and the updated centre."""
    student_out = (student_output / STUDENT_TEMP).chunk(ncrops)
    teacher_out = F.softmax((teacher_output - center) / teacher_temp, dim=-1).detach().chunk(2)
    total, terms = 0, 0
    for iq, q in enumerate(teacher_out):
        for v in range(len(student_out)):
            if v == iq:
                continue
            total = total + torch.sum(-q * F.log_softmax(student_out[v], dim=-1), dim=-1).mean()
            terms += 1
    batch_center = torch.sum(teacher_output, dim=0, keepdim=True) / len(teacher_output)
    return total / terms, center * CENTER_MOMENTUM + batch_center * (1 - CENTER_MOMENTUM)


def main():
    student, teacher = Wrapper(), Wrapper()
    teacher.load_state_dict(student.state_dict())
    with torch.no_grad():  # the student after some training: away from the teacher, norms away from (1, 0)
        for name, p in student.named_parameters():
            p.add_(0.05 * torch.randn_like(p) if "weight_g" not in name else 0)
            if name.endswith("class_token"):
                p.copy_(0.1 * torch.randn_like(p))
            if ".ln" in name:
                p.add_(0.1 * torch.randn_like(p))
    center = 0.1 * torch.randn(1, OUT)
    weights = {f"student.{n}": f32(p) for n, p in student.state_dict().items()}
    weights.update({f"teacher.{n}": f32(p) for n, p in teacher.state_dict().items()})
    weights["center"] = f32(center)
    save_file(weights, os.path.join(HERE, "dino_weights.safetensors"))
    student, teacher, center = student.double(), teacher.double(), center.double()

    global1 = torch.randn(B, CH, IMAGE, IMAGE).half().double()
    global2 = torch.randn(B, CH, IMAGE, IMAGE).half().double()
    local = torch.randn(LOCAL_VIEWS * B, CH, LOCAL, LOCAL).half().double()
    save_file({"target": nhwc(global1).half(), "anchor": nhwc(global2).half(), "focal": nhwc(local).half()},
              os.path.join(HERE, "dino_inputs.safetensors"))

    with torch.no_grad():
        teacher_output = teacher([torch.cat([global1, global2])])
    student_output = student([torch.cat([global1, global2]), local])
    loss, new_center = dino_loss(student_output, teacher_output, center, 2 + LOCAL_VIEWS, TEACHER_TEMP)
    loss.backward()
    expected = {
        "teacher_out": f32(teacher_output),
        "student_out": f32(student_output),
        "loss": f32(loss.reshape(1)),
        "center": f32(new_center),
    }
    for name, p in student.named_parameters():
        if p.grad is not None:
            expected["grad.student." + name] = f32(p.grad)
    assert "grad.student.head.last_layer.weight_g" not in expected
    save_file(expected, os.path.join(HERE, "dino_expected.safetensors"))


if __name__ == "__main__":
    main()
