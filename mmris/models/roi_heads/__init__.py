"""RoI heads for two-stage detectors with text-scored classification."""
from .bbox_heads import TextShared2FCBBoxHead
from .text_roi_head import TextRoIHead

__all__ = ['TextRoIHead', 'TextShared2FCBBoxHead']
