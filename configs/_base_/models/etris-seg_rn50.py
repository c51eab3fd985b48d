# ETRIS for semantic segmentation with CLIP RN50 (see etris-seg_vitb16.py).
_base_ = ['./etris-seg_vitb16.py']
model = dict(
    backbone=dict(
        clip_weights='pretrain/RN50.pt',
        vision_encoder=dict(
            _delete_=True,
            type='CLIPModifiedResNet',
            layers=(3, 4, 6, 3),
            width=64,
            output_dim=1024,
            heads=32,
            pretrain_size=224),
        text_encoder=dict(embed_dim=1024),
        bridger=dict(
            zoom_strides=(2, 1, 2),
            zoom_norm_cfg=None,
            interactor=dict(
                _delete_=True, type='FullInteractor', num_heads=4, ffn_channels=128,
                dropout=0.1))),
    neck=dict(strides=(2, 1, 2)))
