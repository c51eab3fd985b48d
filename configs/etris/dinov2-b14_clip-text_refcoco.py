# The DETRIS pairing (Huang et al., "Densely Connected Parameter-Efficient
# Tuning for Referring Image Segmentation", AAAI 2025; github.com/jiaqihuang01/DETRIS):
# a DINOv2-B/14 image tower with 4 register tokens and the text tower of
# OpenAI's CLIP ViT-B/16, at DETRIS' input size 448 (32 x 32 patches), its
# feature taps (after DINOv2 blocks 4 and 8, 0-based, and the final norm),
# 17 tokens and its schedule (65 epochs, lr x0.1 at 35 and 55). mmris
# bridges the towers with the ETRIS Bridger (DETRIS uses dense adapters).
# Put facebook/dinov2-with-registers-base at pretrain/ and OpenAI's
# ViT-B-16.pt (or an HF CLIP directory) for the text tower.
_base_ = [
    '../_base_/models/etris_vitb16.py', '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/etris_50e.py'
]
model = dict(
    data_preprocessor=dict(size=(448, 448)),  # CLIP's mean and std, as DETRIS
    backbone=dict(
        clip_weights='pretrain/ViT-B-16.pt',
        vision_encoder=dict(
            _delete_=True,
            type='mmris.HFVisionEncoder',
            pretrained='pretrain/dinov2-with-registers-base',
            config=dict(
                model_type='dinov2_with_registers', hidden_size=768, num_hidden_layers=12,
                num_attention_heads=12, mlp_ratio=4, patch_size=14, image_size=518,
                num_register_tokens=4),
            fusion_layers=(4, 8, 11)),
        text_encoder=dict(fusion_layers=(3, 7, 11))),
    neck=dict(in_channels=[768, 768, 768]))  # DINOv2-B has no projection: every map is 768 wide
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=65, milestones=[35, 55], gamma=0.1)
]
train_cfg = dict(max_epochs=65)
