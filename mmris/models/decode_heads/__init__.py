"""Decode heads."""
from .projector_head import ProjectorHead
from .text_kernel_head import TextKernelHead

__all__ = ['ProjectorHead', 'TextKernelHead']
