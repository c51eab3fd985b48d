# The semantic-segmentation demo (make demo-seg): a small ETRIS-seg (random,
# frozen CLIP-shaped towers; the Bridger, positional embeddings, neck and
# head train) learns the generated shapes set
# (tools/dataset_converters/make_synthetic_shapes.py) on CPU, with the class
# names as its text. Stock mmseg pieces: EncoderDecoder, IoUMetric,
# SegLocalVisualizer; SyntheticShapesDataset is an mmseg BaseSegDataset that
# only declares the classes (so metainfo=dict(classes=...) can hold some out).
_base_ = ['../_base_/models/etris-seg_vitb16.py', '../_base_/etris_seg_runtime.py']

data_root = 'data/synthetic_shapes'
classes = ['background', 'circle', 'square', 'triangle']
input_size = 64
max_iters = 1500
width = 64

model = dict(
    data_preprocessor=dict(size=(input_size, input_size)),
    backbone=dict(
        clip_weights=None,
        classes=classes,
        vision_encoder=dict(
            input_size=input_size, patch_size=4, width=width, layers=6, heads=2,
            output_dim=width),
        text_encoder=dict(width=width, layers=6, heads=2, embed_dim=width),
        bridger=dict(d_model=32, interactor=dict(num_heads=4))),
    neck=dict(in_channels=[width] * 3, text_channels=width, channels=width, num_heads=4),
    decode_head=dict(
        in_channels=width, text_channels=width, num_classes=len(classes),
        decoder=dict(num_layers=1, num_heads=4, ffn_channels=width), channels=32,
        dropout_ratio=0.),
    test_cfg=dict(mode='whole'))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
dataset = dict(type='SyntheticShapesDataset', data_root=data_root)
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        dataset,
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        dataset,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', eta_min=0., power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
randomness = dict(seed=0)
