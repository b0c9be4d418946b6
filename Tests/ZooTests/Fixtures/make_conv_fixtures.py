"""Make the PyTorch parity fixtures of the convolutional layer plugins.

Writes, next to this script:
  conv_layers.json          {case: {"layer": zoo layer spec, "training": bool}}
  conv_layers.safetensors   float32 tensors, for each case:
      CASE.weights.<key>    the state dict of the torch module (num_batches_tracked left out)
      CASE.input            the input
      CASE.upstream         a fixed gradient of the output (several outputs: CASE.upstream.<name>)
      CASE.output           the forward result (several outputs: CASE.output.<name>)
      CASE.grads.input      d(sum(output * upstream)) / d input
      CASE.grads.<key>      the same for every trainable parameter
      CASE.running.<key>    batch_norm in training mode: running statistics after the update

Every input, weight and upstream gradient is drawn in float32 and the reference is computed in float64
from those exact values, so the only rounding left is the Swift side's. The zoo spec of each case is
written here beside the torch module it must match, so the Swift test builds the layer from JSON and
loads these weights strictly (every key, every shape).

Needs torch and safetensors; CI never runs it and the outputs are committed. From the repository root:
    python Tests/ZooTests/Fixtures/make_conv_fixtures.py
"""
import json
import math
import os
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(20240610)


def draw(*shape, std=1.0):
    """float32 values, returned as float64 (the float32 copy saved is then exact)."""
    return (std * torch.randn(*shape, dtype=torch.float32)).to(torch.float64)


def randomise(module):
    """Every parameter and running statistic away from its 0/1 initial value."""
    with torch.no_grad():
        for mod in module.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.copy_(1.0 + draw(mod.num_features, std=0.2))
                mod.bias.copy_(draw(mod.num_features, std=0.2))
                mod.running_mean.copy_(draw(mod.num_features, std=0.3))
                mod.running_var.copy_(0.5 + draw(mod.num_features).abs())
            elif isinstance(mod, nn.Conv2d):
                fan_in = mod.weight[0].numel()
                mod.weight.copy_(draw(*mod.weight.shape, std=max(0.1, 1.0 / math.sqrt(fan_in))))
                if mod.bias is not None:
                    mod.bias.copy_(draw(*mod.bias.shape, std=0.2))


def f32(t):
    return t.detach().to(torch.float32).contiguous().clone()


TENSORS = {}
SPECS = {}


def case(name, module, spec, x, training=False, forward=None):
    """Runs module (float64) on x, backpropagates a fixed upstream gradient and records everything."""
    module = module.to(torch.float64)
    module.train(training)
    state = {k: f32(v) for k, v in module.state_dict().items() if not k.endswith("num_batches_tracked")}
    x = x.clone().requires_grad_(True)
    out = (forward or module)(x)
    outputs = out if isinstance(out, dict) else {None: out}
    loss = 0
    for key, y in outputs.items():
        g = draw(*y.shape)
        suffix = "" if key is None else f".{key}"
        TENSORS[f"{name}.upstream{suffix}"] = f32(g)
        TENSORS[f"{name}.output{suffix}"] = f32(y)
        loss = loss + (y * g).sum()
    loss.backward()
    for k, v in state.items():
        TENSORS[f"{name}.weights.{k}"] = v
    TENSORS[f"{name}.input"] = f32(x)
    TENSORS[f"{name}.grads.input"] = f32(x.grad)
    for k, p in module.named_parameters():
        TENSORS[f"{name}.grads.{k}"] = f32(p.grad)
    if training:
        for k, v in module.state_dict().items():
            if k.endswith("running_mean") or k.endswith("running_var"):
                TENSORS[f"{name}.running.{k}"] = f32(v)
    SPECS[name] = {"layer": spec, "training": training}


