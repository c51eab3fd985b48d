"""Detectors for what stock mmdet detectors cannot do: referring boxes."""
from .referring_detector import ReferringDetector

__all__ = ['ReferringDetector']
