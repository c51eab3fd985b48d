"""logit_agreement against a hand computation."""
import numpy as np
import pytest

from mmris.deployment import logit_agreement


def test_agreement_is_counted_at_the_probability_threshold():
    # logit(0.75) = log(3) = 1.0986: a pixel is foreground above it.
    expected = np.array([[2.0, 1.0, -3.0, 1.2]])
    got = np.array([[2.5, 1.2, -3.0, 1.0]])  # pixels 2 and 4 cross the boundary
    figures = logit_agreement(expected, got, threshold=0.75)
    assert figures['max_abs_diff'] == pytest.approx(0.5)
    assert figures['mask_agreement'] == pytest.approx(2 / 4)
    # At 0.5 (logit 0) every pixel keeps its side.
    assert logit_agreement(expected, got, threshold=0.5)['mask_agreement'] == 1


def test_shapes_must_match():
    with pytest.raises(ValueError, match=r'logits of shape \(1, 2\) against \(1, 3\)'):
        logit_agreement(np.zeros((1, 3)), np.zeros((1, 2)), 0.5)
