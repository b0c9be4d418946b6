"""Writes the HDF5 fixtures that HDF5Tests.swift reads, and expected_hdf5.json describing them.

Run by hand from the repository root (CI never runs it; the .h5 files and the JSON are committed):

    /root/torchenv/bin/python Tests/CheckpointTests/Fixtures/make_hdf5_fixtures.py

Needs h5py and numpy. Each tensor's expected bytes are in the JSON as little-endian hex (its values beside
them for reading: JSON parsers do not all read the 17-digit floats back exactly).

Files:
  h5py_flat.h5       datasets at the root under dotted names, one per dtype, plus string attributes
  h5py_nested.h5     the same kind of names stored as nested groups (blocks/0/attn/qkv/weight), written
                     with libver="latest" (new-style link messages) to cover both group formats
  keras_fixed.h5     Keras 2 save_weights layout, layer_names/weight_names as fixed-length bytes ('S')
  keras_vlen.h5      the same layout with variable-length str names
  keras_model.h5     Keras 2 model.save layout: weights under /model_weights, layer_names split into
                     layer_names0/layer_names1 (what Keras does when the attribute would pass 64 KB);
                     libver="latest" too
  h5py_bigendian.h5  big-endian datasets ('>f4', '>f2', '>i8', '>f8' scalar)
  h5py_string.h5     a dataset of strings, which zoo must refuse naming it
  h5py_compound.h5   a dataset of a compound (record) type, likewise

expected_hdf5.json:
  {"readable": {file: {"tensors": [{"name", "shape", "dtype", "hex", "values"}], "metadata": [[key, value]]}},
   "unsupported": {file: dataset}}
with tensors in the order zoo must return them and values flattened in C order.
"""

import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# numpy dtype -> zoo's DType raw value.
DTYPE_NAMES = {
    np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("float16"): "F16",
    np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("int16"): "I16", np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8", np.dtype("bool"): "BOOL",
}


def entry(name, array):
    array = np.asarray(array)
    little = array.astype(array.dtype.newbyteorder("<"))
    return {"name": name, "shape": list(array.shape), "dtype": DTYPE_NAMES[little.dtype.newbyteorder("=")],
            # The exact little-endian bytes zoo must produce, and the values for people to read.
            "hex": little.tobytes().hex(),
            "values": [int(v) if isinstance(v, bool) else v for v in little.reshape(-1).tolist()]}


def path(name):
    return os.path.join(HERE, name)


def flat():
    spec = json.dumps({"encoder": {"type": "vit", "embed_dim": 8, "depth": 1, "num_heads": 2}})
    # h5py lists a group's members in name order (these files do not track creation order).
    tensors = {
        "blocks.0.attn.qkv.weight": np.array([[0.5, -1.25, 3.0], [0.1, 1e-8, -65504.0]], dtype="float32"),
        "blocks.0.norm1.weight": np.array([1.0, -0.5, 65504.0, 6.103515625e-05], dtype="float16"),
        "cls_scale": np.array(2.718281828459045, dtype="float64"),
        "counts": np.array([0, -1, 2**53 + 1], dtype="int64"),
        "i16": np.array([-32768, 32767], dtype="int16"),
        "i32": np.array([-(2**31), 7], dtype="int32"),
        "i8": np.array([-128, 127, 0], dtype="int8"),
        "mask": np.array([True, False, True]),
        "u8": np.array([0, 255], dtype="uint8"),
    }
    with h5py.File(path("h5py_flat.h5"), "w") as f:
        for name, array in tensors.items():
            f[name] = array
        f.attrs["zoo_spec"] = spec                 # str: variable-length UTF-8
        f.attrs["note"] = np.bytes_(b"fixed")      # bytes: fixed-length, NULL-padded
        f.attrs["epoch"] = 3                       # not a string: not metadata
    return {"tensors": [entry(n, a) for n, a in sorted(tensors.items())],
            "metadata": [["note", "fixed"], ["zoo_spec", spec]]}


def nested():
    tensors = {
        "blocks/0/attn/qkv/weight": np.arange(6, dtype="float32").reshape(3, 2) / 4,
        "blocks/0/attn/qkv/bias": np.array([1.5, -2.5, 0.0], dtype="float32"),
        "blocks/1/mlp/fc1/weight": np.array([[1, 2], [3, 4]], dtype="float16"),
        "cls_token": np.array([[[0.25, -0.75]]], dtype="float32"),
        "head/weight": np.array([[9.0, -9.0]], dtype="float64"),
    }
    with h5py.File(path("h5py_nested.h5"), "w", libver="latest") as f:
        for name, array in tensors.items():
            f[name] = array  # h5py creates the intermediate groups
    order = sorted(tensors)  # each group's members in name order, depth first
    return {"tensors": [entry(n.replace("/", "."), tensors[n]) for n in order], "metadata": []}


