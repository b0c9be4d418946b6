"""Checks that files written by `zoo convert` open in Python's safetensors and h5py with the same names,
shapes, dtypes and values as the PyTorch checkpoint they came from (needs torch, safetensors, h5py; run
by hand, CI never runs it):

    zoo convert SRC.pth OUT.safetensors && zoo convert SRC.pth OUT.h5
    python Tests/CheckpointTests/Fixtures/check_zoo_written.py SRC.pth OUT.safetensors OUT.h5
"""
import sys

import h5py
import numpy as np
import torch
from safetensors.torch import load_file


def state_dict(path):
    obj = torch.load(path, map_location="cpu", weights_only=False)
    sd = obj.get("model", obj) if isinstance(obj, dict) else obj
    return {k.removeprefix("module."): v for k, v in sd.items() if isinstance(v, torch.Tensor)}


def main(src, *outputs):
    ref = state_dict(src)
    for out in outputs:
        if out.endswith(".safetensors"):
            got = load_file(out)
        else:
            with h5py.File(out, "r") as f:
                got = {k: torch.from_numpy(np.array(f[k])) for k in f.keys()}
        assert set(got) == set(ref), f"{out}: names differ: {sorted(set(got) ^ set(ref))[:5]}"
        for k, v in ref.items():
            g = got[k]
            assert g.dtype == v.dtype, f"{out} {k}: dtype {g.dtype} vs {v.dtype}"
            assert tuple(g.shape) == tuple(v.shape), f"{out} {k}: shape {tuple(g.shape)} vs {tuple(v.shape)}"
            assert torch.equal(g, v.contiguous()), f"{out} {k}: values differ"
        print(f"{out}: {len(got)} tensors identical to {src}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
