"""Image towers from transformers (CLIP, SigLIP, DINOv2, ViT) as staged encoders."""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import torch
from torch import nn
from transformers import (
    CLIPVisionModelWithProjection,
    Dinov2Model,
    Dinov2WithRegistersModel,
    SiglipVisionModel,
    ViTModel,
)

from mmris.registry import MODELS

from .hf_pretrained import two_tower_sub_configs
from .hf_staged_encoder import HFStagedEncoder
from .staged_encoder import VisionEncoder


@dataclass(frozen=True)
class VisionTowerLayout:
    """Where a transformers image model keeps the pieces the stages run.

    Attribute paths are relative to the model; empty means absent.
    """

    core: str  # the module holding embeddings and the encoder
    layers: str  # the ModuleList of blocks, relative to core
    final_norm: str  # relative to core
    pooling: str  # 'class_token' (normed, then projected), or the pooling module of core
    pre_norm: str = ''  # relative to core
    projection: str = ''  # relative to the model
    interpolate_kwarg: bool = True  # embeddings take interpolate_pos_encoding
    has_class_token: bool = True


LAYOUTS = {
    CLIPVisionModelWithProjection: VisionTowerLayout(
        core='vision_model', layers='encoder.layers', final_norm='post_layernorm',
        pooling='class_token', pre_norm='pre_layrnorm', projection='visual_projection'),
    SiglipVisionModel: VisionTowerLayout(
        core='', layers='encoder.layers', final_norm='post_layernorm', pooling='head',
        has_class_token=False),
    Dinov2Model: VisionTowerLayout(
        core='', layers='encoder.layer', final_norm='layernorm', pooling='class_token',
        interpolate_kwarg=False),
    Dinov2WithRegistersModel: VisionTowerLayout(
        core='', layers='encoder.layer', final_norm='layernorm', pooling='class_token',
        interpolate_kwarg=False),
    ViTModel: VisionTowerLayout(core='', layers='layers', final_norm='layernorm', pooling='pooler'),
}
#: Tower model types and the transformers class each is run as.
VISION_TOWERS = {
    'clip_vision_model': CLIPVisionModelWithProjection,
    'siglip_vision_model': SiglipVisionModel,
    'dinov2': Dinov2Model,
    'dinov2_with_registers': Dinov2WithRegistersModel,
    'vit': ViTModel,
}


#: Two-tower directories and how to take their image tower's config.
VISION_SUB_CONFIGS = two_tower_sub_configs('vision_config')


def _attribute(module: nn.Module, path: str) -> Optional[nn.Module]:
    return module.get_submodule(path) if path else None


@MODELS.register_module()
class HFVisionEncoder(HFStagedEncoder, VisionEncoder):
    """A transformers ViT-style image tower run in stages for the Bridger.

    Supported: CLIP (``clip`` or ``clip_vision_model``, run with its visual
    projection), SigLIP (``siglip``, ``siglip_vision_model``), DINOv2
    (``dinov2``, ``dinov2_with_registers``) and ViT (``vit``). The wrapper
    calls the model's own modules: embeddings (with the positional
    embedding interpolated to the input's patch grid, as transformers does
    with ``interpolate_pos_encoding``), the blocks of each stage, the final
    norm (and CLIP's projection). With no Bridger correction the output
    equals the model's forward.

    The patch grid is the input side over the model's own patch size (e.g.
    448 / 14 = 32 for DINOv2). Class and register tokens stay in the state
    and are never touched by the Bridger. The transformers model always runs
    in eval mode (see :class:`HFStagedEncoder`).

    Args:
        config (dict, optional): HF config fields with ``model_type``; the
            architecture when ``pretrained`` is None, else checked against it.
        pretrained (str, optional): Local HF model directory whose weights
            ``init_weights`` loads (a CLIP or SigLIP directory gives its
            image tower).
        num_stages (int): Stages the blocks are split into (3).
        fusion_layers (Sequence[int], optional): Last block (0-based) of
            each stage, e.g. ``(4, 8, 11)``; equal stages when None.
        init_cfg (dict, optional): mmengine init config.

    State: ``(tokens (B, P + H*W, C), (H, W))`` with ``P`` prefix (class and
    register) tokens. ``stage_features`` is the patch map (B, C, H, W);
    ``finalize`` gives the normed (and projected) patches (B, D, H, W) and
    ``pooled`` the model's pooled image embedding (B, D).
    """

    towers = VISION_TOWERS
    sub_configs = VISION_SUB_CONFIGS
    layouts = LAYOUTS

    def __init__(self, config: Optional[dict] = None, pretrained: Optional[str] = None,
                 num_stages: int = 3, fusion_layers: Optional[Sequence[int]] = None,
                 init_cfg=None):
        super().__init__(config, pretrained, num_stages, fusion_layers, init_cfg)
        self.patch_size = self.hf_config.patch_size
        self.num_prefix_tokens = (int(self.layout.has_class_token) +
                                  getattr(self.hf_config, 'num_register_tokens', 0))
        projection = _attribute(self.model, self.layout.projection)
        self.output_dim = projection.out_features if projection else self.hf_config.hidden_size

    def embed(self, images: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """``images`` (B, 3, H*p, W*p) -> state before stage 0."""
        grid = (images.shape[-2] // self.patch_size, images.shape[-1] // self.patch_size)
        kwargs = dict(interpolate_pos_encoding=True) if self.layout.interpolate_kwarg else {}
        tokens = self.core.embeddings(images, **kwargs)
        if self.layout.pre_norm:
            tokens = self.core.get_submodule(self.layout.pre_norm)(tokens)
        return tokens, grid

    def forward_stage(self, index: int, state):
        tokens, grid = state
        start, end = self.stages[index]
        for layer in self.layers[start:end]:
            tokens = layer(tokens, None)
        return tokens, grid

    def stage_features(self, state) -> torch.Tensor:
        tokens, (h, w) = state
        patches = tokens[:, self.num_prefix_tokens:]
        return patches.transpose(1, 2).reshape(tokens.shape[0], -1, h, w)

    def add_to_features(self, state, delta: torch.Tensor):
        tokens, grid = state
        prefix, patches = tokens[:, :self.num_prefix_tokens], tokens[:, self.num_prefix_tokens:]
        return torch.cat([prefix, patches + delta.flatten(2).transpose(1, 2)], dim=1), grid

    def pooled(self, state) -> torch.Tensor:
        """State -> (B, D): the model's own pooled image embedding (CLIP: the
        normed class token, projected; DINOv2: the normed class token;
        SigLIP: its attention-pooling head; ViT: its pooler).

        Raises NotImplementedError for a model built without that head."""
        tokens, _ = state
        tokens = self.core.get_submodule(self.layout.final_norm)(tokens)
        if self.layout.pooling == 'class_token':
            projection = _attribute(self.model, self.layout.projection)
            return tokens[:, 0] if projection is None else projection(tokens[:, 0])
        head = getattr(self.core, self.layout.pooling, None)
        if head is None:
            raise NotImplementedError(f'this {type(self.model).__name__} has no '
                                      f'{self.layout.pooling}, so no pooled image embedding')
        return head(tokens)

    def finalize(self, state) -> torch.Tensor:
        """State -> (B, output_dim, H, W)."""
        tokens, (h, w) = state
        patches = self.core.get_submodule(self.layout.final_norm)(tokens[:, self.num_prefix_tokens:])
        projection = _attribute(self.model, self.layout.projection)
        if projection is not None:
            patches = projection(patches)
        return patches.transpose(1, 2).reshape(tokens.shape[0], -1, h, w)