# Keras layers in model order: deliberately not alphabetical, weights kernel before bias, and one layer
# without weights (Keras writes an empty float array for its weight_names).
KERAS_LAYERS = [
    ("dense_1", [("dense_1/kernel:0", np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")),
                 ("dense_1/bias:0", np.array([0.5, -0.5], dtype="float32"))]),
    ("dropout", []),
    ("batch_normalization", [("batch_normalization/gamma:0", np.array([1.0, 1.0], dtype="float32")),
                             ("batch_normalization/beta:0", np.array([0.0, 0.25], dtype="float32")),
                             ("batch_normalization/moving_mean:0", np.array([0.125, -8.0], dtype="float32"))]),
    ("dense", [("dense/kernel:0", np.array([[-1.0], [1.0]], dtype="float32")),
               ("dense/bias:0", np.array([3.0], dtype="float32"))]),
]


def keras_strings(names, fixed):
    if not names:
        return np.asarray([])  # what Keras stores for an empty list
    if fixed:
        return np.array([n.encode("utf8") for n in names])  # numpy 'S<n>': fixed length
    return np.array(names, dtype=h5py.string_dtype("utf-8"))


def write_keras_weights(group, fixed, split_layer_names=False):
    layer_names = keras_strings([name for name, _ in KERAS_LAYERS], fixed)
    if split_layer_names:
        group.attrs["layer_names0"] = layer_names[:2]
        group.attrs["layer_names1"] = layer_names[2:]
    else:
        group.attrs["layer_names"] = layer_names
    group.attrs["backend"] = b"tensorflow" if fixed else "tensorflow"
    group.attrs["keras_version"] = b"2.13.1" if fixed else "2.13.1"
    for layer, weights in KERAS_LAYERS:
        g = group.create_group(layer)
        g.attrs["weight_names"] = keras_strings([w for w, _ in weights], fixed)
        for weight, array in weights:
            g[weight] = array


def keras_expected():
    tensors = []
    for layer, weights in KERAS_LAYERS:
        for weight, array in weights:
            name = f"{layer}/{weight}".removesuffix(":0").replace("/", ".")
            tensors.append(entry(name, array))
    return tensors


def keras(fixed):
    name = "keras_fixed.h5" if fixed else "keras_vlen.h5"
    with h5py.File(path(name), "w") as f:
        write_keras_weights(f, fixed)
    return {"tensors": keras_expected(), "metadata": [["backend", "tensorflow"], ["keras_version", "2.13.1"]]}


def keras_model():
    config = json.dumps({"class_name": "Sequential", "config": {"name": "tiny"}})
    with h5py.File(path("keras_model.h5"), "w", libver="latest") as f:
        f.attrs["model_config"] = config
        f.attrs["backend"] = "tensorflow"
        write_keras_weights(f.create_group("model_weights"), fixed=False, split_layer_names=True)
        # Optimizer state sits beside the weights and is not part of the model.
        f.create_group("optimizer_weights")["iteration:0"] = np.array(10, dtype="int64")
    return {"tensors": keras_expected(), "metadata": [["backend", "tensorflow"], ["model_config", config]]}


def bigendian():
    tensors = {
        "be_f16": np.array([1.5, -2.0, 0.0009765625], dtype=">f2"),
        "be_f32": np.array([[1.0, -2.5], [3.25, 1e-30]], dtype=">f4"),
        "be_f64": np.array(-1.0 / 3.0, dtype=">f8"),
        "be_i64": np.array([1, -2, 2**40], dtype=">i8"),
    }
    with h5py.File(path("h5py_bigendian.h5"), "w") as f:
        for name, array in tensors.items():
            f[name] = array
        assert f["be_f32"].dtype == np.dtype(">f4")
    return {"tensors": [entry(n, a) for n, a in sorted(tensors.items())], "metadata": []}


def unsupported():
    with h5py.File(path("h5py_string.h5"), "w") as f:
        f["names"] = np.array([b"alpha", b"beta"])
    with h5py.File(path("h5py_compound.h5"), "w") as f:
        f["records"] = np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")])
    return {"h5py_string.h5": "names", "h5py_compound.h5": "records"}


def main():
    readable = {
        "h5py_flat.h5": flat(),
        "h5py_nested.h5": nested(),
        "keras_fixed.h5": keras(fixed=True),
        "keras_vlen.h5": keras(fixed=False),
        "keras_model.h5": keras_model(),
        "h5py_bigendian.h5": bigendian(),
    }
    refused = unsupported()
    with open(path("expected_hdf5.json"), "w") as f:
        json.dump({"readable": readable, "unsupported": refused}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for name in [*readable, *refused]:
        print(f"{name}: {os.path.getsize(path(name))} bytes")


if __name__ == "__main__":
    main()
