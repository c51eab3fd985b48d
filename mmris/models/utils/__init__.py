"""Small building blocks shared by mmris models."""
from .activation_checkpoint import checkpointed
from .attention import MultiheadAttention, scaled_dot_product
from .bridged_features import BridgedFeatures, TextFeatures
from .conv_norm_act import ConvNormAct
from .feature_spec import FeatureSpec, announce_features, expect_features

__all__ = [
    'BridgedFeatures', 'ConvNormAct', 'FeatureSpec', 'MultiheadAttention', 'TextFeatures',
    'announce_features', 'checkpointed', 'expect_features', 'scaled_dot_product'
]
