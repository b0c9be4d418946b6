"""Make the PyTorch checkpoint fixtures for the zoo's Swift checkpoint tests.

Writes, next to this script:

  CASE_zip.pth          for CASE in vit_avg_iat, vit_token_mlp, mae: an MAE/FMAE-style training
                        checkpoint {'model', 'optimizer', 'epoch', 'scaler', 'args'} (args is an
                        argparse.Namespace) saved by torch.save in the default zip format. 'model'
                        holds exactly the float32 weights of ../../ZooTests/Fixtures/CASE.safetensors
                        (the `weights.*` tensors, in that file's key order).
  CASE_legacy.pth       the same dict, saved with _use_new_zipfile_serialization=False.
  CASE_fp16_module.pth  {'model': weights as float16, every key prefixed with 'module.'} (zip).
  CASE_fp16_outputs.safetensors
                        the reference outputs of CASE evaluated in float32 with the
                        float16-rounded weights (w.half().float()) on the fixture's `inputs.*`.
  views.pth, views_legacy.pth
                        a dict of tensors that share storage (transposes, rows, columns, slices),
                        one tensor of every dtype, a 0-d tensor, an empty tensor and an
                        nn.Parameter; views_expected.json lists dtype, shape and values of each.
  python_written.safetensors, python_written_expected.json
                        one tensor of every dtype written by safetensors.torch.save_file, with
                        metadata, and what it holds.
  unsafe.pth, unsafe_eval.pth
                        zip checkpoints whose data.pkl calls os.system / builtins.eval through
                        GLOBAL + REDUCE. They are never loaded here: a loader must refuse them.
  truncated.pth         the first half of vit_avg_iat_zip.pth.
  missing_record.pth    views.pth with the record of the shared storage (data/0) removed.
  bad_opcode.pth        a zip checkpoint whose data.pkl is b'\\x80\\x02\\xff.' (0xff is no opcode).
  not_a_checkpoint.pth  64 bytes of text.

The forward passes are recomputed here (timm's VisionTransformer for the two ViT cases, an MAE
forward written from FMAE-NOTES.md for mae) and checked against the fixtures' fp32 `outputs.*`
before the float16-rounded outputs are computed. Every safe .pth written is read back with
torch.load(weights_only=True) and compared.

Deterministic: torch's zip writer is byte-stable for a fixed archive name. The legacy writer
names storages by their memory address (str(storage._cdata)), so after saving, this script
renames them to fixed address-like keys in first-use order and lays the storage blocks out in
the sorted key order, as torch itself would for those keys; nothing else in the file changes.

Needs torch, timm (1.0.x) and safetensors. CI never runs it; the outputs are committed.
To regenerate, from the repository root:
    python Tests/CheckpointTests/Fixtures/make_checkpoint_fixtures.py
"""
import argparse
import collections
import functools
import io
import json
import os
import pickle
import pickletools
import struct
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from timm.models.vision_transformer import Block, VisionTransformer

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
PARITY_DIR = os.path.join(OUT_DIR, "..", "..", "ZooTests", "Fixtures")
CASES = ("vit_avg_iat", "vit_token_mlp", "mae")
LN = functools.partial(nn.LayerNorm, eps=1e-6)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def out(name):
    return os.path.join(OUT_DIR, name)


# ----------------------------------------------------------------------------
# forward passes (used only to compute the float16-rounded reference outputs)

def timm_vit(global_pool, num_classes):
    return VisionTransformer(
        img_size=32, patch_size=8, in_chans=3, embed_dim=32, depth=2, num_heads=4,
        mlp_ratio=4.0, qkv_bias=True, class_token=True, global_pool=global_pool,
        num_classes=num_classes, norm_layer=LN)


class TwoLayerHead(nn.Module):
    """fc1 -> exact GELU -> fc2."""

    def __init__(self, d_in, hidden, d_out):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.fc2 = nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="none"))


def forward_vit_avg_iat(weights, inputs):
    model = timm_vit("avg", 5)
    model.ID_head = nn.Linear(32, 7)
    model.load_state_dict(weights, strict=True)
    model.eval()
    with torch.no_grad():
        feats = model.forward_head(model.forward_features(inputs["images"]), pre_logits=True)
        return {"features": feats, "head": model.head(feats), "ID_head": model.ID_head(feats)}


