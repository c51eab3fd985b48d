"""Evaluation of referring segmentation and detection: the RIS and box metrics."""
from .metrics import RefBoxMetric, RISMetric

__all__ = ['RISMetric', 'RefBoxMetric']
