# ETRIS for semantic segmentation with CLIP ViT-B/16: mmseg's EncoderDecoder
# drives the Bridger backbone in vocabulary mode (the class names, in prompt
# templates, are the text), the cascaded alignment neck aligns its maps with
# the K class embeddings, and TextKernelHead turns each class embedding into
# a dynamic kernel (K logit maps). Channel and class counts are read from the
# backbone. A dataset config sets model.backbone.classes.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    # CLIP's mean and std on the 0-255 scale, RGB.
    mean=[122.7709383, 116.7460125, 104.09373615],
    std=[68.5005327, 66.6321579, 70.32316305],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='BridgedDualEncoder',
        clip_weights='pretrain/ViT-B-16.pt',
        classes=None,
        templates=['a photo of a {}.'],
        # 'two_way' (faithful: the text tower runs B x K prompts) or
        # 'shared_text' (the prompts run once per batch); figures in
        # docs/semantic_segmentation.md.
        vocabulary_fusion='shared_text',
        out_indices=(1, 2, -1),
        vision_encoder=dict(
            type='CLIPVisionTransformer',
            input_size=512,
            patch_size=16,
            width=768,
            layers=12,
            heads=12,
            output_dim=512),
        text_encoder=dict(
            type='CLIPTextEncoder',
            text_length=77,  # prompts are cut to the longest one
            context_length=77,
            vocab_size=49408,
            width=512,
            layers=12,
            heads=8,
            embed_dim=512),
        bridger=dict(
            type='Bridger',
            d_model=64,
            zoom_strides=(1, 1, 1),
            zoom_norm_cfg=norm_cfg,
            interactor=dict(type='LightInteractor', num_heads=8))),
    neck=dict(type='CascadedAlignmentNeck', channels=512, strides=(1, 1, 1), num_heads=8,
              norm_cfg=norm_cfg),
    decode_head=dict(
        type='TextKernelHead',
        decoder=dict(type='GlobalAlignmentDecoder', num_layers=3, num_heads=8,
                     ffn_channels=512, dropout=0.1),
        channels=256,
        kernel_size=3,
        dropout_ratio=0.1,
        norm_cfg=norm_cfg,
        align_corners=False,
        # Averaged over the labelled pixels, as torch's cross_entropy.
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# SyncBN across GPUs in distributed runs; plain BN on CPU.
sync_bn = 'torch'
