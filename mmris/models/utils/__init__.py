"""Small building blocks shared by mmris models."""
from .activation_checkpoint import checkpointed
from .attention import MultiheadAttention, scaled_dot_product
from .bridged_features import BridgedFeatures, TextFeatures, head_texts
from .conv_norm_act import ConvNormAct
from .feature_spec import FeatureSpec, announce_features, expect_features, text_head_arguments
from .region_text_scorer import RegionTextScorer
from .sample_expressions import sample_expressions

__all__ = [
    'BridgedFeatures', 'ConvNormAct', 'FeatureSpec', 'MultiheadAttention', 'RegionTextScorer',
    'TextFeatures', 'announce_features', 'checkpointed', 'expect_features', 'head_texts',
    'sample_expressions', 'scaled_dot_product', 'text_head_arguments'
]
