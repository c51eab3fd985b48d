_base_ = [
    '../_base_/models/etris-seg_vitb16.py', 'mmseg::_base_/datasets/coco-stuff164k.py',
    '../_base_/etris_seg_runtime.py', '../_base_/schedules/etris-seg_80k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(classes='coco-stuff164k', vision_encoder=dict(input_size=512)),
    decode_head=dict(num_classes=171),  # the number of classes
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)))
