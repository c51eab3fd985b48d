"""ETRIS' global alignment decoder: visual tokens attend to the words."""
import math

import torch
from mmengine.model import BaseModule
from torch import nn

from mmris.registry import MODELS

from .attention import MultiheadAttention


def sine_positions_1d(channels: int, length: int) -> torch.Tensor:
    """Fixed sine/cosine encoding of ``length`` positions: (length, 1, channels).

    Even channels hold ``sin(p / 10000^(2i/C))``, odd channels ``cos``.
    """
    if channels % 2:
        raise ValueError(f'1-D sine positions need an even channel count, got {channels}')
    position = torch.arange(length, dtype=torch.float).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, channels, 2, dtype=torch.float) * -(math.log(10000.0) / channels))
    encoding = torch.zeros(length, channels)
    encoding[:, 0::2] = torch.sin(position * frequency)
    encoding[:, 1::2] = torch.cos(position * frequency)
    return encoding.unsqueeze(1)


def sine_positions_2d(channels: int, height: int, width: int) -> torch.Tensor:
    """Fixed 2-D sine encoding: the first half of the channels encodes x (sin
    on even, cos on odd), the second half y. Returns (height * width, 1, channels),
    positions in row-major order."""
    if channels % 4:
        raise ValueError(f'2-D sine positions need a channel count divisible by 4, got {channels}')
    half = channels // 2
    frequency = torch.exp(torch.arange(0., half, 2) * -(math.log(10000.0) / half))
    x = torch.arange(0., width).unsqueeze(1) * frequency  # (W, half / 2)
    y = torch.arange(0., height).unsqueeze(1) * frequency  # (H, half / 2)
    encoding = torch.zeros(channels, height, width)
    encoding[0:half:2] = torch.sin(x).T.unsqueeze(1).expand(-1, height, -1)
    encoding[1:half:2] = torch.cos(x).T.unsqueeze(1).expand(-1, height, -1)
    encoding[half::2] = torch.sin(y).T.unsqueeze(2).expand(-1, -1, width)
    encoding[half + 1::2] = torch.cos(y).T.unsqueeze(2).expand(-1, -1, width)
    return encoding.flatten(1).T.unsqueeze(1)


class GlobalAlignmentLayer(nn.Module):
    """Pre-norm layer with an extra LayerNorm on each attention output:
    self-attention (positions on q, k), cross-attention to the words
    (positions on q, k; padding masked), FFN
    (Linear, ReLU, Dropout, LayerNorm, Linear); each added residually.

    Args:
        d_model (int): Channels.
        num_heads (int): Attention heads.
        ffn_channels (int): FFN hidden channels.
        dropout (float): Dropout.
    """

    def __init__(self, d_model: int = 512, num_heads: int = 8, ffn_channels: int = 512,
                 dropout: float = 0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.self_attn = MultiheadAttention(d_model, num_heads, dropout=dropout)
        self.self_attn_norm = nn.LayerNorm(d_model)
        self.cross_attn = MultiheadAttention(d_model, num_heads, dropout=dropout)
        self.cross_attn_norm = nn.LayerNorm(d_model)
        self.ffn = nn.Sequential(
            nn.Linear(d_model, ffn_channels), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.LayerNorm(ffn_channels), nn.Linear(ffn_channels, d_model))
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(self, vis: torch.Tensor, words: torch.Tensor, vis_pos: torch.Tensor,
                word_pos, padding_mask) -> torch.Tensor:
        """vis (N, B, C), words (L, B, C), vis_pos (N, 1, C), word_pos (L, 1, C)
        or 0, padding_mask (B, L) or None -> (N, B, C)."""
        x = self.norm1(vis)
        q = x + vis_pos
        x = self.self_attn(q, q, x)
        vis = vis + self.dropout1(self.self_attn_norm(x))
        x = self.norm2(vis)
        x = self.cross_attn(x + vis_pos, words + word_pos, words, key_padding_mask=padding_mask)
        vis = vis + self.dropout2(self.cross_attn_norm(x))
        return vis + self.dropout3(self.ffn(self.norm3(vis)))


@MODELS.register_module()
class GlobalAlignmentDecoder(BaseModule):
    """``num_layers`` :class:`GlobalAlignmentLayer` and a final LayerNorm.

    Args:
        num_layers (int): Layers (3).
        d_model (int): Channels (512).
        num_heads (int): Heads (8).
        ffn_channels (int): FFN hidden channels (512).
        dropout (float): Dropout (0.1).
        word_positions (bool): Add 1-D sine positions to the words (ETRIS);
            ``False`` for texts without an order, such as class embeddings.
        init_cfg (dict, optional): mmengine init config.

    Shapes: map (B, C, H, W), words (B, L, C), padding mask (B, L) or None
    -> (B, C, H, W).
    """

    def __init__(self, num_layers: int = 3, d_model: int = 512, num_heads: int = 8,
                 ffn_channels: int = 512, dropout: float = 0.1, word_positions: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.word_positions = word_positions
        self.layers = nn.ModuleList(
            GlobalAlignmentLayer(d_model, num_heads, ffn_channels, dropout) for _ in range(num_layers))
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor, words: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        vis_pos = sine_positions_2d(c, h, w).to(x)
        word_pos = 0.
        if self.word_positions:
            word_pos = sine_positions_1d(words.shape[-1], words.shape[1]).to(x)
        vis = x.flatten(2).permute(2, 0, 1).contiguous()
        words = words.transpose(0, 1).contiguous()
        for layer in self.layers:
            vis = layer(vis, words, vis_pos, word_pos, padding_mask)
        return self.norm(vis).permute(1, 2, 0).reshape(b, c, h, w)
