"""Data transforms for referring segmentation."""
from .formatting import PackRISInputs
from .letterbox import CLIP_MEAN_RGB, RISLetterbox, letterbox_matrices

__all__ = ['CLIP_MEAN_RGB', 'PackRISInputs', 'RISLetterbox', 'letterbox_matrices']
