"""Small building blocks shared by mmris models."""
from .bridged_features import BridgedFeatures, TextFeatures, head_texts
from .conv_norm_act import ConvNormAct
from .feature_spec import FeatureSpec, announce_features, expect_features, text_head_arguments
from .region_text_scorer import RegionTextScorer
from .sample_expressions import sample_expressions

__all__ = [
    'BridgedFeatures', 'ConvNormAct', 'FeatureSpec', 'RegionTextScorer', 'TextFeatures',
    'announce_features', 'expect_features', 'head_texts', 'sample_expressions',
    'text_head_arguments'
]
