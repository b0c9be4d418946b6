"""Checkpoint-conversion benchmark helpers (need torch and safetensors only when run; CI never runs them).

    python bench/convert_bench.py make /tmp/vitl.pth      # a ViT-L-sized FMAE-style checkpoint, ~1.2 GB fp32
    python bench/convert_bench.py torch /tmp/vitl.pth /tmp/vitl_torch.safetensors
        # the PyTorch way to convert: torch.load + safetensors.torch.save_file (prints seconds as JSON)

The checkpoint has the key layout of FMAE's ViT-L fine-tuning (cls_token, pos_embed, patch_embed, 24 blocks,
fc_norm, head, ID_head: ~300 tensors, 303 M values) with random values, nested as torch.save({'model': ...,
'epoch': ..., 'args': ...}) like the released files.
"""
import argparse
import sys
import time
from collections import OrderedDict

import torch


def make(path):
    d, depth, g = 1024, 24, torch.Generator().manual_seed(0)
    sd = OrderedDict()

    def add(name, *shape):
        sd[name] = torch.randn(*shape, generator=g) * 0.02

    add("cls_token", 1, 1, d)
    add("pos_embed", 1, 197, d)
    add("patch_embed.proj.weight", d, 3, 16, 16)
    add("patch_embed.proj.bias", d)
    for i in range(depth):
        p = f"blocks.{i}."
        add(p + "norm1.weight", d); add(p + "norm1.bias", d)
        add(p + "attn.qkv.weight", 3 * d, d); add(p + "attn.qkv.bias", 3 * d)
        add(p + "attn.proj.weight", d, d); add(p + "attn.proj.bias", d)
        add(p + "norm2.weight", d); add(p + "norm2.bias", d)
        add(p + "mlp.fc1.weight", 4 * d, d); add(p + "mlp.fc1.bias", 4 * d)
        add(p + "mlp.fc2.weight", d, 4 * d); add(p + "mlp.fc2.bias", d)
    add("fc_norm.weight", d); add("fc_norm.bias", d)
    add("head.weight", 12, d); add("head.bias", 12)
    add("ID_head.weight", 41, d); add("ID_head.bias", 41)
    torch.save({"model": sd, "epoch": 29, "args": argparse.Namespace(model="vit_large_patch16", nb_classes=12)}, path)
    print(f"wrote {path}: {len(sd)} tensors, {sum(t.numel() for t in sd.values()):,} values")


def convert_with_torch(src, dst):
    from safetensors.torch import save_file
    start = time.perf_counter()
    sd = torch.load(src, map_location="cpu", weights_only=False)["model"]
    save_file(sd, dst, metadata={"format": "pt"})
    print(f'{{"framework": "pytorch", "seconds": {time.perf_counter() - start:.3f}}}')


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "torch":
        convert_with_torch(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
