"""Makes the PNG fixtures of PNGTests with Pillow (run by hand, CI never runs it):

    python3 Tests/ImagesTests/Fixtures/make_png_fixtures.py

Every png_<kind>.png comes with png_<kind>.ppm, Pillow's `Image.open(f).convert("RGB")` of it, the bytes
zoo's decoder must reproduce exactly. Pillow writes the 8-bit kinds (with its adaptive row filters); the
kinds Pillow cannot write (2- and 4-bit grey, 16-bit colour, tRNS on grey/RGB, Adam7 interlacing, extra
chunks) are written here from the PNG specification, filter type 0, and read back by Pillow like any other.

- png_grey8, png_grey_alpha8, png_rgb8, png_rgba8 (alpha varies), png_grey1 ("1"), png_grey16 ("I;16",
  values past 255, which Pillow clamps)
- png_palette8 (256 colours), png_palette8_trns (tRNS on some entries), png_palette4/2/1 (sub-byte indices)
- png_grey2, png_grey4, png_grey8_trns, png_rgb8_trns, png_rgb16, png_rgba16, png_grey_alpha16
- png_palette_short: a 4-entry palette with indices past it (Pillow: black)
- png_rgb8_chunks: gAMA 1.0, cHRM, sRGB, a junk iCCP profile, tEXt and an unknown private chunk, which
  Pillow's convert("RGB") ignores (no gamma applied)
- png_*_adam7: Adam7-interlaced RGB, 1-bit grey, 4-bit palette with tRNS, 16-bit RGBA, grey+alpha, and a
  3×2 RGB (some passes empty)

and, for the error tests, valid-looking files Pillow refuses or that are damaged inside a checksum:
- bad_huge.png: IHDR declaring 65000×65000 (correct CRC), then a tiny IDAT
- bad_zlib.png: the pattern with its deflate stream damaged and the IDAT CRC recomputed
"""
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
W, H = 13, 11
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def path(name):
    return os.path.join(HERE, name)


def noise(seed, shape, high):
    return np.random.default_rng(seed).integers(0, high + 1, size=shape)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(values, bit_depth):
    """One row of samples (already flattened) as PNG stores it: big-endian 16-bit, or packed MSB first."""
    if bit_depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in values)
    if bit_depth == 8:
        return bytes(int(v) for v in values)
    per_byte = 8 // bit_depth
    out = bytearray()
    for i in range(0, len(values), per_byte):
        byte = 0
        for j, v in enumerate(values[i:i + per_byte]):
            byte |= int(v) << (8 - bit_depth * (j + 1))
        out.append(byte)
    return bytes(out)


def raw_png(samples, bit_depth, color_type, interlace=False, before_idat=b"", after_idat=b""):
    """A PNG from an (h, w, channels) array of sample values, every row with filter type 0."""
    h, w, _ = samples.shape
    data = bytearray()
    for x0, y0, dx, dy in (ADAM7 if interlace else [(0, 0, 1, 1)]):
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue  # an empty pass has no rows at all, not even filter bytes
        for row in sub:
            data += b"\x00" + pack_row(row.reshape(-1), bit_depth)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + before_idat + chunk(b"IDAT", zlib.compress(bytes(data), 9))
            + after_idat + chunk(b"IEND", b""))


def palette_chunk(count, seed=5):
    return chunk(b"PLTE", bytes(noise(seed, count * 3, 255).astype(np.uint8)))


def pillow_image(mode, array):
    """An image of `mode` from raw samples (Pillow's fromarray no longer takes a mode)."""
    h, w = array.shape[:2]
    return Image.frombytes(mode, (w, h), np.ascontiguousarray(array).tobytes())


