"""Reference fixtures for ehr-msn's MAE baseline (test/model/mae.test.ts).

MAE (He et al. 2022) as facebookresearch/mae `models_mae.py` writes it, on the ViT of
msn_reference.VisionTransformer (torchvision's layout): random masking (`random_masking`: the argsort of
uniform noise, the first int(L * (1 - ratio)) patches kept, the class token always encoded), the encoder
over the kept tokens, the lightweight decoder (`decoder_embed`, a learned `mask_token` put back in place
with `ids_restore`, the fixed 2-D sine-cosine position embedding, pre-norm blocks, `decoder_norm`,
`decoder_pred`), `patchify`, and `forward_loss` with `norm_pix_loss` (per-patch mean and unbiased
variance, eps 1e-6) averaged over the masked patches only. The decoder's blocks are torchvision's
EncoderBlock, the same computation as MAE's timm Block (qkv with bias, exact GELU, LayerNorm eps 1e-6).

Tiny geometry: 32 px images of 4 px patches (8x8 grid, 64 patches, 16 kept at ratio 0.75).
Everything runs in float64 from float32 weights and float16 inputs.

Run with  .venv-ref/bin/python test/golden/mae_reference.py   (writes test/golden/mae_*.safetensors).
"""
import os

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file

from msn_reference import EncoderBlock, VisionTransformer, f32, nhwc

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(41)

D, LAYERS, HEADS, MLP, PATCH, CH = 32, 2, 2, 128, 4, 3
IMAGE, B = 32, 4
DEC_D, DEC_LAYERS, DEC_HEADS = 24, 2, 3
MASK_RATIO = 0.75


def get_1d_sincos_pos_embed_from_grid(embed_dim, pos):
    omega = np.arange(embed_dim // 2, dtype=np.float64)
    omega /= embed_dim / 2.0
    omega = 1.0 / 10000 ** omega
    out = np.einsum("m,d->md", pos.reshape(-1), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def get_2d_sincos_pos_embed(embed_dim, grid_size):
    """facebookresearch/mae util/pos_embed.py get_2d_sincos_pos_embed(embed_dim, grid_size, cls_token=True)."""
    grid_h = np.arange(grid_size, dtype=np.float64)
    grid_w = np.arange(grid_size, dtype=np.float64)
    grid = np.stack(np.meshgrid(grid_w, grid_h), axis=0).reshape([2, 1, grid_size, grid_size])
    emb_h = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[0])
    emb_w = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[1])
    pos = np.concatenate([emb_h, emb_w], axis=1)
    return np.concatenate([np.zeros([1, embed_dim]), pos], axis=0)


class Decoder(nn.Module):
    """The fixtures' decoder by default; the benchmark builds ehr-msn's default (256 wide, 4 blocks, 8 heads)."""

    def __init__(self, in_dim, patches, out_dim, dim=DEC_D, layers=DEC_LAYERS, heads=DEC_HEADS):
        super().__init__()
        self.decoder_embed = nn.Linear(in_dim, dim)
        self.mask_token = nn.Parameter(0.02 * torch.randn(1, 1, dim))
        self.layers = nn.Sequential(*[EncoderBlock(heads, dim, 4 * dim) for _ in range(layers)])
        self.decoder_norm = nn.LayerNorm(dim, eps=1e-6)
        self.decoder_pred = nn.Linear(dim, out_dim)
        pos = get_2d_sincos_pos_embed(dim, int(patches ** 0.5))
        self.register_buffer("pos", torch.from_numpy(pos).unsqueeze(0), persistent=False)

    def forward(self, x, ids_restore):
        """models_mae.MaskedAutoencoderViT.forward_decoder."""
        x = self.decoder_embed(x)
        mask_tokens = self.mask_token.repeat(x.shape[0], ids_restore.shape[1] + 1 - x.shape[1], 1)
        x_ = torch.cat([x[:, 1:, :], mask_tokens], dim=1)
        x_ = torch.gather(x_, dim=1, index=ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], x_], dim=1)
        x = x + self.pos.to(x.dtype)
        x = self.decoder_norm(self.layers(x))
        return self.decoder_pred(x)[:, 1:, :]


