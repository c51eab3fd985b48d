"""ViTDet's simple feature pyramid: strides from one map, channels as given,
text carried."""
import pytest
import torch

from mmris.models.necks import SimpleFeaturePyramid
from mmris.models.necks.simple_feature_pyramid import LayerNorm2d
from mmris.models.utils import BridgedFeatures, TextFeatures
from mmris.utils.part_fit import output_channels


def test_strides_4_to_32_from_a_stride_16_map_and_a_pooled_extra_level():
    neck = SimpleFeaturePyramid(in_channels=32, out_channels=8, num_outs=5)
    text = TextFeatures(torch.randn(2, 3, 6))
    out = neck(BridgedFeatures([torch.randn(2, 32, 6, 10)], text))  # a 96 x 160 image
    assert [tuple(level.shape) for level in out] == [
        (2, 8, 24, 40), (2, 8, 12, 20), (2, 8, 6, 10), (2, 8, 3, 5), (2, 8, 2, 3)]
    assert out.text is text
    assert output_channels(neck) == (8, ) * 5
    # ViTDet halves the channels at each 2x up-sampling: 32 -> 16 -> 8 for x4.
    up4 = neck.levels[0][0]
    assert [layer.out_channels for layer in up4 if hasattr(layer, 'out_channels')] == [16, 8]
    assert neck.levels[0][1].in_channels == 8 and neck.levels[3][1].in_channels == 32


def test_the_map_chosen_by_in_index_is_used():
    neck = SimpleFeaturePyramid(in_channels=20, out_channels=8, scale_factors=(2.0, 1.0),
                                in_index=-1)
    maps = [torch.randn(1, 12, 4, 4), torch.randn(1, 20, 4, 4)]
    out = neck(BridgedFeatures(maps, TextFeatures(torch.randn(1, 6))))
    assert [tuple(level.shape) for level in out] == [(1, 8, 8, 8), (1, 8, 4, 4)]


def test_layer_norm_2d_normalises_each_position_over_channels():
    norm = LayerNorm2d(4)
    x = torch.randn(2, 4, 3, 5) * 3 + 1
    y = norm(x)
    torch.testing.assert_close(y.mean(1), torch.zeros(2, 3, 5), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.var(1, unbiased=False), torch.ones(2, 3, 5), atol=1e-3, rtol=0)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match='not a power of 2'):
        SimpleFeaturePyramid(in_channels=8, scale_factors=(3.0, ))
    with pytest.raises(ValueError, match='fewer than the 4 scale factors'):
        SimpleFeaturePyramid(in_channels=8, num_outs=2)
