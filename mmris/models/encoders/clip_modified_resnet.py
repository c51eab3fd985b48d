"""CLIP's ModifiedResNet as a staged encoder, with ETRIS' spatial attention pool."""
from collections import OrderedDict
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from mmris.registry import MODELS

from ..layers import scaled_dot_product
from .clip_vision_transformer import resize_patch_positions
from .staged_encoder import VisionEncoder


class Bottleneck(nn.Module):
    """CLIP's bottleneck: strided blocks average-pool before ``conv3`` and in
    the shortcut instead of striding a convolution (anti-aliasing).

    Shapes: (B, inplanes, H, W) -> (B, planes * 4, H / stride, W / stride).
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride > 1 or inplanes != planes * self.expansion:
            self.downsample = nn.Sequential(OrderedDict([
                ('-1', nn.AvgPool2d(stride)),
                ('0', nn.Conv2d(inplanes, planes * self.expansion, 1, bias=False)),
                ('1', nn.BatchNorm2d(planes * self.expansion)),
            ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(self.avgpool(out)))
        return self.relu(out + identity)


class SpatialAttentionPool(nn.Module):
    """OpenAI's attention pool changed by ETRIS to keep the spatial map.

    Every position attends to every position (OpenAI's q/k/v/c projections,
    positional embedding without its class row, resized bicubically to the
    input grid on every call), then a ``connect`` branch (1x1 conv + BN, not
    part of OpenAI's weights) is added and ReLU applied.

    Shapes: (B, embed_dim, H, W) -> (B, output_dim, H, W). :meth:`pooled`
    gives OpenAI's pooled vector instead.
    """

    def __init__(self, spatial_dim: int, embed_dim: int, num_heads: int, output_dim: int):
        super().__init__()
        self.spatial_dim = spatial_dim
        self.positional_embedding = nn.Parameter(
            torch.randn(spatial_dim ** 2 + 1, embed_dim) / embed_dim ** 0.5)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.c_proj = nn.Linear(embed_dim, output_dim)
        self.num_heads = num_heads
        self.connect = nn.Sequential(
            nn.Conv2d(embed_dim, output_dim, 1, bias=False), nn.BatchNorm2d(output_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        shortcut = self.connect(x)
        side = self.spatial_dim
        pos = self.positional_embedding[1:].reshape(1, side, side, c).permute(0, 3, 1, 2)
        pos = F.interpolate(pos, size=(h, w), mode='bicubic', align_corners=False)
        # contiguous: a permuted input makes the projections a slow batched matmul
        x = (x + pos.to(x.dtype)).flatten(2).permute(2, 0, 1).contiguous()  # (H*W, B, C)
        x = self._attend(x, x).permute(1, 2, 0).reshape(b, -1, h, w)
        return F.relu(x + shortcut, inplace=True)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """OpenAI's original attention pool: (B, embed_dim, H, W) ->
        (B, output_dim), the output for the mean-token query.

        The mean of the H*W positions is prepended as a token, the
        positional embedding (class row first; patch rows resized to the grid)
        is added, and that token attends over all 1 + H*W tokens.
        """
        tokens = x.flatten(2).permute(2, 0, 1)  # (H*W, B, C)
        tokens = torch.cat([tokens.mean(0, keepdim=True), tokens])
        pos = resize_patch_positions(self.positional_embedding, tuple(x.shape[-2:]))
        tokens = tokens + pos[:, None].to(x.dtype)
        return self._attend(tokens[:1], tokens)[0]

    def _attend(self, query: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Multi-head attention of ``query`` (Q, B, C) over ``tokens``
        (N, B, C) with OpenAI's q/k/v/c projections -> (Q, B, output_dim)."""
        out = scaled_dot_product(self.q_proj(query), self.k_proj(tokens), self.v_proj(tokens),
                                 self.num_heads)
        return self.c_proj(out)


@MODELS.register_module()
class CLIPModifiedResNet(VisionEncoder):
    """OpenAI CLIP ModifiedResNet (RN50: ``layers=(3, 4, 6, 3)``, RN101:
    ``(3, 4, 23, 3)``) run as stem + ``layer1`` (``embed``), then ``layer2``,
    ``layer3``, ``layer4`` as the three stages, then the spatial attention
    pool (``finalize``); ``pooled`` is OpenAI's attention-pool output instead
    (the mean-token query's, without ``connect``).

    Args:
        layers (Sequence[int]): Bottleneck blocks of layer1..layer4.
        output_dim (int): Channels of the attention pool output (1024 RN50,
            512 RN101).
        heads (int): Attention pool heads (``width * 32 // 64``).
        pretrain_size (int): Image side the released positional embedding was
            made for (224: a 7 x 7 grid); it is resized on every call.
        width (int): Stem width (64).
        channels_last (bool): Run the convolutions in channels-last memory
            format (weights and activations; outputs are the same tensors in
            another layout).
        init_cfg (dict, optional): mmengine init config.

    Shapes at 416: stage features (B, 512, 52, 52), (B, 1024, 26, 26),
    (B, 2048, 13, 13) for width 64; ``finalize`` gives (B, output_dim, 13, 13).
    """

    keys_not_in_openai_weights = ('attnpool.connect.', )

    def __init__(self, layers: Sequence[int] = (3, 4, 6, 3), output_dim: int = 1024,
                 heads: int = 32, pretrain_size: int = 224, width: int = 64,
                 channels_last: bool = False, init_cfg=None):
        super().__init__(init_cfg)
        self.conv1 = nn.Conv2d(3, width // 2, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width // 2)
        self.conv2 = nn.Conv2d(width // 2, width // 2, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width // 2)
        self.conv3 = nn.Conv2d(width // 2, width, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)
        self.avgpool = nn.AvgPool2d(2)
        self.relu = nn.ReLU(inplace=True)
        inplanes = width
        for index, blocks in enumerate(layers):
            planes = width * 2 ** index
            stride = 1 if index == 0 else 2
            layer = [Bottleneck(inplanes, planes, stride)]
            inplanes = planes * Bottleneck.expansion
            layer += [Bottleneck(inplanes, planes) for _ in range(1, blocks)]
            self.add_module(f'layer{index + 1}', nn.Sequential(*layer))
        self.attnpool = SpatialAttentionPool(pretrain_size // 32, width * 32, heads, output_dim)
        self.num_stages = 3
        self.stage_channels = (width * 8, width * 16, width * 32)
        self.output_dim = output_dim
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    @property
    def embed_channels(self) -> int:
        """``layer1`` output channels, half of ``layer2``'s."""
        return self.stage_channels[0] // 2

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> ``layer1`` output (B, width * 4, H / 4, W / 4)."""
        x = images.contiguous(memory_format=torch.channels_last) if self.channels_last else images
        for conv, bn in ((self.conv1, self.bn1), (self.conv2, self.bn2), (self.conv3, self.bn3)):
            x = self.relu(bn(conv(x)))
        return self.layer1(self.avgpool(x))

    def forward_stage(self, index: int, state: torch.Tensor) -> torch.Tensor:
        return getattr(self, f'layer{index + 2}')(state)

    def stage_features(self, state: torch.Tensor) -> torch.Tensor:
        # contiguous: channels-last maps would give the 1x1 convs of the
        # Bridger and the neck channels-last weight gradients, which DDP copies
        return state.contiguous()

    def add_to_features(self, state: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        return state + delta

    def finalize(self, state: torch.Tensor) -> torch.Tensor:
        """``layer4`` output -> (B, output_dim, H / 32, W / 32), contiguous."""
        return self.attnpool(state).contiguous()

    def pooled(self, state: torch.Tensor) -> torch.Tensor:
        """``layer4`` output -> (B, output_dim): OpenAI's image feature."""
        return self.attnpool.pooled(state)
