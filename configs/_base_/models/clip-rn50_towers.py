# CLIP RN50 towers and the Bridger settings for them (reference:
# config/refcoco/bridge_r50.yaml), written as the changes to a CLIP ViT-B/16
# Bridger backbone (etris_vitb16.py, bridged-clip_vitb16.py): the ResNet in
# place of the ViT, the 1024-wide sentence embedding, and the RN50 Bridger's
# zoom strides and full interactor, and channels-last convolutions (3-6 %
# faster on a CPU, same results: docs/performance.md). A model config merges
# it into its backbone, `backbone=_base_.clip_rn50_towers`, and gives the
# neck and head the widths below.
clip_rn50_vision_channels = [512, 1024, 1024]  # ETRIS' three maps (out_indices (1, 2, -1))
clip_rn50_text_channels = 1024  # the sentence embedding
clip_rn50_towers = dict(
    clip_weights='pretrain/RN50.pt',
    vision_encoder=dict(
        _delete_=True,
        type='mmris.CLIPModifiedResNet',
        layers=(3, 4, 6, 3),
        width=64,
        output_dim=1024,
        heads=32,
        pretrain_size=224,
        channels_last=True),
    text_encoder=dict(embed_dim=1024),
    bridger=dict(
        zoom_strides=(2, 1, 2),
        zoom_norm_cfg=None,
        interactor=dict(
            _delete_=True, type='mmris.FullInteractor', num_heads=4, ffn_channels=128, dropout=0.1)))
