"""Necks."""
from .cascaded_alignment_neck import CascadedAlignmentNeck
from .text_carrying_neck import TextCarryingNeck

__all__ = ['CascadedAlignmentNeck', 'TextCarryingNeck']
