# ETRIS with CLIP RN50 (reference: config/refcoco/bridge_r50.yaml): the
# ViT-B/16 model with the RN50 towers, and their widths given to the neck
# and head.
_base_ = ['./etris_vitb16.py', './clip-rn50_towers.py']
model = dict(
    backbone=_base_.clip_rn50_towers,
    neck=dict(strides=(2, 1, 2), in_channels=_base_.clip_rn50_vision_channels,
              text_channels=_base_.clip_rn50_text_channels),
    decode_head=dict(text_channels=_base_.clip_rn50_text_channels))
