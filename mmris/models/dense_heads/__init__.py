"""Dense detection heads that score their priors against texts."""
from .text_fcos_head import TextFCOSHead
from .text_retina_head import TextRetinaHead
from .text_scored_dense_head import TextScoredDenseHead

__all__ = ['TextFCOSHead', 'TextRetinaHead', 'TextScoredDenseHead']
