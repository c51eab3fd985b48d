"""Building blocks that several backbones, necks and heads are made of."""
from .attention import MultiheadAttention, scaled_dot_product
from .conv_norm_act import ConvNormAct
from .global_alignment_decoder import GlobalAlignmentDecoder, GlobalAlignmentLayer
from .interactors import FullInteractor, LightInteractor
from .region_text_scorer import RegionTextScorer

__all__ = [
    'ConvNormAct', 'FullInteractor', 'GlobalAlignmentDecoder', 'GlobalAlignmentLayer',
    'LightInteractor', 'MultiheadAttention', 'RegionTextScorer', 'scaled_dot_product'
]
