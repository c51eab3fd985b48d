"""Metrics of referring image segmentation and referring detection."""
from .gres_metric import GRESMetric
from .ref_box_metric import RefBoxMetric
from .ris_metric import RISMetric

__all__ = ['GRESMetric', 'RISMetric', 'RefBoxMetric']
