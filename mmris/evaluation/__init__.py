"""Evaluation: the RIS and box metrics, scores of trivial baselines, and
reading and comparing the predictions a test run dumps."""
from .baseline_scores import format_scores, score_baselines
from .metrics import GRESMetric, RefBoxMetric, RISMetric
from .prediction_agreement import prediction_agreement
from .results_file import load_results

__all__ = ['GRESMetric', 'RISMetric', 'RefBoxMetric', 'format_scores', 'load_results',
           'prediction_agreement', 'score_baselines']
