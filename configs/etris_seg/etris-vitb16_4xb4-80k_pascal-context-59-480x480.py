_base_ = [
    '../_base_/models/etris-seg_vitb16.py', 'mmseg::_base_/datasets/pascal_context_59.py',
    '../_base_/etris_seg_runtime.py', '../_base_/schedules/etris-seg_80k.py'
]
crop_size = (480, 480)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(classes='pascal_context', vision_encoder=dict(input_size=480)),
    decode_head=dict(num_classes=59),  # the number of classes
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(320, 320)))
