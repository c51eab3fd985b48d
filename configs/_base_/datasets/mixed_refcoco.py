# RefCOCO, RefCOCO+ and RefCOCOg (umd) trained on together (docs/gres.md,
# "Mixed training"), all under data/coco/; mixed_refcoco_grefcoco.py adds
# gRefCOCO. Every training image that is in one of the evaluated val/test
# splits is dropped (LeakFreeConcatDataset, drop_leaked=True; the log prints
# the counts per set). Validation during training scores every val split, and
# one test run every val and test split, each in one table.
_base_ = ['./grefcoco.py']
refer_sets = [
    # (folder, refs file, evaluated splits)
    ('refcoco', 'refs(unc).p', ('val', 'testA', 'testB')),
    ('refcoco+', 'refs(unc).p', ('val', 'testA', 'testB')),
    ('refcocog', 'refs(umd).p', ('val', 'test')),
]
_refcoco = dict(type='mmris.RefCOCODataset', data_root='data/coco/',
                data_prefix=dict(img_path='train2014/'))
_grefcoco = dict(type='mmris.GRefCOCODataset', data_root='data/coco/',
                 data_prefix=dict(img_path='train2014/'))
_train_sets = [
    dict(_refcoco, ann_file=f'{folder}/instances.json', split_file=f'{folder}/{refs}',
         split='train', mode='train', pipeline={{_base_.train_pipeline}})
    for folder, refs, _ in refer_sets
]
_eval_sets = [
    dict(_refcoco, ann_file=f'{folder}/instances.json', split_file=f'{folder}/{refs}', split=split,
         mode='test', pipeline={{_base_.test_pipeline}})
    for folder, refs, splits in refer_sets for split in splits
]
# The same with gRefCOCO's train split, and its val, testA and testB evaluated,
# for mixed_refcoco_grefcoco.py (a config's lists are fixed when it is read, so
# a child config picks these instead of rebuilding them).
_train_sets_grefcoco = _train_sets + [
    dict(_grefcoco, split='train', mode='train', pipeline={{_base_.train_pipeline}})]
_eval_sets_grefcoco = _eval_sets + [
    dict(_grefcoco, split=split, mode='test', pipeline={{_base_.test_pipeline}})
    for split in ('val', 'testA', 'testB')
]
_val_sets = [cfg for cfg in _eval_sets if cfg['split'] == 'val']
_val_sets_grefcoco = [cfg for cfg in _eval_sets_grefcoco if cfg['split'] == 'val']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='mmris.LeakFreeConcatDataset',
        datasets=_train_sets,
        held_out=_eval_sets,
        drop_leaked=True))
val_dataloader = dict(dataset=dict(_delete_=True, type='mmris.EvalSetsDataset',
                                   datasets=_val_sets))
test_dataloader = dict(dataset=dict(_delete_=True, type='mmris.EvalSetsDataset',
                                    datasets=_eval_sets))
