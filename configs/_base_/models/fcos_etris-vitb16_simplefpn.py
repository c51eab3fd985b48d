# mmdet's FCOS on the ETRIS backbone (CLIP ViT-B/16 + Bridger, vocabulary
# mode). The ViT's single stride-16 map becomes ViTDet's simple feature
# pyramid (strides 4, 8, 16 and 32, and 64 pooled from 32), and FCOSHead
# scores each location against the class texts; the regression ranges are
# FCOS' (8 strides per level) for these strides, with FCOS' improvements
# (centre sampling, normalised boxes, centerness on the regression branch,
# GIoU; mmdet's fcos_r50-caffe_fpn_gn-head-center-normbbox-centeronreg-giou).
# The widths are the backbone's (bridged-clip_vitb16.py); a dataset config
# sets model.backbone.classes and their number, the head's num_classes.
_base_ = ['./bridged-clip_vitb16.py']
model = dict(
    # Built in mmdet's scope whatever the config's default scope, for the
    # defaults mmdet's classes name by plain names (FCOSHead's box coder).
    _scope_='mmdet',
    type='mmdet.FCOS',
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor', pad_size_divisor=32, **_base_.clip_normalization),
    backbone=_base_.bridged_backbone,
    neck=dict(type='mmris.SimpleFeaturePyramid', in_channels=_base_.bridged_out_channels[-1],
              out_channels=256,
              scale_factors=(4.0, 2.0, 1.0, 0.5), num_outs=5),
    bbox_head=dict(
        type='mmris.TextFCOSHead',
        in_channels=256,
        text_channels=_base_.bridged_text_channels,
        stacked_convs=4,
        feat_channels=256,
        strides=[4, 8, 16, 32, 64],
        regress_ranges=((-1, 32), (32, 64), (64, 128), (128, 256), (256, 1e8)),
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True),
        norm_on_bbox=True,
        centerness_on_reg=True,
        center_sampling=True,
        conv_bias=True,
        loss_cls=dict(type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='mmdet.GIoULoss', loss_weight=1.0),
        loss_centerness=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))
