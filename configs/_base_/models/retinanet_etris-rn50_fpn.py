# mmdet's RetinaNet on the ETRIS backbone (CLIP RN50 + Bridger, vocabulary
# mode): mmdet's FPN, carried past by TextCarryingNeck with the class text
# embeddings, and a RetinaHead that scores each anchor against the class
# texts. The widths are the backbone's (bridged-clip_rn50.py); a dataset
# config sets model.backbone.classes (and num_classes if not COCO's 80).
_base_ = ['mmdet::_base_/models/retinanet_r50_fpn.py', './bridged-clip_rn50.py']
model = dict(
    data_preprocessor=dict(**_base_.clip_normalization),
    backbone=dict(_delete_=True, **_base_.bridged_backbone),
    neck=dict(
        _delete_=True,
        type='mmris.TextCarryingNeck',
        neck=dict(type='mmdet.FPN', in_channels=_base_.bridged_out_channels, out_channels=256,
                  start_level=1,
                  add_extra_convs='on_input', num_outs=5)),
    bbox_head=dict(type='mmris.TextRetinaHead', text_channels=_base_.bridged_text_channels))
