# Your own classes: a COCO-format annotation file whose categories are named
# as `metainfo` lists them. The same names are the model's vocabulary (the
# text the Bridger fuses and the head scores against), so no layer depends
# on them: fine-tune from a COCO checkpoint with `load_from`, or change the
# names at test time. ClassVocabularyHook refuses annotation categories that
# do not match the vocabulary, naming both.
# As it is, this config trains on the generated set of
# `python tools/dataset_converters/make_synthetic_coco.py --out data/synthetic_coco`.
_base_ = ['./retinanet_etris-rn50_fpn_1x_coco.py']
data_root = 'data/synthetic_coco/'
metainfo = dict(classes=('circle', 'square', 'triangle'))

model = dict(
    backbone=dict(classes=metainfo['classes']),
    bbox_head=dict(num_classes=len(metainfo['classes'])))
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/')))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
