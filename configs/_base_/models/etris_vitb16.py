# ETRIS with CLIP ViT-B/16 (reference: config/refcoco/bridge_v16.yaml).
# Put OpenAI's ViT-B-16.pt at pretrain/ or point clip_weights at it.
norm_cfg = dict(type='BN', requires_grad=True)
# The widths, stated once: the towers are built with them, and the neck and
# head take them as arguments. A config that swaps the towers gives the neck
# and head the new ones (etris_rn50.py); ETRIS fails at build time, naming
# both parts, where two do not fit.
vision_width = 768  # the ViT's width: ETRIS' maps 1 and 2
text_width = 512  # the text tower's width: the words
embed_dim = 512  # CLIP's joint embedding: the final map and the sentence
vision_channels = [vision_width, vision_width, embed_dim]  # ETRIS' three maps
text_channels = embed_dim
neck_channels = text_width  # the aligned map; the decoder attends to the words at this width
model = dict(
    type='mmris.ETRIS',
    data_preprocessor=dict(
        type='mmseg.SegDataPreProcessor',
        # CLIP's mean and std on the 0-255 scale, RGB.
        mean=[122.7709383, 116.7460125, 104.09373615],
        std=[68.5005327, 66.6321579, 70.32316305],
        bgr_to_rgb=True,
        size=(416, 416),
        pad_val=0,
        seg_pad_val=0),
    backbone=dict(
        type='mmris.BridgedDualEncoder',
        clip_weights='pretrain/ViT-B-16.pt',
        freeze_positional_embedding=False,
        vision_encoder=dict(
            type='mmris.CLIPVisionTransformer',
            input_size=416,
            patch_size=16,
            width=vision_width,
            layers=12,
            heads=12,
            output_dim=embed_dim),
        text_encoder=dict(
            type='mmris.CLIPTextEncoder',
            text_length=17,
            context_length=77,
            vocab_size=49408,
            width=text_width,
            layers=12,
            heads=8,
            embed_dim=embed_dim,
            vocab_file=None),  # None: the BPE file shipped with mmsegmentation
        bridger=dict(
            type='mmris.Bridger',
            d_model=64,
            zoom_strides=(1, 1, 1),
            zoom_norm_cfg=norm_cfg,
            interactor=dict(type='mmris.LightInteractor', num_heads=8))),
    neck=dict(
        type='mmris.CascadedAlignmentNeck',
        in_channels=vision_channels,
        text_channels=text_channels,
        channels=neck_channels,
        strides=(1, 1, 1),
        num_heads=8,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='mmris.ProjectorHead',
        decoder=dict(
            type='mmris.GlobalAlignmentDecoder',
            num_layers=3,
            num_heads=8,
            ffn_channels=512,
            dropout=0.1),
        in_channels=neck_channels,
        text_channels=text_channels,
        channels=256,
        kernel_size=3,
        norm_cfg=norm_cfg,
        loss_decode=dict(
            type='mmseg.CrossEntropyLoss', use_sigmoid=True, loss_name='loss_mask', avg_non_ignore=True)),
    test_cfg=dict(mask_threshold=0.35))
# Distributed GPU runs turn every BatchNorm into SyncBN, as the reference;
# on CPU they stay per-process BatchNorm.
sync_bn = 'torch'
