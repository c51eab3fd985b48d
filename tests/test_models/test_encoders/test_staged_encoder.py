"""How the encoders' blocks are cut into the stages the Bridger fuses after."""
import pytest

from mmris.models.encoders import split_into_stages


@pytest.mark.parametrize('layers, num_stages, fusion_layers, expected', [
    (12, 3, None, [(0, 4), (4, 8), (8, 12)]),
    (12, 3, (3, 7, 11), [(0, 4), (4, 8), (8, 12)]),
    (12, 3, (4, 8, 11), [(0, 5), (5, 9), (9, 12)]),  # DETRIS' DINOv2 taps
    (24, 3, None, [(0, 8), (8, 16), (16, 24)]),
    (3, 2, (0, 2), [(0, 1), (1, 3)]),
])
def test_split(layers, num_stages, fusion_layers, expected):
    assert split_into_stages(layers, num_stages, fusion_layers) == expected


@pytest.mark.parametrize('layers, num_stages, fusion_layers, message', [
    (12, 5, None, 'set num_stages to a divisor of 12'),
    (12, 3, (3, 7, 11, 11), r'gives 4 stages but num_stages=3: set num_stages=4'),
    (12, 3, (3, 7, 10), r'end with the last of the 12 layers \(11\)'),
    (12, 3, (7, 3, 11), 'must increase'),
    (12, 3, (3, 3, 11), 'must increase'),
    (12, 3, (-1, 7, 11), 'must increase from 0'),
])
def test_impossible_split_says_what_to_set(layers, num_stages, fusion_layers, message):
    with pytest.raises(ValueError, match=message):
        split_into_stages(layers, num_stages, fusion_layers)