def conv(name, cin, cout, k, x_shape, **kw):
    m = nn.Conv2d(cin, cout, k, **kw)
    randomise(m)
    spec = {"type": "conv2d", "in_channels": cin, "out_channels": cout, "kernel_size": k}
    for key in ("stride", "padding", "dilation", "groups", "bias"):
        if key in kw:
            spec[key] = kw[key] if not isinstance(kw[key], tuple) else list(kw[key])
    case(name, m, spec, draw(*x_shape))


def tf_same(size, k, s):
    """Keras/TensorFlow 'same' padding (before, after) of one axis."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


# --- conv2d ------------------------------------------------------------------
conv("conv_stride2_pad1", 4, 6, 3, (2, 4, 7, 9), stride=2, padding=1)
conv("conv_same_even_kernel", 3, 5, (3, 4), (2, 3, 6, 7), padding="same")
conv("conv_valid_strided", 3, 4, 3, (2, 3, 8, 9), stride=(1, 2), padding="valid")
conv("conv_groups2", 4, 6, 3, (2, 4, 6, 5), padding=1, groups=2)
conv("conv_depthwise", 4, 8, 3, (2, 4, 7, 7), stride=2, padding=1, groups=4)
conv("conv_dilation", 3, 4, 3, (2, 3, 9, 8), padding=2, dilation=2)
conv("conv_pointwise_no_bias", 5, 3, 1, (2, 5, 4, 6), bias=False)
conv("conv_no_bias", 3, 4, (2, 3), (2, 3, 5, 6), padding=(1, 0), bias=False)

# --- batch_norm --------------------------------------------------------------
bn = nn.BatchNorm2d(4)
randomise(bn)
case("bn_eval", bn, {"type": "batch_norm", "num_features": 4}, draw(2, 4, 5, 3))
bn = nn.BatchNorm2d(4, eps=1e-3, momentum=0.1)
randomise(bn)
case("bn_train", bn, {"type": "batch_norm", "num_features": 4, "eps": 1e-3}, 1.5 + draw(3, 4, 5, 3, std=2.0), training=True)

# --- prelu, max_pool2d, softmax -----------------------------------------------
pr = nn.PReLU(4)
with torch.no_grad():
    pr.weight.copy_(draw(4, std=0.5))
case("prelu", pr, {"type": "prelu", "num_parameters": 4}, draw(2, 4, 3, 5))

case("maxpool_ceil", nn.MaxPool2d(3, 2, ceil_mode=True), {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "ceil_mode": True},
     draw(2, 3, 10, 13))
case("maxpool_ceil_2x2", nn.MaxPool2d(2, 2, ceil_mode=True), {"type": "max_pool2d", "kernel_size": 2, "ceil_mode": True},
     draw(2, 3, 11, 13))
case("maxpool_floor_padded", nn.MaxPool2d(3, 2, padding=1), {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1},
     draw(2, 3, 11, 9))

case("softmax_channels", nn.Softmax(dim=1), {"type": "softmax", "dim": 1}, draw(2, 3, 4, 5, std=2.0))
case("softmax_last", nn.Softmax(dim=-1), {"type": "softmax"}, draw(3, 7, std=2.0))


# --- separable_conv2d ---------------------------------------------------------
class Separable(nn.Module):
    """Keras SeparableConv2D in torch: depthwise (no bias), then pointwise 1x1 with the bias."""

    def __init__(self, cin, cout, k, multiplier, bias=True, padding="same"):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin * multiplier, k, padding=padding, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin * multiplier, cout, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


sep = Separable(4, 6, 3, 2)
randomise(sep)
case("separable", sep, {"type": "separable_conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": 3,
                        "depth_multiplier": 2, "padding": "same"}, draw(2, 4, 6, 7))


# --- sequential: the head of MTCNN's P-Net, PyTorch's key names --------------
pnet = nn.Sequential(OrderedDict([
    ("conv1", nn.Conv2d(3, 10, 3)), ("prelu1", nn.PReLU(10)), ("pool1", nn.MaxPool2d(2, 2, ceil_mode=True)),
    ("conv2", nn.Conv2d(10, 16, 3)), ("prelu2", nn.PReLU(16)),
]))
randomise(pnet)
with torch.no_grad():
    pnet.prelu1.weight.copy_(draw(10, std=0.3))
    pnet.prelu2.weight.copy_(draw(16, std=0.3))
case("sequential_pnet", pnet, {"type": "sequential", "layers": [
    {"name": "conv1", "type": "conv2d", "in_channels": 3, "out_channels": 10, "kernel_size": 3},
    {"name": "prelu1", "type": "prelu", "num_parameters": 10},
    {"name": "pool1", "type": "max_pool2d", "kernel_size": 2, "stride": 2, "ceil_mode": True},
    {"name": "conv2", "type": "conv2d", "in_channels": 10, "out_channels": 16, "kernel_size": 3},
    {"name": "prelu2", "type": "prelu", "num_parameters": 16},
]}, draw(1, 3, 13, 15))


# --- graph: a mini-Xception block with a strided 1x1 shortcut, two outputs ---
class MiniXceptionBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding="same", bias=False)
        self.bn1 = nn.BatchNorm2d(8, eps=1e-3)
        self.sep = Separable(8, 12, 3, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(12, eps=1e-3)
        self.shortcut = nn.Conv2d(8, 12, 1, stride=2, bias=False)
        self.bn_s = nn.BatchNorm2d(12, eps=1e-3)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        main = self.bn2(self.sep(h))
        # Keras MaxPooling2D(3, strides=2, padding="same"): TensorFlow's padding, -inf outside.
        (t, b), (l, r) = tf_same(main.shape[2], 3, 2), tf_same(main.shape[3], 3, 2)
        main = F.max_pool2d(F.pad(main, (l, r, t, b), value=-math.inf), 3, 2)
        added = main + self.bn_s(self.shortcut(h))
        return {"add": added, "probs": torch.softmax(added.mean(dim=(2, 3)), dim=-1)}


block = MiniXceptionBlock()
randomise(block)
case("graph_mini_xception", block, {"type": "graph", "nodes": [
    {"name": "conv1", "layer": {"type": "conv2d", "in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": "same", "bias": False}},
    {"name": "bn1", "layer": {"type": "batch_norm", "num_features": 8, "eps": 1e-3}},
    {"name": "relu1", "layer": {"type": "relu"}},
    {"name": "sep", "layer": {"type": "separable_conv2d", "in_channels": 8, "out_channels": 12, "kernel_size": 3,
                              "padding": "same", "bias": False}},
    {"name": "bn2", "layer": {"type": "batch_norm", "num_features": 12, "eps": 1e-3}},
    {"name": "pool", "layer": {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": "same"}},
    {"name": "shortcut", "inputs": ["relu1"], "layer": {"type": "conv2d", "in_channels": 8, "out_channels": 12, "kernel_size": 1,
                                                        "stride": 2, "padding": "same", "bias": False}},
    {"name": "bn_s", "layer": {"type": "batch_norm", "num_features": 12, "eps": 1e-3}},
    {"name": "add", "inputs": ["pool", "bn_s"], "layer": {"type": "add"}},
    {"name": "gap", "layer": {"type": "global_avg_pool"}},
    {"name": "probs", "layer": {"type": "softmax"}},
], "outputs": ["add", "probs"]}, draw(2, 3, 9, 8))

save_file(TENSORS, os.path.join(OUT_DIR, "conv_layers.safetensors"))
with open(os.path.join(OUT_DIR, "conv_layers.json"), "w") as fh:
    json.dump(SPECS, fh, indent=1)
    fh.write("\n")
print(f"{len(SPECS)} cases, {len(TENSORS)} tensors, "
      f"{os.path.getsize(os.path.join(OUT_DIR, 'conv_layers.safetensors'))} bytes")
