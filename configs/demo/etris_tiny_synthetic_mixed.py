# Mixed training on the generated sets (make_synthetic_refcoco.py --grefcoco):
# the referring set's and the gRefCOCO variant's train splits together, minus
# every image that is in one of their val/test splits (the two share images,
# each with its own split, so the drop is visible in the log); one test run
# evaluates all six val/test splits and prints one table (docs/gres.md).
_base_ = ['./etris_tiny_synthetic_grefcoco_no-target-head.py']
_sets = dict(
    refcoco=dict(type='RefCOCODataset', ann_file='refcoco/instances.json',
                 split_file='refcoco/refs(unc).p'),
    grefcoco=dict(type='GRefCOCODataset', ann_file='grefcoco/instances.json',
                  split_file='grefcoco/grefs(unc).json'))
_eval_sets = [
    dict(cfg, data_root={{_base_.data_root}}, split=split, mode='test',
         pipeline={{_base_.test_pipeline}})
    for cfg in _sets.values() for split in ('val', 'testA', 'testB')
]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='LeakFreeConcatDataset',
    datasets=[dict(cfg, data_root={{_base_.data_root}}, split='train', mode='train',
                   pipeline={{_base_.train_pipeline}}) for cfg in _sets.values()],
    held_out=_eval_sets))
val_dataloader = dict(dataset=dict(_delete_=True, type='EvalSetsDataset', datasets=_eval_sets))
test_dataloader = val_dataloader
