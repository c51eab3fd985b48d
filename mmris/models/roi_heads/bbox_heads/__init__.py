"""RoI box heads."""
from .text_bbox_head import TextShared2FCBBoxHead

__all__ = ['TextShared2FCBBoxHead']
