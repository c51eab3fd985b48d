"""ETRIS' global alignment decoder as a neck: a map attending to the words."""
from mmengine.model import BaseModule
from torch import nn

from mmris.registry import MODELS

from ..utils import BridgedFeatures


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
        in_channels (int): Channels of the map.
        word_channels (int): Channels of the words (the backbone's
            ``word_channels``).
        init_cfg (dict, optional): mmengine init config.

    Shapes: :class:`BridgedFeatures` of one map (B, C, h, w) with words
    (B, L, C_w) and padding mask (B, L) -> :class:`BridgedFeatures` of one
    map (B, C, h, w), with the same text.
    """

    def __init__(self, decoder: dict, in_channels: int, word_channels: int, init_cfg=None):
        super().__init__(init_cfg)
        self.in_channels = (in_channels, )
        self.word_channels = word_channels
        self.out_channels = (in_channels, )
        self.decoder = MODELS.build(dict(dict(d_model=in_channels), **decoder))
        self.word_proj = (nn.Identity() if word_channels == in_channels else
                          nn.Linear(word_channels, in_channels))

    def forward(self, features: BridgedFeatures) -> BridgedFeatures:
        text = features.text
        if text.words is None:
            raise ValueError('GlobalAlignmentNeck attends to the words of an expression, and the '
                             'backbone gave none: run it in expression mode (classes=None)')
        decoded = self.decoder(features[0], self.word_proj(text.words), text.padding_mask)
        return features.with_maps([decoded])
