# The detection demo (make demo-det): FCOS on a small ETRIS backbone (random,
# frozen CLIP-shaped ViT and text towers with patch 8; the Bridger,
# positional embeddings, simple feature pyramid and head train) learns the
# generated COCO-format shapes set
# (tools/dataset_converters/make_synthetic_coco.py) on the CPU, read by
# mmdet's CocoDataset and scored by its CocoMetric. The class names in the
# dataset's metainfo are the model's vocabulary.
_base_ = ['../etris_det/fcos_etris-vitb16_simplefpn_1x_coco.py',
          '../_base_/models/etris-tiny_fcos_demo-parts.py']
data_root = 'data/synthetic_coco/'
metainfo = dict(classes=('circle', 'square', 'triangle'))
input_size = _base_.input_size
max_iters = 1000

model = dict(
    backbone=dict(classes=metainfo['classes'], **_base_.demo_backbone),
    neck=_base_.demo_pyramid,
    bbox_head=dict(num_classes=len(metainfo['classes']), **_base_.demo_fcos_head))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
