"""PyTorch DistributedDataParallel reference for `mpirun … zoo bench --mode train`.

Each process builds timm `vit_base_patch16_224` (global_pool='avg', 12 classes,
drop_path_rate=0.1, random init, nothing downloaded, the same model as
bench/pytorch_bench.py), wraps it in DDP over the gloo backend (25 MB buckets,
each all-reduce started from backward's hooks, as PyTorch ships it) and times
training steps (BCEWithLogits, backward, AdamW step, zero_grad) on random images.

Steps alternate: one DDP step, then one under `no_sync()` (the same work with no
all-reduce). The difference of their medians is the all-reduce time backward did
not hide, the figure `zoo bench` prints as "all-reduce not hidden". Rank 0 prints
one JSON line.

Needs torch and timm only when run (CI never runs it). With 2 ranks on one box:
    torchrun --nproc_per_node 2 bench/pytorch_ddp_bench.py --batch 4 --steps 3
Over a link shaped to 1 Gb/s, as in BENCHMARKS.md ("The all-reduce overlapped
with backward"): GLOO_SOCKET_IFNAME=lo ip netns exec mpinet torchrun … (same arguments).
"""
import argparse
import json
import statistics
import time

import timm
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=4, help="images per process")
    ap.add_argument("--steps", type=int, default=3, help="timed steps of each kind")
    ap.add_argument("--threads", type=int, default=1, help="kernel threads per process")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    dist.init_process_group("gloo")
    rank, size = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    model = timm.create_model("vit_base_patch16_224", pretrained=False,
                              global_pool="avg", num_classes=12, drop_path_rate=0.1)
    model.train()
    ddp = DistributedDataParallel(model)
    opt = torch.optim.AdamW(ddp.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(rank)
    images = torch.randn(args.batch, 3, 224, 224, generator=gen)
    targets = torch.randint(0, 2, (args.batch, 12), generator=gen).float()

    def step():
        loss = F.binary_cross_entropy_with_logits(ddp(images), targets)
        loss.backward()
        opt.step()
        opt.zero_grad()

    def timed(body):
        dist.barrier()
        t0 = time.perf_counter()
        body()
        return time.perf_counter() - t0

    step()  # warm-up, untimed
    synced, local = [], []
    for _ in range(args.steps):
        synced.append(timed(step))
        with ddp.no_sync():
            local.append(timed(step))

    if rank == 0:
        s, c = statistics.median(synced), statistics.median(local)
        gradient_bytes = sum(p.numel() for p in model.parameters()) * 4
        print(json.dumps({
            "framework": "pytorch-ddp",
            "torch": torch.__version__,
            "backend": "gloo",
            "processes": size,
            "batch_per_process": args.batch,
            "threads_per_process": args.threads,
            "gradient_bytes": gradient_bytes,
            "seconds_per_step": synced,
            "seconds_per_step_without_allreduce": local,
            "median_seconds_per_step": s,
            "median_compute_seconds": c,
            "allreduce_not_hidden_seconds": s - c,
            "images_per_second_all_ranks": args.batch * size / s,
        }))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
