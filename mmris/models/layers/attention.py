"""Multi-head attention on ``F.scaled_dot_product_attention``.

:class:`MultiheadAttention` computes what ``nn.MultiheadAttention`` computes
for (N, B, C) sequences and holds the same parameters under the same names
(``in_proj_weight``, ``in_proj_bias``, ``out_proj.weight``,
``out_proj.bias``, OpenAI's CLIP layout), so released and converted weights
load unchanged; it skips that module's generic checks and copies and calls
the fused attention kernel directly, with a causal flag instead of a
materialised causal mask. For bf16 inference on the CPU it runs attention
through oneDNN Graph instead (:mod:`.onednn_attention`).
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .onednn_attention import fused_attention, fused_attention_applies


def attention_mask(key_padding_mask: Optional[torch.Tensor],
                   attn_mask: Optional[torch.Tensor], dtype: torch.dtype
                   ) -> Optional[torch.Tensor]:
    """One additive mask for ``F.scaled_dot_product_attention``.

    ``key_padding_mask`` (B, S) bool, True where a key is ignored;
    ``attn_mask`` (L, S), additive float or bool with True where attention
    is not allowed (``nn.MultiheadAttention``'s conventions). Returns
    (B, 1, L or 1, S), (L, S) or None.
    """
    masks = []
    for mask in (attn_mask, key_padding_mask):
        if mask is None:
            continue
        if mask.dtype == torch.bool:
            mask = torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill_(
                mask, float('-inf'))
        masks.append(mask.to(dtype))
    if len(masks) == 2:
        return masks[0] + masks[1][:, None, None, :]
    if key_padding_mask is not None:
        return masks[0][:, None, None, :]
    return masks[0] if masks else None


def scaled_dot_product(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                       num_heads: int, key_padding_mask: Optional[torch.Tensor] = None,
                       attn_mask: Optional[torch.Tensor] = None, is_causal: bool = False,
                       dropout_p: float = 0.) -> torch.Tensor:
    """Multi-head attention of projected sequences.

    ``query`` (L, B, C), ``key`` and ``value`` (S, B, C), already projected;
    masks as :func:`attention_mask` takes them; ``is_causal`` lets query
    ``i`` attend to keys ``0..i`` only (L == S). Dropout ``dropout_p`` is on
    the attention weights. Returns (L, B, C), heads concatenated, before the
    output projection.
    """
    length, batch, channels = query.shape
    head_dim = channels // num_heads

    def split_heads(x: torch.Tensor) -> torch.Tensor:  # (N, B, C) -> (B, H, N, d)
        return x.reshape(x.shape[0], batch, num_heads, head_dim).permute(1, 2, 0, 3)

    mask = attention_mask(key_padding_mask, attn_mask, query.dtype)
    if is_causal and mask is not None:
        causal = torch.ones(length, key.shape[0], dtype=torch.bool, device=query.device).triu_(1)
        mask = mask.masked_fill(causal, float('-inf'))
        is_causal = False
    heads = split_heads(query), split_heads(key), split_heads(value)
    if fused_attention_applies(*heads, mask, dropout_p, is_causal):
        out = fused_attention(*heads)
    else:
        out = F.scaled_dot_product_attention(*heads, attn_mask=mask, dropout_p=dropout_p,
                                             is_causal=is_causal)
    return out.permute(2, 0, 1, 3).reshape(length, batch, channels)


class MultiheadAttention(nn.Module):
    """``nn.MultiheadAttention`` (sequence-first, ``need_weights=False``) on
    the fused attention kernel.

    Same parameters, names and initialisation (drawn in the same order, so a
    seeded model is the same), same masks and dropout on the attention
    weights in training; :meth:`forward` returns the output only.

    Args:
        embed_dim (int): Channels ``C``.
        num_heads (int): Heads (``C`` must divide by it).
        dropout (float): Dropout on the attention weights in training.

    Shapes: query (L, B, C), key and value (S, B, C) -> (L, B, C).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f'embed_dim {embed_dim} is not divisible by num_heads {num_heads}')
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.in_proj_bias)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: Optional[torch.Tensor] = None,
                attn_mask: Optional[torch.Tensor] = None, is_causal: bool = False
                ) -> torch.Tensor:
        """See :func:`scaled_dot_product` for the masks."""
        q, k, v = self.project(query, key, value)
        out = scaled_dot_product(q, k, v, self.num_heads, key_padding_mask, attn_mask, is_causal,
                                 self.dropout if self.training else 0.)
        return self.out_proj(out)

    def project(self, query: torch.Tensor, key: torch.Tensor,
                value: torch.Tensor) -> Sequence[torch.Tensor]:
        """The q, k and v input projections; inputs that are the same tensor
        share one matrix product."""
        weight, bias = self.in_proj_weight, self.in_proj_bias
        inputs = (query, key, value)
        projected = []
        start = 0
        while start < 3:
            end = start + 1
            while end < 3 and inputs[end] is inputs[start]:
                end += 1
            rows = slice(start * self.embed_dim, end * self.embed_dim)
            projected += F.linear(inputs[start], weight[rows], bias[rows]).chunk(end - start, -1)
            start = end
        return projected

