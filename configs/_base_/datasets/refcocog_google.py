# RefCOCOg, Google splits (train, val).
_base_ = ['./refcoco.py']
split_file = 'refcocog/refs(google).p'
ann_file = 'refcocog/instances.json'
train_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split_file=split_file))
