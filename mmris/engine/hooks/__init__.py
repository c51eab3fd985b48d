"""Hooks of the mmris runner."""
from .ris_visualization_hook import RISVisualizationHook, sample_name

__all__ = ['RISVisualizationHook', 'sample_name']
