"""The PyTorch side of `zoo bench --mode data`: images per second through a torchvision-style loader
(PIL decode, bicubic resize to 224, horizontal flip, ToTensor, ImageNet normalisation, batch 32) with a
DataLoader of 2 worker processes, and PIL decoding alone on 2 processes, over the same label file.

    python bench/pytorch_data_bench.py LABELS.jsonl [--batch 32] [--passes 2]
"""
import argparse
import json
import os
import time
from multiprocessing import Pool

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms


class Faces(Dataset):
    def __init__(self, paths):
        self.paths = paths
        self.transform = transforms.Compose([
            transforms.Resize((224, 224), interpolation=transforms.InterpolationMode.BICUBIC),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        ])

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.transform(Image.open(self.paths[i]).convert("RGB"))


def decode(path):
    with Image.open(path) as image:
        image.convert("RGB").load()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("labels")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    root = os.path.join(os.path.dirname(args.labels), "images")
    paths = [os.path.join(root, json.loads(line)["img_path"]) for line in open(args.labels) if line.strip()]
    torch.set_num_threads(1)
    loader = DataLoader(Faces(paths), batch_size=args.batch, shuffle=True, num_workers=2, persistent_workers=True)
    for _ in loader:  # warm-up pass: workers started, files in the page cache
        pass
    start, count = time.perf_counter(), 0
    for _ in range(args.passes):
        for batch in loader:
            count += batch.shape[0]
    loader_ips = count / (time.perf_counter() - start)
    with Pool(2) as pool:
        pool.map(decode, paths)
        start = time.perf_counter()
        for _ in range(args.passes):
            pool.map(decode, paths, chunksize=16)
        read_ips = args.passes * len(paths) / (time.perf_counter() - start)
    print(f"PyTorch DataLoader (2 workers): {loader_ips:.0f} img/s through the loader, PIL decoding alone {read_ips:.0f} img/s "
          f"({len(paths)} images, torch {torch.__version__})")


if __name__ == "__main__":
    main()
