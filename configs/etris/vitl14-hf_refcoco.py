# ETRIS ViT-L/14 on the Hugging Face CLIP release, run by the transformers
# towers: vitl14_refcoco.py's input size and widths on the towers of
# vitb16-hf_refcoco.py. Put openai/clip-vit-large-patch14 at
# pretrain/clip-vit-large-patch14.
_base_ = [
    '../_base_/models/etris_hf-clip-vitb16.py', '../_base_/datasets/refcoco_448.py',
    '../_base_/schedules/etris_50e.py'
]
clip_dir = 'pretrain/clip-vit-large-patch14'
model = dict(
    data_preprocessor=dict(size=(448, 448)),
    backbone=dict(
        vision_encoder=dict(
            pretrained=clip_dir,
            config=dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                        num_attention_heads=16, patch_size=14, projection_dim=768),
            fusion_layers=(7, 15, 23)),
        text_encoder=dict(
            pretrained=clip_dir,
            config=dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12,
                        projection_dim=768))),
    neck=dict(in_channels=[1024, 1024, 768], text_channels=768, channels=768),
    decode_head=dict(in_channels=768, text_channels=768))