def forward_vit_token_mlp(weights, inputs):
    model = timm_vit("token", 0)
    model.head = TwoLayerHead(32, 16, 3)
    model.load_state_dict(weights, strict=True)
    model.eval()
    with torch.no_grad():
        feats = model.forward_head(model.forward_features(inputs["images"]), pre_logits=True)
        return {"features": feats, "head": model.head(feats)}


class MAEParams(nn.Module):
    """Holds the MAE parameters under their checkpoint names; forward is in forward_mae."""

    def __init__(self, dim=32, depth=2, heads=4, dec_dim=16, dec_depth=2, dec_heads=2,
                 patch=8, tokens=17, mlp_ratio=4.0):
        super().__init__()
        self.cls_token = nn.Parameter(torch.empty(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.empty(1, tokens, dim), requires_grad=False)
        self.mask_token = nn.Parameter(torch.empty(1, 1, dec_dim))
        self.decoder_pos_embed = nn.Parameter(torch.empty(1, tokens, dec_dim), requires_grad=False)
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        self.blocks = nn.ModuleList(
            Block(dim, heads, mlp_ratio, qkv_bias=True, norm_layer=LN) for _ in range(depth))
        self.norm = LN(dim)
        self.decoder_embed = nn.Linear(dim, dec_dim)
        self.decoder_blocks = nn.ModuleList(
            Block(dec_dim, dec_heads, mlp_ratio, qkv_bias=True, norm_layer=LN)
            for _ in range(dec_depth))
        self.decoder_norm = LN(dec_dim)
        self.decoder_pred = nn.Linear(dec_dim, patch * patch * 3)


def forward_mae(weights, inputs, patch=8, mask_ratio=0.75):
    m = MAEParams()
    m.load_state_dict(weights, strict=True)
    m.eval()
    imgs, noise = inputs["images"], inputs["noise"]
    with torch.no_grad():
        # encoder: patch tokens + pos embed, keep the patches with the smallest noise
        x = m.patch_embed.proj(imgs).flatten(2).transpose(1, 2)          # [N, L, D]
        n, length, dim = x.shape
        x = x + m.pos_embed[:, 1:, :]
        len_keep = int(length * (1 - mask_ratio))
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :len_keep]
        x = torch.gather(x, 1, ids_keep.unsqueeze(-1).repeat(1, 1, dim))
        mask = torch.ones(n, length)
        mask[:, :len_keep] = 0
        mask = torch.gather(mask, 1, ids_restore)                        # 1 = removed
        cls = (m.cls_token + m.pos_embed[:, :1, :]).expand(n, -1, -1)
        x = torch.cat((cls, x), dim=1)
        for blk in m.blocks:
            x = blk(x)
        x = m.norm(x)

        # decoder: embed, append mask tokens, unshuffle, add pos embed
        x = m.decoder_embed(x)
        dec_dim = x.shape[-1]
        mask_tokens = m.mask_token.repeat(n, length + 1 - x.shape[1], 1)
        y = torch.cat((x[:, 1:, :], mask_tokens), dim=1)
        y = torch.gather(y, 1, ids_restore.unsqueeze(-1).repeat(1, 1, dec_dim))
        x = torch.cat((x[:, :1, :], y), dim=1) + m.decoder_pos_embed
        for blk in m.decoder_blocks:
            x = blk(x)
        pred = m.decoder_pred(m.decoder_norm(x))[:, 1:, :]

        # norm-pix loss on the removed patches; target patch layout (p, q, c)
        h = w = imgs.shape[2] // patch
        target = imgs.reshape(n, 3, h, patch, w, patch)
        target = torch.einsum("nchpwq->nhwpqc", target).reshape(n, h * w, patch * patch * 3)
        mean = target.mean(dim=-1, keepdim=True)
        var = target.var(dim=-1, unbiased=True, keepdim=True)
        target = (target - mean) / (var + 1e-6) ** 0.5
        per_patch = ((pred - target) ** 2).mean(dim=-1)
        loss = (per_patch * mask).sum() / mask.sum()
    return {"loss": loss, "pred": pred, "mask": mask}


FORWARDS = {"vit_avg_iat": forward_vit_avg_iat, "vit_token_mlp": forward_vit_token_mlp,
            "mae": forward_mae}
