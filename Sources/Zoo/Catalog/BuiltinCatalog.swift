// The repository's zoo.json, built into the binary so that the catalog does not depend on the working
// directory. CatalogTests checks that the two are identical; after editing zoo.json, regenerate this file:
//   { sed -n 1,3p Sources/Zoo/Catalog/BuiltinCatalog.swift; printf 'public let builtinCatalogJSON = #"""\n'; cat zoo.json; printf '"""#\n'; } > /tmp/c && mv /tmp/c Sources/Zoo/Catalog/BuiltinCatalog.swift
public let builtinCatalogJSON = #"""
{
  "models": [
    {
      "name": "vit-small-patch16",
      "kind": "architecture",
      "description": "ViT-S/16 encoder, 224×224, token pooling (timm vit_small_patch16_224 without head)",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 384, "depth": 12, "num_heads": 6}}
    },
    {
      "name": "vit-base-patch16",
      "kind": "architecture",
      "description": "ViT-B/16 encoder, 224×224, token pooling (timm vit_base_patch16_224 without head)",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 768, "depth": 12, "num_heads": 12}}
    },
    {
      "name": "vit-large-patch16",
      "kind": "architecture",
      "description": "ViT-L/16 encoder, 224×224, token pooling (timm vit_large_patch16_224 without head)",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 1024, "depth": 24, "num_heads": 16}}
    },
    {
      "name": "vit-tiny-patch8-64",
      "kind": "architecture",
      "description": "a small ViT for 64×64 faces (96 wide, 4 deep, 3 heads, patch 8): the built-in demo and quick experiments on 2 cores",
      "spec": {"encoder": {"type": "vit", "img_size": 64, "patch_size": 8, "embed_dim": 96, "depth": 4, "num_heads": 3}}
    },
    {
      "name": "pixels-64",
      "kind": "architecture",
      "description": "the raw-pixel baseline for 64×64 faces: the normalised image flattened to 12,288 features (a linear classifier once a task adds its head)",
      "spec": {"encoder": {"type": "pixels", "img_size": 64, "in_chans": 3}}
    },
    {
      "name": "mae-vit-base-patch16",
      "kind": "architecture",
      "description": "MAE ViT-B/16 with FMAE's 512-wide, 8-deep decoder, mask 0.75, norm-pix loss: pretraining from scratch",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 768, "depth": 12, "num_heads": 12, "global_pool": "none"},
               "decoder": {"type": "mae_decoder", "embed_dim": 512, "depth": 8, "num_heads": 16, "mlp_ratio": 4.0},
               "mask_ratio": 0.75, "norm_pix_loss": true}
    },
    {
      "name": "mae-vit-tiny-patch8-64",
      "kind": "architecture",
      "description": "vit-tiny-patch8-64 as an MAE (64-wide, 2-deep decoder, mask 0.75, norm-pix loss): the demo's pretraining on 2 cores",
      "spec": {"encoder": {"type": "vit", "img_size": 64, "patch_size": 8, "embed_dim": 96, "depth": 4, "num_heads": 3, "global_pool": "none"},
               "decoder": {"type": "mae_decoder", "embed_dim": 64, "depth": 2, "num_heads": 4, "mlp_ratio": 4.0},
               "mask_ratio": 0.75, "norm_pix_loss": true}
    },
    {
      "name": "vit-tiny-patch16-64",
      "kind": "architecture",
      "description": "a small ViT for 64×64 faces with FMAE's patch 16 (192 wide, 4 deep, 3 heads, a 4×4 token grid): the built-in demo's AU model",
      "spec": {"encoder": {"type": "vit", "img_size": 64, "patch_size": 16, "embed_dim": 192, "depth": 4, "num_heads": 3}}
    },
    {
      "name": "mae-vit-tiny-patch16-64",
      "kind": "architecture",
      "description": "vit-tiny-patch16-64 as an MAE (128-wide, 2-deep decoder, mask 0.75, norm-pix loss): the demo's pretraining on 2 cores",
      "spec": {"encoder": {"type": "vit", "img_size": 64, "patch_size": 16, "embed_dim": 192, "depth": 4, "num_heads": 3, "global_pool": "none"},
               "decoder": {"type": "mae_decoder", "embed_dim": 128, "depth": 2, "num_heads": 4, "mlp_ratio": 4.0},
               "mask_ratio": 0.75, "norm_pix_loss": true}
    },
    {
      "name": "fmae-vit-small-pretrain",
      "kind": "pretrained",
      "description": "FMAE ViT-S/16 masked autoencoder pretrained on Face9M (encoder + 512-wide decoder)",
      "paper": "arXiv:2407.11243",
      "source": "gdrive:1p1hJd9ks3U6tg3N1rlEmDyuUNXoRbATJ",
      "format": "pth",
      "weights_key": "model",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 384, "depth": 12, "num_heads": 6, "global_pool": "none"},
               "decoder": {"type": "mae_decoder", "embed_dim": 512, "depth": 8, "num_heads": 16, "mlp_ratio": 4.0},
               "mask_ratio": 0.75, "norm_pix_loss": true}
    },
    {
      "name": "fmae-vit-base-pretrain",
      "kind": "pretrained",
      "description": "FMAE ViT-B/16 masked autoencoder pretrained on Face9M (encoder + 512-wide decoder)",
      "paper": "arXiv:2407.11243",
      "source": "gdrive:1uCdJq4xQAbYQHTVpcflrnK8OPavJ8Fz7",
      "format": "pth",
      "weights_key": "model",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 768, "depth": 12, "num_heads": 12, "global_pool": "none"},
               "decoder": {"type": "mae_decoder", "embed_dim": 512, "depth": 8, "num_heads": 16, "mlp_ratio": 4.0},
               "mask_ratio": 0.75, "norm_pix_loss": true}
    },
    {
      "name": "fmae-vit-large-pretrain",
      "kind": "pretrained",
      "description": "FMAE ViT-L/16 masked autoencoder pretrained on Face9M (encoder + 512-wide decoder)",
      "paper": "arXiv:2407.11243",
      "source": "gdrive:1xccb4O5cXeq2zO5_Ec1Ybz-VLO4PAwRr",
      "format": "pth",
      "weights_key": "model",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 1024, "depth": 24, "num_heads": 16, "global_pool": "none"},
               "decoder": {"type": "mae_decoder", "embed_dim": 512, "depth": 8, "num_heads": 16, "mlp_ratio": 4.0},
               "mask_ratio": 0.75, "norm_pix_loss": true}
    },
    {
      "name": "fmae-iat-vit-large-bp4d-fold1",
      "kind": "finetuned",
      "description": "FMAE-IAT ViT-L/16 fine-tuned for 12 BP4D AUs with an identity head (41 subjects, λ 2), fold 1",
      "paper": "arXiv:2407.11243",
      "source": "gdrive:1w5Gad9YKBJMgdyQ4Ax49WatAzZ7vgrKy",
      "format": "pth",
      "weights_key": "model",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 1024, "depth": 24, "num_heads": 16, "global_pool": "avg", "drop_path_rate": 0.1},
               "heads": [{"name": "head", "type": "linear", "out_features": 12},
                         {"name": "ID_head", "type": "linear", "out_features": 41, "grad_reverse": 2.0}]}
    },
    {
      "name": "fmae-iat-vit-large-bp4d-fold2",
      "kind": "finetuned",
      "description": "FMAE-IAT ViT-L/16 fine-tuned for 12 BP4D AUs with an identity head (41 subjects, λ 2), fold 2",
      "paper": "arXiv:2407.11243",
      "source": "gdrive:1aIY73NFEW0fObVIE6dh06CIi6HfH6T9u",
      "format": "pth",
      "weights_key": "model",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 1024, "depth": 24, "num_heads": 16, "global_pool": "avg", "drop_path_rate": 0.1},
               "heads": [{"name": "head", "type": "linear", "out_features": 12},
                         {"name": "ID_head", "type": "linear", "out_features": 41, "grad_reverse": 2.0}]}
    },
    {
      "name": "fmae-iat-vit-large-bp4d-fold3",
      "kind": "finetuned",
      "description": "FMAE-IAT ViT-L/16 fine-tuned for 12 BP4D AUs with an identity head (41 subjects, λ 2), fold 3",
      "paper": "arXiv:2407.11243",
      "source": "gdrive:1DzP1HrIOOxSYPhrffrRaFrCKeYkWpiPx",
      "format": "pth",
      "weights_key": "model",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 1024, "depth": 24, "num_heads": 16, "global_pool": "avg", "drop_path_rate": 0.1},
               "heads": [{"name": "head", "type": "linear", "out_features": 12},
                         {"name": "ID_head", "type": "linear", "out_features": 41, "grad_reverse": 2.0}]}
    },
    {
      "name": "mae-vit-base-pretrain",
      "kind": "pretrained",
      "description": "Meta's MAE ViT-B/16 pretrained on ImageNet-1k (same key layout as FMAE)",
      "paper": "arXiv:2111.06377",
      "source": "https://dl.fbaipublicfiles.com/mae/pretrain/mae_pretrain_vit_base.pth",
      "format": "pth",
      "weights_key": "model",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 768, "depth": 12, "num_heads": 12, "global_pool": "none"},
               "decoder": {"type": "mae_decoder", "embed_dim": 512, "depth": 8, "num_heads": 16, "mlp_ratio": 4.0},
               "mask_ratio": 0.75, "norm_pix_loss": true}
    },
    {
      "name": "fmae-vit-base-au-iat",
      "kind": "architecture",
      "description": "ViT-B/16 for 12 BP4D AUs with an identity head behind gradient reversal (λ 2): the IAT layout at base size",
      "spec": {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "in_chans": 3, "embed_dim": 768, "depth": 12, "num_heads": 12,
                           "mlp_ratio": 4.0, "qkv_bias": true, "norm_eps": 1e-6, "global_pool": "avg", "drop_path_rate": 0.1},
               "heads": [{"name": "head", "type": "linear", "out_features": 12},
                         {"name": "ID_head", "type": "linear", "out_features": 41, "grad_reverse": 2.0}]}
    },
    {
      "name": "mtcnn",
      "kind": "finetuned",
      "description": "MTCNN face detector (P-, R-, O-Net) with the weights facenet-pytorch 2.6.0 ships (MIT), bundled with zoo: boxes, scores and 5 landmarks for `zoo run detect` and `predict --faces`",
      "paper": "arXiv:1604.02878",
      "source": "bundled:mtcnn",
      "format": "pt",
      "spec": {
        "type": "mtcnn",
        "pnet": {"type": "graph", "inputs": ["image"], "nodes": [
          {"name": "conv1", "layer": {"type": "conv2d", "in_channels": 3, "out_channels": 10, "kernel_size": 3}},
          {"name": "prelu1", "layer": {"type": "prelu", "num_parameters": 10}},
          {"name": "pool1", "layer": {"type": "max_pool2d", "kernel_size": 2, "stride": 2, "ceil_mode": true}},
          {"name": "conv2", "layer": {"type": "conv2d", "in_channels": 10, "out_channels": 16, "kernel_size": 3}},
          {"name": "prelu2", "layer": {"type": "prelu", "num_parameters": 16}},
          {"name": "conv3", "layer": {"type": "conv2d", "in_channels": 16, "out_channels": 32, "kernel_size": 3}},
          {"name": "prelu3", "layer": {"type": "prelu", "num_parameters": 32}},
          {"name": "conv4_1", "inputs": ["prelu3"], "layer": {"type": "conv2d", "in_channels": 32, "out_channels": 2, "kernel_size": 1}},
          {"name": "softmax4_1", "inputs": ["conv4_1"], "layer": {"type": "softmax", "dim": 1}},
          {"name": "conv4_2", "inputs": ["prelu3"], "layer": {"type": "conv2d", "in_channels": 32, "out_channels": 4, "kernel_size": 1}}
        ], "outputs": ["conv4_2", "softmax4_1"]},
        "rnet": {"type": "graph", "inputs": ["image"], "nodes": [
          {"name": "conv1", "layer": {"type": "conv2d", "in_channels": 3, "out_channels": 28, "kernel_size": 3}},
          {"name": "prelu1", "layer": {"type": "prelu", "num_parameters": 28}},
          {"name": "pool1", "layer": {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "ceil_mode": true}},
          {"name": "conv2", "layer": {"type": "conv2d", "in_channels": 28, "out_channels": 48, "kernel_size": 3}},
          {"name": "prelu2", "layer": {"type": "prelu", "num_parameters": 48}},
          {"name": "pool2", "layer": {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "ceil_mode": true}},
          {"name": "conv3", "layer": {"type": "conv2d", "in_channels": 48, "out_channels": 64, "kernel_size": 2}},
          {"name": "prelu3", "layer": {"type": "prelu", "num_parameters": 64}},
          {"name": "permute", "layer": {"type": "permute", "dims": [0, 3, 2, 1]}},
          {"name": "flatten", "layer": {"type": "flatten"}},
          {"name": "dense4", "layer": {"type": "linear", "in_features": 576, "out_features": 128}},
          {"name": "prelu4", "layer": {"type": "prelu", "num_parameters": 128}},
          {"name": "dense5_1", "inputs": ["prelu4"], "layer": {"type": "linear", "in_features": 128, "out_features": 2}},
          {"name": "softmax5_1", "inputs": ["dense5_1"], "layer": {"type": "softmax", "dim": 1}},
          {"name": "dense5_2", "inputs": ["prelu4"], "layer": {"type": "linear", "in_features": 128, "out_features": 4}}
        ], "outputs": ["dense5_2", "softmax5_1"]},
        "onet": {"type": "graph", "inputs": ["image"], "nodes": [
          {"name": "conv1", "layer": {"type": "conv2d", "in_channels": 3, "out_channels": 32, "kernel_size": 3}},
          {"name": "prelu1", "layer": {"type": "prelu", "num_parameters": 32}},
          {"name": "pool1", "layer": {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "ceil_mode": true}},
          {"name": "conv2", "layer": {"type": "conv2d", "in_channels": 32, "out_channels": 64, "kernel_size": 3}},
          {"name": "prelu2", "layer": {"type": "prelu", "num_parameters": 64}},
          {"name": "pool2", "layer": {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "ceil_mode": true}},
          {"name": "conv3", "layer": {"type": "conv2d", "in_channels": 64, "out_channels": 64, "kernel_size": 3}},
          {"name": "prelu3", "layer": {"type": "prelu", "num_parameters": 64}},
          {"name": "pool3", "layer": {"type": "max_pool2d", "kernel_size": 2, "stride": 2, "ceil_mode": true}},
          {"name": "conv4", "layer": {"type": "conv2d", "in_channels": 64, "out_channels": 128, "kernel_size": 2}},
          {"name": "prelu4", "layer": {"type": "prelu", "num_parameters": 128}},
          {"name": "permute", "layer": {"type": "permute", "dims": [0, 3, 2, 1]}},
          {"name": "flatten", "layer": {"type": "flatten"}},
          {"name": "dense5", "layer": {"type": "linear", "in_features": 1152, "out_features": 256}},
          {"name": "prelu5", "layer": {"type": "prelu", "num_parameters": 256}},
          {"name": "dense6_1", "inputs": ["prelu5"], "layer": {"type": "linear", "in_features": 256, "out_features": 2}},
          {"name": "softmax6_1", "inputs": ["dense6_1"], "layer": {"type": "softmax", "dim": 1}},
          {"name": "dense6_2", "inputs": ["prelu5"], "layer": {"type": "linear", "in_features": 256, "out_features": 4}},
          {"name": "dense6_3", "inputs": ["prelu5"], "layer": {"type": "linear", "in_features": 256, "out_features": 10}}
        ], "outputs": ["dense6_2", "dense6_3", "softmax6_1"]},
        "min_face_size": 20,
        "thresholds": [0.6, 0.7, 0.7],
        "factor": 0.709
      }
    },
    {
      "name": "fer-emotion",
      "kind": "finetuned",
      "description": "fer's Keras mini-Xception (MIT) for 7 expressions on 64x64 grayscale faces, bundled with zoo",
      "source": "bundled:fer/emotion_model.hdf5",
      "format": "hdf5",
      "sha256": "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e",
      "spec": {
        "type": "network",
        "input": [1, 64, 64],
        "graph": {"type": "graph", "inputs": ["input_1"], "nodes": [
          {"name": "conv2d_1", "inputs": ["input_1"], "layer": {"type": "conv2d", "in_channels": 1, "out_channels": 8, "kernel_size": [3, 3], "stride": [1, 1], "padding": "valid", "dilation": [1, 1], "groups": 1, "bias": false}},
          {"name": "batch_normalization_1", "inputs": ["conv2d_1"], "layer": {"type": "batch_norm", "num_features": 8, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "activation_1", "inputs": ["batch_normalization_1"], "layer": {"type": "relu"}},
          {"name": "conv2d_2", "inputs": ["activation_1"], "layer": {"type": "conv2d", "in_channels": 8, "out_channels": 8, "kernel_size": [3, 3], "stride": [1, 1], "padding": "valid", "dilation": [1, 1], "groups": 1, "bias": false}},
          {"name": "batch_normalization_2", "inputs": ["conv2d_2"], "layer": {"type": "batch_norm", "num_features": 8, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "activation_2", "inputs": ["batch_normalization_2"], "layer": {"type": "relu"}},
          {"name": "separable_conv2d_1", "inputs": ["activation_2"], "layer": {"type": "separable_conv2d", "in_channels": 8, "out_channels": 16, "kernel_size": [3, 3], "depth_multiplier": 1, "stride": [1, 1], "padding": "same", "dilation": [1, 1], "bias": false}},
          {"name": "batch_normalization_4", "inputs": ["separable_conv2d_1"], "layer": {"type": "batch_norm", "num_features": 16, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "activation_3", "inputs": ["batch_normalization_4"], "layer": {"type": "relu"}},
          {"name": "separable_conv2d_2", "inputs": ["activation_3"], "layer": {"type": "separable_conv2d", "in_channels": 16, "out_channels": 16, "kernel_size": [3, 3], "depth_multiplier": 1, "stride": [1, 1], "padding": "same", "dilation": [1, 1], "bias": false}},
          {"name": "batch_normalization_5", "inputs": ["separable_conv2d_2"], "layer": {"type": "batch_norm", "num_features": 16, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "conv2d_3", "inputs": ["activation_2"], "layer": {"type": "conv2d", "in_channels": 8, "out_channels": 16, "kernel_size": [1, 1], "stride": [2, 2], "padding": "same", "dilation": [1, 1], "groups": 1, "bias": false}},
          {"name": "max_pooling2d_1", "inputs": ["batch_normalization_5"], "layer": {"type": "max_pool2d", "kernel_size": [3, 3], "stride": [2, 2], "padding": "same"}},
          {"name": "batch_normalization_3", "inputs": ["conv2d_3"], "layer": {"type": "batch_norm", "num_features": 16, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "add_1", "inputs": ["max_pooling2d_1", "batch_normalization_3"], "layer": {"type": "add"}},
          {"name": "separable_conv2d_3", "inputs": ["add_1"], "layer": {"type": "separable_conv2d", "in_channels": 16, "out_channels": 32, "kernel_size": [3, 3], "depth_multiplier": 1, "stride": [1, 1], "padding": "same", "dilation": [1, 1], "bias": false}},
          {"name": "batch_normalization_7", "inputs": ["separable_conv2d_3"], "layer": {"type": "batch_norm", "num_features": 32, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "activation_4", "inputs": ["batch_normalization_7"], "layer": {"type": "relu"}},
          {"name": "separable_conv2d_4", "inputs": ["activation_4"], "layer": {"type": "separable_conv2d", "in_channels": 32, "out_channels": 32, "kernel_size": [3, 3], "depth_multiplier": 1, "stride": [1, 1], "padding": "same", "dilation": [1, 1], "bias": false}},
          {"name": "batch_normalization_8", "inputs": ["separable_conv2d_4"], "layer": {"type": "batch_norm", "num_features": 32, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "conv2d_4", "inputs": ["add_1"], "layer": {"type": "conv2d", "in_channels": 16, "out_channels": 32, "kernel_size": [1, 1], "stride": [2, 2], "padding": "same", "dilation": [1, 1], "groups": 1, "bias": false}},
          {"name": "max_pooling2d_2", "inputs": ["batch_normalization_8"], "layer": {"type": "max_pool2d", "kernel_size": [3, 3], "stride": [2, 2], "padding": "same"}},
          {"name": "batch_normalization_6", "inputs": ["conv2d_4"], "layer": {"type": "batch_norm", "num_features": 32, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "add_2", "inputs": ["max_pooling2d_2", "batch_normalization_6"], "layer": {"type": "add"}},
          {"name": "separable_conv2d_5", "inputs": ["add_2"], "layer": {"type": "separable_conv2d", "in_channels": 32, "out_channels": 64, "kernel_size": [3, 3], "depth_multiplier": 1, "stride": [1, 1], "padding": "same", "dilation": [1, 1], "bias": false}},
          {"name": "batch_normalization_10", "inputs": ["separable_conv2d_5"], "layer": {"type": "batch_norm", "num_features": 64, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "activation_5", "inputs": ["batch_normalization_10"], "layer": {"type": "relu"}},
          {"name": "separable_conv2d_6", "inputs": ["activation_5"], "layer": {"type": "separable_conv2d", "in_channels": 64, "out_channels": 64, "kernel_size": [3, 3], "depth_multiplier": 1, "stride": [1, 1], "padding": "same", "dilation": [1, 1], "bias": false}},
          {"name": "batch_normalization_11", "inputs": ["separable_conv2d_6"], "layer": {"type": "batch_norm", "num_features": 64, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "conv2d_5", "inputs": ["add_2"], "layer": {"type": "conv2d", "in_channels": 32, "out_channels": 64, "kernel_size": [1, 1], "stride": [2, 2], "padding": "same", "dilation": [1, 1], "groups": 1, "bias": false}},
          {"name": "max_pooling2d_3", "inputs": ["batch_normalization_11"], "layer": {"type": "max_pool2d", "kernel_size": [3, 3], "stride": [2, 2], "padding": "same"}},
          {"name": "batch_normalization_9", "inputs": ["conv2d_5"], "layer": {"type": "batch_norm", "num_features": 64, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "add_3", "inputs": ["max_pooling2d_3", "batch_normalization_9"], "layer": {"type": "add"}},
          {"name": "separable_conv2d_7", "inputs": ["add_3"], "layer": {"type": "separable_conv2d", "in_channels": 64, "out_channels": 128, "kernel_size": [3, 3], "depth_multiplier": 1, "stride": [1, 1], "padding": "same", "dilation": [1, 1], "bias": false}},
          {"name": "batch_normalization_13", "inputs": ["separable_conv2d_7"], "layer": {"type": "batch_norm", "num_features": 128, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "activation_6", "inputs": ["batch_normalization_13"], "layer": {"type": "relu"}},
          {"name": "separable_conv2d_8", "inputs": ["activation_6"], "layer": {"type": "separable_conv2d", "in_channels": 128, "out_channels": 128, "kernel_size": [3, 3], "depth_multiplier": 1, "stride": [1, 1], "padding": "same", "dilation": [1, 1], "bias": false}},
          {"name": "batch_normalization_14", "inputs": ["separable_conv2d_8"], "layer": {"type": "batch_norm", "num_features": 128, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "conv2d_6", "inputs": ["add_3"], "layer": {"type": "conv2d", "in_channels": 64, "out_channels": 128, "kernel_size": [1, 1], "stride": [2, 2], "padding": "same", "dilation": [1, 1], "groups": 1, "bias": false}},
          {"name": "max_pooling2d_4", "inputs": ["batch_normalization_14"], "layer": {"type": "max_pool2d", "kernel_size": [3, 3], "stride": [2, 2], "padding": "same"}},
          {"name": "batch_normalization_12", "inputs": ["conv2d_6"], "layer": {"type": "batch_norm", "num_features": 128, "eps": 0.001, "momentum": 0.010000000000000009, "running_var_unbiased": false}},
          {"name": "add_4", "inputs": ["max_pooling2d_4", "batch_normalization_12"], "layer": {"type": "add"}},
          {"name": "conv2d_7", "inputs": ["add_4"], "layer": {"type": "conv2d", "in_channels": 128, "out_channels": 7, "kernel_size": [3, 3], "stride": [1, 1], "padding": "same", "dilation": [1, 1], "groups": 1, "bias": true}},
          {"name": "global_average_pooling2d_1", "inputs": ["conv2d_7"], "layer": {"type": "global_avg_pool"}},
          {"name": "predictions", "inputs": ["global_average_pooling2d_1"], "layer": {"type": "softmax", "dim": 1}}
        ], "outputs": ["predictions"]},
        "classes": ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"],
        "preprocessing": {"channels": "grayscale", "size": 64, "resize": "bilinear", "scale": 0.00392156862745098, "mean": [0.5], "std": [0.5]}
      }
    }
  ]
}
"""#
