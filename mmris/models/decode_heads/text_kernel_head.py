"""Semantic segmentation head: one dynamic kernel per class text embedding."""
from typing import Optional

import torch
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import nn

from mmris.registry import MODELS

from ..utils import BridgedFeatures
from .dynamic_kernels import dynamic_kernel_logits, upsampling_projection


@MODELS.register_module()
class TextKernelHead(BaseDecodeHead):
    """ETRIS' projector generalised from one sentence to K class texts.

    The selected map is optionally refined by a decoder whose memory is the
    K class embeddings (:class:`GlobalAlignmentDecoder` without word
    positions: classes have no order), then upsampled x4 by ETRIS' visual
    projection. Each class embedding of each image becomes a
    ``channels x k x k`` kernel and a bias, and convolving the image's map
    with its K kernels gives K logit maps. The class count therefore follows
    the backbone's vocabulary, and another class list at test time needs no
    new weights. Everything else (``loss_by_feat`` with cross-entropy and
    ``ignore_index``, ``predict_by_feat``, slide inference, auxiliary heads)
    is mmseg's.

    Args:
        in_channels (int): Channels of the selected map.
        text_channels (int): Channels of the class embeddings (the
            backbone's ``text_channels``).
        num_classes (int): K >= 2, the length of the backbone's vocabulary.
        decoder (dict, optional): Decoder config; its ``d_model`` defaults to
            ``in_channels``. ``None``: no decoder.
        channels (int): Projector channels (256).
        kernel_size (int): Dynamic kernel size (3).
        norm_cfg (dict): Norm of the projector convs.
        in_index (int): Which map to read.
        dropout_ratio (float): Dropout before the kernels (mmseg's default
            0.1).
        init_cfg (dict, optional): mmengine init config.
        **kwargs: Other :class:`BaseDecodeHead` arguments (``loss_decode``,
            ``ignore_index``, ``align_corners``, ``sampler``).

    Shapes: :class:`BridgedFeatures` whose map ``in_index`` is
    (B, in_channels, h, w), with class embeddings (B, K, text_channels) ->
    logits (B, K, 4h, 4w).
    """

    def __init__(self, in_channels: int, text_channels: int, num_classes: int,
                 decoder: Optional[dict] = None, channels: int = 256, kernel_size: int = 3,
                 norm_cfg: dict = dict(type='BN'), in_index: int = 0,
                 dropout_ratio: float = 0.1, init_cfg=None, **kwargs):
        if num_classes < 2:
            raise ValueError(
                f'TextKernelHead needs at least 2 classes, got {num_classes}: each pixel takes '
                f'the class of highest score (mmseg would read one class as a binary mask of '
                f'it); add a class for everything else, e.g. "background"')
        super().__init__(in_channels, channels, num_classes=num_classes, norm_cfg=norm_cfg,
                         in_index=in_index, dropout_ratio=dropout_ratio, init_cfg=init_cfg,
                         **kwargs)
        del self.conv_seg  # the class kernels come from the text
        self.decoder = None
        if decoder is not None:
            self.decoder = MODELS.build(dict(dict(d_model=in_channels, word_positions=False),
                                             **decoder))
            self.text_to_decoder = nn.Linear(text_channels, in_channels)
        self.vision_proj = upsampling_projection(in_channels, channels, norm_cfg)
        self.text_proj = nn.Linear(text_channels, channels * kernel_size ** 2 + 1)
        self.kernel_size = kernel_size
        self.text_channels = text_channels

    def forward(self, inputs: BridgedFeatures) -> torch.Tensor:
        x = self._transform_inputs(inputs)
        texts = inputs.text.embeddings  # (B, K, D)
        if texts.shape[1] != self.num_classes:
            raise ValueError(f'TextKernelHead was built for {self.num_classes} classes but '
                             f'the backbone gives {texts.shape[1]} class embeddings')
        if self.decoder is not None:
            x = self.decoder(x, self.text_to_decoder(texts), None)
        x = self.vision_proj(x)
        if self.dropout is not None:
            x = self.dropout(x)
        return dynamic_kernel_logits(x, self.text_proj(texts), self.kernel_size)
