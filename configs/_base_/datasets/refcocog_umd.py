# RefCOCOg, UMD splits (train, val, test).
_base_ = ['./refcoco.py']
split_file = 'refcocog/refs(umd).p'
ann_file = 'refcocog/instances.json'
train_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
