# ETRIS with CLIP ViT-L/14 (OpenAI's ViT-L-14.pt at pretrain/), for the
# paper's scalability study. 448 x 448 input: 32 x 32 patches of 14 px.
# The Bridger fuses after blocks 8, 16 and 24 of the image tower and 4, 8,
# 12 of the text tower. Words are 768 wide, so the neck and decoder are too
# (the other channel counts are read from the backbone).
_base_ = [
    '../_base_/models/etris_vitb16.py', '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/etris_50e.py'
]
model = dict(
    data_preprocessor=dict(size=(448, 448)),
    backbone=dict(
        clip_weights='pretrain/ViT-L-14.pt',
        vision_encoder=dict(
            input_size=448, patch_size=14, width=1024, layers=24, heads=16, output_dim=768,
            fusion_layers=(7, 15, 23)),
        text_encoder=dict(width=768, heads=12, embed_dim=768, fusion_layers=(3, 7, 11))),
    neck=dict(in_channels=[1024, 1024, 768], text_channels=768, channels=768),
    decode_head=dict(in_channels=768, text_channels=768))
