# ETRIS with CLIP RN50 (reference: config/refcoco/bridge_r50.yaml).
_base_ = ['./etris_vitb16.py', './clip-rn50_towers.py']
model = dict(backbone=_base_.clip_rn50_towers, neck=dict(strides=(2, 1, 2)))
