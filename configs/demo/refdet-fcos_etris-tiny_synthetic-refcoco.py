# The referring detection demo: one box per expression on the generated
# referring set (tools/dataset_converters/make_synthetic_refcoco.py), with
# the towers, Bridger, neck, decoder and schedule of the ETRIS demo
# (etris_tiny_synthetic_refcoco.py) and the FCOS head of the detection demo.
# Evaluated by box accuracy (Acc@0.5); etris_tiny_synthetic_refcoco_box-acc.py
# scores the ETRIS demo's masks the same way, as the baseline.
_base_ = ['../etris_refdet/refdet-fcos_etris-vitb16_simplefpn_50e_refcoco.py',
          '../_base_/models/etris-tiny_fcos_demo-parts.py']
data_root = 'data/synthetic_refcoco/'
input_size = _base_.input_size
max_iters = 1500
width = _base_.width

model = dict(
    backbone=_base_.demo_backbone,
    neck=[
        dict(type='mmris.CascadedAlignmentNeck', in_channels=[width] * 3, text_channels=width,
             channels=width, strides=(1, 1, 1), num_heads=4, norm_cfg=_base_.norm_cfg),
        dict(type='mmris.GlobalAlignmentNeck', in_channels=width, word_channels=width,
             decoder=dict(type='mmris.GlobalAlignmentDecoder', num_layers=1, num_heads=4,
                          ffn_channels=width, dropout=0.1)),
        dict(type='mmris.SimpleFeaturePyramid', **_base_.demo_pyramid),
    ],
    bbox_head=_base_.demo_fcos_head)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'text'))
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'text'))
]
train_dataloader = dict(
    batch_size=8, num_workers=1, persistent_workers=False,
    sampler=dict(sampler=dict(type='InfiniteSampler', shuffle=True)),
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=1, persistent_workers=False,
    dataset=dict(data_root=data_root, mode='test', pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=500)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(_delete_=True, type='CheckpointHook', by_epoch=False, interval=500,
                    max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
