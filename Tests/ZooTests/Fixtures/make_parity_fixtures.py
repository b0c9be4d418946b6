"""Make the PyTorch parity fixtures for the zoo's Swift tests.

For each case this writes, next to this script:
  CASE.safetensors  float32, contiguous tensors:
                      weights.<state-dict key>  every parameter of the model
                      inputs.<name>             images [B,3,H,W], MAE noise [B,L], loss targets
                      outputs.<name>            forward results (features, logits, loss, pred, mask)
                      grads.<key>               d loss / d parameter (trainable ones), grads.images
  CASE.json         the zoo model spec of that case

Cases (batch 2, tiny models, fixed seeds, every parameter randomised away
from its 0/1 init so that a wrong key or a skipped bias shows up):
  vit_avg_iat    timm ViT, mean pooling + fc_norm, `head` and an `ID_head`
                 behind a gradient reversal layer (lambda 2), BCE losses
  vit_token_mlp  timm ViT, token pooling + norm, two-layer GELU MLP head,
                 cross-entropy loss
  mae            masked autoencoder (written here, following FMAE-NOTES.md)
                 with fixed sin-cos position tables, mask ratio 0.75 from a
                 given noise, norm-pix loss on the masked patches
  sincos         the 2D sin-cos tables (D=32 and D=16 on a 4x4 grid)
                 computed independently with numpy, as a cross-check

Needs torch, timm (1.0.x) and safetensors. CI never runs it; the outputs
are committed. To regenerate, from the repository root:
    python Tests/ZooTests/Fixtures/make_parity_fixtures.py
"""
import functools
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file
from timm.models.vision_transformer import Block, VisionTransformer

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
B = 2
LN = functools.partial(nn.LayerNorm, eps=1e-6)


# ----------------------------------------------------------------------------
# helpers

