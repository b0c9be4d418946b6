"""Make a timm classifier checkpoint as users have one, for the --drop-head tests.

Writes, next to this script:
  timm_vit_classifier.pth          torch.save(model.state_dict()) of a tiny timm VisionTransformer
                                   (16x16 images, patch 8, width 16, 1 block) with timm's 1000-class
                                   ImageNet head (`head.weight` [1000, 16], `head.bias` [1000])
  timm_vit_classifier.json         the zoo spec of the same encoder without a head (token pooling, as the
                                   catalog's vit-small-patch16 and friends)
  timm_vit_classifier.safetensors  inputs.images [2, 3, 16, 16] and outputs.features [2, 16]: timm's
                                   pooled pre-logits features (forward_head(..., pre_logits=True))

Needs torch, timm (1.0.x) and safetensors. CI never runs it; the outputs are committed. From the
repository root:
    python Tests/ZooTests/Fixtures/make_timm_fixture.py
"""
import json
import os

import torch
from safetensors.torch import save_file
from timm.models.vision_transformer import VisionTransformer

OUT_DIR = os.path.dirname(os.path.abspath(__file__))

torch.manual_seed(7)
model = VisionTransformer(img_size=16, patch_size=8, embed_dim=16, depth=1, num_heads=2, num_classes=1000)
with torch.no_grad():
    # Away from the 0/1 init, so that a skipped norm or bias shows in the features.
    for name, p in model.named_parameters():
        p.copy_(0.2 * torch.randn_like(p) + (1.0 if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight" else 0.0))
model.eval()

torch.save(model.state_dict(), os.path.join(OUT_DIR, "timm_vit_classifier.pth"))
spec = {"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 16, "depth": 1, "num_heads": 2}}
with open(os.path.join(OUT_DIR, "timm_vit_classifier.json"), "w") as f:
    json.dump(spec, f)
    f.write("\n")

images = torch.randn(2, 3, 16, 16)
with torch.no_grad():
    features = model.forward_head(model.forward_features(images), pre_logits=True)
save_file({"inputs.images": images.contiguous(), "outputs.features": features.contiguous()},
          os.path.join(OUT_DIR, "timm_vit_classifier.safetensors"))
print("head:", tuple(model.head.weight.shape), "features:", tuple(features.shape))
