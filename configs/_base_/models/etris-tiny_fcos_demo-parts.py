# The small model parts of the CPU detection demos (make demo-det and the
# referring detection demo), at 128 px: the ETRIS backbone of `make demo`
# (random, frozen CLIP-shaped ViT and text towers of 6 blocks, width 64,
# patch 8; a small Bridger), ViTDet's pyramid at strides 4, 8 and 16 from
# the stride-8 map, for shapes of 14 to 40 pixels, and an FCOS head for those
# strides. A demo merges them into its model: `backbone=dict(**_base_.demo_backbone)`,
# `dict(type='mmris.SimpleFeaturePyramid', **_base_.demo_pyramid)`,
# `bbox_head=_base_.demo_fcos_head`. Every tower is `width` wide.
input_size = 128
width = 64
demo_backbone = dict(
    clip_weights=None,
    vision_encoder=dict(
        input_size=input_size, patch_size=8, width=width, layers=6, heads=2, output_dim=width),
    text_encoder=dict(width=width, layers=6, heads=2, embed_dim=width),
    bridger=dict(d_model=32, interactor=dict(num_heads=4)))
demo_pyramid = dict(in_channels=width, out_channels=64, scale_factors=(2.0, 1.0, 0.5), num_outs=3)
demo_fcos_head = dict(
    in_channels=64,
    text_channels=width,
    stacked_convs=2,
    feat_channels=64,
    embed_channels=64,
    norm_cfg=dict(type='GN', num_groups=16, requires_grad=True),
    strides=[4, 8, 16],
    regress_ranges=((-1, 16), (16, 32), (32, 1e8)))