def pillow_png(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def ihdr_of(data):
    width, height, bit_depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    return width, height, bit_depth, color_type, interlace


def write(kind, data, expect):
    """Writes png_<kind>.png and Pillow's RGB of it; `expect` is (bit depth, colour type, interlaced)."""
    _, _, bit_depth, color_type, interlace = ihdr_of(data)
    assert (bit_depth, color_type, interlace) == expect, (kind, bit_depth, color_type, interlace)
    with open(path(f"png_{kind}.png"), "wb") as f:
        f.write(data)
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    h, w, _ = rgb.shape
    with open(path(f"png_{kind}.ppm"), "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h) + rgb.tobytes())
    return rgb


def main():
    rgb = noise(1, (H, W, 3), 255).astype(np.uint8)
    rgb[2:6, 3:9] = [250, 10, 128]  # a flat block, so the row filters differ from row to row
    alpha = noise(2, (H, W), 255).astype(np.uint8)
    grey = noise(3, (H, W), 255).astype(np.uint8)
    indices = noise(4, (H, W), 255)

    write("grey8", pillow_png(pillow_image("L", grey)), (8, 0, 0))
    write("grey_alpha8", pillow_png(pillow_image("LA", np.stack([grey, alpha], -1))), (8, 4, 0))
    write("rgb8", pillow_png(pillow_image("RGB", rgb)), (8, 2, 0))
    write("rgba8", pillow_png(pillow_image("RGBA", np.dstack([rgb, alpha]))), (8, 6, 0))
    write("grey1", pillow_png(pillow_image("L", np.where(grey > 127, 255, 0).astype(np.uint8)).convert("1")), (1, 0, 0))
    grey16 = noise(6, (H, W), 65535).astype(np.uint16)
    grey16[0, :5] = [0, 1, 255, 256, 65535]
    write("grey16", pillow_png(pillow_image("I;16", grey16.astype("<u2"))), (16, 0, 0))

    def palette_image(bits, transparency=None):
        image = pillow_image("P", (indices % (1 << bits)).astype(np.uint8))
        image.putpalette(list(noise(5, 3 << bits, 255)))
        options = {"bits": bits} if bits < 8 else {}
        if transparency is not None:
            options["transparency"] = transparency
        return pillow_png(image, **options)

    write("palette8", palette_image(8), (8, 3, 0))
    write("palette8_trns", palette_image(8, bytes([0, 128, 255, 7])), (8, 3, 0))
    for bits in (4, 2, 1):
        write(f"palette{bits}", palette_image(bits), (bits, 3, 0))

    for bits in (2, 4):
        write(f"grey{bits}", raw_png(noise(7 + bits, (H, W, 1), (1 << bits) - 1), bits, 0), (bits, 0, 0))
    write("grey8_trns", raw_png(grey[..., None], 8, 0, before_idat=chunk(b"tRNS", struct.pack(">H", int(grey[0, 0])))), (8, 0, 0))
    write("rgb8_trns", raw_png(rgb, 8, 2, before_idat=chunk(b"tRNS", struct.pack(">HHH", *map(int, rgb[0, 0])))), (8, 2, 0))
    write("rgb16", raw_png(noise(11, (H, W, 3), 65535), 16, 2), (16, 2, 0))
    write("rgba16", raw_png(noise(12, (H, W, 4), 65535), 16, 6), (16, 6, 0))
    write("grey_alpha16", raw_png(noise(13, (H, W, 2), 65535), 16, 4), (16, 4, 0))
    short = noise(14, (H, W, 1), 255)
    short[0, :4, 0] = [0, 1, 2, 3]
    write("palette_short", raw_png(short, 8, 3, before_idat=palette_chunk(4)), (8, 3, 0))
    extra = (chunk(b"gAMA", struct.pack(">I", 100000)) + chunk(b"cHRM", struct.pack(">8I", *([31270, 32900] * 4)))
             + chunk(b"sRGB", b"\x00") + chunk(b"iCCP", b"junk\x00\x00" + zlib.compress(b"not a colour profile"))
             + chunk(b"tEXt", b"Comment\x00made by make_png_fixtures.py") + chunk(b"zoOo", b"private"))
    written = write("rgb8_chunks", raw_png(rgb, 8, 2, before_idat=extra), (8, 2, 0))
    assert (written == rgb).all(), "Pillow applied a gamma or profile"

    adam7 = write("rgb8_adam7", raw_png(rgb, 8, 2, interlace=True), (8, 2, 1))
    assert (adam7 == rgb).all()
    write("grey1_adam7", raw_png((grey > 127)[..., None].astype(int), 1, 0, interlace=True), (1, 0, 1))
    write("palette4_trns_adam7", raw_png((indices % 16)[..., None], 4, 3, interlace=True,
                                          before_idat=palette_chunk(16) + chunk(b"tRNS", bytes([0, 255, 9]))), (4, 3, 1))
    write("rgba16_adam7", raw_png(noise(12, (H, W, 4), 65535), 16, 6, interlace=True), (16, 6, 1))
    write("grey_alpha8_adam7", raw_png(np.stack([grey, alpha], -1), 8, 4, interlace=True), (8, 4, 1))
    write("rgb8_adam7_3x2", raw_png(rgb[:2, :3], 8, 2, interlace=True), (8, 2, 1))

    # Bad files, made here because they need their checksums right.
    with open(path("bad_huge.png"), "wb") as f:
        ihdr = struct.pack(">IIBBBBB", 65000, 65000, 8, 2, 0, 0, 0)
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))
    good = raw_png(rgb, 8, 2)
    idat = good.index(b"IDAT")
    length = struct.unpack(">I", good[idat - 4:idat])[0]
    stream = bytearray(good[idat + 4:idat + 4 + length])
    stream[2] ^= 0xFF  # the first deflate block header: an invalid block type or code lengths
    with open(path("bad_zlib.png"), "wb") as f:
        f.write(good[:idat - 4] + chunk(b"IDAT", bytes(stream)) + chunk(b"IEND", b""))
    try:
        Image.open(path("bad_zlib.png")).convert("RGB")
        raise SystemExit("Pillow decoded bad_zlib.png")
    except (OSError, SyntaxError, zlib.error) as error:
        print("bad_zlib.png: Pillow:", error)


if __name__ == "__main__":
    main()
