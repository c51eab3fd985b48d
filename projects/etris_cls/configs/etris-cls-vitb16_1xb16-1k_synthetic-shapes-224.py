# ETRIS-cls with CLIP ViT-B/16 on the generated shapes set at 224 pixels
# (1 process x 16 images, 1000 iterations). Needs pretrain/ViT-B-16.pt;
# shots: --cfg-options train_dataloader.dataset.shots=4
_base_ = [
    './_base_/models/etris-cls_vitb16.py', './_base_/datasets/synthetic-shapes-cls.py',
    './_base_/etris-cls_runtime.py', './_base_/schedules/schedule_1k.py'
]
# The pooled image embedding only; every image's Bridger updates the words of
# every class prompt.
model = dict(
    backbone=dict(
        classes={{_base_.classes}}, out_indices=(), out_pooled=True,
        vocabulary_fusion='two_way', vision_encoder=dict(input_size=224)))
randomness = dict(seed=0)
