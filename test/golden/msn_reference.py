"""Reference fixtures for ehr-msn's model layer (test/model/*.test.ts).

Builds, in plain PyTorch, the model of CXR-EHR-MSN as the reference spec describes it (a torchvision
VisionTransformer, wrapped as lightly's MAEBackbone with bicubic position-embedding interpolation and
token keep indices; lightly's MSNProjectionHead; the EHR fusion f_ehr / g; lightly's MSNLoss and
random_token_mask semantics), with torchvision's module layout, initialisation and state-dict names.
torchvision itself is not importable here (its wheels are CUDA-only), so its ViT is rewritten below.

The model is tiny (D=32, 2 layers, 2 heads, patch 4) but keeps the authors' geometry: a 56 px view
has 14x14 patches like 224/16 and a 24 px focal view 6x6 like 96/16, so the 14 -> 6 bicubic
interpolation of the position embedding is exercised; 10 focal views, 15 % token drop with the
authors' last-patch artefact. Everything runs in float64, so the fixtures are the exact values the
float32 TensorFlow.js code is compared with.

Run with  .venv-ref/bin/python test/golden/msn_reference.py   (writes test/golden/msn_*.safetensors
and msn_*.json next to this file).
"""
import json
import math
import os
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(24)

D, LAYERS, HEADS, PATCH, CH = 32, 2, 2, 4, 3
IMAGE, FOCAL, B, VIEWS = 56, 24, 4, 10
K, EHR_IN, EHR_OUT = 16, 3, 128
MASK_RATIO = 0.15


# --- torchvision VisionTransformer (module layout, init and state-dict names of torchvision 0.16) ---

class MLPBlock(nn.Sequential):
    def __init__(self, dim, mlp_dim):
        super().__init__(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Dropout(0.0), nn.Linear(mlp_dim, dim), nn.Dropout(0.0))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)


