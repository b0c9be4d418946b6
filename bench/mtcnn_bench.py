"""facenet-pytorch's MTCNN detection time per photo: the PyTorch side of BENCHMARKS.md's MTCNN table.

    pip install torch pillow numpy
    pip install --no-deps facenet-pytorch==2.6.0
    python3 bench/mtcnn_bench.py PHOTO [--runs 5] [--threads N]

Loads the photo once, warms up with one detection, then times `MTCNN().detect(photo, landmarks=True)`
(the call zoo's `zoo run detect` matches) --runs times and prints each time and the median, in ms.
Decoding the file is left out on this side; `zoo run detect`'s wall time includes it, and process start.
"""
import argparse
import statistics
import time

import torch
from facenet_pytorch import MTCNN
from PIL import Image

parser = argparse.ArgumentParser()
parser.add_argument("photo")
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own choice)")
args = parser.parse_args()
if args.threads:
    torch.set_num_threads(args.threads)

photo = Image.open(args.photo).convert("RGB")
detector = MTCNN(device="cpu")
with torch.no_grad():
    detector.detect(photo, landmarks=True)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        boxes, _, _ = detector.detect(photo, landmarks=True)
        times.append((time.perf_counter() - start) * 1000)
faces = 0 if boxes is None else len(boxes)
print(f"{args.photo}: {faces} faces, torch {torch.__version__}, {torch.get_num_threads()} threads, "
      f"runs {' '.join(f'{t:.1f}' for t in times)} ms, median {statistics.median(times):.1f} ms")
