"""Evaluation: the RIS and box metrics, and scores of trivial baselines."""
from .baseline_scores import format_scores, score_baselines
from .metrics import RefBoxMetric, RISMetric

__all__ = ['RISMetric', 'RefBoxMetric', 'format_scores', 'score_baselines']
