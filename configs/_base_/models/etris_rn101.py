# ETRIS with CLIP RN101 (reference: config/refcoco/bridge_r101.yaml).
_base_ = ['./etris_rn50.py']
text_channels = 512  # RN101's sentence embedding (output_dim and embed_dim)
model = dict(
    backbone=dict(
        clip_weights='pretrain/RN101.pt',
        vision_encoder=dict(layers=(3, 4, 23, 3), output_dim=text_channels),
        text_encoder=dict(embed_dim=text_channels)),
    neck=dict(in_channels=[512, 1024, text_channels], text_channels=text_channels),
    decode_head=dict(text_channels=text_channels))
