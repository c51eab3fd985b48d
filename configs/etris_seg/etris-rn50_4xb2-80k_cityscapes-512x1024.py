_base_ = [
    '../_base_/models/etris-seg_rn50.py', 'mmseg::_base_/datasets/cityscapes.py',
    '../_base_/etris_seg_runtime.py', '../_base_/schedules/etris-seg_80k.py'
]
crop_size = (512, 1024)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(classes='cityscapes'),
    decode_head=dict(num_classes=19),  # the number of classes
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 682)))
