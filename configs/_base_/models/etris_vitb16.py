# ETRIS with CLIP ViT-B/16 (reference: config/refcoco/bridge_v16.yaml).
# Put OpenAI's ViT-B-16.pt at pretrain/ or point clip_weights at it.
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='ETRIS',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        # CLIP's mean and std on the 0-255 scale, RGB.
        mean=[122.7709383, 116.7460125, 104.09373615],
        std=[68.5005327, 66.6321579, 70.32316305],
        bgr_to_rgb=True,
        size=(416, 416),
        pad_val=0,
        seg_pad_val=0),
    backbone=dict(
        type='BridgedDualEncoder',
        clip_weights='pretrain/ViT-B-16.pt',
        freeze_positional_embedding=False,
        vision_encoder=dict(
            type='CLIPVisionTransformer',
            input_size=416,
            patch_size=16,
            width=768,
            layers=12,
            heads=12,
            output_dim=512),
        text_encoder=dict(
            type='CLIPTextEncoder',
            text_length=17,
            context_length=77,
            vocab_size=49408,
            width=512,
            layers=12,
            heads=8,
            embed_dim=512,
            vocab_file=None),  # None: the BPE file shipped with mmsegmentation
        bridger=dict(
            type='Bridger',
            d_model=64,
            zoom_strides=(1, 1, 1),
            zoom_norm_cfg=norm_cfg,
            interactor=dict(type='LightInteractor', num_heads=8))),
    # Channel counts left out here (the neck's in_channels and
    # sentence_channels, the head's) are read from the backbone.
    neck=dict(
        type='CascadedAlignmentNeck',
        channels=512,
        strides=(1, 1, 1),
        num_heads=8,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='ProjectorHead',
        decoder=dict(
            type='GlobalAlignmentDecoder',
            num_layers=3,
            num_heads=8,
            ffn_channels=512,
            dropout=0.1),
        channels=256,
        kernel_size=3,
        norm_cfg=norm_cfg,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_name='loss_mask', avg_non_ignore=True)),
    test_cfg=dict(mask_threshold=0.35))
# Distributed GPU runs turn every BatchNorm into SyncBN, as the reference;
# on CPU they stay per-process BatchNorm.
sync_bn = 'torch'
