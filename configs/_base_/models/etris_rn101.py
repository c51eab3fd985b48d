# ETRIS with CLIP RN101 (reference: config/refcoco/bridge_r101.yaml).
_base_ = ['./etris_rn50.py']
model = dict(
    backbone=dict(
        clip_weights='pretrain/RN101.pt',
        vision_encoder=dict(layers=(3, 4, 23, 3), output_dim=512),
        text_encoder=dict(embed_dim=512)),
    neck=dict(in_channels=[512, 1024, 512], sentence_channels=512),
    decode_head=dict(sentence_channels=512))
