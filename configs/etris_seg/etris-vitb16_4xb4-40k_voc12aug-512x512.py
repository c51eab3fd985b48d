_base_ = [
    '../_base_/models/etris-seg_vitb16.py', 'mmseg::_base_/datasets/pascal_voc12_aug.py',
    '../_base_/etris_seg_runtime.py', '../_base_/schedules/etris-seg_40k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(classes='voc', vision_encoder=dict(input_size=512)),
    decode_head=dict(num_classes=21),  # the number of classes
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)))
