# Referring detection (one box per expression): ETRIS' backbone (the Bridger
# fuses each image with its expression), cascaded alignment neck and global
# alignment decoder as it is for referring segmentation, then boxes instead
# of a mask: ViTDet's simple feature pyramid carries the sentence embedding
# to an FCOSHead that scores every location against it (K = 1), and the
# ETRISReferringDetector keeps the best box. The expression is read from each
# data sample's `text`, as mmdet's GLIP does.
_base_ = ['./fcos_etris-vitb16_simplefpn.py']
norm_cfg = dict(type='BN', requires_grad=True)
# ETRIS' widths with CLIP ViT-B/16 (as etris_vitb16.py).
vision_channels = [768, 768, 512]
text_channels = 512
neck_channels = 512
word_channels = 512  # the text encoder's width
model = dict(
    type='mmris.ETRISReferringDetector',
    # ETRIS' maps; expressions of RefCOCO and RefCOCO+ fit in 17 tokens (22 for G-Ref).
    backbone=dict(classes=None, out_indices=(1, 2, -1), text_encoder=dict(text_length=17)),
    neck=[
        dict(type='mmris.CascadedAlignmentNeck', in_channels=vision_channels,
             text_channels=text_channels, channels=neck_channels, strides=(1, 1, 1),
             num_heads=8, norm_cfg=norm_cfg),
        dict(type='mmris.GlobalAlignmentNeck', in_channels=neck_channels,
             word_channels=word_channels,
             decoder=dict(type='mmris.GlobalAlignmentDecoder', num_layers=3, num_heads=8,
                          ffn_channels=512, dropout=0.1)),
        dict(type='mmris.SimpleFeaturePyramid', in_channels=neck_channels, out_channels=256,
             scale_factors=(4.0, 2.0, 1.0, 0.5), num_outs=5),
    ],
    # One text per image: the expression.
    bbox_head=dict(num_classes=1, text_channels=text_channels),
    # Every expression gets its best box, however low its score.
    test_cfg=dict(score_thr=0., max_per_img=1))
