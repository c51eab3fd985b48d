"""Small building blocks shared by mmris models."""
from .bridged_features import BridgedFeatures, TextFeatures
from .conv_norm_act import ConvNormAct
from .feature_spec import FeatureSpec, announce_features, expect_features

__all__ = [
    'BridgedFeatures', 'ConvNormAct', 'FeatureSpec', 'TextFeatures', 'announce_features',
    'expect_features'
]
