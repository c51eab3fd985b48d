# RefCOCO letterboxed to 448 x 448, a whole number of 14-pixel patches
# (32 x 32) for ViT-L/14 and DINOv2 towers (DETRIS trains at 448).
_base_ = ['./refcoco.py']
input_size = 448
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmris.LoadRISAnnotations'),
    dict(type='mmris.RISLetterbox', size=input_size),
    dict(type='mmris.PackRISInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmris.LoadRISAnnotations'),
    dict(type='mmris.RISLetterbox', size=input_size, warp_mask=False),  # IoU at the original size
    dict(type='mmris.PackRISInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
