"""Photographic JPEGs for `zoo bench --mode data`, so that decoding is timed on images with real texture
(the synthetic faces are flat-shaded, compress to ~15 KB at 224 px and decode unusually fast).

Square crops at native resolution (no resampling) and random positions from the two photographs
scikit-learn ships (china.jpg, flower.jpg, 427×640), saved at JPEG quality 92, with a BP4D-style label
file so that `zoo data pack` and `zoo bench --mode data` read them like a dataset. 400 px is about the
size of a face box in a BP4D frame (1040×1392), which FMAE's loader decodes and resizes to 224 every
epoch. Nothing is downloaded.

    python bench/make_photo_jpegs.py OUT [--count 600] [--size 400] [--seed 0]
"""
import argparse
import json
import os
import random

from PIL import Image
from sklearn.datasets import load_sample_images


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    photos = [Image.fromarray(a) for a in load_sample_images().images]
    images = os.path.join(args.out, "images")
    lines = []
    for i in range(args.count):
        photo = photos[i % len(photos)]
        side = min(args.size, *photo.size)
        left, top = rng.randint(0, photo.width - side), rng.randint(0, photo.height - side)
        crop = photo.crop((left, top, left + side, top + side))
        if side != args.size:
            crop = crop.resize((args.size, args.size), Image.BICUBIC)
        subject = f"F{i % 10 + 1:03d}"
        path = f"{subject}_T1/{i + 1:04d}.jpg"
        os.makedirs(os.path.join(images, os.path.dirname(path)), exist_ok=True)
        crop.save(os.path.join(images, path), quality=92)
        aus = [au if rng.random() < 0.3 else 999 for au in (1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24)]
        lines.append(json.dumps({"img_path": path, "AUs": aus}))
    with open(os.path.join(args.out, "train.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    sizes = [os.path.getsize(os.path.join(images, json.loads(l)["img_path"])) for l in lines]
    print(f"wrote {args.count} JPEGs ({sum(sizes) / len(sizes) / 1024:.1f} KB mean) and train.jsonl to {args.out}")


if __name__ == "__main__":
    main()
