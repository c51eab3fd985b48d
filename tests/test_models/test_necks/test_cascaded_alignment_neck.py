"""The cascaded alignment neck: shapes for ViT and ResNet strides, coordinates."""
import torch

from mmris.models.necks import CascadedAlignmentNeck
from mmris.models.necks.cascaded_alignment_neck import add_coordinates
from mmris.models.utils import BridgedFeatures, TextFeatures


def test_resnet_strides_bring_three_scales_to_one_grid():
    neck = CascadedAlignmentNeck(in_channels=[16, 32, 24], text_channels=20, channels=32,
                                 strides=(2, 1, 2), num_heads=4).eval()
    maps = [torch.randn(2, 16, 8, 8), torch.randn(2, 32, 4, 4), torch.randn(2, 24, 2, 2)]
    text = TextFeatures(torch.randn(2, 20))
    out = neck(BridgedFeatures(maps, text))
    assert len(out) == 1 and out[0].shape == (2, 32, 4, 4) and out.text is text
    assert neck.map_projs[2].conv.__class__.__name__ == 'ConvTranspose2d'
    assert neck.coord_conv.conv.in_channels == 34


def test_coordinates_span_minus_one_to_one():
    x = add_coordinates(torch.zeros(1, 1, 3, 5))
    assert torch.equal(x[0, 1, 0], torch.linspace(-1, 1, 5))  # x varies along the width
    assert torch.equal(x[0, 2, :, 0], torch.linspace(-1, 1, 3))  # y along the height
