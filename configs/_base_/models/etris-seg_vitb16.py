# ETRIS for semantic segmentation with CLIP ViT-B/16: mmseg's EncoderDecoder
# drives the Bridger backbone of etris_vitb16.py in vocabulary mode (the
# class names, in prompt templates, are the text), the cascaded alignment
# neck aligns its maps with the K class embeddings, and TextKernelHead turns
# each class embedding into a dynamic kernel (K logit maps). The widths are
# etris_vitb16.py's. A dataset config sets model.backbone.classes, the
# head's num_classes (their number) and the crop size.
_base_ = ['./etris_vitb16.py']
model = dict(
    type='mmseg.EncoderDecoder',
    data_preprocessor=dict(size=None, seg_pad_val=255),
    backbone=dict(
        classes=None,
        templates=['a photo of a {}.'],
        # 'two_way' (faithful: the text tower runs B x K prompts) or
        # 'shared_text' (the prompts run once per batch); figures in
        # docs/semantic_segmentation.md.
        vocabulary_fusion='shared_text',
        out_indices=(1, 2, -1),
        vision_encoder=dict(input_size=512),
        text_encoder=dict(text_length=77)),  # prompts are cut to the longest one
    decode_head=dict(
        _delete_=True,
        type='mmris.TextKernelHead',
        in_channels=_base_.neck_channels,
        text_channels=_base_.text_channels,
        decoder=dict(type='mmris.GlobalAlignmentDecoder', num_layers=3, num_heads=8,
                     ffn_channels=512, dropout=0.1),
        channels=256,
        kernel_size=3,
        dropout_ratio=0.1,
        # Written out: {{_base_.norm_cfg}} would carry the `_scope_` that mmengine
        # adds to a `mmris::` base's top-level dicts into mmcv's norm layer.
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        # Averaged over the labelled pixels, as torch's cross_entropy.
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(_delete_=True, mode='whole'))
