"""Necks."""
from .cascaded_alignment_neck import CascadedAlignmentNeck

__all__ = ['CascadedAlignmentNeck']
