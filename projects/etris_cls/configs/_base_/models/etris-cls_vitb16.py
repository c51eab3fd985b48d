# ETRIS for classification with CLIP ViT-B/16: the Bridger backbone in
# vocabulary mode (the class names, in prompt templates, are the text) gives
# each image its pooled embedding (the class token after ln_post and proj)
# and its own K class embeddings; TextScoredClsHead scores them CLIP-style
# with a learned logit scale. A dataset config sets model.backbone.classes.
# Put OpenAI's ViT-B-16.pt at pretrain/ or point clip_weights at it.
model = dict(
    type='ETRISClassifier',
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        # CLIP's mean and std on the 0-255 scale, RGB.
        mean=[122.7709383, 116.7460125, 104.09373615],
        std=[68.5005327, 66.6321579, 70.32316305],
        bgr_to_rgb=True),
    backbone=dict(
        type='BridgedDualEncoder',
        clip_weights='pretrain/ViT-B-16.pt',
        classes=None,
        templates=['a photo of a {}.'],
        # Every image's Bridger updates the words of every class prompt.
        vocabulary_fusion='two_way',
        out_indices=(),
        out_pooled=True,
        vision_encoder=dict(
            type='CLIPVisionTransformer',
            input_size=224,
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
            zoom_norm_cfg=dict(type='BN', requires_grad=True),
            interactor=dict(type='LightInteractor', num_heads=8))),
    head=dict(type='TextScoredClsHead'))
# The last Bridger stage corrects the ViT's patch tokens after its last
# block, which the class token no longer reads: that stage's vision branch
# gets no gradient, so DDP must allow unused parameters.
find_unused_parameters = True
