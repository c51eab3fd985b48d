# RefCOCO (unc splits) for referring detection: the refer release under
# data/coco/ (as configs/_base_/datasets/refcoco.py, read by the same
# RefCOCODataset), one box per expression through mmdet's box transforms,
# scored by box accuracy (Acc@0.5). Other splits:
# --cfg-options test_dataloader.dataset.split=testA
dataset_type = 'mmris.RefCOCODataset'
data_root = 'data/coco/'
ann_file = 'refcoco/instances.json'
split_file = 'refcoco/refs(unc).p'
# No flips: expressions say "left" and "right".
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(416, 416), keep_ratio=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'text'))
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(416, 416), keep_ratio=True),
    # After the resize: the box is scored at the original image size.
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'text'))
]
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split_file=split_file,
        split='train',
        mode='train',
        data_prefix=dict(img_path='train2014/'),
        pipeline=train_pipeline))
# In-training validation: the first expression per object.
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
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
# Every expression of every object.
test_dataloader = dict(val_dataloader, dataset=dict(val_dataloader['dataset'], mode='test'))
val_evaluator = dict(type='mmris.RefBoxMetric')
test_evaluator = val_evaluator
