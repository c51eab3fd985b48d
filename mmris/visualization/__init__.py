"""Visualizers: pictures of referring segmentations."""
from .ris_local_visualizer import RISLocalVisualizer

__all__ = ['RISLocalVisualizer']
