"""Decode heads."""
from .global_alignment_decoder import GlobalAlignmentDecoder, GlobalAlignmentLayer
from .projector_head import ProjectorHead

__all__ = ['GlobalAlignmentDecoder', 'GlobalAlignmentLayer', 'ProjectorHead']
