# ETRIS with CLIP RN101 (reference: config/refcoco/bridge_r101.yaml).
_base_ = ['./etris_rn50.py']
model = dict(
    backbone=dict(
        clip_weights='pretrain/RN101.pt',
        vision_encoder=dict(layers=(3, 4, 23, 3), output_dim=512),
        text_encoder=dict(embed_dim=512)))