FP16_OUTPUTS = {"vit_avg_iat": ("features", "head", "ID_head"),
                "vit_token_mlp": ("features", "head"),
                "mae": ("loss", "pred", "mask")}


def rel_err(a, b):
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item()


# ----------------------------------------------------------------------------
# legacy format: make the storage keys (memory addresses) deterministic

LEGACY_ELEMENT_SIZE = {
    "torch DoubleStorage": 8, "torch FloatStorage": 4, "torch HalfStorage": 2,
    "torch BFloat16Storage": 2, "torch LongStorage": 8, "torch IntStorage": 4,
    "torch ShortStorage": 2, "torch CharStorage": 1, "torch ByteStorage": 1,
    "torch BoolStorage": 1,
}
LEGACY_KEY_BASE = 140_000_000_000_000   # address-like, 15 digits, so string order == number order


def _pickle_end(raw, start):
    f = io.BytesIO(raw)
    f.seek(start)
    for _ in pickletools.genops(f):
        pass
    return f.tell()


def canonicalise_legacy(path):
    """Legacy file = 5 pickles (magic, protocol, sys_info, object, storage keys) + for each key
    in that list an int64 element count and the raw bytes. Rename the keys, reorder the blocks."""
    with open(path, "rb") as fh:
        raw = fh.read()
    bounds = [0]
    for _ in range(5):
        bounds.append(_pickle_end(raw, bounds[-1]))
    main = raw[bounds[3]:bounds[4]]
    keys_pickle = raw[bounds[4]:bounds[5]]
    old_keys = pickle.loads(keys_pickle)                    # a plain list of str, written above
    assert isinstance(old_keys, list) and all(isinstance(k, str) for k in old_keys)
    assert pickle.dumps(old_keys, protocol=2) == keys_pickle

    # walk the object pickle: each storage key string follows its storage-type GLOBAL
    # (or a BINGET of it) inside the persistent id ('storage', type, key, location, numel, None)
    ops = list(pickletools.genops(main))
    memo, prev, element_size, first_use, pieces, last = {}, None, {}, [], [], 0
    for i, (op, arg, pos) in enumerate(ops):
        if op.name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[arg] = prev
            continue
        if op.name == "GLOBAL":
            val = ("global", arg)
        elif op.name in ("BINUNICODE", "SHORT_BINUNICODE", "UNICODE", "BINUNICODE8"):
            val = ("str", arg)
        elif op.name in ("BINGET", "LONG_BINGET", "GET"):
            val = memo.get(arg)
        else:
            val = None
        if val is not None and val[0] == "str" and val[1] in old_keys:
            assert prev is not None and prev[0] == "global", (arg, prev)
            size = LEGACY_ELEMENT_SIZE[prev[1]]
            assert element_size.setdefault(arg, size) == size
            if arg not in first_use:
                first_use.append(arg)
            if op.name != "BINGET" and op.name != "LONG_BINGET":
                assert op.name == "BINUNICODE", op.name
                end = ops[i + 1][2]
                new = str(LEGACY_KEY_BASE + 4096 * first_use.index(arg)).encode()
                pieces += [main[last:pos], b"X" + struct.pack("<I", len(new)) + new]
                last = end
        prev = val
    pieces.append(main[last:])
    assert sorted(first_use) == sorted(old_keys)
    rename = {k: str(LEGACY_KEY_BASE + 4096 * i) for i, k in enumerate(first_use)}

    blocks, pos = {}, bounds[5]
    for k in old_keys:
        (numel,) = struct.unpack("<q", raw[pos:pos + 8])
        nbytes = 8 + numel * element_size[k]
        blocks[rename[k]] = raw[pos:pos + nbytes]
        pos += nbytes
    assert pos == len(raw), (pos, len(raw))
    new_keys = sorted(blocks)
    rebuilt = (raw[:bounds[3]] + b"".join(pieces) + pickle.dumps(new_keys, protocol=2)
               + b"".join(blocks[k] for k in new_keys))
    with open(path, "wb") as fh:
        fh.write(rebuilt)


def save_legacy(obj, path):
    torch.save(obj, path, _use_new_zipfile_serialization=False)
    canonicalise_legacy(path)


# ----------------------------------------------------------------------------
# checks

