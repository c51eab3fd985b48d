# RefCOCO (unc splits) for referring detection: the data of refcoco.py (the
# refer release under data/coco/, the same RefCOCODataset splits and modes),
# one box per expression through mmdet's box transforms, scored by box
# accuracy (Acc@0.5). Other splits:
# --cfg-options test_dataloader.dataset.split=testA
_base_ = ['./refcoco.py']
dataset_type = 'mmris.RefCOCODataset'
# No flips: expressions say "left" and "right".
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.Resize', scale=(416, 416), keep_ratio=True),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'text'))
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(416, 416), keep_ratio=True),
    # After the resize: the box is scored at the original image size.
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'text'))
]
train_dataloader = dict(
    sampler=dict(type='mmris.ExpressionSampler'),  # refcoco.py's, named in the mmdet scope
    dataset=dict(type=dataset_type, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(type=dataset_type, pipeline=test_pipeline))
val_evaluator = dict(type='mmris.RefBoxMetric')
test_evaluator = val_evaluator
