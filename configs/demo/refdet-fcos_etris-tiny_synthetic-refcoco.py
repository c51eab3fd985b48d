# The referring detection demo: one box per expression on the generated
# referring set (tools/dataset_converters/make_synthetic_refcoco.py), with
# the towers, Bridger, neck, decoder and schedule of the ETRIS demo
# (etris_tiny_synthetic_refcoco.py) and the FCOS head of the detection demo.
# Evaluated by box accuracy (Acc@0.5); etris_tiny_synthetic_refcoco_box-acc.py
# scores the ETRIS demo's masks the same way, as the baseline.
_base_ = ['../etris_refdet/refdet-fcos_etris-vitb16_simplefpn_50e_refcoco.py']
data_root = 'data/synthetic_refcoco/'
input_size = 128
max_iters = 1500
width = 64

model = dict(
    backbone=dict(
        clip_weights=None,
        vision_encoder=dict(
            input_size=input_size, patch_size=8, width=width, layers=6, heads=2,
            output_dim=width),
        text_encoder=dict(width=width, layers=6, heads=2, embed_dim=width),
        bridger=dict(d_model=32, interactor=dict(num_heads=4))),
    neck=[
        dict(type='mmris.CascadedAlignmentNeck', channels=width, strides=(1, 1, 1),
             num_heads=4, norm_cfg=_base_.norm_cfg),
        dict(type='mmris.GlobalAlignmentNeck',
             decoder=dict(type='GlobalAlignmentDecoder', num_layers=1, num_heads=4,
                          ffn_channels=width, dropout=0.1)),
        # Strides 4, 8 and 16 from the stride-8 map, for shapes of 14 to 40 pixels.
        dict(type='mmris.SimpleFeaturePyramid', out_channels=64,
             scale_factors=(2.0, 1.0, 0.5), num_outs=3),
    ],
    bbox_head=dict(
        stacked_convs=2,
        feat_channels=64,
        embed_channels=64,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True),
        strides=[4, 8, 16],
        regress_ranges=((-1, 16), (16, 32), (32, 1e8))))

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
