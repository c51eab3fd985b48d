"""Convolution (or transposed convolution) followed by optional norm and ReLU."""
from collections import OrderedDict
from typing import Optional

from mmcv.cnn import build_norm_layer
from torch import nn


class ConvNormAct(nn.Sequential):
    """``conv -> norm -> ReLU`` with PyTorch's default initialisation.

    Unlike mmcv's ``ConvModule`` this does not re-initialise the convolution,
    so a module keeps the initialisation the reference gives it. The
    convolution never has a bias (none of ETRIS' do).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Kernel size.
        stride (int): Stride.
        padding (int): Zero padding.
        transposed (bool): Use ``nn.ConvTranspose2d``.
        norm_cfg (dict, optional): Norm layer config (e.g. ``dict(type='BN')``);
            ``None`` means a plain conv with no norm and no activation.

    Shapes: ``(B, in_channels, H, W) -> (B, out_channels, H', W')``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1,
                 stride: int = 1, padding: int = 0, transposed: bool = False,
                 norm_cfg: Optional[dict] = dict(type='BN')):
        conv_type = nn.ConvTranspose2d if transposed else nn.Conv2d
        layers = OrderedDict(conv=conv_type(
            in_channels, out_channels, kernel_size, stride, padding, bias=False))
        if norm_cfg is not None:
            layers['bn'] = build_norm_layer(norm_cfg, out_channels)[1]
            layers['activate'] = nn.ReLU(inplace=True)
        super().__init__(layers)
