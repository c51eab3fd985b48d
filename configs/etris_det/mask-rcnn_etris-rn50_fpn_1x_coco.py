_base_ = [
    '../_base_/models/mask-rcnn_etris-rn50_fpn.py', 'mmdet::_base_/datasets/coco_instance.py',
    '../_base_/schedules/etris-det_1x.py', '../_base_/etris_det_runtime.py'
]
# The vocabulary: the classes of the dataset's metainfo (COCO's 80).
model = dict(backbone=dict(classes='mmdet.coco'))
