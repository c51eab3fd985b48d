# RefCOCO, RefCOCO+ and RefCOCOg (umd) trained on together, and optionally
# gRefCOCO (docs/gres.md, "Mixed training"), all under data/coco/. Every
# training image that is in one of the evaluated val/test splits is dropped
# (LeakFreeConcatDataset, drop_leaked=True; the log prints the counts per set).
# One test run evaluates every split below and prints one table.
_base_ = ['./grefcoco.py']
refer_sets = [
    # (folder, refs file, evaluated splits)
    ('refcoco', 'refs(unc).p', ('val', 'testA', 'testB')),
    ('refcoco+', 'refs(unc).p', ('val', 'testA', 'testB')),
    ('refcocog', 'refs(umd).p', ('val', 'test')),
]
with_grefcoco = False  # True: gRefCOCO's train split too, and its val split evaluated
_refcoco = dict(type='mmris.RefCOCODataset', data_root='data/coco/',
                data_prefix=dict(img_path='train2014/'))
_grefcoco = dict(type='mmris.GRefCOCODataset', data_root='data/coco/',
                 data_prefix=dict(img_path='train2014/'))
_eval_sets = [
    dict(_refcoco, ann_file=f'{folder}/instances.json', split_file=f'{folder}/{refs}', split=split,
         mode='test', pipeline={{_base_.test_pipeline}})
    for folder, refs, splits in refer_sets for split in splits
] + ([dict(_grefcoco, split='val', mode='test', pipeline={{_base_.test_pipeline}})] if with_grefcoco else [])
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='mmris.LeakFreeConcatDataset',
        datasets=[
            dict(_refcoco, ann_file=f'{folder}/instances.json', split_file=f'{folder}/{refs}',
                 split='train', mode='train', pipeline={{_base_.train_pipeline}})
            for folder, refs, _ in refer_sets
        ] + ([dict(_grefcoco, split='train', mode='train', pipeline={{_base_.train_pipeline}})]
             if with_grefcoco else []),
        held_out=_eval_sets,
        drop_leaked=True))
test_dataloader = dict(dataset=dict(_delete_=True, type='mmris.EvalSetsDataset', datasets=_eval_sets))
