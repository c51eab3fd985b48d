# RefCOCO+ (unc splits: train, val, testA, testB).
_base_ = ['./refcoco.py']
split_file = 'refcoco+/refs(unc).p'
ann_file = 'refcoco+/instances.json'
train_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
