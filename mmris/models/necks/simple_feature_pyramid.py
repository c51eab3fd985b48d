"""ViTDet's simple feature pyramid, built from the single-scale map of a ViT."""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmris.registry import MODELS

from ..utils import BridgedFeatures


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of each position of a (B, C, H, W) map."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def _rescale(channels: int, scale_factor: float) -> Tuple[nn.Module, int]:
    """Resampling by a power of two and the channels it gives: each 2x up
    is a 2x2 stride-2 transposed conv halving the channels (LayerNorm and
    GELU between two of them), each 2x down a 2x2 stride-2 max pooling."""
    steps = math.log2(scale_factor)
    if steps != int(steps):
        raise ValueError(f'scale factor {scale_factor} is not a power of 2 (4, 2, 1, 0.5, ...)')
    layers = []
    for step in range(int(abs(steps))):
        if steps < 0:
            layers.append(nn.MaxPool2d(2, 2))
            continue
        if step > 0:
            layers += [LayerNorm2d(channels), nn.GELU()]
        layers.append(nn.ConvTranspose2d(channels, channels // 2, 2, 2))
        channels //= 2
    return nn.Sequential(*layers), channels


@MODELS.register_module()
class SimpleFeaturePyramid(BaseModule):
    """The simple feature pyramid of ViTDet (Li et al., ECCV 2022).

    A plain ViT gives maps of one stride (16 for ViT-B/16). Each pyramid
    level resamples the chosen map by a power-of-two ``scale_factor``
    (transposed convs up, halving the channels at each 2x, max pooling down;
    the default ``(4, 2, 1, 0.5)`` gives strides 4, 8, 16 and 32 from
    stride 16), then projects it to
    ``out_channels`` by a 1x1 conv and a 3x3 conv, each followed by a
    LayerNorm over channels. Levels beyond the scale factors (``num_outs``)
    are max-pooled from the last one with stride 2, as mmdet's ``FPN`` adds
    extra levels. The text features are carried through.

    Args:
        in_channels (int): Channels of the chosen map.
        out_channels (int): Channels of every level (256).
        scale_factors (Sequence[float]): Resampling of each level.
        num_outs (int, optional): Levels out; ``None``: one per scale factor.
        in_index (int): Which backbone map to use (the last).
        init_cfg (dict, optional): mmengine init config.

    Shapes: :class:`BridgedFeatures` whose map ``in_index`` is
    (B, in_channels, h, w) -> :class:`BridgedFeatures` of ``num_outs`` maps
    (B, out_channels, h * s_i, w * s_i), with the same text.
    """

    def __init__(self, in_channels: int, out_channels: int = 256,
                 scale_factors: Sequence[float] = (4.0, 2.0, 1.0, 0.5),
                 num_outs: Optional[int] = None, in_index: int = -1, init_cfg=None):
        super().__init__(init_cfg)
        num_outs = num_outs or len(scale_factors)
        if num_outs < len(scale_factors):
            raise ValueError(f'num_outs={num_outs} is fewer than the {len(scale_factors)} '
                             f'scale factors {tuple(scale_factors)}')
        self.in_index = in_index
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_outs = num_outs
        self.num_extra = num_outs - len(scale_factors)
        self.levels = nn.ModuleList()
        for factor in scale_factors:
            rescale, channels = _rescale(in_channels, factor)
            self.levels.append(nn.Sequential(
                rescale, nn.Conv2d(channels, out_channels, 1, bias=False),
                LayerNorm2d(out_channels),
                nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
                LayerNorm2d(out_channels)))

    def forward(self, features: BridgedFeatures) -> BridgedFeatures:
        x = features[self.in_index]
        outs = [level(x) for level in self.levels]
        for _ in range(self.num_extra):
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return features.with_maps(outs)
