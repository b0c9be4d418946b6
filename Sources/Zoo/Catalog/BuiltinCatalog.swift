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
    }
  ]
}
"""#
