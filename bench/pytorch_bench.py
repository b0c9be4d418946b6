"""PyTorch CPU reference timing for the zoo's ViT-B/16 benchmark.

Builds timm `vit_base_patch16_224` (global_pool='avg', num_classes=12,
drop_path_rate=0.1, random init, nothing downloaded) and times either
inference (eval, no_grad) or one training step (BCEWithLogits on random 0/1
targets, backward, AdamW step, zero_grad) on random 224x224 images. One
untimed warm-up step, then the median over --steps timed steps is printed
as one JSON line.

--model vit-tiny-patch8-64 builds the same layout as the zoo's demo ViT instead
(timm VisionTransformer: 64x64 images, patch 8, width 96, depth 4, 3 heads),
for per-frame latency with --batch 1.

Needs torch and timm only when run (CI never runs it):
    python bench/pytorch_bench.py --mode infer
    python bench/pytorch_bench.py --mode train --batch 8 --steps 3 --threads 2
    python bench/pytorch_bench.py --model vit-tiny-patch8-64 --mode infer --batch 1 --steps 50
"""
import argparse
import json
import statistics
import time

import timm
import timm.models.vision_transformer as vt
import torch
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=["vit-base-patch16", "vit-tiny-patch8-64"], default="vit-base-patch16")
    ap.add_argument("--mode", choices=["infer", "train"], default="infer")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    if args.model == "vit-base-patch16":
        size = 224
        model = timm.create_model("vit_base_patch16_224", pretrained=False,
                                  global_pool="avg", num_classes=12, drop_path_rate=0.1)
    else:
        size = 64
        model = vt.VisionTransformer(img_size=64, patch_size=8, embed_dim=96, depth=4, num_heads=3,
                                     global_pool="avg", num_classes=12, drop_path_rate=0.1)
    images = torch.randn(args.batch, 3, size, size)
    targets = torch.randint(0, 2, (args.batch, 12)).float()

    if args.mode == "infer":
        model.eval()

        def step():
            with torch.no_grad():
                model(images)
    else:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step():
            loss = F.binary_cross_entropy_with_logits(model(images), targets)
            loss.backward()
            opt.step()
            opt.zero_grad()

    step()  # warm-up, untimed
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)

    print(json.dumps({
        "framework": "pytorch",
        "model": args.model,
        "torch": torch.__version__,
        "mode": args.mode,
        "batch": args.batch,
        "steps": args.steps,
        "threads": torch.get_num_threads(),
        "images_per_second": args.batch / statistics.median(times),
        "median_seconds_per_step": statistics.median(times),
    }))


if __name__ == "__main__":
    main()
