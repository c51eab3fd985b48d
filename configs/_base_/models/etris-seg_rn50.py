# ETRIS for semantic segmentation with CLIP RN50 (see etris-seg_vitb16.py
# and etris_rn50.py).
_base_ = ['./etris-seg_vitb16.py', './clip-rn50_towers.py']
model = dict(
    backbone=_base_.clip_rn50_towers,
    neck=dict(strides=(2, 1, 2), in_channels=_base_.clip_rn50_vision_channels,
              text_channels=_base_.clip_rn50_text_channels),
    decode_head=dict(text_channels=_base_.clip_rn50_text_channels))
