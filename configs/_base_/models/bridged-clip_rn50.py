# The ETRIS backbone for mmdet detectors with CLIP RN50 towers (see
# bridged-clip_vitb16.py): strides 4, 8, 16 and 32 for FPN, the frozen
# BatchNorms kept in eval mode (detection batches are small).
_base_ = ['./bridged-clip_vitb16.py', './clip-rn50_towers.py']
bridged_out_channels = [256, 512, 1024, 2048]  # strides 4, 8, 16 and 32
bridged_text_channels = _base_.clip_rn50_text_channels
bridged_backbone = dict(_base_.clip_rn50_towers, norm_eval=True, out_indices=(0, 1, 2, 3))
