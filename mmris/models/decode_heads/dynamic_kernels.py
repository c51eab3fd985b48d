"""ETRIS' projector, shared by its heads: text embeddings become the
convolution kernels that turn an upsampled visual map into mask logits."""
import torch
import torch.nn.functional as F
from torch import nn

from ..layers import ConvNormAct


def upsampling_projection(in_channels: int, channels: int, norm_cfg: dict) -> nn.Sequential:
    """ETRIS' visual projection to stride 4: bilinear x2, 3x3 conv, bilinear
    x2, 3x3 conv (each conv + norm + ReLU), then a 1x1 conv with bias.

    Shapes: (B, in_channels, h, w) -> (B, channels, 4h, 4w).
    """
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode='bilinear'),
        ConvNormAct(in_channels, in_channels, 3, padding=1, norm_cfg=norm_cfg),
        nn.Upsample(scale_factor=2, mode='bilinear'),
        ConvNormAct(in_channels, channels, 3, padding=1, norm_cfg=norm_cfg),
        nn.Conv2d(channels, channels, 1))


def dynamic_kernel_logits(x: torch.Tensor, params: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Convolve each image's map with the kernels its texts give.

    The convolutions of the reference's single grouped convolution (one
    group per image), run one image at a time: oneDNN runs groups of one
    output channel slowly on a CPU, and one by one they take 0.3-0.9x of
    its time, forward and backward (docs/performance.md).

    Args:
        x (Tensor): Visual maps (B, C, h, w).
        params (Tensor): Per text, a C x k x k kernel and a bias, flattened:
            (B, K, C * k * k + 1), or (B, C * k * k + 1) for one text per image.
        kernel_size (int): ``k`` (padding keeps the size).

    Returns:
        Tensor: Logits (B, K, h, w) (K = 1 for one text per image).
    """
    b, c = x.shape[:2]
    params = params.reshape(b, -1, params.shape[-1])
    weights = params[..., :-1].reshape(b, -1, c, kernel_size, kernel_size)
    return torch.cat([
        F.conv2d(x[i:i + 1], weights[i], bias=params[i, :, -1], padding=kernel_size // 2)
        for i in range(b)
    ])
