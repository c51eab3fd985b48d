# etris_vitb_my_refer_data.py with a model a few layers deep and 16 to 32
# channels wide instead of CLIP ViT-B/16 (random towers, no weights to
# read), for three epochs: it runs on a CPU in about a minute and checks the
# data and the set-up before a real run. It is not a model to keep.
_base_ = ['./etris_vitb_my_refer_data.py']

width = 32
model = dict(
    backbone=dict(
        clip_weights=None,
        vision_encoder=dict(width=width, layers=3, heads=2, output_dim=width),
        text_encoder=dict(width=width, layers=3, heads=2, embed_dim=width)),
    neck=dict(in_channels=[width, width, width], text_channels=width, channels=width),
    decode_head=dict(text_channels=width, in_channels=width, channels=16,
                     decoder=dict(d_model=width, ffn_channels=width)))
loader = dict(batch_size=8, num_workers=0, persistent_workers=False)
train_dataloader = loader
val_dataloader = loader
test_dataloader = loader
train_cfg = dict(max_epochs=3, val_interval=3)
default_hooks = dict(logger=dict(interval=1))
