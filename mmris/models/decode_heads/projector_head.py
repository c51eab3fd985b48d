"""ETRIS' mask head: global alignment decoder, then a text-conditioned projector."""
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.structures import SegDataSample
from torch import nn

from mmris.registry import MODELS

from ..utils import BridgedFeatures
from .dynamic_kernels import dynamic_kernel_logits, upsampling_projection


@MODELS.register_module()
class ProjectorHead(BaseDecodeHead):
    """Decoder + dynamic-kernel projector + binary mask loss, as an mmseg
    decode head with one output channel (as :class:`TextKernelHead`).

    The decoder refines the neck map with the words. The projector upsamples
    it x4 (bilinear x2, 3x3 conv, bilinear x2, 3x3 conv, 1x1 conv) and the
    sentence feature is turned into one 3x3 kernel and a bias per sample,
    convolved with that sample's map to give stride-4 mask logits.

    Args:
        decoder (dict): Decoder config (``GlobalAlignmentDecoder``); its
            ``d_model`` defaults to ``in_channels``.
        in_channels (int): Channels of the neck's map (512); also the
            channels of the words the decoder attends to.
        text_channels (int): Channels of the sentence embedding (the
            backbone's ``text_channels``).
        channels (int): Projector channels (256).
        kernel_size (int): Dynamic kernel size (3).
        norm_cfg (dict): Norm config of the projector convs.
        loss_decode (dict): Loss on the logits and the GT mask resized to the
            logits with nearest interpolation (BCE with logits by default).
        threshold (float): mmseg's threshold of a one-channel head, used by
            mmseg's own ``predict``; :class:`ETRIS` thresholds with its
            ``test_cfg['mask_threshold']``.
        init_cfg (dict, optional): mmengine init config.

    Shapes: :class:`BridgedFeatures` of one map (B, in_channels, h, w) with
    words (B, L, in_channels), padding mask (B, L) and sentence
    (B, text_channels) -> logits (B, 1, 4h, 4w).
    """

    def __init__(self, decoder: dict, in_channels: int, text_channels: int, channels: int = 256,
                 kernel_size: int = 3, norm_cfg: dict = dict(type='BN'),
                 loss_decode: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                          loss_name='loss_mask'),
                 threshold: float = 0.35, init_cfg=None):
        # mmseg's BaseDecodeHead draws a conv_seg this head does not use; the
        # draw must not move the random stream, or every part built after the
        # head (and each init_weights) starts elsewhere than ETRIS' always did.
        with torch.random.fork_rng(devices=[]):
            super().__init__(in_channels, channels, num_classes=1, out_channels=1,
                             threshold=threshold, dropout_ratio=0., norm_cfg=norm_cfg,
                             in_index=0, loss_decode=loss_decode, init_cfg=init_cfg)
        del self.conv_seg  # the kernel comes from the sentence
        self.text_channels = text_channels
        self.word_channels = in_channels  # the decoder's memory is the words
        self.decoder = MODELS.build(dict(dict(d_model=in_channels), **decoder))
        self.vision_proj = upsampling_projection(in_channels, channels, norm_cfg)
        self.text_proj = nn.Linear(text_channels, channels * kernel_size ** 2 + 1)
        self.kernel_size = kernel_size

    def forward(self, inputs: BridgedFeatures) -> torch.Tensor:
        text = inputs.text
        x = self._transform_inputs(inputs)
        x = self.vision_proj(self.decoder(x, text.words, text.padding_mask))
        return dynamic_kernel_logits(x, self.text_proj(text.embeddings), self.kernel_size)

    def loss_by_feat(self, seg_logits: torch.Tensor,
                     batch_data_samples: List[SegDataSample]) -> Dict[str, torch.Tensor]:
        """``seg_logits`` (B, 1, h, w) against each sample's ``gt_sem_seg``
        (1, H, W), values in [0, 1]."""
        logits = seg_logits
        target = torch.stack([sample.gt_sem_seg.data for sample in batch_data_samples])
        target = target.to(logits.dtype)
        if target.shape[-2:] != logits.shape[-2:]:
            target = F.interpolate(target, logits.shape[-2:], mode='nearest')
        return {self.loss_decode.loss_name: self.loss_decode(logits, target.squeeze(1))}
