"""Evaluation: the RIS metric, and scores of trivial baselines."""
from .baseline_scores import format_scores, score_baselines
from .metrics import RISMetric

__all__ = ['RISMetric', 'format_scores', 'score_baselines']