def assert_same(a, b, what):
    """Deep equality of loaded checkpoint contents (tensors: dtype, shape, values)."""
    if isinstance(b, torch.Tensor):
        assert isinstance(a, torch.Tensor), what
        assert a.dtype == b.dtype and a.shape == b.shape, (what, a.dtype, b.dtype, a.shape, b.shape)
        assert torch.equal(a, b), what
    elif isinstance(b, dict):
        assert isinstance(a, dict) and list(a.keys()) == list(b.keys()), what
        for k in b:
            assert_same(a[k], b[k], f"{what}.{k}")
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{what}[{i}]")
    elif isinstance(b, argparse.Namespace):
        assert isinstance(a, argparse.Namespace) and vars(a) == vars(b), what
    else:
        assert type(a) is type(b) and a == b, (what, a, b)


def load_safe(path):
    with torch.serialization.safe_globals([argparse.Namespace]):
        return torch.load(path, weights_only=True)


def expect_load_failure(path):
    try:
        torch.load(path, weights_only=True)
    except Exception as exc:   # noqa: BLE001 - any error is the expected outcome
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
    raise AssertionError(f"{path} loaded without error")


# ----------------------------------------------------------------------------
# 1. model checkpoints

def training_checkpoint(model):
    return {
        "model": model,
        "optimizer": {"state": {}, "param_groups": [
            {"lr": 0.001, "betas": (0.9, 0.95), "weight_decay": 0.05, "params": [0, 1]}]},
        "epoch": 7,
        "scaler": {"scale": 65536.0, "growth_factor": 2.0},
        "args": argparse.Namespace(model="vit_base_patch16", batch_size=64, blr=0.0005,
                                   drop_path=0.1, nb_classes=12, input_size=224,
                                   finetune="x.pth", global_pool=True),
    }


def make_case(case):
    fixture = load_file(os.path.join(PARITY_DIR, f"{case}.safetensors"))
    with safe_open(os.path.join(PARITY_DIR, f"{case}.safetensors"), "pt") as fh:
        file_order = list(fh.keys())
    weights = collections.OrderedDict(
        (k[len("weights."):], fixture[k].contiguous()) for k in file_order if k.startswith("weights."))
    inputs = {k[len("inputs."):]: v for k, v in fixture.items() if k.startswith("inputs.")}
    expected = {k[len("outputs."):]: v for k, v in fixture.items() if k.startswith("outputs.")}
    assert all(v.dtype == torch.float32 for v in weights.values())

    # the forward reproduces the fixture's fp32 outputs ...
    got = FORWARDS[case](weights, inputs)
    match = {name: rel_err(got[name], expected[name]) for name in FP16_OUTPUTS[case]}
    assert all(err <= 1e-5 for err in match.values()), (case, match)
    # ... so it can give the outputs for the float16-rounded weights
    rounded = collections.OrderedDict((k, v.half().float()) for k, v in weights.items())
    got16 = FORWARDS[case](rounded, inputs)
    fp16_out = {f"outputs.{name}": got16[name].contiguous() for name in FP16_OUTPUTS[case]}
    save_file(fp16_out, out(f"{case}_fp16_outputs.safetensors"),
              metadata={"note": f"outputs of {case} with weights rounded to float16, "
                                f"evaluated in float32 on the inputs of {case}.safetensors"})
    drift = {name: rel_err(got16[name], expected[name]) for name in FP16_OUTPUTS[case]}

    ckpt = training_checkpoint(weights)
    torch.save(ckpt, out(f"{case}_zip.pth"))
    save_legacy(ckpt, out(f"{case}_legacy.pth"))
    fp16 = collections.OrderedDict((f"module.{k}", v.half()) for k, v in weights.items())
    torch.save({"model": fp16}, out(f"{case}_fp16_module.pth"))

    for suffix in ("zip", "legacy"):
        assert_same(load_safe(out(f"{case}_{suffix}.pth")), ckpt, f"{case}_{suffix}")
    assert_same(torch.load(out(f"{case}_fp16_module.pth"), weights_only=True), {"model": fp16},
                f"{case}_fp16_module")
    print(f"{case}: fp32 forward vs fixture (max rel err) "
          + ", ".join(f"{k} {v:.1e}" for k, v in match.items())
          + "; fp16-rounded weights move outputs by "
          + ", ".join(f"{k} {v:.1e}" for k, v in drift.items()))


# ----------------------------------------------------------------------------
# 2. shared / strided storages and every dtype

