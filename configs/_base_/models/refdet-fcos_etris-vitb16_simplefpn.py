# Referring detection (one box per expression) on the ETRIS backbone: the
# Bridger fuses each image with its expression (expression mode, as ETRIS),
# ViTDet's simple feature pyramid carries the sentence embedding to an
# FCOSHead that scores every location against it (K = 1), and the
# ReferringDetector keeps the best box. The expression is read from each data
# sample's `text`, as mmdet's GLIP does.
_base_ = ['./fcos_etris-vitb16_simplefpn.py']
model = dict(
    type='mmris.ReferringDetector',
    # Expressions of RefCOCO and RefCOCO+ fit in 17 tokens (22 for G-Ref), as ETRIS.
    backbone=dict(classes=None, text_encoder=dict(text_length=17)),
    # Every expression gets its best box, however low its score.
    test_cfg=dict(score_thr=0., max_per_img=1))
