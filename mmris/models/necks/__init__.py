"""Necks."""
from .cascaded_alignment_neck import CascadedAlignmentNeck
from .global_alignment_neck import GlobalAlignmentNeck
from .simple_feature_pyramid import SimpleFeaturePyramid
from .text_carrying_neck import TextCarryingNeck

__all__ = ['CascadedAlignmentNeck', 'GlobalAlignmentNeck', 'SimpleFeaturePyramid',
           'TextCarryingNeck']
