"""Any stock neck, fed from a Bridger backbone, with the text carried past it."""
from mmengine.model import BaseModule

from mmris.registry import MODELS
from mmris.utils.part_fit import output_channels

from ..utils import BridgedFeatures


@MODELS.register_module()
class TextCarryingNeck(BaseModule):
    """Runs a stock neck (mmseg's or mmdet's ``FPN``, ``MultiLevelNeck``, ...)
    on the maps of :class:`BridgedFeatures` and hands its outputs on with the
    same text features, which a stock neck would drop.

    Args:
        neck (dict): The inner neck's config, with its ``in_channels`` (the
            backbone's ``out_channels``), e.g. ``dict(type='mmdet.FPN',
            in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=5)``.
        init_cfg (dict, optional): mmengine init config.

    Attributes:
        in_channels (tuple of int): The inner neck's ``in_channels``.
        out_channels (tuple of int): Channels of each output map.

    Shapes: :class:`BridgedFeatures` of the backbone's maps ->
    :class:`BridgedFeatures` of the inner neck's maps, with the same text.
    """

    def __init__(self, neck: dict, init_cfg=None):
        super().__init__(init_cfg)
        self.neck = MODELS.build(neck)
        self.in_channels = tuple(self.neck.in_channels)
        self.out_channels = output_channels(self.neck)

    def forward(self, features: BridgedFeatures) -> BridgedFeatures:
        return features.with_maps(self.neck(tuple(features)))
