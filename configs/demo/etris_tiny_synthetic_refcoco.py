# The demo job: a small ETRIS (random, frozen CLIP-shaped towers; the
# Bridger, positional embeddings, neck and head train, as in ETRIS) learns
# the generated referring set (tools/dataset_converters/make_synthetic_refcoco.py)
# on CPU in about 8 minutes on 2 cores, read by the same RefCOCODataset as the
# real data. Towers of 3 blocks (one per Bridger stage) train faster and
# better than deeper random ones (docs/performance.md, `make demo`).
_base_ = [
    '../_base_/models/etris_vitb16.py', '../_base_/datasets/refcoco.py',
    '../_base_/default_runtime.py'
]
data_root = 'data/synthetic_refcoco/'
input_size = 128
max_iters = 2000
width = 64

model = dict(
    data_preprocessor=dict(size=(input_size, input_size)),
    backbone=dict(
        clip_weights=None,
        vision_encoder=dict(
            input_size=input_size, patch_size=8, width=width, layers=3, heads=2,
            output_dim=width),
        text_encoder=dict(width=width, layers=3, heads=2, embed_dim=width),
        bridger=dict(d_model=32, interactor=dict(num_heads=4))),
    neck=dict(in_channels=[width] * 3, text_channels=width, channels=width, num_heads=4),
    decode_head=dict(
        in_channels=width, text_channels=width,
        decoder=dict(num_layers=1, num_heads=4, ffn_channels=width), channels=32))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRISAnnotations'),
    dict(type='RISLetterbox', size=input_size),
    dict(type='PackRISInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRISAnnotations'),
    dict(type='RISLetterbox', size=input_size, warp_mask=False),
    dict(type='PackRISInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=1,
    sampler=dict(type='ExpressionSampler', sampler=dict(type='InfiniteSampler', shuffle=True)),
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=1,
    dataset=dict(data_root=data_root, mode='test', pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=500, max_keep_ckpts=1))
randomness = dict(seed=0)
