"""Evaluation: the RIS and box metrics, and scores of trivial baselines."""
from .baseline_scores import format_scores, score_baselines
from .metrics import GRESMetric, RefBoxMetric, RISMetric

__all__ = ['GRESMetric', 'RISMetric', 'RefBoxMetric', 'format_scores', 'score_baselines']
