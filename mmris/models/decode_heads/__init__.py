"""Decode heads."""
from .no_target_head import NoTargetHead
from .projector_head import ProjectorHead
from .text_kernel_head import TextKernelHead

__all__ = ['NoTargetHead', 'ProjectorHead', 'TextKernelHead']
