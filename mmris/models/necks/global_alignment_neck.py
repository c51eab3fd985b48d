"""ETRIS' global alignment decoder as a neck: a map attending to the words."""
from typing import Optional

from mmengine.model import BaseModule
from torch import nn

from mmris.registry import MODELS

from ..utils import BridgedFeatures, announce_features, expect_features


@MODELS.register_module()
class GlobalAlignmentNeck(BaseModule):
    """Runs ETRIS' :class:`GlobalAlignmentDecoder` on one map, with the
    expression's words as its memory, and hands the decoded map on with the
    same text, for a detection pyramid and head to follow (the referring
    detector: ETRIS' backbone, cascaded alignment neck and decoder, then
    boxes instead of the projector's mask).

    Every position attends to every other and to the words (padded words
    masked), so that relations such as "left of the blue square" can be
    resolved before the boxes are scored. Words of another width than the
    map are projected to it by a linear layer (ETRIS' widths match: 512).

    Args:
        decoder (dict): :class:`GlobalAlignmentDecoder` config; its
            ``d_model`` is the map's channels.
        in_channels (int, optional): Channels of the map; ``None``: from the
            neck or backbone built before.
        word_channels (int, optional): Channels of the words; ``None``: from
            the backbone.
        init_cfg (dict, optional): mmengine init config.

    Shapes: :class:`BridgedFeatures` of one map (B, C, h, w) with words
    (B, L, C_w) and padding mask (B, L) -> :class:`BridgedFeatures` of one
    map (B, C, h, w), with the same text.
    """

    def __init__(self, decoder: dict, in_channels: Optional[int] = None,
                 word_channels: Optional[int] = None, init_cfg=None):
        super().__init__(init_cfg)
        if in_channels is None or word_channels is None:
            spec = expect_features(type(self).__name__)
            in_channels = in_channels or spec.out_channels[0]
            word_channels = word_channels or spec.word_channels
        self.decoder = MODELS.build(dict(dict(d_model=in_channels), **decoder))
        self.word_proj = (nn.Identity() if word_channels == in_channels else
                          nn.Linear(word_channels, in_channels))
        announce_features(self, [in_channels])

    def forward(self, features: BridgedFeatures) -> BridgedFeatures:
        text = features.text
        if text.words is None:
            raise ValueError('GlobalAlignmentNeck attends to the words of an expression, and the '
                             'backbone gave none: run it in expression mode (classes=None)')
        decoded = self.decoder(features[0], self.word_proj(text.words), text.padding_mask)
        return features.with_maps([decoded])
