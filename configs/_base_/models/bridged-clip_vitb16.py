# The ETRIS backbone for mmdet detectors: the Bridger between frozen CLIP
# ViT-B/16 towers, in vocabulary mode (each image is fused with the prompts
# of every class; the detector config sets `classes`). A detector model
# config takes it as `backbone=dict(_delete_=True, **_base_.bridged_backbone)`
# and normalises images with `clip_normalization`. mmdet's default scope
# finds it as `mmris.BridgedDualEncoder`. Its widths, stated once, for the
# towers and for the neck and heads a detector puts on it:
vision_width = 768
embed_dim = 512
bridged_out_channels = [vision_width]  # the map of out_indices (-2, )
bridged_text_channels = embed_dim  # the class embeddings
bridged_backbone = dict(
    type='mmris.BridgedDualEncoder',
    clip_weights='pretrain/ViT-B-16.pt',
    classes=None,
    templates=['a photo of a {}.'],
    # The text tower runs the K prompts once per batch (see
    # BridgedDualEncoder); 'two_way' would run them for every image.
    vocabulary_fusion='shared_text',
    # The last stage's output (768 channels, stride 16), as ViTDet.
    out_indices=(-2, ),
    vision_encoder=dict(
        type='mmris.CLIPVisionTransformer',
        # The released 14 x 14 positional grid, resized to each input on the fly.
        input_size=224,
        patch_size=16,
        width=vision_width,
        layers=12,
        heads=12,
        output_dim=embed_dim),
    text_encoder=dict(
        type='mmris.CLIPTextEncoder',
        text_length=77,  # prompts are cut to the longest one
        context_length=77,
        vocab_size=49408,
        width=512,
        layers=12,
        heads=8,
        embed_dim=embed_dim),
    bridger=dict(
        type='mmris.Bridger',
        d_model=64,
        zoom_strides=(1, 1, 1),
        zoom_norm_cfg=dict(type='BN', requires_grad=True),
        interactor=dict(type='mmris.LightInteractor', num_heads=8)))
# CLIP's mean and std on the 0-255 scale, RGB.
clip_normalization = dict(
    mean=[122.7709383, 116.7460125, 104.09373615],
    std=[68.5005327, 66.6321579, 70.32316305],
    bgr_to_rgb=True)
