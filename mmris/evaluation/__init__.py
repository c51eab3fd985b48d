"""Evaluation of referring image segmentation: the RIS metric."""
from .metrics import RISMetric

__all__ = ['RISMetric']
