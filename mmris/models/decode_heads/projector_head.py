"""ETRIS' mask head: global alignment decoder, then a text-conditioned projector."""
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmris.registry import MODELS
from ..utils import ConvNormAct


@MODELS.register_module()
class ProjectorHead(BaseModule):
    """Decoder + dynamic-kernel projector + binary mask loss.

    The decoder refines the neck map with the words. The projector upsamples
    it x4 (bilinear x2, 3x3 conv, bilinear x2, 3x3 conv, 1x1 conv) and the
    sentence feature is turned into one 3x3 kernel and a bias per sample,
    convolved with that sample's map to give stride-4 mask logits.

    Args:
        decoder (dict): Decoder config (``GlobalAlignmentDecoder``).
        sentence_channels (int): Sentence feature channels.
        in_channels (int): Channels of the decoder output (512).
        channels (int): Projector channels (256).
        kernel_size (int): Dynamic kernel size (3).
        norm_cfg (dict): Norm config of the projector convs.
        loss_decode (dict): Loss on the logits and the GT mask resized to the
            logits with nearest interpolation (BCE with logits by default).
        init_cfg (dict, optional): mmengine init config.

    Shapes: map (B, in_channels, h, w), words (B, L, C), padding mask (B, L),
    sentence (B, Cs) -> logits (B, 1, 4h, 4w).
    """

    def __init__(self, decoder: dict, sentence_channels: int, in_channels: int = 512,
                 channels: int = 256, kernel_size: int = 3, norm_cfg: dict = dict(type='BN'),
                 loss_decode: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                          loss_name='loss_mask'),
                 init_cfg=None):
        super().__init__(init_cfg)
        self.decoder = MODELS.build(decoder)
        self.vision_proj = nn.Sequential(
            nn.Upsample(scale_factor=2, mode='bilinear'),
            ConvNormAct(in_channels, in_channels, 3, padding=1, norm_cfg=norm_cfg),
            nn.Upsample(scale_factor=2, mode='bilinear'),
            ConvNormAct(in_channels, channels, 3, padding=1, norm_cfg=norm_cfg),
            nn.Conv2d(channels, channels, 1))
        self.text_proj = nn.Linear(sentence_channels, channels * kernel_size ** 2 + 1)
        self.channels = channels
        self.kernel_size = kernel_size
        self.loss_decode = MODELS.build(loss_decode)

    def forward(self, x: torch.Tensor, words: torch.Tensor, padding_mask: torch.Tensor,
                sentence: torch.Tensor) -> torch.Tensor:
        x = self.vision_proj(self.decoder(x, words, padding_mask))
        b, c, h, w = x.shape
        params = self.text_proj(sentence)
        weight = params[:, :-1].reshape(b, c, self.kernel_size, self.kernel_size)
        logits = F.conv2d(x.reshape(1, b * c, h, w), weight, bias=params[:, -1],
                          padding=self.kernel_size // 2, groups=b)
        return logits.transpose(0, 1)

    def loss_by_feat(self, logits: torch.Tensor, gt_masks: List[torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``logits`` (B, 1, h, w); ``gt_masks`` (1, H, W) each, values in [0, 1]."""
        target = torch.stack(gt_masks).to(logits.dtype)
        if target.shape[-2:] != logits.shape[-2:]:
            target = F.interpolate(target, logits.shape[-2:], mode='nearest')
        return {self.loss_decode.loss_name: self.loss_decode(logits, target.squeeze(1))}
