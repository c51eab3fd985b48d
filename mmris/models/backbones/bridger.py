"""The Bridger: light modules that let a frozen image and text encoder talk.

After each encoder stage, a :class:`BridgerStage` zooms the vision map into
a small ``d_model`` space on a common grid and projects the text sequence
to ``d_model``; from the second fused stage on it adds what the previous
fused stage fed its interactors and applies LayerNorm; it lets each
modality attend to the other (both directions from the same inputs), zooms
back out, and returns residual corrections for both encoders.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn

from mmris.registry import MODELS

from ..layers import ConvNormAct


class BridgerStage(nn.Module):
    """One stage of the Bridger.

    Args:
        vision_channels (int): Channels ``Cv`` of the vision map.
        text_channels (int): Channels ``Ct`` of the text sequence.
        d_model (int): Interaction channels ``d``.
        zoom_stride (int): Kernel and stride of the zoom convolutions.
        zoom_transposed (bool): Zoom in with a transposed conv (and out with
            a conv) instead of the reverse; the last stage does this.
        zoom_norm_cfg (dict, optional): Norm after each zoom conv (with ReLU);
            ``None`` for plain convs.
        interactor (dict): Interactor config; ``d_model`` is filled in.
        normalize_with_previous (bool): Add the previous fused stage's
            interactor inputs and apply LayerNorm before interacting.

    Shapes: vision (B, Cv, H, W), text (L, B * P, Ct) -> corrections of the
    same shapes, for ``P`` texts per image (text ``b * P + p`` belongs to image
    ``b``; ``P = 1`` for one expression per image). The interactors work on
    (h * w, B, d) and (L, B * P, d), where ``(h, w)`` is the zoomed grid: the
    vision tokens of an image attend to the words of all its P texts at once,
    and the words of each text attend to the vision tokens of its image.
    """

    def __init__(self, vision_channels: int, text_channels: int, d_model: int,
                 zoom_stride: int, zoom_transposed: bool, zoom_norm_cfg: Optional[dict],
                 interactor: dict, normalize_with_previous: bool):
        super().__init__()
        self.zoom_in = ConvNormAct(vision_channels, d_model, zoom_stride, zoom_stride,
                                   transposed=zoom_transposed, norm_cfg=zoom_norm_cfg)
        self.zoom_out = ConvNormAct(d_model, vision_channels, zoom_stride, zoom_stride,
                                    transposed=not zoom_transposed, norm_cfg=zoom_norm_cfg)
        self.text_in = nn.Linear(text_channels, d_model)
        self.text_out = nn.Linear(d_model, text_channels)
        self.vision_interactor = MODELS.build(dict(interactor, d_model=d_model))
        self.text_interactor = MODELS.build(dict(interactor, d_model=d_model))
        if normalize_with_previous:
            self.vision_norm = nn.LayerNorm(d_model)
            self.text_norm = nn.LayerNorm(d_model)
        self.normalize_with_previous = normalize_with_previous

    def forward(self, vision: torch.Tensor, text: torch.Tensor,
                previous: Optional[Tuple[torch.Tensor, torch.Tensor]],
                text_padding_mask: Optional[torch.Tensor] = None):
        """Returns ``(vision correction, text correction, interactor inputs)``;
        the last item is ``previous`` for the next fused stage.

        ``text_padding_mask`` (B * P, L), True at padding, keeps padded words
        out of the attention (the reference attends to them: ``None``).
        """
        v = self.zoom_in(vision)
        b, _, h, w = v.shape
        v = v.flatten(2).permute(2, 0, 1).contiguous()  # (h * w, B, d)
        t = self.text_in(text)  # (L, B * P, d)
        if self.normalize_with_previous:
            v = self.vision_norm(v + previous[0])
            t = self.text_norm(t + previous[1])
        texts_per_image = t.shape[1] // b
        words, words_mask, vision_memory = t, text_padding_mask, v
        if texts_per_image > 1:
            length, _, d = t.shape
            words = t.reshape(length, b, texts_per_image, d).permute(2, 0, 1, 3).reshape(-1, b, d)
            if text_padding_mask is not None:
                words_mask = text_padding_mask.reshape(b, -1)  # (B, P * L), as words
            vision_memory = v.repeat_interleave(texts_per_image, dim=1)  # (h * w, B * P, d)
        v_out = self.vision_interactor(v, words, memory_padding_mask=words_mask)
        t_out = self.text_interactor(t, vision_memory, query_padding_mask=text_padding_mask)
        v_out = self.zoom_out(v_out.permute(1, 2, 0).reshape(b, -1, h, w))
        return v_out, self.text_out(t_out), (v, t)


@MODELS.register_module()
class Bridger(BaseModule):
    """Bridger modules for the fused stages of a staged dual encoder.

    Reference settings: ViT-B/16 ``zoom_strides=(1, 1, 1)``,
    ``zoom_norm_cfg=dict(type='BN')``, ``LightInteractor`` with 8 heads;
    ResNets ``zoom_strides=(2, 1, 2)``, ``zoom_norm_cfg=None``,
    ``FullInteractor`` with 4 heads. Stages before the last use a conv to
    zoom in and a transposed conv to zoom out; the last stage the reverse.

    Args:
        vision_channels (Sequence[int]): Vision channels after each stage.
        text_channels (int): Text width.
        d_model (int): Interaction channels (64).
        zoom_strides (Sequence[int]): Zoom kernel/stride per stage.
        zoom_norm_cfg (dict, optional): Norm (+ ReLU) after zoom convs.
        interactor (dict): Interactor config (``LightInteractor`` or
            ``FullInteractor`` with their options).
        fusion_stages (Sequence[int]): Stages that fuse (all by default).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, vision_channels: Sequence[int], text_channels: int = 512,
                 d_model: int = 64, zoom_strides: Sequence[int] = (1, 1, 1),
                 zoom_norm_cfg: Optional[dict] = dict(type='BN'),
                 interactor: dict = dict(type='LightInteractor', num_heads=8),
                 fusion_stages: Optional[Sequence[int]] = None, init_cfg=None):
        super().__init__(init_cfg)
        num_stages = len(vision_channels)
        if len(zoom_strides) != num_stages:
            raise ValueError(f'zoom_strides {tuple(zoom_strides)} must give one stride per '
                             f'stage of vision_channels {tuple(vision_channels)}')
        fusion_stages = sorted(range(num_stages) if fusion_stages is None else fusion_stages)
        if not fusion_stages or not set(fusion_stages) <= set(range(num_stages)):
            raise ValueError(f'fusion_stages {fusion_stages} must be a non-empty subset of '
                             f'0..{num_stages - 1}')
        self.stages = nn.ModuleDict({
            str(stage): BridgerStage(
                vision_channels[stage], text_channels, d_model, zoom_strides[stage],
                zoom_transposed=stage == num_stages - 1, zoom_norm_cfg=zoom_norm_cfg,
                interactor=interactor, normalize_with_previous=position > 0)
            for position, stage in enumerate(fusion_stages)
        })

    def fuses(self, stage: int) -> bool:
        return str(stage) in self.stages

    def forward(self, stage: int, vision: torch.Tensor, text: torch.Tensor, previous=None,
                text_padding_mask: Optional[torch.Tensor] = None):
        """Corrections for ``stage``; see :meth:`BridgerStage.forward`."""
        return self.stages[str(stage)](vision, text, previous, text_padding_mask)

    def init_weights(self) -> None:
        """Linear N(0, 0.02) with zero bias; (transposed) convs Kaiming normal
        (fan_out, ReLU), as the reference (this includes the attention output
        projections)."""
        super().init_weights()
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.02)
                nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(module.weight, mode='fan_out', nonlinearity='relu')
