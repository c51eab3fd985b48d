"""Channel counts flow from the backbone to the modules built after it."""
import contextvars

import pytest
import torch

from mmris.models.necks import CascadedAlignmentNeck, TextCarryingNeck
from mmris.models.utils import BridgedFeatures, TextFeatures, expect_features
from mmris.registry import MODELS


def test_backbone_announces_what_it_outputs(tiny_config):
    cfg = tiny_config('rn50').model.backbone
    backbone = MODELS.build(dict(cfg, out_indices=(0, 3, -1), classes=['a', 'b']))
    spec = expect_features('test')
    with torch.no_grad():
        features = backbone(torch.randn(1, 3, 64, 64))
    assert spec.out_channels == tuple(m.shape[1] for m in features)
    assert spec.text_channels == features.text.embeddings.shape[-1]
    assert spec.class_names == ('a', 'b')


def test_a_neck_reads_the_backbone_and_announces_its_own_output(tiny_config):
    backbone = MODELS.build(tiny_config('rn50').model.backbone)
    neck = CascadedAlignmentNeck(channels=24, strides=(2, 1, 2), num_heads=2)
    assert [p.conv.in_channels for p in neck.map_projs] == [
        backbone.vision_encoder.stage_channels[0], backbone.vision_encoder.stage_channels[1],
        backbone.vision_encoder.output_dim]
    assert neck.sentence_proj.in_features == backbone.text_encoder.embed_dim
    spec = expect_features('head')
    assert spec.out_channels == (24, ) and spec.text_channels == backbone.text_encoder.embed_dim


def test_explicit_channels_win_over_the_announcement(tiny_config):
    MODELS.build(tiny_config('vitb').model.backbone)
    neck = CascadedAlignmentNeck(in_channels=[8, 9, 10], sentence_channels=7, channels=16,
                                 num_heads=2)
    assert [p.conv.in_channels for p in neck.map_projs] == [8, 9, 10]
    assert neck.sentence_proj.in_features == 7


def test_nothing_built_before_is_explained():
    with pytest.raises(ValueError, match='CascadedAlignmentNeck reads its channel counts'):
        contextvars.Context().run(CascadedAlignmentNeck)


def test_a_stock_neck_gets_the_backbone_channels_and_the_text_is_carried(tiny_config):
    """mmseg's FPN on the ResNet's strides 4..32, via TextCarryingNeck."""
    cfg = tiny_config('rn50').model.backbone
    backbone = MODELS.build(dict(cfg, out_indices=(0, 1, 2, 3), classes=['a', 'b', 'c'])).eval()
    neck = TextCarryingNeck(neck=dict(type='FPN', out_channels=16, num_outs=4)).eval()
    assert neck.neck.in_channels == [32, 64, 128, 256]
    assert expect_features('head').out_channels == (16, ) * 4
    with torch.no_grad():
        features = backbone(torch.randn(2, 3, 64, 64))
        out = neck(features)
    assert isinstance(out, BridgedFeatures) and out.text is features.text
    assert [tuple(m.shape[1:]) for m in out] == [(16, 16, 16), (16, 8, 8), (16, 4, 4), (16, 2, 2)]


def test_stock_modules_index_bridged_features():
    maps = [torch.randn(1, 4, 8, 8), torch.randn(1, 4, 4, 4)]
    features = BridgedFeatures(maps, TextFeatures(torch.randn(1, 3, 5)))
    assert len(features) == 2 and features[1] is maps[1] and features[-1] is maps[1]
    assert features.text.num_texts == 3
    a, b = features
    assert a is maps[0]
