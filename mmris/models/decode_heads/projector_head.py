"""ETRIS' mask head: global alignment decoder, then a text-conditioned projector."""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmris.registry import MODELS

from ..utils import BridgedFeatures, expect_features
from .dynamic_kernels import dynamic_kernel_logits, upsampling_projection


@MODELS.register_module()
class ProjectorHead(BaseModule):
    """Decoder + dynamic-kernel projector + binary mask loss.

    The decoder refines the neck map with the words. The projector upsamples
    it x4 (bilinear x2, 3x3 conv, bilinear x2, 3x3 conv, 1x1 conv) and the
    sentence feature is turned into one 3x3 kernel and a bias per sample,
    convolved with that sample's map to give stride-4 mask logits.

    Args:
        decoder (dict): Decoder config (``GlobalAlignmentDecoder``); its
            ``d_model`` defaults to ``in_channels``.
        sentence_channels (int, optional): Sentence feature channels;
            ``None``: from the neck built before.
        in_channels (int, optional): Channels of the neck's map (512);
            ``None``: from the neck built before.
        channels (int): Projector channels (256).
        kernel_size (int): Dynamic kernel size (3).
        norm_cfg (dict): Norm config of the projector convs.
        loss_decode (dict): Loss on the logits and the GT mask resized to the
            logits with nearest interpolation (BCE with logits by default).
        init_cfg (dict, optional): mmengine init config.

    Shapes: :class:`BridgedFeatures` of one map (B, in_channels, h, w) with
    words (B, L, C), padding mask (B, L) and sentence (B, Cs) -> logits
    (B, 1, 4h, 4w).
    """

    def __init__(self, decoder: dict, sentence_channels: Optional[int] = None,
                 in_channels: Optional[int] = None,
                 channels: int = 256, kernel_size: int = 3, norm_cfg: dict = dict(type='BN'),
                 loss_decode: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                          loss_name='loss_mask'),
                 init_cfg=None):
        super().__init__(init_cfg)
        if in_channels is None or sentence_channels is None:
            spec = expect_features(type(self).__name__)
            in_channels = in_channels or spec.out_channels[0]
            sentence_channels = sentence_channels or spec.text_channels
        self.decoder = MODELS.build(dict(dict(d_model=in_channels), **decoder))
        self.vision_proj = upsampling_projection(in_channels, channels, norm_cfg)
        self.text_proj = nn.Linear(sentence_channels, channels * kernel_size ** 2 + 1)
        self.channels = channels
        self.kernel_size = kernel_size
        self.loss_decode = MODELS.build(loss_decode)

    def forward(self, features: BridgedFeatures) -> torch.Tensor:
        text = features.text
        x = self.vision_proj(self.decoder(features[0], text.words, text.padding_mask))
        return dynamic_kernel_logits(x, self.text_proj(text.embeddings), self.kernel_size)

    def loss_by_feat(self, logits: torch.Tensor, gt_masks: List[torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``logits`` (B, 1, h, w); ``gt_masks`` (1, H, W) each, values in [0, 1]."""
        target = torch.stack(gt_masks).to(logits.dtype)
        if target.shape[-2:] != logits.shape[-2:]:
            target = F.interpolate(target, logits.shape[-2:], mode='nearest')
        return {self.loss_decode.loss_name: self.loss_decode(logits, target.squeeze(1))}
