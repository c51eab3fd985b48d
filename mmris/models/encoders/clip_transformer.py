"""The residual attention transformer of OpenAI's CLIP (both towers use it).

Parameter names follow OpenAI's release (``resblocks.N.attn``, ``ln_1``,
``mlp.c_fc``, ``mlp.c_proj``, ``ln_2``), so OpenAI state dicts load as they are.
"""
from collections import OrderedDict

import torch
from torch import nn

from ..layers import MultiheadAttention


class QuickGELU(nn.Module):
    """``x * sigmoid(1.702 x)``, the GELU approximation CLIP was trained with."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    """Pre-LN block: ``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))``.

    Args:
        width (int): Channels ``C``.
        heads (int): Attention heads.
    """

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.attn = MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict(
            c_fc=nn.Linear(width, width * 4), gelu=QuickGELU(),
            c_proj=nn.Linear(width * 4, width)))
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor, causal: bool = False) -> torch.Tensor:
        """``x``: (N, B, C); ``causal``: token ``i`` attends to tokens
        ``0..i`` only (CLIP's text mask). Returns (N, B, C)."""
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, is_causal=causal)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    """A stack of :class:`ResidualAttentionBlock` (``resblocks.0`` ...).

    Args:
        width (int): Channels.
        layers (int): Number of blocks.
        heads (int): Attention heads.
    """

    def __init__(self, width: int, layers: int, heads: int):
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.Sequential(
            *[ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward_blocks(self, x: torch.Tensor, start: int, end: int,
                       causal: bool = False) -> torch.Tensor:
        """Run blocks ``start .. end - 1`` on ``x`` (N, B, C), with causal
        attention if ``causal``."""
        for block in self.resblocks[start:end]:
            x = block(x, causal)
        return x

