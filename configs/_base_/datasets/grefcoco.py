# gRefCOCO (generalized referring segmentation: expressions naming several
# objects or none) from the official release under data/coco/:
# grefcoco/grefs(unc).json, grefcoco/instances.json and train2014/ (see
# docs/gres.md). Evaluate another split with
# --cfg-options test_dataloader.dataset.split=testA
_base_ = ['./refcoco.py']
dataset_type = 'mmris.GRefCOCODataset'
ann_file = 'grefcoco/instances.json'
split_file = 'grefcoco/grefs(unc).json'
# The sample's no-target flag travels to the model and the metric.
pack_inputs = dict(
    type='mmris.PackRISInputs',
    meta_keys=('img_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
               'flip_direction', 'text', 'affine_matrix', 'inverse_affine_matrix', 'no_target'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmris.LoadRISAnnotations'),
    dict(type='mmris.RISLetterbox', size=416),
    pack_inputs,
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmris.LoadRISAnnotations'),
    dict(type='mmris.RISLetterbox', size=416, warp_mask=False),
    pack_inputs,
]
train_dataloader = dict(dataset=dict(
    type=dataset_type, ann_file=ann_file, split_file=split_file, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    type=dataset_type, ann_file=ann_file, split_file=split_file, pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(
    type=dataset_type, ann_file=ann_file, split_file=split_file, pipeline=test_pipeline))
val_evaluator = dict(_delete_=True, type='mmris.GRESMetric')
test_evaluator = val_evaluator
