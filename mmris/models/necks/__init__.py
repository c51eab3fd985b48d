"""Necks."""
from .cascaded_alignment_neck import CascadedAlignmentNeck
from .simple_feature_pyramid import SimpleFeaturePyramid
from .text_carrying_neck import TextCarryingNeck

__all__ = ['CascadedAlignmentNeck', 'SimpleFeaturePyramid', 'TextCarryingNeck']
