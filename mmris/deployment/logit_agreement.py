"""How close an exported network's logits are to the PyTorch model's."""
from typing import Dict

import numpy as np


def logit_agreement(expected: np.ndarray, got: np.ndarray, threshold: float) -> Dict[str, float]:
    """Mask logits of the same inputs from two runs (any equal shapes) ->
    ``max_abs_diff`` of the logits and ``mask_agreement``, the share of
    pixels on the same side of ``threshold`` (a probability: the mask is
    ``sigmoid(logit) > threshold``)."""
    expected, got = np.asarray(expected, dtype=np.float64), np.asarray(got, dtype=np.float64)
    if expected.shape != got.shape:
        raise ValueError(f'logits of shape {got.shape} against {expected.shape}')
    boundary = np.log(threshold / (1 - threshold))  # sigmoid(x) > t  <=>  x > logit(t)
    return dict(max_abs_diff=float(np.abs(expected - got).max()),
                mask_agreement=float(np.mean((expected > boundary) == (got > boundary))))
