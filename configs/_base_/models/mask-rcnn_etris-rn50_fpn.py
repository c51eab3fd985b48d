# mmdet's Mask R-CNN on the ETRIS backbone (CLIP RN50 + Bridger, vocabulary
# mode): mmdet's FPN (carried past by TextCarryingNeck), RPN and RoI heads,
# with a box head that scores each RoI against the class texts and
# class-agnostic box regression and masks, so that no weight depends on the
# class list. A dataset config sets model.backbone.classes.
_base_ = ['mmdet::_base_/models/mask-rcnn_r50_fpn.py', './bridged-clip_rn50.py']
model = dict(
    data_preprocessor=dict(**_base_.clip_normalization),
    backbone=dict(_delete_=True, **_base_.bridged_backbone),
    neck=dict(
        _delete_=True,
        type='mmris.TextCarryingNeck',
        neck=dict(type='mmdet.FPN', out_channels=256, num_outs=5)),
    roi_head=dict(
        type='mmris.TextRoIHead',
        bbox_head=dict(type='mmris.TextShared2FCBBoxHead', num_classes=None, in_channels=None,
                       reg_class_agnostic=True),
        mask_head=dict(class_agnostic=True)))
