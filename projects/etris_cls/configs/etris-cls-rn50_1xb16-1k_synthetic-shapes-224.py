# ETRIS-cls with CLIP RN50 on the generated shapes set at 224 pixels
# (1 process x 16 images, 1000 iterations). Needs pretrain/RN50.pt.
_base_ = [
    './_base_/models/etris-cls_rn50.py', './_base_/datasets/synthetic-shapes-cls.py',
    './_base_/etris-cls_runtime.py', './_base_/schedules/schedule_1k.py'
]
# The pooled image embedding only; every image's Bridger updates the words of
# every class prompt.
model = dict(
    backbone=dict(
        classes={{_base_.classes}}, out_indices=(), out_pooled=True,
        vocabulary_fusion='two_way'))
randomness = dict(seed=0)
