# The generated shapes set (projects/etris_cls/tools/make_synthetic_shapes_cls.py),
# read as an ImageNet-style folder: train/<shape>/*.png, val/<shape>/*.png.
# train_dataloader.dataset.shots=k keeps k images per class (k-shot). A
# config using it sets model.backbone.classes={{_base_.classes}}.
data_root = 'data/shapes_cls'
classes = ['circle', 'square', 'triangle', 'star', 'cross', 'ring', 'diamond', 'hexagon']
input_size = 224
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackClsInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='PackClsInputs'),
]
dataset = dict(type='ClassFolderDataset', data_root=data_root, metainfo=dict(classes=classes))
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(dataset, data_prefix=dict(img_path='train'), shots=None,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(dataset, data_prefix=dict(img_path='val'), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='TopKAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
