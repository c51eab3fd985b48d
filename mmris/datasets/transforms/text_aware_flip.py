"""A horizontal flip that keeps the expression true."""
import re

import numpy as np
from mmcv.transforms import BaseTransform

from mmris.registry import TRANSFORMS

_SWAPS = {'left': 'right', 'right': 'left', 'leftmost': 'rightmost', 'rightmost': 'leftmost'}
_WORDS = re.compile(r'\b(' + '|'.join(_SWAPS) + r')\b', re.IGNORECASE)


def swap_left_right(text: str) -> str:
    """'the man left of the car' -> 'the man right of the car' (case kept)."""

    def swap(match):
        word = match.group(0)
        new = _SWAPS[word.lower()]
        return new.capitalize() if word[0].isupper() else new

    return _WORDS.sub(swap, text)


@TRANSFORMS.register_module()
class RISRandomFlip(BaseTransform):
    """Flip ``img`` and ``gt_seg_map`` left-right with probability ``prob``
    and swap "left"/"right" (and "leftmost"/"rightmost") in ``text``.

    Opt-in training augmentation (the reference uses none). Put it before
    ``RISLetterbox``.

    Required keys: ``img``, ``text``. Optional: ``gt_seg_map``. Modified
    keys: the same. Added keys: ``flip``, ``flip_direction``.

    Args:
        prob (float): Flip probability.
    """

    def __init__(self, prob: float = 0.5):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        flip = np.random.rand() < self.prob
        if flip:
            results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
            if results.get('gt_seg_map') is not None:
                results['gt_seg_map'] = np.ascontiguousarray(results['gt_seg_map'][:, ::-1])
            results['text'] = swap_left_right(results['text'])
        results['flip'] = bool(flip)
        results['flip_direction'] = 'horizontal' if flip else None
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'