def encode(vit, images, ids_keep):
    """MAE forward_encoder on torchvision's ViT: patch embedding and positions, the kept tokens, blocks, norm."""
    x = vit.conv_proj(images).flatten(2).transpose(1, 2)
    x = torch.cat([vit.class_token.expand(x.shape[0], -1, -1), x], dim=1)
    x = x + vit.encoder.pos_embedding
    idx = torch.cat([torch.zeros(x.shape[0], 1, dtype=torch.long), ids_keep + 1], dim=1)
    x = torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
    return vit.encoder.ln(vit.encoder.layers(x))


def patchify(imgs, p):
    """models_mae.patchify: (N, 3, H, W) -> (N, L, p*p*3), each patch in (row, column, channel) order."""
    h = w = imgs.shape[2] // p
    x = imgs.reshape(imgs.shape[0], imgs.shape[1], h, p, w, p)
    x = torch.einsum("nchpwq->nhwpqc", x)
    return x.reshape(imgs.shape[0], h * w, p * p * imgs.shape[1])


def forward_loss(imgs, pred, mask, norm_pix_loss=True, patch=PATCH):
    target = patchify(imgs, patch)
    if norm_pix_loss:
        mean = target.mean(dim=-1, keepdim=True)
        var = target.var(dim=-1, keepdim=True)
        target = (target - mean) / (var + 1.0e-6) ** 0.5
    loss = ((pred - target) ** 2).mean(dim=-1)
    return (loss * mask).sum() / mask.sum()


def main():
    patches = (IMAGE // PATCH) ** 2
    vit = VisionTransformer(IMAGE, PATCH, LAYERS, HEADS, D, MLP, CH)
    decoder = Decoder(D, patches, PATCH * PATCH * CH)
    with torch.no_grad():  # away from the initial values (zero biases, unit norms, zero class token)
        for name, p in list(vit.named_parameters()) + list(decoder.named_parameters()):
            p.add_(0.05 * torch.randn_like(p))
    weights = {f"backbone.{n}": f32(p) for n, p in vit.state_dict().items()}
    weights.update({f"decoder.{n}": f32(p) for n, p in decoder.state_dict().items()})
    save_file(weights, os.path.join(HERE, "mae_weights.safetensors"))
    vit, decoder = vit.double(), decoder.double()

    images = torch.randn(B, CH, IMAGE, IMAGE).half().double()
    images[0, :, :PATCH, :PATCH] = 0.5  # a constant patch: the variance floor decides its target
    noise = torch.rand(B, patches)
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    kept = int(patches * (1 - MASK_RATIO))
    mask = torch.ones(B, patches, dtype=torch.float64)
    mask[:, :kept] = 0
    mask = torch.gather(mask, dim=1, index=ids_restore)
    save_file({"images": nhwc(images).half(), "ids_shuffle": ids_shuffle.to(torch.int32)},
              os.path.join(HERE, "mae_inputs.safetensors"))

    latent = encode(vit, images, ids_shuffle[:, :kept])
    pred = decoder(latent, ids_restore)
    loss = forward_loss(images, pred, mask)
    loss.backward()
    with torch.no_grad():
        loss_raw = forward_loss(images, pred, mask, norm_pix_loss=False)
    expected = {
        "latent": f32(latent),
        "pred": f32(pred),
        "mask": f32(mask),
        "decoder_pos": f32(decoder.pos),
        "loss": f32(loss.reshape(1)),
        "loss_raw": f32(loss_raw.reshape(1)),
    }
    for prefix, module in (("backbone", vit), ("decoder", decoder)):
        for name, p in module.named_parameters():
            expected[f"grad.{prefix}.{name}"] = f32(p.grad)
    save_file(expected, os.path.join(HERE, "mae_expected.safetensors"))


if __name__ == "__main__":
    main()
