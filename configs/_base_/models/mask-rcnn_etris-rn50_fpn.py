# mmdet's Mask R-CNN on the ETRIS backbone (CLIP RN50 + Bridger, vocabulary
# mode): mmdet's FPN (carried past by TextCarryingNeck), RPN and RoI heads,
# with a box head that scores each RoI against the class texts and
# class-agnostic box regression and masks, so that no weight depends on the
# class list. The widths are the backbone's (bridged-clip_rn50.py); a dataset
# config sets model.backbone.classes (and num_classes if not COCO's 80).
_base_ = ['mmdet::_base_/models/mask-rcnn_r50_fpn.py', './bridged-clip_rn50.py']
model = dict(
    data_preprocessor=dict(**_base_.clip_normalization),
    backbone=dict(_delete_=True, **_base_.bridged_backbone),
    neck=dict(
        _delete_=True,
        type='mmris.TextCarryingNeck',
        neck=dict(type='mmdet.FPN', in_channels=_base_.bridged_out_channels, out_channels=256,
                  num_outs=5)),
    roi_head=dict(
        type='mmris.TextRoIHead',
        bbox_head=dict(type='mmris.TextShared2FCBBoxHead',
                       text_channels=_base_.bridged_text_channels, reg_class_agnostic=True),
        mask_head=dict(class_agnostic=True)))
