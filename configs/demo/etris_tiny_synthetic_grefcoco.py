# The GRES demo's model without a no-target head: the demo ETRIS
# (etris_tiny_synthetic_refcoco.py) trained on the generated gRefCOCO variant
# (make_synthetic_refcoco.py --grefcoco: expressions naming several shapes or
# none). It can only answer "nothing" by an empty mask. `make demo-gres`
# trains etris_tiny_synthetic_grefcoco_no-target-head.py, whose detached head
# leaves the rest of this model's training unchanged, and tests it with the
# head taken out as this model.
_base_ = ['./etris_tiny_synthetic_refcoco.py']
max_iters = 1000
ann_file = 'grefcoco/instances.json'
split_file = 'grefcoco/grefs(unc).json'
pack_inputs = dict(
    type='PackRISInputs',
    meta_keys=('img_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
               'flip_direction', 'text', 'affine_matrix', 'inverse_affine_matrix', 'no_target'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRISAnnotations'),
    dict(type='RISLetterbox', size={{_base_.input_size}}),
    pack_inputs,
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRISAnnotations'),
    dict(type='RISLetterbox', size={{_base_.input_size}}, warp_mask=False),
    pack_inputs,
]
gref_dataset = dict(type='GRefCOCODataset', ann_file=ann_file, split_file=split_file)
train_dataloader = dict(dataset=dict(gref_dataset, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(gref_dataset, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='GRESMetric')
test_evaluator = val_evaluator
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