def randomise(model: nn.Module, frozen=()):
    """Draw every parameter from a non-trivial distribution (fixed by the caller's seed)."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(1.0 + 0.2 * torch.randn_like(mod.weight))
                mod.bias.copy_(0.1 * torch.randn_like(mod.bias))
            elif isinstance(mod, (nn.Linear, nn.Conv2d)):
                fan_in = mod.weight[0].numel()
                std = min(0.2, max(0.02, 1.0 / math.sqrt(fan_in)))
                mod.weight.copy_(std * torch.randn_like(mod.weight))
                if mod.bias is not None:
                    mod.bias.copy_(0.1 * torch.randn_like(mod.bias))
        for name, p in model.named_parameters(recurse=False):
            if name not in frozen:
                p.copy_(0.2 * torch.randn_like(p))
    # sanity: nothing left at 0 or 1 everywhere
    for name, p in model.named_parameters():
        if name in frozen:
            continue
        assert not torch.all(p == 0) and not torch.all(p == 1), name


def f32(t):
    return t.detach().to(torch.float32).contiguous().clone()


def save_case(name, model, inputs, outputs, grads, spec, extra=None):
    tensors = {}
    for k, v in model.state_dict().items():
        tensors[f"weights.{k}"] = f32(v)
    for k, v in inputs.items():
        tensors[f"inputs.{k}"] = f32(v)
    for k, v in outputs.items():
        tensors[f"outputs.{k}"] = f32(v)
    for k, v in grads.items():
        tensors[f"grads.{k}"] = f32(v)
    for k, v in (extra or {}).items():
        tensors[k] = f32(v)
    save_file(tensors, os.path.join(OUT_DIR, f"{name}.safetensors"))
    if spec is not None:
        with open(os.path.join(OUT_DIR, f"{name}.json"), "w") as fh:
            json.dump(spec, fh, indent=2)
            fh.write("\n")


def param_grads(model):
    out = {}
    for k, p in model.named_parameters():
        if not p.requires_grad:
            continue
        assert p.grad is not None, f"no gradient for {k}"
        out[k] = p.grad
    return out


def vit(global_pool, num_classes):
    return VisionTransformer(
        img_size=32, patch_size=8, in_chans=3, embed_dim=32, depth=2, num_heads=4,
        mlp_ratio=4.0, qkv_bias=True, global_pool=global_pool, class_token=True,
        num_classes=num_classes, norm_layer=LN)


VIT_SPEC = {"type": "vit", "img_size": 32, "patch_size": 8, "in_chans": 3, "embed_dim": 32,
            "depth": 2, "num_heads": 4, "mlp_ratio": 4.0, "qkv_bias": True, "norm_eps": 1e-6}


class GradReverse(torch.autograd.Function):
    """Identity forward; backward multiplies the incoming gradient by -lambda."""

    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


# ----------------------------------------------------------------------------
# case 1: mean pooling + fc_norm, head + ID_head behind gradient reversal

def case_vit_avg_iat():
    torch.manual_seed(1)
    model = vit("avg", 5)
    model.ID_head = nn.Linear(32, 7)
    randomise(model)
    model.eval()
    expected = (["cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias"]
                + [f"blocks.{i}.{m}.{w}" for i in range(2)
                   for m in ("norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2")
                   for w in ("weight", "bias")]
                + [f"{m}.{w}" for m in ("fc_norm", "head", "ID_head") for w in ("weight", "bias")])
    assert list(model.state_dict().keys()) == expected, list(model.state_dict().keys())

    images = torch.randn(B, 3, 32, 32)
    targets_head = torch.randint(0, 2, (B, 5)).float()
    targets_id = F.one_hot(torch.randint(0, 7, (B,)), 7).float()

    def run(lam, id_weight=1.0, head_weight=1.0):
        model.zero_grad(set_to_none=True)
        x = images.clone().requires_grad_()
        tokens = model.forward_features(x)
        feats = model.forward_head(tokens, pre_logits=True)
        # cross-check timm's pooling: mean of patch tokens (cls excluded), then fc_norm
        manual = model.fc_norm(tokens[:, 1:].mean(dim=1))
        assert torch.allclose(feats, manual, atol=1e-6)
        logits = model.head(feats)
        id_logits = model.ID_head(feats)
        loss = (head_weight * F.binary_cross_entropy_with_logits(logits, targets_head)
                + id_weight * F.binary_cross_entropy_with_logits(
                    model.ID_head(GradReverse.apply(feats, lam)), targets_id))
        loss.backward()
        g = {k: v.clone() for k, v in param_grads(model).items()}
        g["images"] = x.grad.clone()
        return feats, logits, id_logits, loss, g

    feats, logits, id_logits, loss, grads = run(2.0)

    # GRL check: the total gradient must equal grad(head loss) - 2 * grad(ID loss)
    # for everything up to fc_norm, and the plain ID-loss gradient for ID_head.
    _, _, _, _, g_head = run(1.0, id_weight=0.0)
    _, _, _, _, g_id = run(-1.0, head_weight=0.0)     # lambda -1 == no reversal
    worst = 0.0
    for k, g in grads.items():
        if k.startswith("ID_head."):
            ref = g_id[k]
        elif k.startswith("head."):
            ref = g_head[k]
        else:
            ref = g_head[k] - 2.0 * g_id[k]
        worst = max(worst, (g - ref).abs().max().item())
    enc_id = g_id["blocks.0.attn.qkv.weight"].abs().max().item()
    print(f"vit_avg_iat GRL check: max |g - (g_head - 2 g_id)| = {worst:.2e} "
          f"(|g_id| on blocks.0.attn.qkv.weight up to {enc_id:.2e})")
    assert worst < 1e-6 and enc_id > 1e-4

    spec = {"encoder": dict(VIT_SPEC, global_pool="avg"),
            "heads": [{"name": "head", "type": "linear", "out_features": 5},
                      {"name": "ID_head", "type": "linear", "out_features": 7, "grad_reverse": 2.0}]}
    save_case("vit_avg_iat", model,
              {"images": images, "targets_head": targets_head, "targets_id": targets_id},
              {"features": feats, "head": logits, "ID_head": id_logits, "loss": loss},
              grads, spec)


# ----------------------------------------------------------------------------
# case 2: token pooling + norm, MLP head, cross-entropy

class MLPHead(nn.Module):
    def __init__(self, d_in, hidden, d_out):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.act = nn.GELU()  # exact (erf)
        self.fc2 = nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def case_vit_token_mlp():
    torch.manual_seed(2)
    model = vit("token", 0)
    model.head = MLPHead(32, 16, 3)
    randomise(model)
    model.eval()
    keys = list(model.state_dict().keys())
    assert keys[-6:] == ["norm.weight", "norm.bias", "head.fc1.weight", "head.fc1.bias",
                         "head.fc2.weight", "head.fc2.bias"], keys
    assert not any(k.startswith("fc_norm") for k in keys)

    images = torch.randn(B, 3, 32, 32)
    targets = torch.randint(0, 3, (B,))
    x = images.clone().requires_grad_()
    tokens = model.forward_features(x)          # ends with `norm`
    feats = model.forward_head(tokens, pre_logits=True)
    assert torch.allclose(feats, tokens[:, 0])
    logits = model.head(feats)
    loss = F.cross_entropy(logits, targets)
    model.zero_grad(set_to_none=True)
    loss.backward()
    grads = param_grads(model)
    grads["images"] = x.grad

    spec = {"encoder": dict(VIT_SPEC, global_pool="token"),
            "heads": [{"name": "head", "type": "mlp", "hidden": [16], "out_features": 3}]}
    save_case("vit_token_mlp", model,
              {"images": images, "targets_class": targets.float()},
              {"features": feats, "head": logits, "loss": loss},
              grads, spec)


# ----------------------------------------------------------------------------
# case 3: masked autoencoder

def sincos_table(dim, grid):
    """[1, 1+grid*grid, dim]: cls row zeros; patch n = h*grid + w; first dim/2 channels
    encode w, the rest h; each half is [sin | cos] with omega_i = 1/10000^(i/(dim/4))."""
    quarter = dim // 4
    omega = 1.0 / 10000.0 ** (torch.arange(quarter, dtype=torch.float64) / quarter)
    n = torch.arange(grid * grid, dtype=torch.float64)
    h, w = torch.div(n, grid, rounding_mode="floor"), n % grid

    def half(pos):
        ang = pos[:, None] * omega[None, :]
        return torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)

    table = torch.cat([half(w), half(h)], dim=1)
    table = torch.cat([torch.zeros(1, dim, dtype=torch.float64), table], dim=0)
    return table[None].to(torch.float32)


class ConvPatchEmbed(nn.Module):
    def __init__(self, patch, in_chans, dim):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)   # [B, L, D], patches row-major


class TinyMAE(nn.Module):
    def __init__(self, img=32, patch=8, dim=32, depth=2, heads=4,
                 dec_dim=16, dec_depth=2, dec_heads=2, mlp_ratio=4.0, mask_ratio=0.75):
        super().__init__()
        self.patch, self.mask_ratio = patch, mask_ratio
        grid = img // patch
        n = grid * grid
        # parameters first, in checkpoint order
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(sincos_table(dim, grid), requires_grad=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dec_dim))
        self.decoder_pos_embed = nn.Parameter(sincos_table(dec_dim, grid), requires_grad=False)
        assert self.pos_embed.shape == (1, n + 1, dim)
        self.patch_embed = ConvPatchEmbed(patch, 3, dim)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_ratio, qkv_bias=True, norm_layer=LN)
                                     for _ in range(depth)])
        self.norm = LN(dim)
        self.decoder_embed = nn.Linear(dim, dec_dim)
        self.decoder_blocks = nn.ModuleList([Block(dec_dim, dec_heads, mlp_ratio, qkv_bias=True,
                                                   norm_layer=LN) for _ in range(dec_depth)])
        self.decoder_norm = LN(dec_dim)
        self.decoder_pred = nn.Linear(dec_dim, patch * patch * 3)

    def patchify(self, imgs):
        """[B,C,H,W] -> [B, L, p*p*C], (p, q, c) order inside a patch."""
        b, c, hh, ww = imgs.shape
        p = self.patch
        x = imgs.reshape(b, c, hh // p, p, ww // p, p)
        x = x.permute(0, 2, 4, 3, 5, 1)                  # b, h, w, p, q, c
        return x.reshape(b, (hh // p) * (ww // p), p * p * c)

    def encode(self, imgs, noise):
        x = self.patch_embed(imgs) + self.pos_embed[:, 1:]
        b, n, d = x.shape
        keep = int(n * (1 - self.mask_ratio))
        order = torch.argsort(noise, dim=1)              # ascending: smallest noise kept
        restore = torch.argsort(order, dim=1)
        kept = order[:, :keep]
        x = torch.gather(x, 1, kept[:, :, None].expand(-1, -1, d))
        mask = torch.ones(b, n)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, restore)            # 1 = removed, original patch order
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(b, -1, -1)
        x = torch.cat([cls, x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x), mask, restore

    def decode(self, x, restore):
        x = self.decoder_embed(x)
        b, n = restore.shape
        fill = self.mask_token.expand(b, n + 1 - x.shape[1], -1)
        body = torch.cat([x[:, 1:], fill], dim=1)
        body = torch.gather(body, 1, restore[:, :, None].expand(-1, -1, x.shape[2]))
        x = torch.cat([x[:, :1], body], dim=1) + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:]

    def loss(self, imgs, pred, mask):
        target = self.patchify(imgs)
        mean = target.mean(dim=-1, keepdim=True)
        var = target.var(dim=-1, keepdim=True)           # unbiased
        target = (target - mean) / (var + 1e-6) ** 0.5
        per_patch = ((pred - target) ** 2).mean(dim=-1)
        return (per_patch * mask).sum() / mask.sum()

    def forward(self, imgs, noise):
        latent, mask, restore = self.encode(imgs, noise)
        pred = self.decode(latent, restore)
        return self.loss(imgs, pred, mask), pred, mask


def case_mae():
    torch.manual_seed(3)
    model = TinyMAE()
    randomise(model, frozen=("pos_embed", "decoder_pos_embed"))
    model.eval()
    keys = list(model.state_dict().keys())
    assert keys[:4] == ["cls_token", "pos_embed", "mask_token", "decoder_pos_embed"], keys

    images = torch.randn(B, 3, 32, 32)
    noise = torch.rand(B, 16)
    x = images.clone().requires_grad_()
    loss, pred, mask = model(x, noise)
    model.zero_grad(set_to_none=True)
    loss.backward()
    grads = param_grads(model)
    assert "pos_embed" not in grads and "decoder_pos_embed" not in grads
    grads["images"] = x.grad.clone()

    # the same with the reconstruction target held constant (gradient through the model only)
    x2 = images.clone().requires_grad_()
    latent, _, restore = model.encode(x2, noise)
    loss2 = model.loss(images, model.decode(latent, restore), mask)
    model.zero_grad(set_to_none=True)
    loss2.backward()
    assert torch.allclose(loss, loss2)

    assert pred.shape == (B, 16, 192) and mask.shape == (B, 16)
    assert torch.all(mask.sum(dim=1) == 12), mask.sum(dim=1)
    # kept patches are exactly the 4 with the smallest noise
    kept = torch.argsort(noise, dim=1)[:, :4]
    assert torch.all(torch.gather(mask, 1, kept) == 0)

    spec = {"encoder": {"type": "vit", "img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 2,
                        "num_heads": 4, "global_pool": "none"},
            "decoder": {"type": "mae_decoder", "embed_dim": 16, "depth": 2, "num_heads": 2,
                        "mlp_ratio": 4.0},
            "mask_ratio": 0.75, "norm_pix_loss": True}
    save_case("mae", model, {"images": images, "noise": noise},
              {"loss": loss, "pred": pred, "mask": mask}, grads, spec,
              extra={"aux.images_grad_target_const": x2.grad})
    return model


# ----------------------------------------------------------------------------
# case 4: sin-cos tables, numpy, meshgrid style

def np_sincos_1d(dim, pos):
    omega = np.arange(dim // 2, dtype=np.float64) / (dim / 2.0)
    omega = 1.0 / 10000 ** omega
    ang = np.outer(pos.reshape(-1), omega)
    return np.concatenate([np.sin(ang), np.cos(ang)], axis=1)


def np_sincos_2d(dim, grid_size):
    gh = np.arange(grid_size, dtype=np.float32)
    gw = np.arange(grid_size, dtype=np.float32)
    grid = np.stack(np.meshgrid(gw, gh), axis=0)         # grid[0]: w varies fastest
    emb_a = np_sincos_1d(dim // 2, grid[0])
    emb_b = np_sincos_1d(dim // 2, grid[1])
    emb = np.concatenate([emb_a, emb_b], axis=1)
    emb = np.concatenate([np.zeros((1, dim)), emb], axis=0)
    return emb[None].astype(np.float32)


def case_sincos(mae):
    t32 = torch.from_numpy(np_sincos_2d(32, 4))
    t16 = torch.from_numpy(np_sincos_2d(16, 4))
    assert t32.shape == (1, 17, 32) and t16.shape == (1, 17, 16)
    d32 = (t32 - mae.pos_embed).abs().max().item()
    d16 = (t16 - mae.decoder_pos_embed).abs().max().item()
    print(f"sincos cross-check: max diff D=32 {d32:.2e}, D=16 {d16:.2e}")
    assert d32 < 1e-6 and d16 < 1e-6
    save_file({"outputs.table_32": t32.contiguous(), "outputs.table_16": t16.contiguous()},
              os.path.join(OUT_DIR, "sincos.safetensors"))


def case_resample():
    """pos_embed resampled to another grid as MAE's interpolate_pos_embed does (cls row kept, bicubic)."""
    g = torch.Generator().manual_seed(4)
    table = torch.randn(1, 1 + 4 * 4, 8, generator=g)
    outputs = {"inputs.table": table.contiguous()}
    for new in (6, 3):
        grid = table[:, 1:].reshape(1, 4, 4, 8).permute(0, 3, 1, 2)
        grid = torch.nn.functional.interpolate(grid, size=(new, new), mode="bicubic", align_corners=False)
        grid = grid.permute(0, 2, 3, 1).flatten(1, 2)
        outputs[f"outputs.grid_{new}"] = torch.cat([table[:, :1], grid], dim=1).contiguous()
    save_file(outputs, os.path.join(OUT_DIR, "resample.safetensors"))


if __name__ == "__main__":
    torch.set_num_threads(1)
    case_vit_avg_iat()
    case_vit_token_mlp()
    mae = case_mae()
    case_sincos(mae)
    case_resample()
    print("wrote fixtures to", OUT_DIR)
