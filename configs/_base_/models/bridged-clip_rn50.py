# The ETRIS backbone for mmdet detectors with CLIP RN50 towers (see
# bridged-clip_vitb16.py): strides 4, 8, 16 and 32 for FPN, the frozen
# BatchNorms kept in eval mode (detection batches are small).
_base_ = ['./bridged-clip_vitb16.py']
bridged_backbone = dict(
    clip_weights='pretrain/RN50.pt',
    norm_eval=True,
    out_indices=(0, 1, 2, 3),
    vision_encoder=dict(
        _delete_=True,
        type='CLIPModifiedResNet',
        layers=(3, 4, 6, 3),
        width=64,
        output_dim=1024,
        heads=32,
        pretrain_size=224),
    text_encoder=dict(embed_dim=1024),
    bridger=dict(
        zoom_strides=(2, 1, 2),
        zoom_norm_cfg=None,
        interactor=dict(
            _delete_=True, type='FullInteractor', num_heads=4, ffn_channels=128, dropout=0.1)))