ST_DTYPE = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
            torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
            torch.float16: "F16", torch.bfloat16: "BF16"}


def describe(t, with_layout=False):
    t = t.detach()
    flat = t.contiguous().reshape(-1)
    if t.dtype == torch.bool:
        values = [int(v) for v in flat.tolist()]
    elif t.dtype.is_floating_point:
        values = [float(v) for v in flat.float().tolist()] if t.dtype in (
            torch.float16, torch.bfloat16) else [float(v) for v in flat.tolist()]
    else:
        values = [int(v) for v in flat.tolist()]
    entry = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape), "values": values}
    if with_layout:
        entry["stride"] = list(t.stride())
        entry["storage_offset"] = t.storage_offset()
    return entry


def views_dict():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = {}                      # a plain dict (the checkpoints have OrderedDicts)
    views["base"] = base
    views["transposed"] = base.t()
    views["row2"] = base[2]
    views["col"] = base[:, 1]
    views["sliced"] = base[1:3, 2:5]
    views["f64"] = torch.arange(5, dtype=torch.float64) * 0.5
    views["i64"] = torch.tensor([1, -2, 3], dtype=torch.int64)
    views["i32"] = torch.tensor([-2147483648, 5, 2147483647], dtype=torch.int32)
    views["i16"] = torch.tensor([-32768, -7, 32767], dtype=torch.int16)
    views["i8"] = torch.tensor([-128, 3, 127], dtype=torch.int8)
    views["u8"] = torch.tensor([0, 1, 200], dtype=torch.uint8)
    views["bool"] = torch.tensor([True, False, True])
    views["f16"] = torch.tensor([1.5, -2.0, 0.25], dtype=torch.float16)
    views["bf16"] = torch.tensor([1.5, -2.0, 0.25], dtype=torch.bfloat16)
    views["scalar"] = torch.tensor(3.25)
    views["empty"] = torch.zeros(0, 3)
    views["param"] = nn.Parameter(torch.ones(2, 2) * 0.5)
    assert not views["transposed"].is_contiguous()
    assert views["row2"].storage_offset() == 12
    assert views["col"].stride() == (6,) and views["col"].storage_offset() == 1
    return views


def check_views(loaded, views, what):
    assert list(loaded.keys()) == list(views.keys()), what
    for k, v in views.items():
        got = loaded[k]
        assert got.dtype == v.dtype and got.shape == v.shape, (what, k)
        assert got.stride() == v.stride() and got.storage_offset() == v.storage_offset(), (what, k)
        assert torch.equal(got.detach(), v.detach()), (what, k)
    assert isinstance(loaded["param"], nn.Parameter), what
    ptr = loaded["base"].untyped_storage().data_ptr()
    for k in ("transposed", "row2", "col", "sliced"):
        assert loaded[k].untyped_storage().data_ptr() == ptr, (what, k, "storage not shared")


def make_views():
    views = views_dict()
    torch.save(views, out("views.pth"))
    save_legacy(views, out("views_legacy.pth"))
    check_views(torch.load(out("views.pth"), weights_only=True), views, "views.pth")
    check_views(torch.load(out("views_legacy.pth"), weights_only=True), views, "views_legacy.pth")
    expected = {"names": list(views), "tensors": {k: describe(v, with_layout=True)
                                                  for k, v in views.items()}}
    write_json(expected, out("views_expected.json"))


def write_json(obj, path):
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=1)
        fh.write("\n")


# ----------------------------------------------------------------------------
# 3. files a loader must reject

class CallOnLoad:
    """Pickles as GLOBAL <fn> + args + REDUCE: unpickling would call fn(*args)."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def globals_and_ops(pkl):
    ops = list(pickletools.genops(pkl))
    return ({arg for op, arg, _ in ops if op.name in ("GLOBAL", "STACK_GLOBAL")},
            {op.name for op, _, _ in ops})


def rewrite_zip(src, dst, replace=None, drop=()):
    """Copy a zip entry by entry (stored, fixed timestamps), replacing or dropping entries."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        names = zin.namelist()
        for name in replace:
            assert name in names, name
        for name in names:
            if name in drop:
                continue
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            zout.writestr(info, replace.get(name, zin.read(name)))


