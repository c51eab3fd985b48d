"""Cross-modal interactors: a query sequence attends to a memory sequence.

All sequences are (N, B, C), as ``nn.MultiheadAttention`` takes them.
"""
from typing import Optional

import torch
from torch import nn

from mmris.registry import MODELS

from .attention import MultiheadAttention


@MODELS.register_module()
class LightInteractor(nn.Module):
    """One cross-attention whose output gates the query: ``q * attn(q, m, m)``.

    Used by the ViT Bridger and the cascaded alignment neck.

    Args:
        d_model (int): Channels ``C``.
        num_heads (int): Attention heads.
        dropout (float): Attention dropout.
    """

    def __init__(self, d_model: int, num_heads: int = 8, dropout: float = 0.):
        super().__init__()
        self.cross_attn = MultiheadAttention(d_model, num_heads, dropout=dropout)

    def forward(self, query: torch.Tensor, memory: torch.Tensor,
                memory_padding_mask: Optional[torch.Tensor] = None,
                query_padding_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(Nq, B, C), (Nm, B, C), optional (B, Nm) bool -> (Nq, B, C).

        Each query token is gated on its own, so ``query_padding_mask`` (B, Nq)
        changes nothing and is accepted for a common interface."""
        attended = self.cross_attn(query, memory, memory, key_padding_mask=memory_padding_mask)
        return query * attended


@MODELS.register_module()
class FullInteractor(nn.Module):
    """Post-norm transformer decoder layer: self-attention, cross-attention
    and FFN, each followed by residual add and LayerNorm (ResNet Bridger).

    Args:
        d_model (int): Channels ``C``.
        num_heads (int): Attention heads.
        ffn_channels (int): FFN hidden channels.
        dropout (float): Dropout in attention, FFN and residual branches.
    """

    def __init__(self, d_model: int, num_heads: int = 8, ffn_channels: int = 128,
                 dropout: float = 0.1):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, num_heads, dropout=dropout)
        self.cross_attn = MultiheadAttention(d_model, num_heads, dropout=dropout)
        self.linear1 = nn.Linear(d_model, ffn_channels)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(ffn_channels, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(self, query: torch.Tensor, memory: torch.Tensor,
                memory_padding_mask: Optional[torch.Tensor] = None,
                query_padding_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(Nq, B, C), (Nm, B, C), optional (B, Nm) and (B, Nq) bool ->
        (Nq, B, C); padded queries are not attended to in self-attention."""
        x = query
        attended = self.self_attn(x, x, x, key_padding_mask=query_padding_mask)
        x = self.norm1(x + self.dropout1(attended))
        attended = self.cross_attn(x, memory, memory, key_padding_mask=memory_padding_mask)
        x = self.norm2(x + self.dropout2(attended))
        ffn = self.linear2(self.dropout(torch.relu(self.linear1(x))))
        return self.norm3(x + self.dropout3(ffn))
