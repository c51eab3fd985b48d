"""GlobalAlignmentNeck: ETRIS' decoder over a map and the expression's words."""
import pytest
import torch

from mmris.models.necks import GlobalAlignmentNeck
from mmris.models.utils import BridgedFeatures, TextFeatures

DECODER = dict(type='GlobalAlignmentDecoder', num_layers=1, num_heads=2, ffn_channels=16,
               dropout=0.)


def _features(words, padding_mask):
    torch.manual_seed(0)
    return BridgedFeatures([torch.randn(2, 8, 3, 4)],
                           TextFeatures(torch.randn(2, 6), words, padding_mask))


def test_decodes_the_map_with_the_words_and_carries_the_text():
    neck = GlobalAlignmentNeck(DECODER, in_channels=8, word_channels=12).eval()
    assert isinstance(neck.word_proj, torch.nn.Linear)  # 12 -> 8
    assert neck.out_channels == (8, )
    padding = torch.tensor([[False, False, True], [False, True, True]])
    words = torch.randn(2, 3, 12)
    features = _features(words, padding)
    out = neck(features)
    assert len(out) == 1 and out[0].shape == (2, 8, 3, 4) and out.text is features.text
    # Padded words are masked: changing them changes nothing; a real word does.
    changed = words.clone()
    changed[0, 2] = changed[1, 1] = 100.
    torch.testing.assert_close(neck(_features(changed, padding))[0], out[0])
    changed[0, 0] = 100.
    assert not torch.allclose(neck(_features(changed, padding))[0][0], out[0][0])


def test_words_of_the_map_width_are_used_as_they_are():
    neck = GlobalAlignmentNeck(DECODER, in_channels=8, word_channels=8)
    assert isinstance(neck.word_proj, torch.nn.Identity)


def test_a_vocabulary_without_words_is_refused():
    neck = GlobalAlignmentNeck(DECODER, in_channels=8, word_channels=8)
    with pytest.raises(ValueError, match='expression mode'):
        neck(BridgedFeatures([torch.randn(1, 8, 2, 2)], TextFeatures(torch.randn(1, 3, 6))))