def make_bad_files():
    # os.system's __module__ is 'posix'; a hand-written exploit names it 'os system', so say that
    saved_module = os.system.__module__
    os.system.__module__ = "os"
    try:
        torch.save({"model": {"w": torch.zeros(2)},
                    "payload": CallOnLoad(os.system, ("echo pwned",))},
                   out("unsafe.pth"), pickle_protocol=2)
    finally:
        os.system.__module__ = saved_module
    torch.save({"model": {"w": torch.zeros(2)},
                "payload": CallOnLoad(eval, ("print('pwned')",))},
               out("unsafe_eval.pth"), pickle_protocol=2)
    # inspect without loading
    for name, bad in (("unsafe", "os system"), ("unsafe_eval", "__builtin__ eval")):
        with zipfile.ZipFile(out(f"{name}.pth")) as z:
            globs, ops = globals_and_ops(z.read(f"{name}/data.pkl"))
        assert bad in globs and "REDUCE" in ops, (name, globs)

    with open(out("vit_avg_iat_zip.pth"), "rb") as fh:
        data = fh.read()
    with open(out("truncated.pth"), "wb") as fh:
        fh.write(data[: len(data) // 2])

    # the shared storage of base/transposed/row2/col/sliced is the first one saved: data/0
    rewrite_zip(out("views.pth"), out("missing_record.pth"), drop=("views/data/0",))

    torch.save({"w": torch.zeros(2)}, out("bad_opcode.pth"))
    tmp = out("bad_opcode.pth.tmp")
    os.replace(out("bad_opcode.pth"), tmp)
    rewrite_zip(tmp, out("bad_opcode.pth"), replace={"bad_opcode/data.pkl": b"\x80\x02\xff."})
    os.remove(tmp)

    text = b"This is not a PyTorch checkpoint; it is 64 bytes of plain text.\n"
    assert len(text) == 64
    with open(out("not_a_checkpoint.pth"), "wb") as fh:
        fh.write(text)

    for name in ("truncated", "missing_record", "bad_opcode", "not_a_checkpoint"):
        print(f"{name}.pth: torch.load fails as it should ({expect_load_failure(out(name + '.pth'))})")


# ----------------------------------------------------------------------------
# 4. a safetensors file written by the Python library

def make_python_safetensors():
    tensors = collections.OrderedDict()
    tensors["f32"] = torch.tensor([[1.0, -2.5, 0.1], [3.0e-5, 65536.0, -0.0]], dtype=torch.float32)
    tensors["f16"] = torch.tensor([1.0, -0.5, 65504.0, 2.0 ** -24], dtype=torch.float16)
    tensors["bf16"] = torch.tensor([1.5, 3.14159], dtype=torch.bfloat16)   # 3.140625 stored
    tensors["f64"] = torch.tensor(2.718281828459045, dtype=torch.float64)
    tensors["i64"] = torch.tensor([-1099511627776, 0, 1234567890123], dtype=torch.int64)
    tensors["i32"] = torch.tensor([-2147483648, 2147483647], dtype=torch.int32)
    tensors["i16"] = torch.tensor([-32768, 32767], dtype=torch.int16)
    tensors["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    tensors["u8"] = torch.tensor([0, 128, 255], dtype=torch.uint8)
    tensors["bool"] = torch.tensor([True, False, True])
    metadata = {"format": "pt", "note": "from python"}
    # the library keeps metadata in a hash map, so its order in the header is random from run
    # to run; save until it comes out in the order given, which keeps the file byte-stable
    prefix = b'{"__metadata__":' + json.dumps(metadata, separators=(",", ":")).encode()
    for _ in range(100):
        save_file(tensors, out("python_written.safetensors"), metadata=metadata)
        with open(out("python_written.safetensors"), "rb") as fh:
            if fh.read(8 + len(prefix))[8:] == prefix:
                break
    else:
        raise AssertionError("metadata never came out in order")
    back = load_file(out("python_written.safetensors"))
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape and torch.equal(back[k], v), k
    with safe_open(out("python_written.safetensors"), "pt") as fh:
        assert fh.metadata() == metadata
    write_json({"metadata": metadata, "names": list(tensors),
                "tensors": {k: describe(v) for k, v in tensors.items()}},
               out("python_written_expected.json"))


if __name__ == "__main__":
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for case in CASES:
        make_case(case)
    make_views()
    make_bad_files()
    make_python_safetensors()
    print("wrote checkpoint fixtures to", OUT_DIR)
