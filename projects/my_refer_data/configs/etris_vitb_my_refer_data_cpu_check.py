# etris_vitb_my_refer_data.py shrunk to run on a CPU in about a minute:
# small random towers on 64x64 inputs instead of CLIP ViT-B/16 on 416x416,
# three epochs. It checks the data and the set-up before a real run; it is
# not a model to keep.
_base_ = ['./etris_vitb_my_refer_data.py']

size = 64
width = 32
model = dict(
    data_preprocessor=dict(size=(size, size)),
    backbone=dict(
        clip_weights=None,
        vision_encoder=dict(input_size=size, width=width, layers=3, heads=2, output_dim=width),
        text_encoder=dict(width=width, layers=3, heads=2, embed_dim=width),
        bridger=dict(d_model=16, interactor=dict(num_heads=2))),
    neck=dict(in_channels=[width, width, width], sentence_channels=width, channels=width,
              num_heads=2),
    decode_head=dict(
        decoder=dict(num_layers=1, d_model=width, num_heads=2, ffn_channels=width),
        sentence_channels=width, in_channels=width, channels=16))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRISAnnotations'),
    dict(type='RISLetterbox', size=size),
    dict(type='PackRISInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRISAnnotations'),
    dict(type='RISLetterbox', size=size, warp_mask=False),
    dict(type='PackRISInputs'),
]
loader = dict(batch_size=8, num_workers=0, persistent_workers=False)
train_dataloader = dict(**loader, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))

train_cfg = dict(max_epochs=3, val_interval=3)
default_hooks = dict(logger=dict(interval=1))
