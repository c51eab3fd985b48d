"""CLIP's vision transformer as a staged encoder (OpenAI key layout)."""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from mmris.registry import MODELS

from .clip_transformer import Transformer
from .staged_encoder import VisionEncoder, split_into_stages


def resize_patch_positions(pos_embed: torch.Tensor, grid: Tuple[int, int]) -> torch.Tensor:
    """Bicubically resize the patch rows of a ViT positional embedding.

    ``pos_embed`` is (1 + G*G, C) with the class row first and a square
    G x G grid after it; returns (1 + H*W, C) for ``grid = (H, W)``, class row
    unchanged. Interpolation runs in ``pos_embed``'s dtype, as the reference.
    """
    num_patches = pos_embed.shape[0] - 1
    side = math.isqrt(num_patches)
    if side * side != num_patches:
        raise ValueError(f'positional embedding with {num_patches} patch rows is not a square grid')
    patches = pos_embed[1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
    patches = F.interpolate(patches, size=grid, mode='bicubic', align_corners=False)
    patches = patches.permute(0, 2, 3, 1).reshape(grid[0] * grid[1], -1)
    return torch.cat([pos_embed[:1], patches])


@MODELS.register_module()
class CLIPVisionTransformer(VisionEncoder):
    """OpenAI CLIP ViT, run in ``num_stages`` groups of blocks.

    The positional embedding is sized for ``input_size`` (26 x 26 patches for
    ViT-B/16 at 416); released weights for another grid are resized once
    when loaded (bicubic, class row kept). An input of another size resizes it
    on the fly.

    Args:
        input_size (int): Training image side (416).
        patch_size (int): Patch side (16).
        width (int): Token channels (768 for ViT-B).
        layers (int): Blocks (12).
        heads (int): Attention heads (12).
        output_dim (int): Channels after ``proj`` (512).
        num_stages (int): Stages the blocks are split into (3).
        fusion_layers (Sequence[int], optional): Last block (0-based) of
            each stage, e.g. ``(3, 7, 11)``; equal stages when None.
        init_cfg (dict, optional): mmengine init config.

    State: ``(tokens (1 + H*W, B, width), (H, W))``. ``stage_features`` is the
    patch map (B, width, H, W) (class token excluded); ``finalize`` returns
    ``ln_post(patches) @ proj`` as (B, output_dim, H, W) and ``pooled``
    OpenAI's image feature ``ln_post(class token) @ proj`` (B, output_dim).
    """

    def __init__(self, input_size: int = 224, patch_size: int = 16, width: int = 768,
                 layers: int = 12, heads: int = 12, output_dim: int = 512,
                 num_stages: int = 3, fusion_layers: Optional[Sequence[int]] = None,
                 init_cfg=None):
        super().__init__(init_cfg)
        grid = input_size // patch_size
        scale = width ** -0.5
        self.conv1 = nn.Conv2d(3, width, patch_size, stride=patch_size, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(grid * grid + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))
        self.stages = split_into_stages(layers, num_stages, fusion_layers)
        self.num_stages = num_stages
        self.stage_channels = (width, ) * num_stages
        self.output_dim = output_dim

    def embed(self, images: torch.Tensor):
        """``images`` (B, 3, H*p, W*p) -> state after ``ln_pre``."""
        x = self.conv1(images)
        grid = tuple(x.shape[-2:])
        x = x.flatten(2).transpose(1, 2)  # (B, H*W, C)
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1)
        pos = self.positional_embedding
        if pos.shape[0] != x.shape[1]:
            pos = resize_patch_positions(pos, grid)
        x = self.ln_pre(x + pos.to(x.dtype))
        return x.transpose(0, 1), grid

    def forward_stage(self, index: int, state):
        tokens, grid = state
        start, end = self.stages[index]
        return self.transformer.forward_blocks(tokens, start, end), grid

    def stage_features(self, state) -> torch.Tensor:
        tokens, (h, w) = state
        # contiguous: a channels-last-strided map would give the 1x1 convs
        # after it channels-last weight gradients, which DDP copies each step
        return tokens[1:].permute(1, 2, 0).reshape(tokens.shape[1], -1, h, w).contiguous()

    def add_to_features(self, state, delta: torch.Tensor):
        tokens, grid = state
        delta = delta.flatten(2).permute(2, 0, 1)  # (H*W, B, C)
        return torch.cat([tokens[:1], tokens[1:] + delta]), grid

    def finalize(self, state) -> torch.Tensor:
        """State -> (B, output_dim, H, W)."""
        tokens, (h, w) = state
        patches = self.ln_post(tokens[1:].transpose(0, 1)) @ self.proj  # (B, H*W, D)
        return patches.transpose(1, 2).reshape(patches.shape[0], -1, h, w).contiguous()

    def pooled(self, state) -> torch.Tensor:
        """State -> (B, output_dim): the class token after ``ln_post`` and ``proj``."""
        tokens, _ = state
        return self.ln_post(tokens[0]) @ self.proj

    def adapt_openai_state_dict(self, state_dict):
        pos = state_dict.get('positional_embedding')
        rows = self.positional_embedding.shape[0]
        if pos is not None and pos.shape[0] != rows and pos.shape[1:] == self.positional_embedding.shape[1:]:
            side = math.isqrt(rows - 1)
            state_dict['positional_embedding'] = resize_patch_positions(pos, (side, side))
        return state_dict
