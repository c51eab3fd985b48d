"""ETRIS' cascaded alignment neck: multi-scale maps aligned with the sentence."""
from typing import Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from mmris.registry import MODELS

from ..layers import ConvNormAct, LightInteractor
from ..utils import BridgedFeatures


def add_coordinates(x: torch.Tensor) -> torch.Tensor:
    """Append normalised x and y coordinates in [-1, 1]: (B, C, H, W) -> (B, C + 2, H, W)."""
    b, _, h, w = x.shape
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, h, device=x.device),
                            torch.linspace(-1, 1, w, device=x.device), indexing='ij')
    coords = torch.stack([xs, ys]).to(x.dtype).expand(b, -1, -1, -1)
    return torch.cat([x, coords], dim=1)


@MODELS.register_module()
class CascadedAlignmentNeck(BaseModule):
    """Projects three maps to ``channels`` on a common grid, aligns each with
    the text through a :class:`LightInteractor`, then concatenates and
    aggregates (1x1 conv, CoordConv 3x3, 3x3 conv; each conv + BN + ReLU).

    Maps 0 and 1 are projected by a conv with kernel = stride = ``strides[i]``,
    map 2 by a transposed conv with kernel = stride = ``strides[2]``:
    ``(1, 1, 1)`` for ViT (all 26x26 at 416), ``(2, 1, 2)`` for ResNets
    (52, 26, 13 -> 26).

    The text embeddings, projected to ``channels``, are the interactor's
    memory. With one sentence per image (ETRIS) that memory is a single
    token, so every pixel is gated by the sentence. With a vocabulary of K
    class embeddings it is K tokens: each pixel attends over the K classes
    (softmax across classes), and is gated by the class mixture it picks,
    so pixels are aligned with the classes they resemble.

    Args:
        in_channels (Sequence[int]): Channels of the three maps (the
            backbone's ``out_channels``).
        text_channels (int): Channels of the text embeddings (the
            backbone's ``text_channels``).
        channels (int): Output channels (512).
        strides (Sequence[int]): Projection strides per map.
        num_heads (int): Interactor heads (8).
        norm_cfg (dict): Norm config.
        init_cfg (dict, optional): mmengine init config.

    Shapes: :class:`BridgedFeatures` of three maps, text embeddings (B, Ct) or
    (B, K, Ct) -> :class:`BridgedFeatures` of one map (B, channels, h, w),
    with the same text.
    """

    def __init__(self, in_channels: Sequence[int], text_channels: int, channels: int = 512,
                 strides: Sequence[int] = (1, 1, 1), num_heads: int = 8,
                 norm_cfg: dict = dict(type='BN'), init_cfg=None):
        super().__init__(init_cfg)
        if len(in_channels) != 3 or len(strides) != 3:
            raise ValueError(f'CascadedAlignmentNeck takes 3 maps: got in_channels '
                             f'{tuple(in_channels)} and strides {tuple(strides)}')
        self.map_projs = nn.ModuleList(
            ConvNormAct(c, channels, s, s, transposed=index == 2, norm_cfg=norm_cfg)
            for index, (c, s) in enumerate(zip(in_channels, strides)))
        self.in_channels = tuple(in_channels)
        self.text_channels = text_channels
        self.out_channels = (channels, )
        self.sentence_proj = nn.Linear(text_channels, channels)
        self.interactors = nn.ModuleList(LightInteractor(channels, num_heads) for _ in range(3))
        self.aggregate = ConvNormAct(3 * channels, channels, 1, norm_cfg=norm_cfg)
        self.coord_conv = ConvNormAct(channels + 2, channels, 3, padding=1, norm_cfg=norm_cfg)
        self.out_conv = ConvNormAct(channels, channels, 3, padding=1, norm_cfg=norm_cfg)

    def forward(self, features: BridgedFeatures) -> BridgedFeatures:
        text = self.sentence_proj(features.text.embeddings)
        memory = text.unsqueeze(0) if text.dim() == 2 else text.transpose(0, 1)  # (K, B, C)
        aligned = []
        for feature, proj, interactor in zip(features, self.map_projs, self.interactors):
            x = proj(feature)
            b, c, h, w = x.shape
            x = interactor(x.flatten(2).permute(2, 0, 1).contiguous(), memory)
            aligned.append(x.permute(1, 2, 0).reshape(b, c, h, w))
        x = self.aggregate(torch.cat(aligned, dim=1))
        return features.with_maps([self.out_conv(self.coord_conv(add_coordinates(x)))])
