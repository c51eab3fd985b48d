"""Any stock neck, fed from a Bridger backbone, with the text carried past it."""
from typing import Tuple

from mmengine.model import BaseModule

from mmris.registry import MODELS

from ..utils import BridgedFeatures, announce_features, expect_features


@MODELS.register_module()
class TextCarryingNeck(BaseModule):
    """Runs a stock neck (mmseg's or mmdet's ``FPN``, ``MultiLevelNeck``, ...)
    on the maps of :class:`BridgedFeatures` and hands its outputs on with the
    same text features, which a stock neck would drop.

    The inner neck's ``in_channels`` default to the backbone's outputs, and
    its outputs (``out_channels`` x ``num_outs``) are announced to the heads
    built after it.

    Args:
        neck (dict): The inner neck's config, e.g.
            ``dict(type='mmdet.FPN', out_channels=256, num_outs=5)``.
        init_cfg (dict, optional): mmengine init config.

    Shapes: :class:`BridgedFeatures` of the backbone's maps ->
    :class:`BridgedFeatures` of the inner neck's maps, with the same text.
    """

    def __init__(self, neck: dict, init_cfg=None):
        super().__init__(init_cfg)
        if 'in_channels' not in neck:
            neck = dict(neck, in_channels=list(expect_features(type(self).__name__).out_channels))
        self.neck = MODELS.build(neck)
        announce_features(self, self._inner_out_channels())

    def _inner_out_channels(self) -> Tuple[int, ...]:
        out_channels = getattr(self.neck, 'out_channels', None)
        if isinstance(out_channels, int) and hasattr(self.neck, 'num_outs'):
            return (out_channels, ) * self.neck.num_outs
        if isinstance(out_channels, (list, tuple)):
            return tuple(out_channels)
        raise ValueError(f'TextCarryingNeck cannot tell the output channels of '
                         f'{type(self.neck).__name__}: it needs an out_channels list, or an '
                         f'int out_channels and num_outs')

    def forward(self, features: BridgedFeatures) -> BridgedFeatures:
        return features.with_maps(self.neck(tuple(features)))
