"""Makes the image, resize, normalisation and shard fixtures of ImageCodecTests, ResizeTests and ShardTests
with Pillow, torchvision and the zstd command line tool (run by hand, CI never runs it):

    /root/torchenv/bin/python Tests/TasksTests/Fixtures/make_image_fixtures.py

Outputs (all in this folder, a few KB each):
- img_pattern.ppm                 a 37×29 RGB test pattern (gradients, a sharp block, pseudo-random texture), lossless
- img_resized_<filter>_<W>x<H>.ppm / .dxy.zst
                                  Pillow's Image.resize of the pattern (BILINEAR / BICUBIC), as torchvision's
                                  Resize runs on PIL images; the 224×224 ones delta-coded and zstd-compressed
- img_pattern_q90.jpg, img_pattern_q90.ppm        Pillow JPEG (quality 90, 4:2:0) and Pillow's decoding of it
- img_pattern_444.jpg, img_pattern_444.ppm        the same at 4:4:4 chroma
- img_progressive.jpg, img_progressive.ppm        progressive JPEG and its decoding
- img_gray.jpg, img_gray.ppm                      grayscale JPEG and its decoding, converted to RGB by Pillow
- img_cmyk.jpg                                    CMYK JPEG (refused by zoo)
- img_pattern.png                                 a PNG (to check it is not taken for a JPEG)
- img_normalize.safetensors       "image" 16×16×3 uint8 values as float32 (every byte value appears) and "chw"
                                  3×16×16: torchvision ToTensor + Normalize(ImageNet mean, std) of it
- shard_tiny.shard                a shard written here, independently of zoo's writer, from the format description
                                  in Sources/Tasks/Data/Shards.swift
"""
import io
import json
import os
import struct
import subprocess

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

HERE = os.path.dirname(os.path.abspath(__file__))


# The shard fixture belongs to the Data target's tests.
SHARD_FIXTURES = os.path.join(HERE, "..", "..", "DataTests", "Fixtures")


def path(name):
    if name.startswith("shard_tiny"):
        return os.path.join(SHARD_FIXTURES, name)
    return os.path.join(HERE, name)


def write_ppm(name, array):
    h, w, _ = array.shape
    with open(path(name), "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h))
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def zstd(data, level=19):
    return subprocess.run(["zstd", f"-{level}", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout


def pattern(width=37, height=29):
    y, x = np.mgrid[0:height, 0:width]
    r = (x * 255) // (width - 1)
    g = (y * 255) // (height - 1)
    b = np.where((x // 2 + y // 3) % 2 == 1, 255, 0)        # 0/255 checker: bicubic overshoots and must clamp
    img = np.stack([r, g, b], axis=-1).astype(np.uint8)
    img[8:15, 20:28] = [250, 10, 128]                        # sharp-edged blocks
    img[20:24, 3:6] = [0, 255, 0]
    return img


def main():
    base = pattern()
    write_ppm("img_pattern.ppm", base)
    im = Image.fromarray(base, "RGB")

    filters = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
    for fname, f in filters.items():
        for w, h in [(224, 224), (16, 12), (50, 40)]:
            out = np.asarray(im.resize((w, h), f))
            # torchvision.transforms.Resize on a PIL image is this same call.
            tv = np.asarray(transforms.Resize((h, w), interpolation=transforms.InterpolationMode[fname.upper()])(im))
            assert np.array_equal(out, tv)
            name = f"img_resized_{fname}_{w}x{h}"
            if w * h <= 4096:
                write_ppm(name + ".ppm", out)
            else:
                # Too big raw: channel planes (C×H×W) of the second difference (along x, then along y, wrapping
                # mod 256), zstd-compressed: a few KB instead of 150.
                d = np.diff(np.diff(out.astype(np.int16), axis=1, prepend=0), axis=0, prepend=0).astype(np.uint8)
                with open(path(name + ".dxy.zst"), "wb") as dst:
                    dst.write(zstd(np.ascontiguousarray(d.transpose(2, 0, 1)).tobytes()))

    def jpeg(name, image, **options):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", **options)
        with open(path(name + ".jpg"), "wb") as f:
            f.write(buffer.getvalue())
        return Image.open(io.BytesIO(buffer.getvalue()))

    write_ppm("img_pattern_q90.ppm", np.asarray(jpeg("img_pattern_q90", im, quality=90).convert("RGB")))
    write_ppm("img_pattern_444.ppm", np.asarray(jpeg("img_pattern_444", im, quality=90, subsampling=0).convert("RGB")))
    write_ppm("img_progressive.ppm", np.asarray(jpeg("img_progressive", im, quality=85, progressive=True).convert("RGB")))
    write_ppm("img_gray.ppm", np.asarray(jpeg("img_gray", im.convert("L"), quality=90).convert("RGB")))
    jpeg("img_cmyk", im.convert("CMYK"), quality=90)
    im.resize((8, 6)).save(path("img_pattern.png"))

    # ToTensor + Normalize of an image holding every byte value in every channel.
    v = np.arange(256, dtype=np.uint8).reshape(16, 16)
    small = np.stack([v, 255 - v, (v.astype(np.int64) * 7 % 256).astype(np.uint8)], axis=-1)
    chw = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(transforms.ToTensor()(Image.fromarray(small, "RGB")))
    write_safetensors("img_normalize.safetensors", {"image": torch.from_numpy(small.astype(np.float32)), "chw": chw})

    write_tiny_shard()


def write_safetensors(name, tensors):
    header, blobs, offset = {}, [], 0
    for key, t in tensors.items():
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header).encode()
    with open(path(name), "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def write_tiny_shard():
    """Two 4×4 images, by the format in Shards.swift: header, length-prefixed zstd frames, JSON footer, footer offset."""
    size = 4
    images = [np.arange(size * size * 3, dtype=np.uint8).reshape(size, size, 3),
              (255 - np.arange(size * size * 3, dtype=np.uint8) * 5).reshape(size, size, 3)]
    records = [{"key": "subject1/frame_0001.jpg", "labels": [1.0, 0.0, 0.5], "subject": "F001", "class": 2},
               {"key": "subject2/frame_0002.jpg", "labels": [0.0, 1.0, -0.25]}]
    out = bytearray(b"ZOOSHRD1" + struct.pack("<IIQ", 1, size, len(images)))
    offsets = []
    for image in images:
        frame = zstd(image.tobytes(), level=3)
        offsets.append(len(out))
        out += struct.pack("<Q", len(frame)) + frame
    footer_offset = len(out)
    out += json.dumps({"offsets": offsets, "records": records}).encode()
    out += struct.pack("<Q", footer_offset)
    with open(path("shard_tiny.shard"), "wb") as f:
        f.write(out)
    write_ppm("shard_tiny_0.ppm", images[0])
    write_ppm("shard_tiny_1.ppm", images[1])


if __name__ == "__main__":
    main()
