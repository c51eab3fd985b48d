# The classification demo: a small ETRIS-cls (random, frozen CLIP-shaped
# towers; the Bridger, positional embeddings and logit scale train) learns
# the generated 8-shape set on CPU, its 64-pixel images resized to 32 and
# cut into 4x4 patches (an 8x8 grid). See the project README.
_base_ = ['./etris-cls-vitb16_1xb16-1k_synthetic-shapes-224.py']
input_size = 32
width = 64
max_iters = 300
model = dict(
    backbone=dict(
        clip_weights=None,
        vision_encoder=dict(
            input_size=input_size, patch_size=4, width=width, layers=6, heads=2,
            output_dim=width),
        text_encoder=dict(width=width, layers=6, heads=2, embed_dim=width),
        bridger=dict(d_model=32, interactor=dict(num_heads=4))))
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters, eta_min=0.)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=max_iters))
