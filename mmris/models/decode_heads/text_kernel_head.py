"""Semantic segmentation head: one dynamic kernel per class text embedding."""
from typing import Optional

import torch
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import nn

from mmris.registry import MODELS

from ..utils import BridgedFeatures, expect_features
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
        decoder (dict, optional): Decoder config; its ``d_model`` defaults to
            ``in_channels``. ``None``: no decoder.
        in_channels (int, optional): Channels of the selected map; ``None``:
            from the neck or backbone built before (``out_channels[in_index]``).
        channels (int): Projector channels (256).
        text_channels (int, optional): Channels of the class embeddings;
            ``None``: from the module built before.
        num_classes (int, optional): K; ``None``: the length of the backbone's
            vocabulary.
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

    def __init__(self, decoder: Optional[dict] = None, in_channels: Optional[int] = None,
                 channels: int = 256, text_channels: Optional[int] = None,
                 num_classes: Optional[int] = None, kernel_size: int = 3,
                 norm_cfg: dict = dict(type='BN'), in_index: int = 0,
                 dropout_ratio: float = 0.1, init_cfg=None, **kwargs):
        if None in (in_channels, text_channels, num_classes):
            spec = expect_features(type(self).__name__)
            in_channels = in_channels or spec.out_channels[in_index]
            text_channels = text_channels or spec.text_channels
            if num_classes is None:
                if spec.class_names is None:
                    raise ValueError('TextKernelHead: num_classes is not given and the '
                                     f'{spec.producer} built before has no classes')
                num_classes = len(spec.class_names)
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
