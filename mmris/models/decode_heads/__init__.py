"""Decode heads."""
from .global_alignment_decoder import GlobalAlignmentDecoder, GlobalAlignmentLayer
from .no_target_head import NoTargetHead
from .projector_head import ProjectorHead
from .text_kernel_head import TextKernelHead

__all__ = [
    'GlobalAlignmentDecoder', 'GlobalAlignmentLayer', 'NoTargetHead', 'ProjectorHead', 'TextKernelHead'
]
