# RefCOCO (unc splits) from the refer release under data/coco/ (see
# tools/dataset_converters/check_refcoco_layout.py). Evaluate other splits
# with e.g. --cfg-options test_dataloader.dataset.split=testA
dataset_type = 'mmris.RefCOCODataset'
data_root = 'data/coco/'
ann_file = 'refcoco/instances.json'
split_file = 'refcoco/refs(unc).p'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmris.LoadRISAnnotations'),
    # Opt-in augmentations (the reference uses none):
    # dict(type='mmseg.PhotoMetricDistortion'), dict(type='mmris.RISRandomFlip', prob=0.5),
    dict(type='mmris.RISLetterbox', size=416),
    dict(type='mmris.PackRISInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmris.LoadRISAnnotations'),
    dict(type='mmris.RISLetterbox', size=416, warp_mask=False),  # IoU at the original size
    dict(type='mmris.PackRISInputs'),
]
train_dataloader = dict(
    batch_size=16,  # per GPU: 2 GPUs x 16 = 32, the reference's total batch
    num_workers=4,
    persistent_workers=True,
    # One expression of each object per epoch, drawn by the sampler (so a
    # resumed run reads what an uninterrupted one would).
    sampler=dict(type='mmris.ExpressionSampler', sampler=dict(type='DefaultSampler', shuffle=True)),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split_file=split_file,
        split='train',
        mode='train',
        data_prefix=dict(img_path='train2014/'),
        pipeline=train_pipeline))
# In-training validation as the reference: the first expression per object.
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split_file=split_file,
        split='val',
        mode='val_first',
        data_prefix=dict(img_path='train2014/'),
        pipeline=test_pipeline))
# The evaluation protocol: every expression of every object.
test_dataloader = dict(val_dataloader, dataset=dict(val_dataloader['dataset'], mode='test'))
val_evaluator = dict(type='mmris.RISMetric')
test_evaluator = val_evaluator
