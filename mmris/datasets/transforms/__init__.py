"""Data transforms for referring segmentation."""
from .formatting import PackRISInputs
from .letterbox import CLIP_MEAN_RGB, RISLetterbox, letterbox_matrices
from .loading import LoadRISAnnotations, decode_mask
from .text_aware_flip import RISRandomFlip, swap_left_right

__all__ = [
    'CLIP_MEAN_RGB', 'LoadRISAnnotations', 'PackRISInputs', 'RISLetterbox', 'RISRandomFlip',
    'decode_mask', 'letterbox_matrices', 'swap_left_right'
]
