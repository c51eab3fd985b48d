# Referring detection (one box per expression): ETRIS' backbone (the Bridger
# fuses each image with its expression), cascaded alignment neck and global
# alignment decoder as it is for referring segmentation, then boxes instead
# of a mask: ViTDet's simple feature pyramid carries the sentence embedding
# to an FCOSHead that scores every location against it (K = 1), and the
# ReferringDetector keeps the best box. The expression is read from each
# data sample's `text`, as mmdet's GLIP does.
_base_ = ['./fcos_etris-vitb16_simplefpn.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='mmris.ReferringDetector',
    # ETRIS' maps; expressions of RefCOCO and RefCOCO+ fit in 17 tokens (22 for G-Ref).
    backbone=dict(classes=None, out_indices=(1, 2, -1), text_encoder=dict(text_length=17)),
    neck=[
        dict(type='mmris.CascadedAlignmentNeck', channels=512, strides=(1, 1, 1), num_heads=8,
             norm_cfg=norm_cfg),
        dict(type='mmris.GlobalAlignmentNeck',
             decoder=dict(type='GlobalAlignmentDecoder', num_layers=3, num_heads=8,
                          ffn_channels=512, dropout=0.1)),
        dict(type='mmris.SimpleFeaturePyramid', out_channels=256,
             scale_factors=(4.0, 2.0, 1.0, 0.5), num_outs=5),
    ],
    # Every expression gets its best box, however low its score.
    test_cfg=dict(score_thr=0., max_per_img=1))
