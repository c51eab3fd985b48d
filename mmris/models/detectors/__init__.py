"""Detectors."""
from .etris_referring_detector import ETRISReferringDetector

__all__ = ['ETRISReferringDetector']