class EncoderBlock(nn.Module):
    def __init__(self, heads, dim, mlp_dim):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(dim, heads, dropout=0.0, batch_first=True)
        self.dropout = nn.Dropout(0.0)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = MLPBlock(dim, mlp_dim)

    def forward(self, x):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + self.dropout(y)
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    def __init__(self, seq_length, layers, heads, dim, mlp_dim):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, seq_length, dim).normal_(std=0.02))
        self.dropout = nn.Dropout(0.0)
        self.layers = nn.Sequential(OrderedDict((f"encoder_layer_{i}", EncoderBlock(heads, dim, mlp_dim)) for i in range(layers)))
        self.ln = nn.LayerNorm(dim, eps=1e-6)

    def interpolate_pos_encoding(self, x):
        """lightly MAEEncoder.interpolate_pos_encoding: bicubic, scale_factor = sqrt(npatch / N)."""
        npatch, n = x.shape[1] - 1, self.pos_embedding.shape[1] - 1
        if npatch == n:
            return self.pos_embedding
        dim = x.shape[-1]
        grid = self.pos_embedding[:, 1:].reshape(1, int(math.sqrt(n)), int(math.sqrt(n)), dim).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, scale_factor=math.sqrt(npatch / n), mode="bicubic")
        grid = grid.permute(0, 2, 3, 1).reshape(1, -1, dim)
        return torch.cat((self.pos_embedding[:, :1], grid), dim=1)

    def forward(self, x, idx_keep=None):
        x = x + self.interpolate_pos_encoding(x)
        if idx_keep is not None:  # lightly utils.get_at_index
            x = torch.gather(x, 1, idx_keep.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        return self.ln(self.layers(self.dropout(x)))


class VisionTransformer(nn.Module):
    def __init__(self, image_size, patch, layers, heads, dim, mlp_dim, channels):
        super().__init__()
        self.patch = patch
        self.conv_proj = nn.Conv2d(channels, dim, kernel_size=patch, stride=patch)
        fan_in = channels * patch * patch
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.encoder = Encoder((image_size // patch) ** 2 + 1, layers, heads, dim, mlp_dim)

    def forward(self, images, idx_keep=None):
        """lightly MAEBackbone.forward: class token of the encoded (kept) tokens."""
        x = self.conv_proj(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.encoder(x, idx_keep)[:, 0]


class MSNProjectionHead(nn.Module):
    """lightly MSNProjectionHead(dim, hidden, out): no bias before the batch norms, no norm on the output."""

    def __init__(self, dim, hidden, out):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.GELU(),
            nn.Linear(hidden, hidden, bias=False), nn.BatchNorm1d(hidden), nn.GELU(),
            nn.Linear(hidden, out))

    def forward(self, x):
        return self.layers(x)


# --- lightly MSNLoss and random_token_mask semantics ---

def random_token_mask(rows, seq_length, ratio):
    noise = torch.rand(rows, seq_length)
    noise[:, 0] = -1
    return torch.argsort(noise, dim=1)[:, : int(seq_length * (1 - ratio))]


def sharpen(p, t):
    p = p ** (1.0 / t)
    return p / p.sum(dim=1, keepdim=True)


def sinkhorn(p, iterations=3):
    b, k = p.shape
    q = p.T
    q = q / q.sum()
    for _ in range(iterations):
        q = q / q.sum(dim=1, keepdim=True) / k
        q = q / q.sum(dim=0, keepdim=True) / b
    return (q * b).T


def target_probabilities(targets, prototypes, tau=0.1, sharpen_t=0.25, iterations=3):
    with torch.no_grad():
        p = F.softmax(F.normalize(targets, dim=1) @ F.normalize(prototypes, dim=1).T / tau, dim=1)
        return sinkhorn(sharpen(p, sharpen_t), iterations)


def msn_loss(anchors, targets, prototypes, tau=0.1, sharpen_t=0.25, iterations=3, me_max=1.0):
    views = anchors.shape[0] // targets.shape[0]
    probs = F.softmax(F.normalize(anchors, dim=1) @ F.normalize(prototypes, dim=1).T / tau, dim=1)
    target = target_probabilities(targets, prototypes, tau, sharpen_t, iterations).repeat((views, 1))
    loss = torch.mean(torch.sum(torch.log(probs ** (-target)), dim=1))
    mean = probs.mean(dim=0)
    return loss + me_max * (-torch.sum(torch.log(mean ** (-mean))) + math.log(mean.shape[0]))


class CxrEhrMSN(nn.Module):
    """The state dict and forward of CXR-EHR-MSN's CxrEhrMSN (training_step without the EMA update).
    Defaults: the fixtures' tiny geometry; the benchmarks build ViT-Tiny (dim 192, 12 layers, 6 heads, patch 16)."""

    def __init__(self, ehr_in, image=IMAGE, patch=PATCH, layers=LAYERS, heads=HEADS, dim=D, channels=CH, prototypes=K):
        super().__init__()
        self.backbone = VisionTransformer(image, patch, layers, heads, dim, 4 * dim, channels)
        self.projection_head = MSNProjectionHead(dim, 4 * dim, dim)
        self.anchor_backbone = VisionTransformer(image, patch, layers, heads, dim, 4 * dim, channels)
        self.anchor_projection_head = MSNProjectionHead(dim, 4 * dim, dim)
        self.prototypes = nn.Linear(dim, prototypes, bias=False).weight
        self.ehr_in = ehr_in
        if ehr_in:
            self.f_ehr = nn.Linear(ehr_in, EHR_OUT)
            self.ehr_cxr_project_g = nn.Linear(EHR_OUT + dim, dim)

    def forward(self, target, anchor, focal, ehr, anchor_keep, focal_keep):
        z_plus = self.projection_head(self.backbone(target))
        a = torch.cat([self.anchor_backbone(anchor, anchor_keep), self.anchor_backbone(focal, focal_keep)], dim=0)
        fused = a
        if self.ehr_in:
            v = self.f_ehr(ehr).repeat((a.shape[0] // ehr.shape[0], 1))
            fused = self.ehr_cxr_project_g(torch.cat((a, v), 1))
        z = self.anchor_projection_head(fused)
        return z_plus, a, z, msn_loss(z, z_plus, self.prototypes)


def nhwc(x):
    return x.permute(0, 2, 3, 1).contiguous()


def f32(t):
    return t.detach().to(torch.float32).contiguous()


def main():
    model = CxrEhrMSN(EHR_IN)
    # The target side after some training: the EMA of an anchor that has moved away from it.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("anchor_"):
                p.add_(0.05 * torch.randn_like(p))
            if name.endswith("class_token"):
                p.copy_(0.1 * torch.randn_like(p))
            if ".ln" in name or "layers.1." in name or "layers.4." in name:  # norms away from (1, 0)
                p.add_(0.1 * torch.randn_like(p))
    # Weights are stored as float32; the reference computes in float64 from exactly those values.
    weights = {n: f32(p) for n, p in model.state_dict().items() if "running_" not in n and "num_batches" not in n}
    save_file(weights, os.path.join(HERE, "msn_weights.safetensors"))
    model = model.double()

    # Inputs: stored as float16 (small files) and used as exactly those values.
    target = torch.randn(B, CH, IMAGE, IMAGE).half().double()
    anchor = torch.randn(B, CH, IMAGE, IMAGE).half().double()
    focal = torch.randn(VIEWS * B, CH, FOCAL, FOCAL).half().double()
    ehr = torch.rand(B, EHR_IN).float().double()
    anchor_keep = random_token_mask(B, (IMAGE // PATCH) ** 2, MASK_RATIO)
    focal_keep = random_token_mask(VIEWS * B, (FOCAL // PATCH) ** 2, MASK_RATIO)
    assert anchor_keep.shape == (B, 166) and focal_keep.shape == (VIEWS * B, 30)
    save_file({
        "target": nhwc(target).half(), "anchor": nhwc(anchor).half(), "focal": nhwc(focal).half(), "ehr": f32(ehr),
        "anchor_keep": anchor_keep.to(torch.int32), "focal_keep": focal_keep.to(torch.int32),
    }, os.path.join(HERE, "msn_inputs.safetensors"))

    model.prototypes.requires_grad_(True)  # trainable-prototype mode; the other gradients do not depend on it
    z_plus, a, z, loss = model(target, anchor, focal, ehr, anchor_keep, focal_keep)
    loss.backward()
    expected = {
        "target_cls": f32(model.backbone(target)),
        "anchor_cls": f32(a),
        "target_out": f32(z_plus),
        "anchor_out": f32(z),
        "target_probs": f32(target_probabilities(z_plus, model.prototypes)),
        "loss": f32(loss.reshape(1)),
        "focal_pos_embedding": f32(model.anchor_backbone.encoder.interpolate_pos_encoding(torch.zeros(1, (FOCAL // PATCH) ** 2 + 1, D))),
    }
    for name, p in model.named_parameters():
        if p.grad is not None:
            expected["grad." + name] = f32(p.grad)
    assert not any(k.startswith("grad.backbone.") for k in expected)

    # Vanilla MSN (features: []): the same weights without the fusion layers.
    vanilla = CxrEhrMSN(0).double()
    vanilla.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith(("f_ehr", "ehr_cxr"))})
    with torch.no_grad():
        expected["loss_vanilla"] = f32(vanilla(target, anchor, focal, ehr, anchor_keep, focal_keep)[3].reshape(1))

    # PyTorch's bicubic interpolation on its own: down (14 -> 6 as 224 -> 96, 8 -> 3) and up (5 -> 7).
    for name, (n_in, n_out) in {"14to6": (14, 6), "8to3": (8, 3), "5to7": (5, 7)}.items():
        grid = torch.randn(1, 3, n_in, n_in, dtype=torch.float64)
        expected[f"bicubic_{name}_in"] = f32(grid)
        expected[f"bicubic_{name}_out"] = f32(F.interpolate(grid.float().double(), scale_factor=n_out / n_in, mode="bicubic", align_corners=False))
    save_file(expected, os.path.join(HERE, "msn_expected.safetensors"))

    write_unit_fixture()
    print(json.dumps({"loss": loss.item(), "loss_vanilla": expected["loss_vanilla"].item(), "params": sum(p.numel() for p in model.parameters())}))


def write_unit_fixture():
    """Small cases for the loss pieces, AdamW and the cosine schedule (JSON)."""
    g = torch.Generator().manual_seed(7)
    anchors = torch.randn(6, 5, generator=g, dtype=torch.float64, requires_grad=True)
    targets = torch.randn(2, 5, generator=g, dtype=torch.float64)
    prototypes = torch.randn(4, 5, generator=g, dtype=torch.float64)
    p = F.softmax(F.normalize(targets, dim=1) @ F.normalize(prototypes, dim=1).T / 0.1, dim=1)
    loss = msn_loss(anchors, targets, prototypes)
    loss.backward()
    loss_no_sinkhorn = msn_loss(anchors.detach(), targets, prototypes, iterations=0, me_max=0.0)

    # torch.optim.AdamW (lr 1e-3, wd 1e-2) over 4 steps with given gradients, the lr changed each step.
    param = torch.tensor([0.5, -1.0, 2.0, 0.0, 1e-3], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.AdamW([param], lr=1e-3, weight_decay=1e-2)
    grads = [[0.1, -0.2, 0.0, 1.0, 1e-4], [0.3, 0.1, -0.5, -1.0, 0.0], [-0.05, 0.02, 0.01, 2.0, 5e-4], [0.0, 0.0, 1.0, -3.0, 1e-5]]
    lrs = [1e-3, 5e-4, 2e-3, 1e-4]
    after = []
    for grad, lr in zip(grads, lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        param.grad = torch.tensor(grad, dtype=torch.float64)
        opt.step()
        after.append(param.detach().tolist())

    # CosineAnnealingLR(T_max=5, eta_min=0) stepped once per epoch, over 7 epochs (past T_max).
    w = torch.zeros(1, requires_grad=True)
    cos_opt = torch.optim.AdamW([w], lr=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(cos_opt, T_max=5, eta_min=0.0)
    cosine = []
    for _ in range(7):
        cosine.append(cos_opt.param_groups[0]["lr"])
        cos_opt.step()
        sched.step()

    fixture = {
        "loss": {
            "anchors": anchors.detach().tolist(), "targets": targets.tolist(), "prototypes": prototypes.tolist(),
            "probabilities": p.tolist(), "sharpened": sharpen(p, 0.25).tolist(), "sinkhorn": sinkhorn(sharpen(p, 0.25), 3).tolist(),
            "me_max": (lambda m: (torch.sum(m * torch.log(m)) + math.log(4)).item())(p.mean(dim=0)),
            "loss": loss.item(), "loss_no_sinkhorn_no_memax": loss_no_sinkhorn.item(), "grad_anchors": anchors.grad.tolist(),
        },
        "adamw": {"initial": [0.5, -1.0, 2.0, 0.0, 1e-3], "grads": grads, "lrs": lrs, "weight_decay": 1e-2, "after": after},
        "cosine": {"lr": 1e-4, "t_max": 5, "lrs": cosine},
    }
    with open(os.path.join(HERE, "msn_unit_fixture.json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
